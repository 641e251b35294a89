use std::fmt;

use super::ParseError;

/// An e-mail address, trimmed and lower-cased so that one person has one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parsed by lettre's address parser (RFC 5321/5322, the one the mails are sent with), plus
    /// what a student's mailbox needs here: no spaces or quotes, and a domain with a dot.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let value = raw.trim().to_lowercase();
        let bad = || ParseError::coded(super::Code::InvalidEmail);
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"') {
            return Err(bad());
        }
        let address: lettre::Address = value.parse().map_err(|_| bad())?;
        let domain = address.domain();
        if address.user().len() > 64 || !domain.contains('.') || domain.starts_with('[') {
            return Err(bad());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_spaces() {
        assert_eq!(Email::parse("  Mario.Rossi@Studenti.UniBG.it ").unwrap().as_str(), "mario.rossi@studenti.unibg.it");
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in ["", "mario", "mario@", "@unibg.it", "mario@unibg", "ma rio@unibg.it", "a@b@unibg.it", "m@.it", "m@unibg..it",
                    "\"a b\"@unibg.it", "m@[127.0.0.1]", "m@-unibg.it", "m@unibg.it.", ".m@unibg.it", "m..r@unibg.it"] {
            assert!(Email::parse(bad).is_err(), "{bad} should not parse");
        }
    }
}
