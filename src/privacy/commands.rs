//! `helpdesk files migrate`, `helpdesk retention run`, `helpdesk backup DEST`.

use std::path::Path;

use crate::cli::{FilesCommand, RetentionCommand};
use crate::config::Settings;
use crate::db::Db;
use crate::files::FileStore;
use crate::privacy::retention::{self, Run};
use crate::startup::prepare_database;

fn open(settings: &Settings) -> anyhow::Result<(Db, FileStore)> {
    let db = Db::connect_with(&settings.database_url, 2, &settings.db)?;
    prepare_database(&db)?;
    let files = FileStore::configured(settings.attachments_dir(), &settings.files, &db)?;
    Ok((db, files))
}

pub fn files(settings: &Settings, command: FilesCommand) -> anyhow::Result<()> {
    match command {
        FilesCommand::Migrate => {
            let (_, files) = open(settings)?;
            let moved = files.migrate_to_database().map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{moved} files moved into the database");
            Ok(())
        }
    }
}

pub fn retention(settings: &Settings, command: RetentionCommand) -> anyhow::Result<()> {
    let RetentionCommand::Run { dry_run, closed_before } = command;
    let closed_before = match closed_before {
        Some(raw) => Some(
            chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .map_err(|e| anyhow::anyhow!("--closed-before {raw}: {e} (expected YYYY-MM-DD)"))?
                .and_time(chrono::NaiveTime::MIN),
        ),
        None => None,
    };
    let (db, files) = open(settings)?;
    let mut conn = db.get_writer()?;
    let run = Run { now: chrono::Utc::now().naive_utc(), closed_before, dry_run, limit: usize::MAX };
    let report = retention::run(&mut conn, Some(&files), run).map_err(|e| anyhow::anyhow!("retention: {e}"))?;
    let (verb, doc_verb) = if dry_run { ("would anonymise", "would delete") } else { ("anonymised", "deleted") };
    for number in &report.anonymised {
        println!("{verb} {number}");
    }
    for (number, filename) in &report.identity_documents {
        println!("{doc_verb} identity document {filename} of {number}");
    }
    println!(
        "{}{} tickets {verb}, {} identity documents {doc_verb}, {} stored files removed",
        if dry_run { "dry run: " } else { "" },
        report.anonymised.len(),
        report.identity_documents.len(),
        report.files_removed
    );
    Ok(())
}

/// `helpdesk backup DEST`: on SQLite the database (online, consistent) and the attachments
/// and signing key into DEST, a new private folder; restore by pointing HELPDESK_DATA_DIR at it.
pub fn backup(settings: &Settings, dest: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    if dest.exists() && std::fs::read_dir(dest).map(|mut d| d.next().is_some()).unwrap_or(true) {
        anyhow::bail!("{} exists and is not empty: choose a new folder", dest.display());
    }
    let (db, _) = open(settings)?;
    let mut conn = db.get_writer()?;
    std::fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;
    crate::config::make_private(dest)?;
    if !crate::db::backup::copy_sqlite_to(&mut conn, &dest.join("helpdesk.db"))? {
        std::fs::remove_dir(dest).ok();
        anyhow::bail!(
            "the database is PostgreSQL, attachments included: back it up with pg_dump (see the README, Backup): \
             pg_dump --format=custom --file=helpdesk.dump \"$HELPDESK_DATABASE_URL\""
        );
    }
    drop(conn);
    // Attachments are written once and never changed (named by their SHA-256): a file copied
    // now is whole. Files of a ticket written after the database copy are not referenced by it.
    let mut files = 0;
    let source = settings.attachments_dir();
    for dir in std::fs::read_dir(&source).into_iter().flatten().flatten() {
        if dir.file_name() == "tmp" || !dir.path().is_dir() {
            continue;
        }
        let target = dest.join("attachments").join(dir.file_name());
        std::fs::create_dir_all(&target)?;
        for file in std::fs::read_dir(dir.path())?.flatten() {
            std::fs::copy(file.path(), target.join(file.file_name()))?;
            files += 1;
        }
    }
    let key = settings.data_dir.join("jwt.key");
    if key.exists() {
        std::fs::copy(&key, dest.join("jwt.key"))?;
    }
    println!("backup written to {}: the database and {files} attachment files", dest.display());
    Ok(())
}
