use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "helpdesk", version, about = "The help desk of the university's student offices")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the desk (the default).
    Serve,
    /// Apply the database migrations and seed the categories, then exit.
    Migrate,
    /// Create an administrator account (or reset its password).
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value = "Amministratore")]
        name: String,
    },
    /// Fill a fresh desk with a demo (students, staff in every team, tickets in every status
    /// with a month of history, procedures, ITA-L2 sessions) and print the demo accounts.
    /// Refused on a desk that has any ticket or account.
    SeedDemo,
    /// Read one raw e-mail (RFC 5322) on stdin and put it on its ticket (for an MTA pipe).
    /// Prints the outcome as one JSON line; exits 75 when the MTA should retry.
    IngestMail,
    /// Split the guides into knowledge-base articles and store them (re-importing replaces
    /// each article by its slug). Without --dir: the guides shipped in seeds/guides.
    ImportGuide {
        /// A folder of guides (`*.txt`; `name.it.txt` / `name.en.txt` give the language).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Load the catalog of career-action types (inserting or replacing each type by its slug).
    /// Without --file: the catalog shipped in seeds/career_actions.json.
    ImportCatalog {
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// The academic calendars: each year's windows and dated rules, drafts and publication.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Attachment storage (`files migrate`: the data folder's files into PostgreSQL).
    Files {
        #[command(subcommand)]
        command: FilesCommand,
    },
    /// Personal data past its category's retention period: anonymised.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Write a consistent copy of the desk into DEST (SQLite: an online backup of the database
    /// and the attachments; PostgreSQL: see the README's pg_dump recipe).
    Backup {
        dest: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// Move the attachments of the data folder into the database (PostgreSQL), so every
    /// instance serves them; each file is checked against its SHA-256 name first.
    Migrate,
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Anonymise the tickets closed longer ago than their category keeps them, and print what
    /// was done (or, with --dry-run, what would be).
    Run {
        /// Change nothing: print what would be anonymised.
        #[arg(long)]
        dry_run: bool,
        /// Only tickets closed before this day (YYYY-MM-DD), whatever their category keeps.
        #[arg(long)]
        closed_before: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// List the academic years with their status.
    List,
    /// Copy every window and date of a year one year later, as a draft to review.
    Copy {
        /// The year to copy, e.g. 2025/2026.
        #[arg(long)]
        from: String,
        /// The new year, e.g. 2026/2027 (a published year is not overwritten).
        #[arg(long)]
        to: String,
    },
    /// Publish a year: the desk judges its dates from now on.
    Publish {
        /// e.g. 2026/2027
        year: String,
    },
    /// Load a year from a calendar file (replacing that year), by default the shipped ones.
    Import {
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
}
