use diesel::sql_types::Text;
use diesel::{AsExpression, FromSqlRow};
use serde::{Deserialize, Serialize};

/// The two languages of the desk; Italian is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    It,
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::It => "it",
            Locale::En => "en",
        }
    }

    /// The first of it/en in an Accept-Language header by weight; Italian when neither is there.
    pub fn from_accept_language(header: &str) -> Locale {
        let mut best: Option<(f32, Locale)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                .unwrap_or(1.0);
            let locale = match tag.split('-').next() {
                Some("it") => Locale::It,
                Some("en") => Locale::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, locale));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Locale::It)
    }

    /// Stored values are trusted; anything unknown falls back to Italian.
    fn from_db(value: &str) -> Self {
        if value == "en" {
            Locale::En
        } else {
            Locale::It
        }
    }
}

// Stored values are trusted; anything unknown reads as Italian.
super::text_column!(Locale, |s| Ok::<_, super::ParseError>(Locale::from_db(s)));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_by_weight_and_defaults_to_italian() {
        assert_eq!(Locale::from_accept_language(""), Locale::It);
        assert_eq!(Locale::from_accept_language("en-GB,en;q=0.9"), Locale::En);
        assert_eq!(Locale::from_accept_language("de-DE,de;q=0.9,en;q=0.8,it;q=0.7"), Locale::En);
        assert_eq!(Locale::from_accept_language("fr,it;q=0.5,en;q=0.4"), Locale::It);
        assert_eq!(Locale::from_accept_language("de"), Locale::It);
    }
}
