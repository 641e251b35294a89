use serde::{Deserialize, Serialize};

/// The two languages of the desk; Italian is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
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

    /// Stored values are trusted; anything unknown falls back to Italian.
    pub fn from_db(value: &str) -> Self {
        if value == "en" {
            Locale::En
        } else {
            Locale::It
        }
    }
}
