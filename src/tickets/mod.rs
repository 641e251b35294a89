//! Tickets: creation with its number, the thread, changes with optimistic versions, audit
//! events and attachments. Functions take a connection; handlers stay thin.

pub mod attachments;
pub mod open;
pub mod guest;
pub mod history;
pub mod listing;
pub mod query;
pub mod rating;
pub mod search_index;
pub mod update;
pub mod view;

