//! The `file_blobs` table: attachment bytes kept in the database (PostgreSQL's `bytea`), one row
//! per SHA-256. Portable diesel: the same statements on both backends.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Binary, Text, Timestamp};

use crate::db::privacy_schema::file_blobs;
use crate::db::schema::attachments;
use crate::db::DbConn;

/// Stores the bytes once; the same content again only freshens `created_at` for the sweep.
pub fn put(conn: &mut DbConn, sha256: &str, bytes: &[u8]) -> QueryResult<()> {
    let now = chrono::Utc::now().naive_utc();
    diesel::sql_query(
        "INSERT INTO file_blobs (sha256, bytes, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (sha256) DO UPDATE SET created_at = EXCLUDED.created_at",
    )
    .bind::<Text, _>(sha256)
    .bind::<Binary, _>(bytes)
    .bind::<Timestamp, _>(now)
    .execute(conn)
    .map(|_| ())
}

/// Freshens a stored blob's `created_at` for the sweep; false when there is none.
pub fn touch(conn: &mut DbConn, sha256: &str) -> QueryResult<bool> {
    let now = chrono::Utc::now().naive_utc();
    let n = diesel::update(file_blobs::table.find(sha256)).set(file_blobs::created_at.eq(now)).execute(conn)?;
    Ok(n > 0)
}

pub fn get(conn: &mut DbConn, sha256: &str) -> QueryResult<Option<Vec<u8>>> {
    file_blobs::table.find(sha256).select(file_blobs::bytes).first(conn).optional()
}

/// Those of `sha256s` that no attachment row refers to.
pub fn unreferenced(conn: &mut DbConn, sha256s: &[String]) -> QueryResult<Vec<String>> {
    let mut out = Vec::new();
    for chunk in sha256s.chunks(500) {
        let referenced: Vec<String> =
            attachments::table.filter(attachments::sha256.eq_any(chunk)).select(attachments::sha256).distinct().load(conn)?;
        out.extend(chunk.iter().filter(|s| !referenced.contains(s)).cloned());
    }
    Ok(out)
}

pub fn delete(conn: &mut DbConn, sha256s: &[String]) -> QueryResult<usize> {
    let mut removed = 0;
    for chunk in sha256s.chunks(500) {
        removed += diesel::delete(file_blobs::table.filter(file_blobs::sha256.eq_any(chunk))).execute(conn)?;
    }
    Ok(removed)
}

/// Deletes the blobs of one prefix that are older than `cutoff` and unreferenced.
pub fn sweep(conn: &mut DbConn, prefix: &str, cutoff: NaiveDateTime) -> QueryResult<usize> {
    let old: Vec<String> = file_blobs::table
        .filter(file_blobs::sha256.like(format!("{prefix}%")))
        .filter(file_blobs::created_at.lt(cutoff))
        .select(file_blobs::sha256)
        .load(conn)?;
    let gone = unreferenced(conn, &old)?;
    delete(conn, &gone)
}
