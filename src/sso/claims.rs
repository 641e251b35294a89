//! What the provider says about a person, read from the verified id_token and userinfo claims
//! with the configured claim names. Pure: no HTTP, no database.

use serde_json::{Map, Value};

use crate::config::OidcSettings;
use crate::domain::{CodiceFiscale, Email, Role};

/// The person as the provider asserted them (signature, issuer, audience and nonce checked).
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    pub issuer: String,
    pub subject: String,
    pub email: Option<Email>,
    /// Only a provider's explicit `email_verified: true` proves the mailbox.
    pub email_verified: bool,
    pub name: Option<String>,
    pub matricola: Option<String>,
    pub codice_fiscale: Option<CodiceFiscale>,
    /// The highest staff role the person's groups give, if any.
    pub staff_role: Option<Role>,
}

/// SPID's `fiscalNumber` carries the codice fiscale as `TINIT-<cf>`.
const SPID_PREFIX: &str = "TINIT-";

fn text(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty() && text.chars().count() <= 200).then_some(text)
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A codice fiscale from `TINIT-RSSMRA85T10A562S` or a bare one; `None` when it is not valid.
pub fn codice_fiscale(raw: &str) -> Option<CodiceFiscale> {
    let raw = raw.trim();
    let bare = match raw.get(..SPID_PREFIX.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(SPID_PREFIX) => &raw[SPID_PREFIX.len()..],
        _ => raw,
    };
    CodiceFiscale::parse(bare).ok()
}

/// Group names from a list, or from one string of names separated by commas or spaces.
fn groups(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str()).map(str::to_owned).collect(),
        Some(Value::String(s)) => s.split([',', ' ']).filter(|g| !g.is_empty()).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

impl Assertion {
    /// Reads the merged claims (id_token, then userinfo). `sub` must be there.
    pub fn from_claims(issuer: &str, claims: &Map<String, Value>, settings: &OidcSettings) -> Result<Self, String> {
        let subject = text(claims.get("sub")).ok_or("the claims have no subject")?;
        let email = text(claims.get("email")).and_then(|e| Email::parse(&e).ok());
        let name = text(claims.get("name")).or_else(|| {
            let parts: Vec<String> = ["given_name", "family_name"].iter().filter_map(|k| text(claims.get(*k))).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        });
        let groups = groups(claims.get(&settings.groups_claim));
        let staff_role = settings
            .staff_groups
            .iter()
            .filter(|(group, _)| groups.iter().any(|g| g == group))
            .map(|(_, role)| *role)
            .max();
        Ok(Self {
            issuer: issuer.to_owned(),
            subject,
            email_verified: email.is_some() && truthy(claims.get("email_verified")),
            email,
            name,
            matricola: text(claims.get(&settings.matricola_claim)),
            codice_fiscale: text(claims.get(&settings.fiscal_number_claim)).and_then(|cf| codice_fiscale(&cf)),
            staff_role,
        })
    }

    /// The name shown for a new account: the provider's, else the e-mail's local part.
    pub fn display_name(&self) -> String {
        match (&self.name, &self.email) {
            (Some(name), _) => name.clone(),
            (None, Some(email)) => email.as_str().split('@').next().unwrap_or_default().to_owned(),
            (None, None) => self.subject.clone(),
        }
    }
}

/// `helpdesk-agents=agent,helpdesk-admins=admin` → the group → role mapping (staff roles only).
pub fn parse_staff_groups(raw: &str) -> Result<Vec<(String, Role)>, String> {
    let mut mapping = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (group, role) = pair.split_once('=').ok_or_else(|| format!("'{pair}' is not group=role"))?;
        let role = Role::parse(role.trim()).map_err(|e| e.0)?;
        if !role.is_staff() {
            return Err(format!("'{pair}': groups give staff roles (agent, supervisor, admin)"));
        }
        mapping.push((group.trim().to_owned(), role));
    }
    Ok(mapping)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    fn settings() -> OidcSettings {
        OidcSettings {
            issuer: "https://idp.example.it".into(),
            client_id: "helpdesk".into(),
            client_secret: "s".into(),
            scopes: vec![],
            matricola_claim: "matricola".into(),
            fiscal_number_claim: "fiscalNumber".into(),
            groups_claim: "groups".into(),
            staff_groups: parse_staff_groups("helpdesk-agents=agent, helpdesk-admins=admin").unwrap(),
            timeout: Duration::from_secs(5),
            metadata_ttl: Duration::from_secs(60),
        }
    }

    fn read(claims: Value) -> Assertion {
        Assertion::from_claims("https://idp.example.it", claims.as_object().unwrap(), &settings()).unwrap()
    }

    #[test]
    fn reads_a_spid_person() {
        let a = read(json!({
            "sub": "abc", "email": " Mario.Rossi@Studenti.UniBG.it", "email_verified": true,
            "given_name": "Mario", "family_name": "Rossi", "matricola": 1012345,
            "fiscalNumber": "TINIT-RSSMRA85T10A562S", "groups": ["studenti"]
        }));
        assert_eq!(a.subject, "abc");
        assert_eq!(a.email.as_ref().map(Email::as_str), Some("mario.rossi@studenti.unibg.it"));
        assert!(a.email_verified);
        assert_eq!(a.display_name(), "Mario Rossi");
        assert_eq!(a.matricola.as_deref(), Some("1012345"));
        assert_eq!(a.codice_fiscale.as_ref().map(CodiceFiscale::as_str), Some("RSSMRA85T10A562S"));
        assert_eq!(a.staff_role, None);
    }

    #[test]
    fn only_an_explicit_true_verifies_the_email() {
        assert!(!read(json!({"sub": "a", "email": "a@b.it"})).email_verified);
        assert!(!read(json!({"sub": "a", "email": "a@b.it", "email_verified": false})).email_verified);
        assert!(read(json!({"sub": "a", "email": "a@b.it", "email_verified": "true"})).email_verified);
        assert!(!read(json!({"sub": "a", "email_verified": true})).email_verified, "no e-mail, nothing verified");
        assert!(read(json!({"sub": "a", "email": "not an address", "email_verified": true})).email.is_none());
    }

    #[test]
    fn groups_give_the_highest_mapped_role() {
        assert_eq!(read(json!({"sub": "a", "groups": ["x", "helpdesk-agents"]})).staff_role, Some(Role::Agent));
        assert_eq!(read(json!({"sub": "a", "groups": "helpdesk-agents,helpdesk-admins"})).staff_role, Some(Role::Admin));
        assert_eq!(read(json!({"sub": "a", "groups": ["helpdesk-agents-old"]})).staff_role, None);
        assert!(parse_staff_groups("g=student").is_err());
        assert!(parse_staff_groups("g").is_err());
        assert!(parse_staff_groups("").unwrap().is_empty());
    }

    #[test]
    fn a_wrong_codice_fiscale_is_dropped_and_a_subject_is_required() {
        assert_eq!(codice_fiscale("tinit-RSSMRA85T10A562S").map(|c| c.as_str().to_owned()).as_deref(), Some("RSSMRA85T10A562S"));
        assert!(codice_fiscale("TINIT-RSSMRA85T10A562X").is_none());
        assert!(Assertion::from_claims("i", json!({"email": "a@b.it"}).as_object().unwrap(), &settings()).is_err());
    }
}
