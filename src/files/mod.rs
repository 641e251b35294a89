//! Attachment files: scanned for viruses (clamd, when configured), checked by content (PDF,
//! JPEG or PNG), stored once per SHA-256. Where they are stored:
//! - `Disk`: the data folder (`<data dir>/attachments/ab/abcdef…`), private 0600. SQLite's desk.
//! - `Database`: the `file_blobs` table of the desk's PostgreSQL database (as RT keeps its
//!   attachments), so every instance on that database serves every upload. A file stored on
//!   disk before the switch is still read from there; `helpdesk files migrate` moves them in.
//!
//! The one entry of uploads from every channel (API, pages, inbound mail) is `FileStore::put`.

pub mod blobs;
pub mod clamd;

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

mod upload;

pub use clamd::{Clamd, ScanError, Verdict};
pub use upload::{clean_filename, sniff, Upload, ALLOWED};

use crate::config::{FilesSettings, StoreChoice, WhenScannerDown};

use crate::ids::new_id;
use crate::db::{Db, DbConn};
use crate::error::ServiceError;

/// How long a client is told to wait while the scanner is away.
pub const SCANNER_RETRY_SECS: u64 = 30;

#[derive(Clone)]
enum Backend {
    Disk,
    Database(Db),
}

#[derive(Clone)]
pub struct FileStore {
    /// The data folder's attachments: the disk store, and on the database store where files
    /// from before it are still read.
    root: PathBuf,
    backend: Backend,
    scanner: Option<(Clamd, WhenScannerDown)>,
}

impl FileStore {
    /// The disk store without scanning (commands and tests that only read).
    pub fn new(root: PathBuf) -> std::io::Result<Self> {
        private_dir(&root.join("tmp"))?;
        Ok(Self { root, backend: Backend::Disk, scanner: None })
    }

    /// The store the settings ask for, on `db`.
    pub fn configured(root: PathBuf, settings: &FilesSettings, db: &Db) -> anyhow::Result<Self> {
        let mut store = Self::new(root)?;
        store.backend = match (settings.store, db.is_postgres()) {
            (StoreChoice::Auto | StoreChoice::Database, true) => Backend::Database(db.clone()),
            (StoreChoice::Database, false) => {
                anyhow::bail!("HELPDESK_FILE_STORE=database needs PostgreSQL; on SQLite the files stay in the data folder")
            }
            (StoreChoice::Auto | StoreChoice::Disk, _) => Backend::Disk,
        };
        store.scanner = settings.clamd.clone().map(|address| (Clamd::new(address, settings.clamd_timeout), settings.when_scanner_down));
        Ok(store)
    }

    /// Where files go, in words for the start-up log.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Disk => format!("the data folder ({})", self.root.display()),
            Backend::Database(_) => "the database (file_blobs)".into(),
        }
    }

    pub fn scanner(&self) -> Option<&Clamd> {
        self.scanner.as_ref().map(|(clamd, _)| clamd)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the disk store keeps (or kept) a file.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }

    /// Scans the bytes, checks the content type and stores them once (same content, same
    /// file). `key` is the form part (named in a refusal), `filename` the sender's name.
    pub fn put(&self, key: &str, filename: &str, bytes: &[u8]) -> Result<Upload, ServiceError> {
        let unscanned = self.scan(key, filename, bytes)?;
        let content_type = sniff(bytes)?;
        let sha256 = hex::encode(Sha256::digest(bytes));
        match &self.backend {
            Backend::Disk => self.write_file(&sha256, bytes)?,
            Backend::Database(db) => {
                let mut conn = db.get_writer()?;
                blobs::put(&mut conn, &sha256, bytes)?;
            }
        }
        Ok(Upload {
            key: key.to_owned(),
            filename: clean_filename(filename, content_type),
            content_type: content_type.to_owned(),
            size: bytes.len() as i64,
            sha256,
            identity_document: false,
            unscanned,
        })
    }

    /// `Ok(false)` scanned and clean, `Ok(true)` kept unscanned (the scanner is down and the
    /// desk is told to accept), an error when refused.
    fn scan(&self, key: &str, filename: &str, bytes: &[u8]) -> Result<bool, ServiceError> {
        let Some((clamd, when_down)) = &self.scanner else {
            return Ok(false);
        };
        match clamd.scan(bytes) {
            Ok(Verdict::Clean) => Ok(false),
            Ok(Verdict::Infected(signature)) => {
                tracing::warn!(%signature, field = key, "upload refused: a virus was found");
                Err(ServiceError::Infected { field: key.to_owned(), filename: display_name(filename), signature })
            }
            Err(e) if *when_down == WhenScannerDown::AcceptAndFlag => {
                tracing::warn!(error = %e, "virus scanner unavailable: upload kept unscanned and flagged");
                Ok(true)
            }
            Err(e) => {
                tracing::warn!(error = %e, "virus scanner unavailable: upload refused");
                Err(ServiceError::ScannerUnavailable(e.to_string()))
            }
        }
    }

    fn write_file(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path_of(sha256);
        if path.exists() {
            // The same content again: fresh for the sweep, which spares recent files (the
            // request that stored it has not linked it yet).
            return std::fs::File::options().append(true).open(&path)?.set_modified(std::time::SystemTime::now());
        }
        if let Some(dir) = path.parent() {
            private_dir(dir)?;
        }
        // Write then rename, so a reader never sees half a file. Identity documents among
        // them: readable by the desk's user only, whatever the umask.
        let tmp = self.root.join("tmp").join(new_id());
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    }

    /// A stored file made fresh for the sweep (a form keeps it for its next try): false when it
    /// is gone.
    pub fn touch(&self, sha256: &str) -> Result<bool, ServiceError> {
        if let Backend::Database(db) = &self.backend {
            let mut conn = db.get_writer()?;
            if blobs::touch(&mut conn, sha256)? {
                return Ok(true);
            }
        }
        let path = self.path_of(sha256);
        if !path.exists() {
            return Ok(false);
        }
        std::fs::File::options().append(true).open(&path)?.set_modified(std::time::SystemTime::now())?;
        Ok(true)
    }

    /// The bytes of a stored file.
    pub fn read(&self, sha256: &str) -> Result<Vec<u8>, ServiceError> {
        if let Backend::Database(db) = &self.backend {
            let mut conn = db.get_writer()?;
            if let Some(bytes) = blobs::get(&mut conn, sha256)? {
                return Ok(bytes);
            }
        }
        match std::fs::read(self.path_of(sha256)) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes the stored files among `sha256s` that no attachment refers to any more (at once,
    /// not at the next sweep: retention and erasure). Answers how many went.
    pub fn remove_unreferenced(&self, conn: &mut DbConn, sha256s: &[String]) -> Result<usize, ServiceError> {
        let unreferenced = blobs::unreferenced(conn, sha256s)?;
        let mut removed = 0;
        if let Backend::Database(_) = &self.backend {
            removed += blobs::delete(conn, &unreferenced)?;
        }
        for sha in &unreferenced {
            match std::fs::remove_file(self.path_of(sha)) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(removed)
    }

    /// Deletes the files of one of the 256 prefixes (`prefix`, two hex digits) that no attachment
    /// refers to and that are older than `grace`: what a refused request stored (a form that
    /// failed its checks after its files were read), or a ticket's files after it was erased.
    /// Also clears `tmp/` of leftovers of interrupted writes. Answers how many files went.
    pub fn sweep(&self, conn: &mut DbConn, prefix: &str, grace: Duration) -> Result<usize, ServiceError> {
        let mut removed = 0;
        if let Backend::Database(_) = &self.backend {
            let cutoff = chrono::Utc::now().naive_utc() - chrono::Duration::from_std(grace).unwrap_or_default();
            removed += blobs::sweep(conn, prefix, cutoff)?;
        }
        let cutoff = std::time::SystemTime::now() - grace;
        let old = |entry: &std::fs::DirEntry| entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < cutoff);
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
            for name in blobs::unreferenced(conn, chunk)? {
                std::fs::remove_file(dir.join(name))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Whether files are kept in the database (PostgreSQL) rather than the data folder.
    pub fn in_database(&self) -> bool {
        matches!(self.backend, Backend::Database(_))
    }

    /// `helpdesk files migrate`: copies the data folder's files into the database store (each
    /// once; what is there already is left), then deletes them from disk. Answers how many.
    pub fn migrate_to_database(&self) -> Result<usize, ServiceError> {
        let Backend::Database(db) = &self.backend else {
            return Err(ServiceError::Internal("the database store is not in use (PostgreSQL only)".into()));
        };
        let mut conn = db.get_writer()?;
        let mut moved = 0;
        for dir in std::fs::read_dir(&self.root)?.flatten() {
            let name = dir.file_name();
            let prefix = name.to_string_lossy();
            if prefix.len() != 2 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
                continue;
            }
            for file in std::fs::read_dir(dir.path())?.flatten() {
                let sha = file.file_name().to_string_lossy().into_owned();
                let bytes = std::fs::read(file.path())?;
                // Only a file whose content matches its name moves; a damaged one stays.
                if hex::encode(Sha256::digest(&bytes)) != sha {
                    tracing::warn!(file = %file.path().display(), "content does not match its name: left on disk");
                    continue;
                }
                blobs::put(&mut conn, &sha, &bytes)?;
                std::fs::remove_file(file.path())?;
                moved += 1;
            }
        }
        Ok(moved)
    }
}

/// A file name fit for a message (no path, no control characters).
fn display_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if name.trim().is_empty() {
        "allegato".into()
    } else {
        name.trim().to_owned()
    }
}

/// Creates `dir` (and its parents) for the desk's user only.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}
