//! The portal's languages: Italian by default, English by choice (the `lang` cookie) or from
//! the browser's Accept-Language. Every UI string comes from `templates/messages.json`.

use std::sync::LazyLock;

use actix_web::HttpRequest;
use serde_json::Value;

use crate::domain::{Code, Locale};
use crate::error::FieldError;

pub const LANG_COOKIE: &str = "lang";

static CATALOG: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(include_str!("../../templates/messages.json")).unwrap_or(Value::Null));

/// All strings of one language, as the templates see them (`t.nav.home`).
pub fn catalog(locale: Locale) -> &'static Value {
    &CATALOG[locale.as_str()]
}

/// A day as people write it: "6 dicembre 2026", "6 December 2026".
pub fn long_date(locale: Locale, day: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    const MESI: [&str; 12] =
        ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"];
    match locale {
        Locale::It => format!("{} {} {}", day.day(), MESI[day.month0() as usize], day.year()),
        Locale::En => day.format("%-d %B %Y").to_string(),
    }
}

/// One string by its dotted path (`status.open`); the path itself when missing.
pub fn text(locale: Locale, path: &str) -> String {
    let mut node = catalog(locale);
    for part in path.split('.') {
        node = &node[part];
    }
    node.as_str().map(str::to_owned).unwrap_or_else(|| path.to_owned())
}

/// A page's own message key (`file size`) or a service's own message (a refusal's text) in the
/// reader's language when the catalog has it, else as it is.
pub fn message(locale: Locale, raw: &str) -> String {
    catalog(locale)["messages"][raw].as_str().map_or_else(|| raw.to_owned(), str::to_owned)
}

/// A field's problem in the reader's language: by its code; a message of its own as above.
pub fn field_message(locale: Locale, error: &FieldError) -> String {
    coded(locale, error.code).unwrap_or_else(|| message(locale, &error.message))
}

fn coded(locale: Locale, code: Code) -> Option<String> {
    let pattern = catalog(locale)["messages"][code.key()?].as_str()?;
    Some(match code.number() {
        Some(n) => pattern.replace("{n}", &n.to_string()),
        None => pattern.to_owned(),
    })
}

/// The `lang` cookie, else the first of it/en in Accept-Language by weight, else Italian.
pub fn detect(req: &HttpRequest) -> Locale {
    match req.cookie(LANG_COOKIE).as_ref().map(|c| c.value()) {
        Some("en") => return Locale::En,
        Some("it") => return Locale::It,
        _ => {}
    }
    let header = req.headers().get("accept-language").and_then(|v| v.to_str().ok()).unwrap_or("");
    Locale::from_accept_language(header)
}


#[cfg(test)]
mod tests {
    use super::*;

    fn keys(prefix: &str, v: &Value, out: &mut Vec<String>) {
        if let Value::Object(map) = v {
            for (k, v) in map {
                keys(&format!("{prefix}.{k}"), v, out);
            }
        } else {
            out.push(prefix.to_owned());
        }
    }

    #[test]
    fn both_languages_have_the_same_strings() {
        let (mut it, mut en) = (Vec::new(), Vec::new());
        keys("", catalog(Locale::It), &mut it);
        keys("", catalog(Locale::En), &mut en);
        assert!(it.len() > 100, "the catalog loaded");
        it.sort();
        en.sort();
        assert_eq!(it, en);
    }


    #[test]
    fn service_messages_are_translated() {
        assert_eq!(field_message(Locale::It, &FieldError::coded("x", Code::Required)), "Campo obbligatorio.");
        assert_eq!(field_message(Locale::It, &FieldError::coded("x", Code::TooShort { min: 10 })), "Deve avere almeno 10 caratteri.");
        // English text is never parsed: only the code translates.
        assert_eq!(field_message(Locale::It, &FieldError::text("x", "must be at least 10 characters")), "must be at least 10 characters");
        assert_eq!(field_message(Locale::En, &FieldError::text("x", "something new")), "something new");
        assert_eq!(message(Locale::It, "file size"), "Il file è troppo grande: al massimo 10 MB ciascuno e 25 MB in tutto.");
        assert_eq!(text(Locale::En, "status.waiting_student"), "Waiting for your reply");
    }

    #[test]
    fn every_code_has_a_translation_in_both_languages() {
        let codes = [
            Code::Required, Code::TooShort { min: 1 }, Code::TooLong { max: 1 }, Code::ControlChars, Code::InvalidEmail,
            Code::NotAnOption, Code::DateFormat, Code::ImplausibleDate, Code::MatricolaShape, Code::CodiceFiscaleLength,
            Code::CodiceFiscaleShape, Code::CodiceFiscaleCheck, Code::SignInForCategory, Code::Stars, Code::StaffAddress,
            Code::ReportDateFormat, Code::ReportDateRange, Code::BeforeFrom, Code::ReportSpan { max_days: 1 },
        ];
        for locale in [Locale::It, Locale::En] {
            for code in codes {
                assert!(coded(locale, code).is_some(), "{code:?} in {locale:?}");
            }
        }
    }
}

#[cfg(test)]
mod long_date_tests {
    use super::*;

    #[test]
    fn days_read_as_written() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap_or_default();
        assert_eq!(long_date(Locale::It, day), "6 dicembre 2026");
        assert_eq!(long_date(Locale::En, day), "6 December 2026");
    }
}
