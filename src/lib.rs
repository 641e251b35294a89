//! helpdesk: the help desk of a university's student offices.

pub mod accounts;
pub mod api;
pub mod auth;
pub mod booking;
pub mod career;
pub mod categories;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod domain;
pub mod error;
pub mod ids;
pub mod kb;
pub mod mail;
pub mod reports;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tickets;
pub mod web;
pub mod sla;
pub mod sso;
pub mod jobs;
pub mod canned;
