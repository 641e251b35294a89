//! Inbound mail: a reply to a notification lands on its ticket.
//!
//! One raw RFC 5322 message (from `helpdesk ingest-mail` on an MTA pipe, or
//! `POST /api/v1/inbound-mail`) is either appended to its ticket as a public reply (through
//! `tickets::update::add_message`, which reopens and notifies), opens a follow-up of a closed
//! ticket, or is quarantined with a reason. Nothing is lost: a quarantined message is kept
//! whole under `<data dir>/mail/quarantine/`. Every outcome is one write transaction; an
//! `Err` means "try again later" (the CLI exits 75 so the MTA retries).
//!
//! Two phases, so that the slow part stays off the (SQLite) writer: `prepare` parses, finds
//! the ticket and the author on any connection and stores files; `commit` does the one write
//! transaction, where writes go (`Db::write`: its transaction holds the ticket service's).
//!
//! A message is handled once: the same message again (its sender and Message-ID; a hash of the
//! raw message when it has none) is answered with the first outcome and `duplicate: true`,
//! and nothing is written. The `inbound_mail` row that records it is written first in the
//! transaction that handles the message, so of two concurrent deliveries one waits for the
//! other's commit (PostgreSQL) or runs after it (SQLite's one writer) and finds it.
//!
//! Finding the ticket, in order: the plus-address (`helpdesk+HD-2026-000042@…`) in
//! To/Cc/Delivered-To, the `[HD-2026-000042]` subject tag, then In-Reply-To/References (our
//! Message-IDs are `<HD-2026-000042@domain>` for a ticket's first mail and
//! `<{outbox id}@domain>` for the others).

mod locate;
mod notice;
mod quarantine;
pub mod quote;

use std::io::{Read, Write};
use std::path::PathBuf;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use locate::{locate, ticket_by_id};
pub use quarantine::{list as list_quarantine, QuarantineView};
use quarantine::Envelope;

use crate::accounts::{find_user, User};
use crate::config::Settings;
use crate::db::schema::{categories, category_forms, inbound_mail, users};
use crate::db::{write_tx, Db, DbConn, Manager};
use crate::domain::{Email, Status, TicketNumber};
use crate::error::ServiceError;
use crate::files::{FileStore, Upload};
use crate::tickets::open::{insert_ticket, new_secret, Draft, Place, Requester, MAX_BODY, MAX_SUBJECT};
use crate::db::ticket_rows::{record_event, TicketRow};
use crate::tickets::update::{add_message, NewMessage};
use crate::mail::reply_token::ReplyKey;

/// At most this many files are kept from one message (as for uploads).
pub const MAX_FILES: usize = 20;
/// The CLI's exit code when the MTA should try again later (sysexits' EX_TEMPFAIL).
pub const EX_TEMPFAIL: i32 = 75;

/// What ingesting needs from the settings.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The local part of the desk's address before `+` (`helpdesk`), lower case.
    pub reply_local: String,
    /// The desk's mail domain, lower case.
    pub domain: String,
    /// Where follow-up tickets are numbered and linked from.
    pub place: Place,
    pub quarantine_dir: PathBuf,
    pub max_file_bytes: usize,
    pub max_message_bytes: usize,
    /// Checks the token of the reply addresses the desk's mails carry.
    pub reply_key: ReplyKey,
    /// The MTA whose `Authentication-Results` are trusted (lower case); `None`: none are.
    pub authserv_id: Option<String>,
}

impl Inbound {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let from: lettre::message::Mailbox =
            settings.mail_from.parse().map_err(|e| anyhow::anyhow!("HELPDESK_MAIL_FROM: {e}"))?;
        let user = from.email.user();
        Ok(Self {
            reply_local: user.split('+').next().unwrap_or(user).to_lowercase(),
            domain: from.email.domain().to_lowercase(),
            place: Place::from(settings),
            quarantine_dir: settings.mail_dir().join("quarantine"),
            max_file_bytes: settings.max_file_bytes,
            max_message_bytes: settings.max_message_bytes,
            reply_key: ReplyKey::new(&settings.jwt_secret),
            authserv_id: settings.mail_authserv_id.clone(),
        })
    }
}

/// Why a message was quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not a message, or no usable From address.
    Unparseable,
    /// An auto-responder, a bulk mail, a delivery report, or the desk's own mail.
    AutoReply,
    /// No ticket number in the address, the subject or the references.
    NoTicket,
    /// Neither the requester nor staff of the ticket's team.
    UnknownSender,
    /// A guest ticket whose e-mail address is not confirmed yet.
    Unverified,
    /// Staff replied by mail to a closed ticket.
    TicketClosed,
    /// Nothing left once the quoted history is gone.
    Empty,
    /// The ticket service refused the reply (too long, not allowed any more).
    Rejected,
    /// Not a reply to one of the desk's mails: no valid token for this sender in the address.
    NoReplyToken,
    /// The trusted MTA found that the sender's domain does not vouch for it (DMARC failed).
    Forged,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Unparseable => "unparseable",
            Reason::AutoReply => "auto_reply",
            Reason::NoTicket => "no_ticket",
            Reason::UnknownSender => "unknown_sender",
            Reason::Unverified => "unverified",
            Reason::TicketClosed => "ticket_closed",
            Reason::Empty => "empty",
            Reason::Rejected => "rejected",
            Reason::NoReplyToken => "no_reply_token",
            Reason::Forged => "forged",
        }
    }
}

/// What became of a message. Serialised as one JSON object, e.g.
/// `{"outcome":"appended","number":"HD-2026-000042"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Handled {
    /// A public reply on the ticket.
    Appended { number: String },
    /// The ticket was closed: a new one continues it.
    FollowUp { old: String, new: String },
    /// Kept aside, not appended.
    Quarantined { id: String, reason: Reason, detail: String },
}

/// The answer for one message: what became of it, and whether that was decided before.
/// `{"outcome":"appended","number":"HD-2026-000042"}` the first time; the same with
/// `"duplicate":true` when the message comes again (the field is absent otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Outcome {
    #[serde(flatten)]
    pub handled: Handled,
    /// The message was handled before: this is that outcome, and nothing was done again.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

/// Why a message does not land on a ticket (the quarantine's reason and explanation).
struct Rejection {
    reason: Reason,
    detail: String,
}

type Decision<T> = Result<T, Rejection>;

fn reject<T>(reason: Reason, detail: impl Into<String>) -> Result<Decision<T>, ServiceError> {
    Ok(Err(Rejection { reason, detail: detail.into() }))
}

/// A message read and checked, its files stored: what is left is the write (`commit`).
pub struct Prepared {
    raw: Vec<u8>,
    key: Key,
    envelope: Envelope,
    step: Step,
}

enum Step {
    /// Handled before, with this outcome: nothing to write.
    Seen(Handled),
    /// The raw file is saved already; its row is still to be written.
    Quarantine { id: String, path: PathBuf, reason: Reason, detail: String },
    Reply(Box<Reply>),
}

/// A reply by `author` on `ticket` (a follow-up if the ticket is closed).
struct Reply {
    ticket: TicketRow,
    author: User,
    body: String,
    uploads: Vec<Upload>,
}

/// An attachment that did not pass the checks, and why.
struct Refused {
    name: String,
    why: String,
}

/// Everything before the write: parse, find the ticket and the author, strip the quotes,
/// store the files (or the raw message, for the quarantine). Reads only. A message handled
/// before stops here with its first outcome.
#[tracing::instrument(skip_all, fields(bytes = raw.len()))]
pub fn prepare(conn: &mut DbConn, files: &FileStore, config: &Inbound, raw: Vec<u8>) -> Result<Prepared, ServiceError> {
    let message = MessageParser::default().parse(&raw).filter(|m| !m.headers().is_empty());
    let key = Key::of(message.as_ref(), &raw);
    let mut envelope = Envelope::default();
    let step = if let Some(first) = key.seen(conn)? {
        Step::Seen(first)
    } else {
        match decide(conn, files, config, message.as_ref(), &mut envelope)? {
            Ok(step) => step,
            Err(Rejection { reason, detail }) => {
                let (id, path) = quarantine::save_raw(&config.quarantine_dir, &raw)?;
                Step::Quarantine { id, path, reason, detail }
            }
        }
    };
    drop(message);
    Ok(Prepared { raw, key, envelope, step })
}

/// Why `commit`'s transaction stopped.
enum Stop {
    /// Another delivery of the same message got there first.
    Seen,
    Failed(ServiceError),
}

impl From<DieselError> for Stop {
    fn from(e: DieselError) -> Self {
        Stop::Failed(e.into())
    }
}

impl From<ServiceError> for Stop {
    fn from(e: ServiceError) -> Self {
        Stop::Failed(e)
    }
}

/// The write, one transaction: the message recorded as handled, then the reply through the
/// ticket service, the follow-up ticket, or the quarantine row. Run it where writes go
/// (`Db::write`): the ticket service's own transaction nests in this one.
pub fn commit(conn: &mut DbConn, config: &Inbound, prepared: Prepared) -> Result<Outcome, ServiceError> {
    let Prepared { raw, key, envelope, step } = prepared;
    let kept = match &step {
        Step::Seen(first) => return Ok(key.duplicate(first.clone())),
        Step::Quarantine { path, .. } => Some(path.clone()),
        Step::Reply(_) => None,
    };
    let handled = write_tx(conn, |conn| -> Result<Handled, Stop> {
        key.claim(conn)?;
        let handled = handle(conn, config, &raw, &envelope, step)?;
        key.record(conn, &handled)?;
        Ok(handled)
    });
    match handled {
        Ok(handled) => {
            tracing::info!(outcome = ?handled, "inbound mail ingested");
            Ok(Outcome { handled, duplicate: false })
        }
        Err(Stop::Seen) => {
            // Its outcome is committed (we waited for it): answer with that one.
            if let Some(path) = kept {
                let _ = std::fs::remove_file(path);
            }
            let first = key.seen(conn)?.ok_or_else(|| ServiceError::Internal("a handled inbound mail vanished".into()))?;
            Ok(key.duplicate(first))
        }
        Err(Stop::Failed(e)) => Err(e),
    }
}

fn handle(conn: &mut DbConn, config: &Inbound, raw: &[u8], envelope: &Envelope, step: Step) -> Result<Handled, ServiceError> {
    let decision = match step {
        Step::Seen(first) => return Ok(first),
        Step::Quarantine { id, path, reason, detail } => {
            quarantine::record(conn, &id, &path, envelope, reason, &detail)?;
            if reason == Reason::NoReplyToken {
                notice::tell_to_use_the_page(conn, config, envelope)?;
            }
            return Ok(Handled::Quarantined { id, reason, detail });
        }
        Step::Reply(reply) => {
            let Reply { ticket, author, body, uploads } = *reply;
            if ticket.status == Status::Closed {
                Ok(follow_up(conn, config, &ticket, &author, &body, &uploads)?)
            } else {
                append(conn, config, &ticket, &author, body, &uploads)?
            }
        }
    };
    match decision {
        Ok(handled) => Ok(handled),
        // The ticket service refused it after all (changed since `prepare`).
        Err(Rejection { reason, detail }) => {
            let (id, path) = quarantine::save_raw(&config.quarantine_dir, raw)?;
            quarantine::record(conn, &id, &path, envelope, reason, &detail)?;
            Ok(Handled::Quarantined { id, reason, detail })
        }
    }
}

/// How a message is recognised when it comes again: its sender (lower case) and its
/// Message-ID, or a hash of the raw message when it has no Message-ID. The sender is part of
/// it so that a stranger reusing someone's Message-ID cannot have their reply dropped.
struct Key {
    sender: String,
    message_id: String,
}

impl Key {
    /// Longer values are stored as their hash (they are the sender's to choose).
    const MAX: usize = 320;

    fn of(message: Option<&Message<'_>>, raw: &[u8]) -> Self {
        let hashed = |bytes: &[u8]| format!("sha256:{}", hex::encode(Sha256::digest(bytes)));
        let bounded = |value: String| if value.len() > Self::MAX { hashed(value.as_bytes()) } else { value };
        let sender = message.and_then(from_address).map(|a| a.trim().to_lowercase()).unwrap_or_default();
        let message_id = message.and_then(|m| m.message_id()).map(str::trim).filter(|id| !id.is_empty());
        Self {
            sender: bounded(sender),
            message_id: message_id.map_or_else(|| hashed(raw), |id| bounded(id.to_owned())),
        }
    }

    /// The outcome of this message's earlier delivery, if there was one.
    fn seen(&self, conn: &mut DbConn) -> Result<Option<Handled>, ServiceError> {
        let stored: Option<String> = inbound_mail::table
            .find((&self.sender, &self.message_id))
            .select(inbound_mail::outcome)
            .first(conn)
            .optional()?;
        stored
            .map(|json| serde_json::from_str(&json).map_err(|e| ServiceError::Internal(format!("a stored inbound outcome: {e}"))))
            .transpose()
    }

    /// Marks the message as being handled in this transaction; `Stop::Seen` if it was already.
    fn claim(&self, conn: &mut DbConn) -> Result<(), Stop> {
        let row = (
            inbound_mail::sender.eq(&self.sender),
            inbound_mail::message_id.eq(&self.message_id),
            inbound_mail::received_at.eq(crate::ids::now()),
            inbound_mail::outcome.eq(""),
        );
        match diesel::insert_into(inbound_mail::table).values(row).execute(conn) {
            Ok(_) => Ok(()),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Err(Stop::Seen),
            Err(e) => Err(e.into()),
        }
    }

    fn record(&self, conn: &mut DbConn, handled: &Handled) -> Result<(), Stop> {
        let json = serde_json::to_string(handled).map_err(|e| ServiceError::Internal(e.to_string()))?;
        diesel::update(inbound_mail::table.find((&self.sender, &self.message_id))).set(inbound_mail::outcome.eq(json)).execute(conn)?;
        Ok(())
    }

    fn duplicate(&self, first: Handled) -> Outcome {
        tracing::info!(sender = %self.sender, message_id = %self.message_id, outcome = ?first, "inbound mail handled before: not again");
        Outcome { handled: first, duplicate: true }
    }
}

/// The From address as written (`None` without a usable one).
fn from_address(message: &Message<'_>) -> Option<String> {
    message.from().and_then(|a| a.first()).and_then(|a| a.address()).map(str::to_owned)
}

fn decide(
    conn: &mut DbConn,
    files: &FileStore,
    config: &Inbound,
    message: Option<&Message<'_>>,
    envelope: &mut Envelope,
) -> Result<Decision<Step>, ServiceError> {
    let Some(message) = message else {
        return reject(Reason::Unparseable, "not an RFC 5322 message");
    };
    envelope.subject = message.subject().unwrap_or_default().to_owned();
    let from = from_address(message);
    envelope.sender = from.clone().unwrap_or_default();
    let Some(sender) = from.as_deref().and_then(|a| Email::parse(a).ok()) else {
        return reject(Reason::Unparseable, "no usable From address");
    };
    if let Some(why) = auto_reply(message, config, &sender) {
        return reject(Reason::AutoReply, why);
    }
    if let Some(why) = dmarc_failed(message, config) {
        return reject(Reason::Forged, why);
    }
    // Only a reply address whose token was made for this sender opens a ticket to the message.
    let Some(ticket) = locate::by_reply_token(conn, message, config, &sender)? else {
        let Some(ticket) = locate(conn, message, config)? else {
            return reject(Reason::NoTicket, "no known ticket in the recipient address, the subject or the references");
        };
        envelope.ticket_number = Some(ticket.number.clone());
        return reject(
            Reason::NoReplyToken,
            format!("not a reply to the desk's mail to {sender} about {}: its reply address carries no valid token", ticket.number),
        );
    };
    envelope.ticket_number = Some(ticket.number.clone());
    let Some(author) = author(conn, &sender, &ticket)? else {
        return reject(
            Reason::UnknownSender,
            format!("{sender} is neither the requester of {} nor staff of its team", ticket.number),
        );
    };
    let status = ticket.status;
    if status == Status::Unverified && !author.is_staff() {
        return reject(Reason::Unverified, format!("{} waits for its e-mail address to be confirmed", ticket.number));
    }
    if status == Status::Closed && author.is_staff() {
        return reject(Reason::TicketClosed, format!("{} is closed: staff replies by mail are not appended to it", ticket.number));
    }

    let text = printable(&quote::strip_quoted(&reply_text(message)));
    let (uploads, refused) = keep_attachments(files, config, message)?;
    let Some(body) = compose(&text, &uploads, &refused) else {
        let mut detail = String::from("nothing left once the quoted history is removed");
        if !refused.is_empty() {
            detail.push_str(&format!(" (refused files: {})", refused_list(&refused)));
        }
        return reject(Reason::Empty, detail);
    };
    if body.chars().count() > MAX_BODY {
        return reject(Reason::Rejected, format!("the reply is longer than {MAX_BODY} characters"));
    }
    Ok(Ok(Step::Reply(Box::new(Reply { ticket, author, body, uploads }))))
}

/// `dmarc=fail` in an `Authentication-Results` header that the trusted MTA stamped (RFC 8601:
/// the header starts with the authserv-id). Headers of any other authserv-id are the sender's
/// to write, so they count for nothing.
fn dmarc_failed(message: &Message<'_>, config: &Inbound) -> Option<String> {
    let trusted = config.authserv_id.as_deref()?;
    message
        .headers_raw()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Authentication-Results"))
        .map(|(_, value)| value.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|value| value.split([';', ' ']).next().is_some_and(|id| id.eq_ignore_ascii_case(trusted)))
        .find(|value| value.split(';').any(|part| part.trim().to_ascii_lowercase().starts_with("dmarc=fail")))
        .map(|value| format!("DMARC failed according to {trusted}: {value}"))
}

/// A header's raw value, unfolded (`None` when absent).
fn raw_header(message: &Message<'_>, name: &str) -> Option<String> {
    message
        .headers_raw()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Auto-responders (RFC 3834 `Auto-Submitted`, `Precedence`, the vendors' own headers),
/// delivery reports, and the desk's own mail coming back: answering them would loop.
fn auto_reply(message: &Message<'_>, config: &Inbound, sender: &Email) -> Option<String> {
    if let Some(value) = raw_header(message, "Auto-Submitted") {
        let token = value.split([';', '(', ' ']).next().unwrap_or("").to_ascii_lowercase();
        if token != "no" {
            return Some(format!("Auto-Submitted: {value}"));
        }
    }
    if let Some(value) = raw_header(message, "Precedence") {
        if matches!(value.to_ascii_lowercase().as_str(), "bulk" | "auto_reply" | "junk") {
            return Some(format!("Precedence: {value}"));
        }
    }
    for name in ["X-Autoreply", "X-Autorespond"] {
        if raw_header(message, name).is_some() {
            return Some(format!("{name} is set"));
        }
    }
    let report = message.root_part().content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart") && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    if report {
        return Some("a delivery or read report".into());
    }
    let (local, domain) = sender.as_str().rsplit_once('@').unwrap_or(("", ""));
    if domain == config.domain && local.split('+').next() == Some(config.reply_local.as_str()) {
        return Some("a mail from the desk's own address".into());
    }
    None
}

/// The sender as the account that may reply on the ticket: its requester, or active staff of
/// its team (or its assignee). `None` for anyone else.
fn author(conn: &mut DbConn, sender: &Email, ticket: &TicketRow) -> Result<Option<User>, ServiceError> {
    let id: Option<String> = users::table
        .filter(users::email.eq(sender.as_str()))
        .filter(users::disabled.eq(false))
        .select(users::id)
        .first(conn)
        .optional()?;
    let Some(id) = id else {
        return Ok(None);
    };
    let user = find_user(conn, &id)?;
    let allowed = user.id == ticket.requester_id
        || (user.is_staff()
            && (user.team_ids.contains(&ticket.team_id) || ticket.assignee_id.as_deref() == Some(user.id.as_str())));
    Ok(allowed.then_some(user))
}

/// The text/plain part, or the HTML part as text when there is no plain one.
fn reply_text(message: &Message<'_>) -> String {
    let Some(part) = message.text_part(0) else {
        return String::new();
    };
    match &part.body {
        PartType::Text(text) => {
            let ct = part.content_type();
            let attribute = |name: &str, value: &str| ct.and_then(|c| c.attribute(name)).is_some_and(|v| v.eq_ignore_ascii_case(value));
            if attribute("format", "flowed") {
                quote::unflow(text, attribute("delsp", "yes"))
            } else {
                text.to_string()
            }
        }
        PartType::Html(html) => quote::html_to_text(html),
        _ => String::new(),
    }
}

/// No control characters but line breaks and tabs (the ticket service refuses them).
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect::<String>().trim().to_owned()
}

/// A file name fit for the note about refused files.
fn display_name(raw: Option<&str>) -> String {
    let base = raw.unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base.chars().filter(|c| !c.is_control() && !matches!(c, '[' | ']')).take(100).collect();
    if name.trim().is_empty() {
        "allegato".into()
    } else {
        name.trim().to_owned()
    }
}

/// Stores the files that pass the upload checks (type by content, per-file and per-message
/// size, count); the others are named with the reason they were refused.
fn keep_attachments(files: &FileStore, config: &Inbound, message: &Message<'_>) -> Result<(Vec<Upload>, Vec<Refused>), ServiceError> {
    let mut kept = Vec::new();
    let mut refused = Vec::new();
    let mut total = 0usize;
    for part in message.attachments() {
        let bytes = part.contents();
        if bytes.is_empty() {
            continue;
        }
        let name = display_name(part.attachment_name());
        if kept.len() >= MAX_FILES {
            refused.push(Refused { name, why: format!("at most {MAX_FILES} files a message") });
        } else if bytes.len() > config.max_file_bytes {
            refused.push(Refused { name, why: format!("larger than {} MiB", config.max_file_bytes / (1024 * 1024)) });
        } else if total + bytes.len() > config.max_message_bytes {
            refused.push(Refused { name, why: format!("over {} MiB in all", config.max_message_bytes / (1024 * 1024)) });
        } else {
            match files.put("files", &name, bytes) {
                Ok(upload) => {
                    total += bytes.len();
                    kept.push(upload);
                }
                Err(ServiceError::UnsupportedMediaType(why)) => refused.push(Refused { name, why }),
                // Named in the reply's note, which staff read in the thread; nothing of it kept.
                Err(ServiceError::Infected { signature, .. }) => {
                    refused.push(Refused { name, why: format!("virus trovato / virus found: {signature}") })
                }
                // The scanner is away: the whole message waits (503 / exit 75, the MTA retries).
                Err(other) => return Err(other),
            }
        }
    }
    Ok((kept, refused))
}

fn refused_list(refused: &[Refused]) -> String {
    refused.iter().map(|r| format!("{}: {}", r.name, r.why)).collect::<Vec<_>>().join("; ")
}

/// The message body: the text, and a note naming the refused files. `None` when there is
/// neither text nor a kept file.
fn compose(text: &str, uploads: &[Upload], refused: &[Refused]) -> Option<String> {
    if text.is_empty() && uploads.is_empty() {
        return None;
    }
    let mut body = if text.is_empty() { "(Allegati inviati per e-mail / Files sent by e-mail)".to_owned() } else { text.to_owned() };
    if !refused.is_empty() {
        body.push_str(&format!("\n\n[Allegati rifiutati / Refused attachments — {}]", refused_list(refused)));
    }
    Some(body)
}

/// Appends the reply with the ticket service (which reopens and notifies).
fn append(conn: &mut DbConn, config: &Inbound, ticket: &TicketRow, author: &User, body: String, uploads: &[Upload]) -> Result<Decision<Handled>, ServiceError> {
    let number: TicketNumber = ticket.number.parse().map_err(|e: crate::domain::ParseError| ServiceError::Internal(e.0))?;
    let input = NewMessage { body: body.clone(), internal: false, status: None };
    match add_message(conn, author, &number, input, uploads, &config.place.base_url) {
        Ok(_) => Ok(Ok(Handled::Appended { number: ticket.number.clone() })),
        Err(ServiceError::Conflict(detail)) => {
            // Closed since we looked: the student's reply opens a follow-up like any other.
            match ticket_by_id(conn, &ticket.id)? {
                Some(now) if now.status == Status::Closed && !author.is_staff() => {
                    follow_up(conn, config, &now, author, &body, uploads).map(Ok)
                }
                _ => reject(Reason::Rejected, detail),
            }
        }
        Err(ServiceError::Validation(errors)) => {
            reject(Reason::Rejected, errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
        }
        Err(ServiceError::Forbidden(detail)) => reject(Reason::Rejected, detail),
        Err(ServiceError::NotFound) => reject(Reason::UnknownSender, "the sender may not see the ticket"),
        Err(other) => Err(other),
    }
}

/// `Re: <old subject>`, not `Re: Re:`, at most `MAX_SUBJECT` characters.
fn follow_up_subject(old: &str) -> String {
    let old = old.trim();
    let subject = if old.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("re:")) { old.to_owned() } else { format!("Re: {old}") };
    subject.chars().take(MAX_SUBJECT).collect::<String>().trim_end().to_owned()
}

/// A reply to a closed ticket: a new ticket for the same requester, category, team and form
/// answers, pointing back with `follow_up_of`; an audit event on both; the usual mails.
fn follow_up(conn: &mut DbConn, config: &Inbound, old: &TicketRow, requester: &User, body: &str, uploads: &[Upload]) -> Result<Handled, ServiceError> {
    let subject = follow_up_subject(&old.subject);
    write_tx(conn, |conn| -> Result<Handled, ServiceError> {
        let (slug, first_response_hours, resolution_hours): (String, i32, i32) = categories::table
            .find(&old.category_id)
            .select((categories::slug, categories::first_response_hours, categories::resolution_hours))
            .first(conn)?;
        let form_version: i32 = category_forms::table.find(&old.form_id).select(category_forms::version).first(conn)?;
        // A guest keeps reaching their tickets through a secret link.
        let secret = old.guest_secret_hash.is_some().then(new_secret);
        let draft = Draft {
            category_id: &old.category_id,
            category_slug: &slug,
            team_id: &old.team_id,
            form_id: &old.form_id,
            form_version,
            first_response_hours,
            resolution_hours,
            subject: &subject,
            body,
            fields_json: &old.fields,
            locale: old.locale,
            status: Status::New,
            secret: secret.as_ref(),
            follow_up_of: Some(old),
            // A mail acknowledges no privacy notice: the ticket keeps none.
            notice: None,
            // Stemmed by the write (this runs outside the server's writer).
            stemmed: None,
        };
        let (ticket, _, _) = insert_ticket(conn, &draft, &Requester::of(requester), uploads, &config.place)?;
        record_event(conn, &old.id, Some(&requester.id), "follow_up_opened", json!({"number": ticket.number}))?;
        record_event(conn, &ticket.id, Some(&requester.id), "follow_up_of", json!({"number": old.number}))?;
        Ok(Handled::FollowUp { old: old.number.clone(), new: ticket.number })
    })
}

/// `helpdesk ingest-mail`: the message on stdin, the outcome as one JSON line on stdout.
/// Exit 0 once the message is appended, followed up or quarantined (or was before: a
/// duplicate); 75 (EX_TEMPFAIL) when it could not be handled now (database unreachable,
/// storage, …), so the MTA retries. Logs go to stderr.
pub fn run_command() -> i32 {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(ansi).with_writer(std::io::stderr).try_init();
    let outcome = (|| -> anyhow::Result<Outcome> {
        // Read the whole message first: the MTA's pipe must be drained whatever happens next.
        let mut raw = Vec::new();
        std::io::stdin().lock().read_to_end(&mut raw)?;
        let settings = Settings::from_env()?;
        let config = Inbound::from_settings(&settings)?;
        // The reads on one connection of our own, which fails at once if the database is down.
        let mut conn = diesel::r2d2::ManageConnection::connect(&Manager::new(&settings.database_url))?;
        // The write where the server's go (on SQLite its one writer), so that its transaction
        // can hold the ticket service's; on PostgreSQL also where the files go.
        let db = Db::connect(&settings.database_url, 2)?;
        let files = FileStore::configured(settings.attachments_dir(), &settings.files, &db)?;
        let prepared = prepare(&mut conn, &files, &config, raw)?;
        drop(conn);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(runtime.block_on(db.write(move |conn| commit(conn, &config, prepared)))?)
    })();
    match outcome {
        Ok(outcome) => {
            let line = serde_json::to_string(&outcome).unwrap_or_else(|_| String::from("{}"));
            let mut out = std::io::stdout().lock();
            // The message is handled: a closed stdout must not make the MTA deliver it again.
            if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                tracing::warn!("could not print the outcome");
            }
            0
        }
        Err(e) => {
            // The MTA logs this line and keeps the message for a retry.
            eprintln!("helpdesk ingest-mail: not handled now, try again later: {e:#}");
            EX_TEMPFAIL
        }
    }
}

#[cfg(test)]
mod tests {
    use super::locate::{plus_numbers, subject_numbers, thread_ids};
    use super::*;

    fn config() -> Inbound {
        Inbound {
            reply_local: "helpdesk".into(),
            domain: "unibg.it".into(),
            place: Place { prefix: "HD".into(), base_url: "http://x".into() },
            quarantine_dir: PathBuf::from("/nonexistent"),
            max_file_bytes: 1024,
            max_message_bytes: 2048,
            reply_key: ReplyKey::new(b"a secret of at least thirty-two bytes!!"),
            authserv_id: Some("mx.unibg.it".into()),
        }
    }

    #[test]
    fn only_the_trusted_mtas_dmarc_verdict_counts() {
        let fail = "From: a@b.it\r\nAuthentication-Results: mx.unibg.it;\r\n dkim=none; spf=softfail smtp.mailfrom=b.it;\r\n dmarc=fail (p=none) header.from=b.it\r\n\r\nbody";
        assert!(dmarc_failed(&parse(fail), &config()).is_some_and(|why| why.contains("mx.unibg.it")));
        // The same verdict written by anyone else (the sender can add any header) is ignored…
        let forged = "From: a@b.it\r\nAuthentication-Results: mx.evil.example; dmarc=fail header.from=b.it\r\n\r\nbody";
        assert!(dmarc_failed(&parse(forged), &config()).is_none());
        // …as is a pass, and everything when no MTA is trusted.
        let pass = "From: a@b.it\r\nAuthentication-Results: mx.unibg.it; dmarc=pass header.from=b.it\r\n\r\nbody";
        assert!(dmarc_failed(&parse(pass), &config()).is_none());
        let untrusting = Inbound { authserv_id: None, ..config() };
        assert!(dmarc_failed(&parse(fail), &untrusting).is_none());
    }

    fn parse(raw: &str) -> Message<'_> {
        MessageParser::default().parse(raw.as_bytes()).unwrap()
    }

    #[test]
    fn finds_numbers_in_plus_addresses_and_subject_tags() {
        let m = parse(
            "From: a@b.it\r\nTo: Help Desk <HelpDesk+hd-2026-000042@unibg.it>, other+HD-2026-000001@unibg.it\r\n\
             Delivered-To: helpdesk+HD-2026-000043@unibg.it\r\nSubject: Re: [HD-2026-000044] Piano [x]\r\n\r\nbody",
        );
        assert_eq!(plus_numbers(&m, &config()), ["HD-2026-000042", "HD-2026-000043"]);
        assert_eq!(subject_numbers(m.subject().unwrap()), ["HD-2026-000044"]);
        assert!(subject_numbers("Re: [no] nothing [HD-2026-42]").is_empty());
    }

    #[test]
    fn reads_thread_ids_newest_first() {
        let m = parse("From: a@b.it\r\nIn-Reply-To: <0190-x@unibg.it>\r\nReferences: <HD-2026-000042@unibg.it> <0190-y@unibg.it>\r\n\r\nbody");
        assert_eq!(thread_ids(&m), ["0190-x@unibg.it", "0190-y@unibg.it", "HD-2026-000042@unibg.it"]);
    }

    #[test]
    fn recognises_auto_replies() {
        let sender = Email::parse("a@b.it").unwrap();
        let auto = |headers: &str| auto_reply(&parse(&format!("From: a@b.it\r\n{headers}\r\n\r\nbody")), &config(), &sender);
        assert!(auto("Auto-Submitted: auto-replied").is_some());
        assert!(auto("Auto-Submitted: no").is_none());
        assert!(auto("Auto-Submitted: no (a person)").is_none());
        assert!(auto("Precedence: bulk").is_some());
        assert!(auto("Precedence: junk").is_some());
        assert!(auto("Precedence: first-class").is_none());
        assert!(auto("X-Autoreply: yes").is_some());
        assert!(auto("Content-Type: multipart/report; report-type=delivery-status; boundary=x").is_some());
        assert!(auto("Subject: hello").is_none());
        let own = Email::parse("helpdesk+HD-2026-000001@unibg.it").unwrap();
        assert!(auto_reply(&parse("From: x@y.it\r\n\r\nbody"), &config(), &own).is_some());
    }

    #[test]
    fn follow_up_subjects() {
        assert_eq!(follow_up_subject("Piano di studio"), "Re: Piano di studio");
        assert_eq!(follow_up_subject("RE: Piano"), "RE: Piano");
        assert_eq!(follow_up_subject(&"x".repeat(200)).chars().count(), 200);
        assert_eq!(follow_up_subject(&"è".repeat(300)), format!("Re: {}", "è".repeat(196)));
    }

    #[test]
    fn bodies_name_refused_files_and_are_never_empty() {
        let refused = |name: &str, why: &str| vec![Refused { name: name.into(), why: why.into() }];
        assert_eq!(compose("", &[], &refused("a.exe", "not a PDF")), None);
        assert_eq!(compose("ciao", &[], &[]).as_deref(), Some("ciao"));
        let body = compose("ciao", &[], &refused("a.pdf", "this one is an executable")).unwrap();
        assert!(body.starts_with("ciao\n\n[") && body.contains("a.pdf: this one is an executable"), "{body}");
        assert_eq!(display_name(Some("C:\\tmp\\doc[1].pdf")), "doc1.pdf");
        assert_eq!(display_name(None), "allegato");
        assert_eq!(printable("a\u{0}b\r\nc\u{7}\t"), "ab\nc");
    }

    #[test]
    fn plain_text_flowed_and_html_bodies() {
        let m = parse("From: a@b.it\r\nContent-Type: text/plain; format=flowed\r\n\r\nuna riga \r\nlunga\r\n");
        assert_eq!(reply_text(&m).trim(), "una riga lunga");
        let m = parse("From: a@b.it\r\nContent-Type: text/html\r\n\r\n<div>uno</div><div>due</div><blockquote>vecchio</blockquote>");
        assert_eq!(reply_text(&m), "uno\ndue");
    }
}
