//! An uploaded file, checked: PDF, JPEG or PNG by its content (not its name), with a safe
//! display name.

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
