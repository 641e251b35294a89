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
