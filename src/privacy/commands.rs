//! `helpdesk files migrate`, `helpdesk retention run`, `helpdesk backup DEST`.

use std::path::Path;

use crate::cli::{FilesCommand, RetentionCommand};
use crate::config::Settings;
use crate::db::Db;
use crate::files::FileStore;
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

pub fn retention(_settings: &Settings, _command: RetentionCommand) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}

pub fn backup(_settings: &Settings, _dest: &Path) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
