//! Personal data looked after (issue 17): the commands of retention, file storage and backup.

pub mod commands;
