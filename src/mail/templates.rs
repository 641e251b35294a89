//! Mail templates: `templates/email/<kind>/<lang>/{subject.txt,body.txt,body.html}.hbs`,
//! embedded in the binary. Strict mode: a missing value is an error, not an empty hole.

use handlebars::Handlebars;
use serde_json::Value;

use crate::domain::Locale;

#[derive(rust_embed::Embed)]
#[folder = "templates/email/"]
#[include = "*.hbs"]
struct EmailTemplates;

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Two registries: text parts must not be HTML-escaped, HTML parts must be.
pub struct Templates {
    text: Handlebars<'static>,
    html: Handlebars<'static>,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("no template for mail kind '{0}'")]
    Missing(String),
    #[error("rendering {0}: {1}")]
    Render(String, handlebars::RenderError),
    #[error("loading templates: {0}")]
    Load(#[from] Box<handlebars::TemplateError>),
}

impl Templates {
    pub fn load() -> Result<Self, TemplateError> {
        let mut text = Handlebars::new();
        text.set_strict_mode(true);
        text.register_escape_fn(handlebars::no_escape);
        text.register_embed_templates_with_extension::<EmailTemplates>(".hbs").map_err(Box::new)?;
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        html.register_embed_templates_with_extension::<EmailTemplates>(".hbs").map_err(Box::new)?;
        Ok(Self { text, html })
    }

    pub fn has(&self, kind: &str) -> bool {
        self.text.has_template(&format!("{kind}/it/subject.txt"))
    }

    pub fn render(&self, kind: &str, locale: Locale, data: &Value) -> Result<Rendered, TemplateError> {
        let name = |part: &str| format!("{kind}/{}/{part}", locale.as_str());
        if !self.text.has_template(&name("subject.txt")) {
            return Err(TemplateError::Missing(kind.to_owned()));
        }
        let render = |reg: &Handlebars<'static>, part: &str| {
            reg.render(&name(part), data).map_err(|e| TemplateError::Render(name(part), e))
        };
        Ok(Rendered {
            // A subject is one line, whatever the data holds.
            subject: render(&self.text, "subject.txt")?.replace(['\r', '\n'], " ").trim().to_owned(),
            text: render(&self.text, "body.txt")?,
            html: render(&self.html, "body.html")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KINDS: [&str; 17] = [
        "verify_email", "reply_refused", "guest_link",
        "ticket_created", "guest_verify", "staff_reply", "ticket_waiting", "ticket_resolved",
        "ticket_closed", "ticket_assigned", "student_reply", "sign_in_link", "team_new_ticket",
        "booking_confirmed", "booking_waitlisted", "booking_cancelled", "ticket_merged",
    ];

    fn data() -> Value {
        json!({"number": "HD-2026-000042", "subject": "Piano <di> studio", "name": "Mario",
               "link": "http://x/t/HD-2026-000042", "reply": "Buongiorno & grazie", "author": "Laura",
               "starts_at": "01/12/2026 10:30", "location": "Aula 1", "online": false, "position": 3,
               "into": "HD-2026-000043"})
    }

    #[test]
    fn every_kind_renders_in_both_languages() {
        let t = Templates::load().unwrap();
        for kind in KINDS {
            for locale in [Locale::It, Locale::En] {
                let r = t.render(kind, locale, &data()).unwrap();
                assert!(!r.subject.is_empty() && !r.text.is_empty() && r.html.contains("</html>"), "{kind}");
            }
        }
    }

    #[test]
    fn italian_mails_say_richiesta_as_the_site_does() {
        let t = Templates::load().unwrap();
        let mut data = data();
        data["due"] = json!("01/12/2026 10:30");
        for kind in KINDS.iter().chain(&["sla_risk"]) {
            let r = t.render(kind, Locale::It, &data).unwrap();
            let words = format!("{} {}", r.subject, r.text).to_lowercase();
            let said = words.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == "ticket" || w == "team");
            assert!(!said, "{kind}: {}\n{}", r.subject, r.text);
        }
    }

    #[test]
    fn ticket_mails_carry_the_number_in_the_subject_and_escape_html() {
        let t = Templates::load().unwrap();
        let r = t.render("staff_reply", Locale::En, &data()).unwrap();
        assert!(r.subject.starts_with("[HD-2026-000042]"), "{}", r.subject);
        assert!(r.text.contains("Buongiorno & grazie"));
        assert!(r.html.contains("Buongiorno &amp; grazie"));
        assert!(r.html.contains("lang=\"en\""));
        let it = t.render("staff_reply", Locale::It, &data()).unwrap();
        assert!(it.subject.contains("Risposta"));
    }

    #[test]
    fn a_career_action_update_renders_with_and_without_a_ticket_note_and_amounts() {
        let t = Templates::load().unwrap();
        let full = json!({"name": "Mario", "procedure": "Iscrizione a corsi singoli", "status": "approvata",
            "status_code": "approved", "note": "Pagamento <entro> 15 giorni", "external_ref": "CS-1", "link": "http://x/t/1",
            "amount_lines": ["Totale da pagare: € 166,00"], "number": "HD-2026-000042", "tag": "[HD-2026-000042] "});
        let r = t.render("career_action_update", Locale::It, &full).unwrap();
        assert!(r.subject.starts_with("[HD-2026-000042] La tua pratica"), "{}", r.subject);
        assert!(r.text.contains("Totale da pagare: € 166,00") && r.text.contains("Pagamento <entro> 15 giorni"), "{}", r.text);
        assert!(r.html.contains("Pagamento &lt;entro&gt;"));
        let bare = json!({"name": "Mary", "procedure": "Single courses", "status": "in review", "status_code": "in_review",
            "note": "", "external_ref": "", "link": "http://x/p/1", "amount_lines": [], "tag": ""});
        let r = t.render("career_action_update", Locale::En, &bare).unwrap();
        assert!(r.subject.starts_with("Your procedure"), "{}", r.subject);
        assert!(!r.text.contains("Amounts") && !r.text.contains("Note from"), "{}", r.text);
    }

    #[test]
    fn a_missing_value_or_kind_is_an_error() {
        let t = Templates::load().unwrap();
        assert!(matches!(t.render("staff_reply", Locale::It, &json!({"number": "x"})), Err(TemplateError::Render(..))));
        assert!(matches!(t.render("nope", Locale::It, &data()), Err(TemplateError::Missing(_))));
    }
}
