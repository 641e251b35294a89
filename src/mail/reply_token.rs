//! The token in every notification's reply address, `helpdesk+HD-2026-000042.k7f3q9…@domain`:
//! a keyed digest of the ticket number and the recipient's address. Only the desk can make it,
//! and it is worth something only for that ticket and that sender, so a reply by mail proves
//! that its author received the desk's mail about that ticket (ticket numbers are sequential;
//! `From` is whatever the sender writes).

use crate::auth::mac::{self, Mac};

/// Characters of the token: 20 base32 characters carry 100 bits.
const LEN: usize = 20;

#[derive(Clone, Debug)]
pub struct ReplyKey {
    mac: Mac,
}

impl ReplyKey {
    pub fn new(secret: &[u8]) -> Self {
        Self { mac: Mac::new(secret) }
    }

    /// The token for replies about `number` from `recipient` (compared case-insensitively).
    pub fn token(&self, number: &str, recipient: &str) -> String {
        self.mac.short("reply-to", &[&number.to_ascii_uppercase(), &recipient.trim().to_lowercase()], LEN)
    }

    /// Whether `token` is the one mailed to `sender` about `number`.
    pub fn check(&self, number: &str, sender: &str, token: &str) -> bool {
        mac::same(&self.token(number, sender), &token.to_ascii_lowercase())
    }

    /// The tag after `+` in the reply address: the number and the token.
    pub fn tag(&self, number: &str, recipient: &str) -> String {
        format!("{number}.{}", self.token(number, recipient))
    }
}

/// A plus tag split into the ticket number and the token (`None` without one).
pub fn split_tag(tag: &str) -> (&str, Option<&str>) {
    match tag.split_once('.') {
        Some((number, token)) => (number, Some(token)),
        None => (tag, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_for_one_ticket_and_one_recipient() {
        let key = ReplyKey::new(b"a secret of at least thirty-two bytes!!");
        let token = key.token("HD-2026-000042", "Mario.Rossi@studenti.unibg.it");
        assert_eq!(token.len(), LEN);
        assert!(key.check("HD-2026-000042", "mario.rossi@studenti.unibg.it", &token.to_uppercase()), "case does not matter");
        assert!(!key.check("HD-2026-000043", "mario.rossi@studenti.unibg.it", &token), "another ticket");
        assert!(!key.check("HD-2026-000042", "laura@unibg.it", &token), "another sender");
        assert!(!key.check("HD-2026-000042", "mario.rossi@studenti.unibg.it", "aaaaaaaaaaaaaaaaaaaa"));
        let other = ReplyKey::new(b"another secret of thirty-two bytes!!");
        assert!(!other.check("HD-2026-000042", "mario.rossi@studenti.unibg.it", &token), "another desk's key");
        assert_eq!(split_tag(&key.tag("HD-2026-000042", "a@b.it")), ("HD-2026-000042", Some(key.token("HD-2026-000042", "a@b.it").as_str())));
        assert_eq!(split_tag("HD-2026-000042"), ("HD-2026-000042", None));
    }
}
