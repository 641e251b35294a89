//! Personal data looked after (issue 17): the access log, retention and
//! anonymisation, and the commands of retention, file storage and backup.

pub mod access;
pub mod commands;
pub mod erasure;
pub mod export;
pub mod retention;

