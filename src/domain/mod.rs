//! Typed values parsed at the edge, and pure rules with their unit tests.

mod codice_fiscale;
mod email;
mod locale;
mod privacy;
mod role;
pub mod sla;
mod status;
mod ticket_number;

pub use codice_fiscale::CodiceFiscale;
pub use email::Email;
pub use locale::Locale;
pub use privacy::{ErasureState, NoticeVersion};
pub use role::Role;
pub use status::{Priority, Status};
pub use ticket_number::TicketNumber;

/// Why a value did not parse: the English message (the API shows it as is) and its code (the
/// pages translate by it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String, pub Code);

impl ParseError {
    /// A message no page translates.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into(), Code::Other)
    }

    pub fn coded(code: Code) -> Self {
        Self(code.english(), code)
    }
}

impl From<String> for ParseError {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for ParseError {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

/// What is wrong with a field, for the pages to say in the reader's language
/// (`messages.<key>` in `templates/messages.json`). `english()` is the API's wording (API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Code {
    Required,
    TooShort { min: usize },
    TooLong { max: usize },
    ControlChars,
    InvalidEmail,
    NotAnOption,
    DateFormat,
    ImplausibleDate,
    MatricolaShape,
    CodiceFiscaleLength,
    CodiceFiscaleShape,
    CodiceFiscaleCheck,
    SignInForCategory,
    Stars,
    StaffAddress,
    ReportDateFormat,
    ReportDateRange,
    BeforeFrom,
    ReportSpan { max_days: i64 },
    /// The category's privacy notice was not acknowledged.
    NoticeRequired,
    /// The acknowledged notice is not the category's current one (it changed meanwhile).
    NoticeOutdated,
    /// A message of its own, shown as is (in English) on the pages too.
    #[default]
    Other,
}

impl Code {
    /// The catalog key; `None` for `Other`.
    pub fn key(self) -> Option<&'static str> {
        Some(match self {
            Code::Required => "required",
            Code::TooShort { .. } => "too_short",
            Code::TooLong { .. } => "too_long",
            Code::ControlChars => "control_chars",
            Code::InvalidEmail => "invalid_email",
            Code::NotAnOption => "not_an_option",
            Code::DateFormat => "date_format",
            Code::ImplausibleDate => "implausible_date",
            Code::MatricolaShape => "matricola_shape",
            Code::CodiceFiscaleLength => "cf_length",
            Code::CodiceFiscaleShape => "cf_shape",
            Code::CodiceFiscaleCheck => "cf_check",
            Code::SignInForCategory => "sign_in_for_category",
            Code::Stars => "stars",
            Code::StaffAddress => "staff_address",
            Code::ReportDateFormat => "report_date_format",
            Code::ReportDateRange => "report_date_range",
            Code::BeforeFrom => "before_from",
            Code::ReportSpan { .. } => "report_span",
            Code::NoticeRequired => "notice_required",
            Code::NoticeOutdated => "notice_outdated",
            Code::Other => return None,
        })
    }

    /// The number a translation puts in for `{n}`.
    pub fn number(self) -> Option<i64> {
        match self {
            Code::TooShort { min: n } | Code::TooLong { max: n } => i64::try_from(n).ok(),
            Code::ReportSpan { max_days } => Some(max_days),
            _ => None,
        }
    }

    pub fn english(self) -> String {
        match self {
            Code::Required => "is required".into(),
            Code::TooShort { min } => format!("must be at least {min} characters"),
            Code::TooLong { max } => format!("must be at most {max} characters"),
            Code::ControlChars => "contains control characters".into(),
            Code::InvalidEmail => "is not a valid e-mail address".into(),
            Code::NotAnOption => "is not one of the offered options".into(),
            Code::DateFormat => "must be a date like 2001-12-31".into(),
            Code::ImplausibleDate => "is not a plausible date".into(),
            Code::MatricolaShape => "must be 4 to 12 letters or digits".into(),
            Code::CodiceFiscaleLength => "a codice fiscale has 16 letters and digits".into(),
            Code::CodiceFiscaleShape => "this is not the shape of a codice fiscale".into(),
            Code::CodiceFiscaleCheck => "the check character of this codice fiscale is wrong".into(),
            Code::SignInForCategory => "sign in to open a ticket in this category".into(),
            Code::Stars => "must be between 1 and 5".into(),
            Code::StaffAddress => "this address belongs to a staff account: sign in".into(),
            Code::ReportDateFormat => "must be a date like 2026-01-31".into(),
            Code::ReportDateRange => "must be a date between 2000 and 2999".into(),
            Code::BeforeFrom => "must not be before from".into(),
            Code::ReportSpan { max_days } => format!("a report covers at most {max_days} days"),
            Code::NoticeRequired => "read the privacy notice and acknowledge it".into(),
            Code::NoticeOutdated => "is not the current privacy notice: read it again and acknowledge it".into(),
            Code::Other => "is not valid".into(),
        }
    }
}

/// Stores an enum as the TEXT of its `as_str()` and reads it back with `$parse`, on every
/// backend (the `DbConn` multi-backend included): rows carry the type, not a `String`.
macro_rules! text_column {
    ($ty:ty, $parse:expr) => {
        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $ty
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $ty
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                #[allow(clippy::redundant_closure_call)]
                Ok(($parse)(text.as_str())?)
            }
        }
    };
}
pub(crate) use text_column;
