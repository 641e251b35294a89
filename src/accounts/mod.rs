//! Accounts: students, guests and staff; registration, sign-in, teams.

mod link;
mod password;
mod service;
mod teams;

pub use link::{redeem_sign_in_link, send_sign_in_link};
pub use password::{check_credentials, hash_off_thread};

pub use service::*;
pub use teams::{teams_with_members, Member, Team};
