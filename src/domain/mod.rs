//! Typed values parsed at the edge, and pure rules with their unit tests.

mod codice_fiscale;
mod email;
mod locale;
mod role;
pub mod sla;
mod status;
mod ticket_number;

pub use codice_fiscale::CodiceFiscale;
pub use email::Email;
pub use locale::Locale;
pub use role::Role;
pub use status::{Priority, Status};
pub use ticket_number::TicketNumber;

/// Why a value did not parse; the message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
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
