//! Attachment files: PDF, JPEG or PNG by their content (not their name), stored once per
//! SHA-256 under the data folder; metadata rows link them to tickets and messages.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use sha2::{Digest, Sha256};

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
}

#[derive(Clone)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    pub fn new(root: PathBuf) -> std::io::Result<Self> {
        private_dir(&root.join("tmp"))?;
        Ok(Self { root })
    }

    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }

    /// A stored file made fresh for the sweep (a form keeps it for its next try): false when it
    /// is gone.
    pub fn touch(&self, sha256: &str) -> std::io::Result<bool> {
        let path = self.path_of(sha256);
        if !path.exists() {
            return Ok(false);
        }
        std::fs::File::options().append(true).open(&path)?.set_modified(std::time::SystemTime::now())?;
        Ok(true)
    }

    /// Checks the content type and writes the bytes once (same content, same file).
    pub fn put(&self, key: &str, filename: &str, bytes: &[u8]) -> Result<Upload, ServiceError> {
        let content_type = sniff(bytes)?;
        let sha256 = hex::encode(Sha256::digest(bytes));
        let path = self.path_of(&sha256);
        if path.exists() {
            // The same content again: fresh for the sweep, which spares recent files (the
            // request that stored it has not linked it yet).
            self.touch(&sha256)?;
        } else {
            if let Some(dir) = path.parent() {
                private_dir(dir)?;
            }
            // Write then rename, so a reader never sees half a file. Identity documents among
            // them: readable by the desk's user only, whatever the umask.
            let tmp = self.root.join("tmp").join(new_id());
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)?;
        }
        Ok(Upload {
            key: key.to_owned(),
            filename: clean_filename(filename, content_type),
            content_type: content_type.to_owned(),
            size: bytes.len() as i64,
            sha256,
            identity_document: false,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Deletes the files of one of the 256 folders (`prefix`, two hex digits) that no attachment
    /// refers to and that are older than `grace`: what a refused request stored (a form that
    /// failed its checks after its files were read), or a ticket's files after it was erased.
    /// Also clears `tmp/` of leftovers of interrupted writes. Answers how many files went.
    pub fn sweep(&self, conn: &mut DbConn, prefix: &str, grace: std::time::Duration) -> Result<usize, ServiceError> {
        let cutoff = std::time::SystemTime::now() - grace;
        let old = |entry: &std::fs::DirEntry| entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < cutoff);
        let mut removed = 0;
        for entry in std::fs::read_dir(self.root.join("tmp"))?.flatten().filter(|e| old(e)) {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
        let dir = self.root.join(prefix);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(removed);
        };
        let candidates: Vec<String> =
            entries.flatten().filter(|e| old(e)).filter_map(|e| e.file_name().to_str().map(str::to_owned)).collect();
        for chunk in candidates.chunks(500) {
            let referenced: Vec<String> =
                attachments::table.filter(attachments::sha256.eq_any(chunk)).select(attachments::sha256).distinct().load(conn)?;
            for name in chunk.iter().filter(|name| !referenced.contains(name)) {
                std::fs::remove_file(dir.join(name))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// Creates `dir` (and its parents) for the desk's user only.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

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
    for row in &rows {
        diesel::insert_into(attachments::table).values(row).execute(conn)?;
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
