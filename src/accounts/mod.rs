//! Accounts: students, guests and staff; registration, sign-in, teams.

mod link;
mod service;

pub use link::{redeem_sign_in_link, send_sign_in_link};

pub use service::*;
