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

pub fn backup(_settings: &Settings, _dest: &Path) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
