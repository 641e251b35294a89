//! The staff console's data: queues with their counts, filtered and keyset-paginated lists,
//! full-text search, merge, bulk changes and the side panel. Functions take a `&mut DbConn` and
//! typed parameters and return views, so the JSON handlers (src/api/console.rs) and the staff
//! pages share them.
//!
//! Hooks for the career work (tickets linked to career-action instances):
//! - `queues::Queue::DeadlineSoon` and `listing::deadline_soon` (the "deadline soon" queue);
//! - `listing::career_action_type` (the `career_action_type` filter);
//! - `requester::RequesterPanel::career_actions` (the side panel's procedures).
//!
//! Each one says what it needs; until then the queue is not offered, the filter answers 422
//! and the panel's list is empty.

pub mod bulk;
pub mod merge;
pub mod queues;
pub mod requester;
pub mod workspace;

pub use crate::tickets::listing::{ListFilters, ListParams, ListRequest, Page, Sort, SortKey};
pub use queues::{Queue, QueueCount};
