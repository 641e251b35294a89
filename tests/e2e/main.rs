//! The student portal end to end in a real headless Chromium, against the running app on
//! 127.0.0.1 (SQLite; the API suite covers both backends): sign up, a ticket in each category
//! with its form and files, staff reply, reply, reopen; a guest's credentials recovery through
//! the mailed link; English; form errors that keep what was typed. Every page is checked with
//! axe-core, and the main pages are saved as screenshots under target/screenshots/.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../api/oidc.rs"]
mod oidc;

mod browser;
mod journeys;
mod suggest;
mod reports;
mod console;
mod admin;
mod sso;
mod polish;
mod privacy;
