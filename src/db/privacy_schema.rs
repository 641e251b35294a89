//! Tables of issue 17 (personal data): attachment bytes in the database, the access log.
//! Kept beside `schema.rs` so the two grow apart without conflicts.

diesel::table! {
    file_blobs (sha256) {
        sha256 -> Text,
        bytes -> Binary,
        created_at -> Timestamp,
    }
}
