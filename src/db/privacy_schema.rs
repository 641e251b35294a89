//! Tables of issue 17 (personal data): attachment bytes in the database, the access log.
//! Kept beside `schema.rs` so the two grow apart without conflicts.

diesel::table! {
    file_blobs (sha256) {
        sha256 -> Text,
        bytes -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    access_log (id) {
        id -> Text,
        actor_id -> Text,
        ticket_id -> Text,
        what -> Text,
        target -> Nullable<Text>,
        client_ip -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(access_log, tickets);
diesel::allow_tables_to_appear_in_same_query!(access_log, users);

use super::schema::{tickets, users};
