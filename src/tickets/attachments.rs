//! Attachment files: PDF, JPEG or PNG by their content (not their name), stored once per
//! SHA-256 under the data folder; metadata rows link them to tickets and messages.

use diesel::prelude::*;

use super::access::can_see;
use super::model::{record_event, AttachmentRow, MessageKind, TicketRow};
use crate::accounts::User;
use crate::ids::{new_id, now};
use crate::db::schema::{attachments, messages, tickets};
use crate::db::{write_tx, DbConn};
use crate::error::ServiceError;

pub const ALLOWED: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

/// A file received and checked, not yet linked to a ticket.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The form part's name (a required attachment's key, or "files").
    pub key: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub identity_document: bool,
    /// Kept while the virus scanner was down (`HELPDESK_CLAMD_UNAVAILABLE=accept`): flagged
    /// in the ticket's history when linked.
    pub unscanned: bool,
}

pub use crate::files::FileStore;

pub fn sniff(bytes: &[u8]) -> Result<&'static str, ServiceError> {
    let kind = infer::get(bytes).map(|k| k.mime_type());
    match kind {
        Some(mime) if ALLOWED.contains(&mime) => Ok(ALLOWED.into_iter().find(|a| *a == mime).unwrap_or("application/pdf")),
        Some(mime) => Err(ServiceError::UnsupportedMediaType(format!(
            "files must be PDF, JPEG or PNG; this one is {mime}"
        ))),
        None => Err(ServiceError::UnsupportedMediaType("files must be PDF, JPEG or PNG; this one is not".into())),
    }
}

/// A safe display name: no path, no control characters, a sane length, a fitting extension.
pub fn clean_filename(raw: &str, content_type: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '*' | '?' | '|'))
        .take(150)
        .collect();
    name = name.trim().trim_start_matches('.').to_owned();
    let ext = match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        _ => "pdf",
    };
    if name.is_empty() {
        name = format!("allegato.{ext}");
    }
    let lower = name.to_lowercase();
    let fits = match ext {
        "jpg" => lower.ends_with(".jpg") || lower.ends_with(".jpeg"),
        other => lower.ends_with(&format!(".{other}")),
    };
    if !fits {
        name = format!("{name}.{ext}");
    }
    name
}

/// Inserts the rows of checked uploads. Call inside the write transaction.
pub fn link_uploads(
    conn: &mut DbConn,
    ticket_id: &str,
    message_id: Option<&str>,
    uploaded_by: Option<&str>,
    uploads: &[Upload],
) -> QueryResult<Vec<AttachmentRow>> {
    let rows: Vec<AttachmentRow> = uploads
        .iter()
        .map(|u| AttachmentRow {
            id: new_id(),
            ticket_id: ticket_id.to_owned(),
            message_id: message_id.map(str::to_owned),
            filename: u.filename.clone(),
            content_type: u.content_type.clone(),
            size_bytes: u.size,
            sha256: u.sha256.clone(),
            uploaded_by: uploaded_by.map(str::to_owned),
            identity_document: u.identity_document,
            created_at: now(),
        })
        .collect();
    for (row, upload) in rows.iter().zip(uploads) {
        diesel::insert_into(attachments::table).values(row).execute(conn)?;
        if upload.unscanned {
            record_event(
                conn,
                ticket_id,
                None,
                "attachment_unscanned",
                serde_json::json!({"attachment_id": row.id, "filename": row.filename}),
            )?;
        }
    }
    Ok(rows)
}

/// An attachment the user may download; NotFound otherwise (also for files on internal
/// notes asked for by a student). Staff downloads of identity documents are logged.
pub fn fetch(conn: &mut DbConn, user: &User, attachment_id: &str) -> Result<AttachmentRow, ServiceError> {
    let found: Option<(AttachmentRow, TicketRow)> = attachments::table
        .inner_join(tickets::table)
        .filter(attachments::id.eq(attachment_id))
        .select((AttachmentRow::as_select(), TicketRow::as_select()))
        .first(conn)
        .optional()?;
    let Some((attachment, ticket)) = found else {
        return Err(ServiceError::NotFound);
    };
    if !can_see(user, &ticket) {
        return Err(ServiceError::NotFound);
    }
    if !user.is_staff() {
        if let Some(message_id) = &attachment.message_id {
            let kind: String = messages::table.find(message_id).select(messages::kind).first(conn)?;
            if MessageKind::from_db(&kind) == MessageKind::Internal {
                return Err(ServiceError::NotFound);
            }
        }
    }
    if user.is_staff() && attachment.identity_document {
        write_tx(conn, |conn| {
            record_event(
                conn,
                &ticket.id,
                Some(&user.id),
                "identity_document_viewed",
                serde_json::json!({"attachment_id": attachment.id, "filename": attachment.filename}),
            )
        })?;
    }
    Ok(attachment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_content_not_names() {
        assert_eq!(sniff(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj").unwrap(), "application/pdf");
        assert_eq!(sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0]).unwrap(), "image/png");
        assert!(matches!(sniff(b"MZ\x90\x00\x03\x00\x00\x00"), Err(ServiceError::UnsupportedMediaType(_))));
        assert!(matches!(sniff(b"<html><script>alert(1)</script>"), Err(ServiceError::UnsupportedMediaType(_))));
    }

    #[test]
    fn filenames_lose_paths_and_get_the_right_extension() {
        assert_eq!(clean_filename("../../etc/passwd", "application/pdf"), "passwd.pdf");
        assert_eq!(clean_filename("C:\\Users\\me\\carta.JPEG", "image/jpeg"), "carta.JPEG");
        assert_eq!(clean_filename("doc.exe", "image/png"), "doc.exe.png");
        assert_eq!(clean_filename("", "application/pdf"), "allegato.pdf");
        assert_eq!(clean_filename("a\u{0}b\"<x>.pdf", "application/pdf"), "abx.pdf");
    }
}
