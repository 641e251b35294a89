//! The integration suite: the real app over HTTP, on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod access;
mod booking;
mod career;
mod career_actions;
mod career_calendar;
mod concurrency;
mod contract;
mod ingest;
mod input;
mod kb;
mod lifecycle;
mod listing;
mod mail;
mod portal;
mod portal_flows;
mod portal_procedures;
mod polish;
mod staff_pages;
mod queues;
mod search;
mod console_actions;
mod sla;
mod sla_recompute;
mod history;
mod idempotency;
mod jobs;
mod canned;
mod reports;
mod admin_pages;
mod resilience;
mod private_files;
mod secrets;
mod limits;
mod trust;
mod oidc;
mod sso;
