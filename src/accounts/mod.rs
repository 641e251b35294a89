//! Accounts: students, guests and staff; registration, sign-in, teams.

pub mod erase;
mod link;
mod password;
mod service;
mod teams;

pub use link::{prove_mailbox, redeem_sign_in_link, register_student, send_sign_in_link, send_verification, verification_target, verify_email, vouch_for_address};
pub use password::{check_credentials, create_staff, hash_off_thread, NewStaff};

pub use service::*;
pub use teams::{add_team_member, remove_team_member, staff_accounts, teams_with_members, Member, StaffAccount, Team};
