//! The portal's languages: Italian by default, English by choice (the `lang` cookie) or from
//! the browser's Accept-Language. Every UI string comes from `templates/messages.json`.

use std::sync::LazyLock;

use actix_web::HttpRequest;
use serde_json::Value;

use crate::domain::Locale;

pub const LANG_COOKIE: &str = "lang";

static CATALOG: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(include_str!("../../templates/messages.json")).unwrap_or(Value::Null));

/// All strings of one language, as the templates see them (`t.nav.home`).
pub fn catalog(locale: Locale) -> &'static Value {
    &CATALOG[locale.as_str()]
}

/// One string by its dotted path (`status.open`); the path itself when missing.
pub fn text(locale: Locale, path: &str) -> String {
    let mut node = catalog(locale);
    for part in path.split('.') {
        node = &node[part];
    }
    node.as_str().map(str::to_owned).unwrap_or_else(|| path.to_owned())
}

/// A service's message (English, for the API) in the reader's language, when we know it.
pub fn message(locale: Locale, raw: &str) -> String {
    let known = &catalog(locale)["messages"];
    if let Some(found) = known[raw].as_str() {
        return found.to_owned();
    }
    for prefix in ["must be at least", "must be at most"] {
        if let Some(rest) = raw.strip_prefix(prefix) {
            let n: String = rest.chars().filter(char::is_ascii_digit).collect();
            if let Some(pattern) = known[prefix].as_str() {
                return pattern.replace("{n}", &n);
            }
        }
    }
    raw.to_owned()
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
        assert_eq!(message(Locale::It, "is required"), "Campo obbligatorio.");
        assert_eq!(message(Locale::It, "must be at least 10 characters"), "Deve avere almeno 10 caratteri.");
        assert_eq!(message(Locale::En, "something new"), "something new");
        assert_eq!(text(Locale::En, "status.waiting_student"), "Waiting for your reply");
    }
}
