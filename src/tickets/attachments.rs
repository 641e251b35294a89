//! A ticket's attachments: the rows that link checked uploads (`files::Upload`, stored once
//! per SHA-256 by `files::FileStore`) to tickets and messages, and who may fetch them.

use diesel::prelude::*;

use crate::auth::ticket_access::can_see;
use crate::db::ticket_rows::{record_event, AttachmentRow, MessageKind, TicketRow};
use crate::accounts::User;
use crate::ids::{new_id, now};
use crate::db::schema::{attachments, messages, tickets};
use crate::db::{write_tx, DbConn};
use crate::error::ServiceError;

use crate::files::Upload;

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
