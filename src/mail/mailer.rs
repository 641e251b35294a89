//! Building a notification's message (headers for threading, both parts) and sending it over
//! SMTP (our pool of lettre connections, `super::smtp`) or, with no SMTP configured, into
//! `<data dir>/mail/<id>.eml`.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use serde_json::Value;

use super::reply_token::ReplyKey;
use super::smtp::{Pool, Server};
use super::templates::{Rendered, Templates};
use crate::db::outbox::OutboxRow;

/// Connecting, a NOOP, or a whole send that takes longer fails (transient: retried later).
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

pub enum Transport {
    Smtp(Box<Pool>),
    Files(PathBuf),
}

pub struct Mailer {
    transport: Transport,
    templates: Templates,
    from: Mailbox,
    /// Domain of Message-IDs and of the plus-addressed Reply-To.
    domain: String,
    /// Local part before `+` in Reply-To (`helpdesk+HD-2026-000042.<token>@domain`).
    reply_local: String,
    /// Makes the reply address's token for each recipient.
    reply_key: ReplyKey,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Will not get better by retrying (bad template, bad address): dead-letter now.
    #[error("{0}")]
    Permanent(String),
    /// Worth retrying (server down, timeout, 4xx).
    #[error("{0}")]
    Transient(String),
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, mail_dir: PathBuf, from: &str, pool_size: u32, reply_key: ReplyKey) -> anyhow::Result<Self> {
        let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("HELPDESK_MAIL_FROM: {e}"))?;
        let domain = from.email.domain().to_owned();
        let reply_local = from.email.user().split('+').next().unwrap_or("helpdesk").to_owned();
        let transport = match smtp_url {
            Some(url) => {
                let server = Server::from_url(url).map_err(|e| anyhow::anyhow!("HELPDESK_SMTP_URL: {e}"))?;
                Transport::Smtp(Box::new(Pool::new(server, pool_size, SMTP_TIMEOUT)))
            }
            None => {
                std::fs::create_dir_all(&mail_dir)?;
                Transport::Files(mail_dir)
            }
        };
        Ok(Self { transport, templates: Templates::load()?, from, domain, reply_local, reply_key })
    }

    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(pool) => format!("SMTP, up to {} connections", pool.size()),
            Transport::Files(dir) => format!("files in {}", dir.display()),
        }
    }

    /// The Message-ID of a ticket's first mail: every later mail of the ticket refers to it.
    pub fn thread_id(&self, number: &str) -> String {
        format!("<{number}@{}>", self.domain)
    }

    /// Stable per notification, so a resend after a crash is recognisably the same mail.
    pub fn message_id(&self, row: &OutboxRow) -> String {
        match (row.kind.as_str(), ticket_number(row)) {
            ("ticket_created" | "guest_verify", Some(number)) => self.thread_id(&number),
            _ => format!("<{}@{}>", row.id, self.domain),
        }
    }

    pub fn build(&self, row: &OutboxRow) -> Result<Message, SendError> {
        let payload: Value = serde_json::from_str(&row.payload).map_err(|e| SendError::Permanent(format!("payload: {e}")))?;
        let Rendered { subject, text, html } = self
            .templates
            .render(&row.kind, row.locale, &payload)
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        let to: Mailbox = row.recipient.parse().map_err(|e| SendError::Permanent(format!("recipient: {e}")))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(self.message_id(row)))
            .header(AutoSubmitted);
        if let Some(number) = ticket_number(row) {
            let thread = self.thread_id(&number);
            if self.message_id(row) != thread {
                builder = builder.in_reply_to(thread.clone()).references(thread);
            }
            // The token binds a reply by mail to this ticket and this recipient.
            let reply_to = format!("{}+{}@{}", self.reply_local, self.reply_key.tag(&number, &row.recipient), self.domain);
            if let Ok(mailbox) = reply_to.parse::<Mailbox>() {
                builder = builder.reply_to(Mailbox::new(self.from.name.clone(), mailbox.email));
            }
        }
        let body = MultiPart::alternative()
            .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
            .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html));
        // A payload `ics` (an ITA-L2 booking's calendar file) travels as an attachment.
        let body = match payload.get("ics").and_then(Value::as_str) {
            Some(ics) => {
                let calendar = ContentType::parse("text/calendar; method=PUBLISH; charset=utf-8")
                    .map_err(|e| SendError::Permanent(format!("calendar content type: {e}")))?;
                MultiPart::mixed().multipart(body).singlepart(Attachment::new("ita-l2.ics".into()).body(ics.to_owned(), calendar))
            }
            None => body,
        };
        builder.multipart(body).map_err(|e| SendError::Permanent(format!("building the message: {e}")))
    }

    pub async fn send(&self, row: &OutboxRow) -> Result<(), SendError> {
        let message = self.build(row)?;
        match &self.transport {
            Transport::Smtp(pool) => pool.send(message.envelope(), &message.formatted()).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
            Transport::Files(dir) => {
                // Named by the notification: a resend overwrites, it does not duplicate.
                let path = dir.join(format!("{}.eml", row.id));
                tokio::fs::write(&path, message.formatted()).await.map_err(|e| SendError::Transient(e.to_string()))?;
                tracing::info!(kind = %row.kind, path = %path.display(), "mail written to file");
                Ok(())
            }
        }
    }
}

fn ticket_number(row: &OutboxRow) -> Option<String> {
    let payload: Value = serde_json::from_str(&row.payload).ok()?;
    payload.get("number")?.as_str().map(str::to_owned)
}

/// `Auto-Submitted: auto-generated` (RFC 3834), so auto-responders do not answer back.
#[derive(Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}
