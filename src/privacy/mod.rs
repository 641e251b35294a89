//! Personal data looked after (issue 17): the access log, retention and
//! anonymisation, and the commands of retention, file storage and backup.

pub mod access;
pub mod commands;
pub mod erasure;
pub mod export;
pub mod retention;

/// `HELPDESK_ACCESS_LOG_DAYS`.
#[derive(Debug, Clone)]
pub struct PrivacySettings {
    /// How long the access log keeps a staff read.
    pub access_log_days: i64,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        Self { access_log_days: 730 }
    }
}
