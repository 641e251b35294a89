//! Accounts: students, guests and staff; registration, sign-in, teams.

mod service;

pub use service::*;
