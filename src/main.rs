use anyhow::Context;
use clap::Parser;

use helpdesk::career::calendar::{self, AcademicYear, YearCalendar};
use helpdesk::cli::{CalendarCommand, Cli, Command};
use helpdesk::config::Settings;
use helpdesk::db::Db;
use helpdesk::domain::Email;
use helpdesk::startup::{has_admin, prepare_database, Application};
use helpdesk::{accounts, auth, telemetry};

/// glibc gives every thread that allocates its own heap arena; with a few dozen worker and
/// database threads that multiplies resident memory (65 MB → 42 MB under the benchmark's
/// load with two arenas), for no measurable speed.
/// A fixed mmap threshold: glibc otherwise raises it to the size of the first large block
/// freed, so the second password hash's 19 MiB (argon2's memory) came from an arena and
/// stayed resident after it was freed (peak RSS 60 or 80 MB from one run to the next).
/// Blocks of 256 KiB and more are mapped and given back as soon as they are freed.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; it is called once, before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

/// Everything the desk creates (the SQLite files, attachments, mails, the key) is for its own
/// user only: umask 077 before any file is made.
fn private_files() {
    // SAFETY: umask only sets this process's file-creation mask; it is called once, first.
    unsafe {
        libc::umask(0o077);
    }
}

fn main() -> anyhow::Result<()> {
    private_files();
    limit_malloc_arenas();
    let cli = Cli::parse();
    if let Some(Command::IngestMail) = cli.command {
        // Before logging starts: its stdout is one JSON line for the MTA, its logs go to stderr.
        let code = helpdesk::inbound::run_command();
        // SAFETY: `_exit` ends the process at once; the outcome is printed and flushed. Not
        // `exit`: the pool's threads may still be opening a PostgreSQL connection, and libpq's
        // (Kerberos's) exit handlers then abort the process under them (`k5_mutex_unlock`
        // assertion, 1 run in 300 under load), and the MTA would take the handled message for
        // a crash and deliver it again.
        unsafe { libc::_exit(code) }
    }
    telemetry::init();
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => {
            let db = Db::connect_with(&settings.database_url, 2, &settings.db)?;
            prepare_database(&db)?;
            println!("database ready: migrations applied, categories seeded");
            Ok(())
        }
        Command::CreateAdmin { email, password, name } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            if password.chars().count() < accounts::MIN_PASSWORD {
                anyhow::bail!("--password: must be at least {} characters", accounts::MIN_PASSWORD);
            }
            let db = Db::connect_with(&settings.database_url, 2, &settings.db)?;
            prepare_database(&db)?;
            let hash = auth::hash_password(&password)?;
            let mut conn = db.get_writer()?;
            let user = accounts::upsert_admin(&mut conn, &email, &hash, name.trim()).context("creating the admin")?;
            println!("admin {} ready (id {})", user.email, user.id);
            Ok(())
        }
        Command::ImportGuide { dir } => {
            let guides = match dir {
                Some(dir) => helpdesk::kb::Guide::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?,
                None => helpdesk::kb::Guide::shipped(),
            };
            let db = Db::connect_with(&settings.database_url, 2, &settings.db)?;
            prepare_database(&db)?;
            let mut conn = db.get_writer()?;
            let report = helpdesk::kb::import_guides(&mut conn, &guides).context("importing the guides")?;
            println!("{} guides imported: {} articles ({} removed)", report.guides, report.articles, report.removed);
            Ok(())
        }
        Command::ImportCatalog { file } => {
            let json = match file {
                Some(path) => std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
                None => helpdesk::career::catalog::shipped_catalog().to_owned(),
            };
            let types = helpdesk::career::catalog::parse_catalog(&json).map_err(|e| anyhow::anyhow!("{e}: {e:?}"))?;
            let db = Db::connect_with(&settings.database_url, 2, &settings.db)?;
            prepare_database(&db)?;
            let mut conn = db.get_writer()?;
            helpdesk::career::catalog::import(&mut conn, &types).map_err(|e| anyhow::anyhow!("importing the catalog: {e:?}"))?;
            println!("{} career-action types imported", types.len());
            Ok(())
        }
        Command::Calendar { command } => {
            let db = Db::connect(&settings.database_url, 2)?;
            prepare_database(&db)?;
            let mut conn = db.get_writer()?;
            calendar_command(&mut conn, command)
        }
        Command::SeedDemo => seed_demo(settings),
        Command::IngestMail => Ok(()), // handled above, before logging starts
        Command::Files { command } => helpdesk::privacy::commands::files(&settings, command),
        Command::Retention { command } => helpdesk::privacy::commands::retention(&settings, command),
        Command::Backup { dest } => helpdesk::privacy::commands::backup(&settings, &dest),
    }
}

fn seed_demo(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let db = Db::connect_with(&settings.database_url, 2, &settings.db)?;
        prepare_database(&db)?;
        let files = helpdesk::files::FileStore::configured(settings.attachments_dir(), &settings.files, &db)?;
        let place = (&settings).into();
        let demo = helpdesk::demo::seed(&db, &files, &place).await.map_err(|e| match e {
            helpdesk::error::ServiceError::Validation(list) => anyhow::anyhow!("seed-demo: a demo request was refused: {list:?}"),
            other => anyhow::anyhow!("seed-demo: {other}"),
        })?;
        if let Some(year) = demo.calendar {
            println!("academic calendar {year} copied from the newest one and published (demo dates)");
        }
        println!("demo ready: {} tickets. Start the desk and sign in at {}/sign-in with:", demo.tickets, settings.base_url);
        for account in demo.accounts {
            println!("  {:<10} {:<40} {}  ({})", account.role.as_str(), account.email, account.password, account.name);
        }
        Ok(())
    })
}

fn year(raw: &str, what: &str) -> anyhow::Result<AcademicYear> {
    AcademicYear::parse(raw).map_err(|e| anyhow::anyhow!("{what}: {e}"))
}

fn describe(y: &YearCalendar) -> String {
    let windows: usize = y.types.iter().map(|t| t.windows.len()).sum();
    let from = y.copied_from.map(|f| format!(", copied from {f}")).unwrap_or_default();
    format!("{} {} ({} windows of {} types{from})", y.academic_year, y.status.as_str(), windows, y.types.len())
}

fn calendar_command(conn: &mut helpdesk::db::DbConn, command: CalendarCommand) -> anyhow::Result<()> {
    let failed = |e: helpdesk::error::ServiceError| anyhow::anyhow!("{e}: {e:?}");
    match command {
        CalendarCommand::List => {
            for y in calendar::load_years(conn).map_err(failed)? {
                println!("{}", describe(&y));
            }
        }
        CalendarCommand::Copy { from, to } => {
            let draft = calendar::copy(conn, year(&from, "--from")?, year(&to, "--to")?).map_err(failed)?;
            println!("{}: review it, then `helpdesk calendar publish {}`", describe(&draft), draft.academic_year);
        }
        CalendarCommand::Publish { year: raw } => {
            let published = calendar::publish(conn, year(&raw, "year")?).map_err(failed)?;
            println!("{}", describe(&published));
        }
        CalendarCommand::Import { file } => {
            let years = match file {
                Some(path) => {
                    let json = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                    vec![calendar::parse_file(&json).map_err(failed)?]
                }
                None => calendar::shipped().map_err(failed)?,
            };
            for y in &years {
                calendar::replace_year(conn, y).map_err(failed)?;
                println!("{}", describe(y));
            }
        }
    }
    Ok(())
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let base_url = settings.base_url.clone();
        let backend = if settings.database_url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
        let app = Application::build(settings).await?;
        let db = app.state().db.clone();
        if !tokio::task::spawn_blocking(move || has_admin(&db)).await?? {
            println!(
                "No administrator yet. Create the first one with:\n  cargo run --release -- create-admin --email you@example.org --password 'a long password'"
            );
        }
        println!("helpdesk serving at {base_url} ({backend}, port {})", app.port());
        println!("{}", app.listening_line());
        app.run_until_stopped().await?;
        Ok(())
    })
}
