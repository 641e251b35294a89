//! A person's copy of their data (`GET /api/v1/me/export`): a zip with `data.json` (the account,
//! their tickets as they see them — public messages and system messages, never internal notes
//! —, their career procedures and ITA-L2 bookings) and the files they uploaded, under
//! `files/<ticket number>/<attachment id>-<name>` (names cleaned: no folders, no `..`).

use std::io::Write;

use diesel::prelude::*;
use serde_json::json;

use crate::accounts::User;
use crate::db::schema::{attachments, tickets, users};
use crate::db::DbConn;
use crate::domain::TicketNumber;
use crate::error::ServiceError;
use crate::files::FileStore;

/// What goes in the zip: the JSON and the files to read (number, attachment id, name, sha256).
pub struct Contents {
    pub json: serde_json::Value,
    pub files: Vec<(String, String, String, String)>,
}

/// Collects the person's data (reads only).
pub fn collect(conn: &mut DbConn, user: &User) -> Result<Contents, ServiceError> {
    let created_at: chrono::NaiveDateTime = users::table.find(&user.id).select(users::created_at).first(conn)?;
    let numbers: Vec<String> =
        tickets::table.filter(tickets::requester_id.eq(&user.id)).order(tickets::created_at.asc()).select(tickets::number).load(conn)?;
    let mut views = Vec::new();
    for raw in numbers {
        let Ok(number) = raw.parse::<TicketNumber>() else { continue };
        // The same rules as the ticket page: a guest ticket not yet confirmed is not theirs yet.
        match crate::tickets::query::get(conn, user, &number) {
            Ok(view) => views.push(view),
            Err(ServiceError::NotFound) => {}
            Err(other) => return Err(other),
        }
    }
    let visible: Vec<String> = views.iter().map(|v| v.id.clone()).collect();
    let files: Vec<(String, String, String, String)> = attachments::table
        .inner_join(tickets::table)
        .filter(attachments::uploaded_by.eq(&user.id))
        .filter(attachments::ticket_id.eq_any(&visible))
        .select((tickets::number, attachments::id, attachments::filename, attachments::sha256))
        .load(conn)?;
    let procedures = crate::career::instances::views_for(conn, user, &user.id)?;
    let bookings = crate::booking::mine::live(conn, Some(&user.id), None)?;
    let json = json!({
        "exported_at": chrono::Utc::now(),
        "account": {
            "id": user.id, "email": user.email, "display_name": user.display_name, "role": user.role,
            "locale": user.locale, "created_at": created_at.and_utc(),
        },
        "tickets": views,
        "procedures": procedures,
        "bookings": bookings,
        "files": files.iter().map(|(number, id, name, _)| json!({"ticket": number, "id": id, "path": zip_path(number, id, name)})).collect::<Vec<_>>(),
    });
    Ok(Contents { json, files })
}

/// A file's place in the zip: only our folders, a cleaned name.
pub fn zip_path(number: &str, id: &str, filename: &str) -> String {
    let safe = |s: &str| -> String {
        s.chars().map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ') { c } else { '_' }).collect::<String>()
    };
    let name = safe(filename).trim_start_matches(['.', ' ']).to_owned();
    let name = if name.is_empty() { "allegato".to_owned() } else { name };
    format!("files/{}/{}-{}", safe(number).replace('.', "_"), safe(id).replace('.', "_"), name)
}

/// Writes the zip (reads the stored files).
pub fn write_zip(contents: &Contents, files: &FileStore) -> Result<Vec<u8>, ServiceError> {
    let fail = |e: zip::result::ZipError| ServiceError::Internal(format!("zip: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("data.json", options).map_err(fail)?;
    let json = serde_json::to_vec_pretty(&contents.json).map_err(|e| ServiceError::Internal(e.to_string()))?;
    zip.write_all(&json)?;
    // PDF, JPEG and PNG are compressed already.
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (number, id, name, sha256) in &contents.files {
        let bytes = match files.read(sha256) {
            Ok(bytes) => bytes,
            // Deleted since (retention): the JSON still names it.
            Err(ServiceError::NotFound) => continue,
            Err(other) => return Err(other),
        };
        zip.start_file(zip_path(number, id, name), stored).map_err(fail)?;
        zip.write_all(&bytes)?;
    }
    Ok(zip.finish().map_err(fail)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_paths_stay_in_their_folder() {
        assert_eq!(zip_path("HD-2026-000001", "a1", "libretto.pdf"), "files/HD-2026-000001/a1-libretto.pdf");
        assert_eq!(zip_path("HD-2026-000001", "a1", "../../etc/passwd"), "files/HD-2026-000001/a1-_.._etc_passwd");
        assert_eq!(zip_path("../x", "..", "..\\..\\boot.ini"), "files/___x/__-_.._boot.ini");
        assert_eq!(zip_path("HD", "id", "..."), "files/HD/id-allegato");
        for p in [zip_path("a/b", "c/d", "/e"), zip_path("..", "..", "..")] {
            assert!(!p.split('/').any(|part| part == ".." || part.is_empty()), "{p}");
            assert_eq!(p.matches('/').count(), 2, "{p}");
        }
    }
}
