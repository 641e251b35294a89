//! Mail that could not land on a ticket: the raw message kept as a file, a row saying why.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::Reason;
use crate::ids::{new_id, now};
use crate::db::schema::mail_quarantine;
use crate::db::{write_tx, DbConn};
use crate::error::ServiceError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mail_quarantine)]
pub struct QuarantineRow {
    pub id: String,
    pub received_at: NaiveDateTime,
    pub sender: String,
    pub subject: String,
    pub ticket_number: Option<String>,
    pub reason: String,
    pub raw_path: String,
    pub released: bool,
}

/// What admins see of a quarantined mail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuarantineView {
    pub id: String,
    pub received_at: DateTime<chrono::Utc>,
    pub sender: String,
    pub subject: String,
    pub ticket_number: Option<String>,
    /// `<code>: <explanation>`, e.g. `unknown_sender: x@y.it is neither the requester …`.
    pub reason: String,
    /// The raw message on the server.
    pub raw_path: String,
    pub released: bool,
}

impl From<QuarantineRow> for QuarantineView {
    fn from(r: QuarantineRow) -> Self {
        Self {
            id: r.id,
            received_at: r.received_at.and_utc(),
            sender: r.sender,
            subject: r.subject,
            ticket_number: r.ticket_number,
            reason: r.reason,
            raw_path: r.raw_path,
            released: r.released,
        }
    }
}

/// What is known of a message when it is quarantined (as much as could be read).
#[derive(Debug, Default, Clone)]
pub struct Envelope {
    pub sender: String,
    pub subject: String,
    pub ticket_number: Option<String>,
}

/// Printable and bounded: header values are the sender's to choose.
fn clean(value: &str, max: usize) -> String {
    value.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// Keeps the raw message as `<dir>/<id>.eml` (write, sync, rename: never half a file).
/// Returns the id its row will have and the path. Done before the write transaction.
pub fn save_raw(dir: &Path, raw: &[u8]) -> Result<(String, PathBuf), ServiceError> {
    let id = new_id();
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{id}.eml"));
    let tmp = dir.join(format!(".{id}.tmp"));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(raw)?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok((id, path))
}

/// The row of a message kept by `save_raw`, in its own transaction. If it cannot be written
/// the file goes too: the MTA delivers again.
pub fn record(conn: &mut DbConn, id: &str, path: &Path, envelope: &Envelope, reason: Reason, detail: &str) -> Result<(), ServiceError> {
    let row = QuarantineRow {
        id: id.to_owned(),
        received_at: now(),
        sender: clean(&envelope.sender, 320),
        subject: clean(&envelope.subject, 500),
        ticket_number: envelope.ticket_number.clone(),
        reason: clean(&format!("{}: {detail}", reason.as_str()), 1000),
        raw_path: path.display().to_string(),
        released: false,
    };
    let inserted = write_tx(conn, |conn| -> Result<(), ServiceError> {
        diesel::insert_into(mail_quarantine::table).values(&row).execute(conn)?;
        Ok(())
    });
    if let Err(e) = inserted {
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    tracing::warn!(id = %id, reason = reason.as_str(), ticket = ?envelope.ticket_number, "inbound mail quarantined");
    Ok(())
}

/// The newest quarantined mails first.
pub fn list(conn: &mut DbConn, limit: i64) -> Result<Vec<QuarantineView>, ServiceError> {
    Ok(mail_quarantine::table
        .order((mail_quarantine::received_at.desc(), mail_quarantine::id.desc()))
        .limit(limit)
        .select(QuarantineRow::as_select())
        .load::<QuarantineRow>(conn)?
        .into_iter()
        .map(QuarantineView::from)
        .collect())
}
