//! Ids and the clock, as every table stores them: time-ordered UUIDs (v7, so new rows append
//! to their indexes) and UTC timestamps without a zone.

use chrono::{DateTime, NaiveDateTime, Utc};

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// A stored timestamp as the UTC instant it is.
pub fn to_utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}
