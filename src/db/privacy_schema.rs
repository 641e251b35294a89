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

use super::schema::{attachments, categories, messages, tickets, users};

diesel::table! {
    /// Per category: how long a closed ticket is kept, and its identity documents.
    category_retention (category_id) {
        category_id -> Text,
        retention_days -> Integer,
        identity_documents_days -> Nullable<Integer>,
    }
}

diesel::table! {
    /// Per ticket: when it was anonymised.
    ticket_privacy (ticket_id) {
        ticket_id -> Text,
        anonymised_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Messages staff marked to keep when their ticket is anonymised.
    kept_messages (message_id) {
        message_id -> Text,
        marked_by -> Text,
        marked_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(category_retention, categories);
diesel::allow_tables_to_appear_in_same_query!(kept_messages, messages);
diesel::allow_tables_to_appear_in_same_query!(ticket_privacy, tickets);
diesel::allow_tables_to_appear_in_same_query!(ticket_privacy, attachments);

diesel::table! {
    /// A category's privacy notice, one row per version; the current one is not retired.
    category_notices (id) {
        id -> Text,
        category_id -> Text,
        version -> Integer,
        text_it -> Text,
        text_en -> Text,
        retired -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// The notice version a ticket's requester acknowledged when opening it.
    ticket_notice_acks (ticket_id) {
        ticket_id -> Text,
        notice_id -> Text,
        version -> Integer,
        acknowledged_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(category_notices, categories);
diesel::allow_tables_to_appear_in_same_query!(ticket_notice_acks, tickets);
diesel::allow_tables_to_appear_in_same_query!(category_notices, ticket_notice_acks);

diesel::table! {
    /// A ticket opened for a student's erasure request, and the staff's decision.
    erasure_requests (ticket_id) {
        ticket_id -> Text,
        user_id -> Text,
        state -> Text,
        requested_at -> Timestamp,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(erasure_requests, tickets);
diesel::allow_tables_to_appear_in_same_query!(erasure_requests, users);
