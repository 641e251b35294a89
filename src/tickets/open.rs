//! Opening a ticket, whatever the channel: `open` (the API and the portal's form) checks the
//! request against the category's form, then writes it in one short transaction (number,
//! ticket, first message, attachments, audit event, notifications); mail ingest writes its
//! follow-up tickets with the same `insert_ticket`.

use base64::Engine;
use chrono::{Datelike, Utc};
use diesel::prelude::*;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::attachments::link_uploads;
use crate::files::Upload;
use crate::db::ticket_rows::{new_event, AttachmentRow, MessageKind, MessageRow, TicketRow};
use super::view::{message_view, ticket_view, Names, TicketView, Viewer};
use crate::accounts::{self, User};
use crate::ids::new_id;
use crate::career::changes;
use crate::career::instances::{self, NewCareerAction};
use crate::categories::{form::validate_answers, Category, Notice};
use crate::db::counters::next_ticket_seq;
use crate::db::privacy_schema::{category_notices, ticket_notice_acks};
use crate::db::schema::{messages, tickets};
use crate::db::direct::Batch;
use crate::db::ticket_search::Stemmed;
use crate::db::{Db, DbConn};
use crate::domain::sla::Targets;
use crate::domain::{Email, Locale, NoticeVersion, Priority, Role, Status, TicketNumber};
use crate::error::{Code, FieldError, FieldErrors, ServiceError};
use crate::mail::notification::{RequesterMail, StaffMail};
use crate::mail::outbox::{self, Mail, Notification};

pub const MAX_SUBJECT: usize = 200;
pub const MAX_BODY: usize = 20_000;
/// The form answer that names a career-procedure type.
pub const CAREER_ACTION_FIELD: &str = "career_action";

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    pub category: String,
    pub subject: String,
    pub body: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Value,
    #[serde(default)]
    pub locale: Option<Locale>,
    /// The career procedure the ticket is about: linked (created when the student has none).
    #[serde(default)]
    pub career_action: Option<NewCareerAction>,
    #[serde(default)]
    pub guest: Option<GuestInput>,
    /// The version of the category's privacy notice the requester read and acknowledged:
    /// required (the current one) when the category has a notice.
    #[serde(default)]
    pub privacy_notice_version: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestInput {
    pub email: String,
    pub name: String,
}

/// Who opens the ticket: a signed-in user, or a guest (name and e-mail to verify).
pub enum Opener {
    User(User),
    Guest { email: Email, name: String },
}

/// A request that passed every check, ready for the write transaction.
pub struct Checked {
    category: Category,
    subject: String,
    body: String,
    fields: Value,
    locale: Locale,
    opener: Opener,
    career_action: Option<NewCareerAction>,
    /// The notice acknowledged (the category's current one), if the category has one.
    notice: Option<Notice>,
}

/// The request's field that acknowledges the category's privacy notice.
pub const NOTICE_FIELD: &str = "privacy_notice_version";

pub struct Opened {
    pub ticket: TicketView,
    /// The guest's secret link token (only ever shown in the verification mail).
    pub guest_secret: Option<String>,
}

/// Where the desk numbers its tickets and links them from (`HELPDESK_TICKET_PREFIX`,
/// `HELPDESK_BASE_URL`).
#[derive(Debug, Clone)]
pub struct Place {
    pub prefix: String,
    pub base_url: String,
}

impl From<&crate::config::Settings> for Place {
    fn from(settings: &crate::config::Settings) -> Place {
        Place { prefix: settings.ticket_prefix.clone(), base_url: settings.base_url.clone() }
    }
}

/// A request to open a ticket as the edge read it.
pub struct Request {
    pub input: NewTicket,
    pub user: Option<User>,
    pub uploads: Vec<Upload>,
    /// What the edge found wrong already (a file too large, of a refused type): answered with
    /// the form's own errors, so a form is corrected in one go.
    pub errors: Vec<FieldError>,
}

/// Opens a ticket: every check first (the category from `categories`, the active ones), the
/// linked procedure's on a reader, then the write.
pub async fn open(db: &Db, categories: &[Category], request: Request, place: &Place) -> Result<Opened, ServiceError> {
    let ready = prepare(db, categories, request).await?;
    let place = place.clone();
    db.write_tx(move |conn| ready.write(conn, &place)).await?.opened()
}

/// `open`, and `then` in the ticket's own transaction: what makes a ticket more than a request
/// (an erasure request's row) is written with it or not at all.
pub async fn open_then<F>(db: &Db, categories: &[Category], request: Request, place: &Place, then: F) -> Result<Opened, ServiceError>
where
    F: FnOnce(&mut DbConn, &Opened) -> Result<(), ServiceError> + Send + 'static,
{
    let ready = prepare(db, categories, request).await?;
    let place = place.clone();
    db.write_tx(move |conn| {
        let opened = ready.write(conn, &place)?.opened()?;
        then(conn, &opened)?;
        Ok(opened)
    })
    .await
}

/// A request that passed every check, with its files: `write` it inside the caller's write
/// transaction (the API stores its idempotency key in the same one).
pub struct Ready {
    checked: Checked,
    uploads: Vec<Upload>,
    /// The search document's terms, when the database wants them (`Db::stems_documents`).
    stemmed: Option<Stemmed>,
}

impl Ready {
    pub fn write(self, conn: &mut DbConn, place: &Place) -> Result<Written, ServiceError> {
        write(conn, self.checked, self.uploads, place, self.stemmed.as_ref())
    }
}

/// What `Ready::write` wrote, to answer with (`opened`) once out of the write: on SQLite's one
/// writer thread only the writes run.
pub struct Written {
    ticket: TicketRow,
    message: MessageRow,
    attachments: Vec<AttachmentRow>,
    requester: Requester,
    secret: Option<String>,
    linked: Vec<crate::career::instances::LinkedAction>,
    category: Category,
    notice: Option<Notice>,
}

impl Written {
    /// The new ticket as its requester sees it.
    pub fn opened(self) -> Result<Opened, ServiceError> {
        let Written { ticket, message, attachments, requester, secret, linked, category, notice } = self;
        let mut names = Names::default();
        names.set_place(&category.row.id, &category.row.slug, &category.row.team_id, &category.team_slug);
        names.add_person(&requester.id, &requester.name, &requester.email, requester.role);
        let viewer = Viewer { id: &requester.id, is_staff: requester.role.is_staff() };
        let mut view = ticket_view(&ticket, &names, &viewer)?;
        view.form_version = Some(category.form_version);
        view.privacy_notice_version = notice.map(|n| n.version);
        view.career_actions = linked;
        view.messages = Some(vec![message_view(&message, &attachments, &names, &viewer)]);
        view.attachments = Some(attachments.iter().map(super::view::attachment_view).collect());
        Ok(Opened { ticket: view, guest_secret: secret })
    }
}

/// Every check of `open`, nothing written.
pub async fn prepare(db: &Db, categories: &[Category], request: Request) -> Result<Ready, ServiceError> {
    let Request { input, user, mut uploads, errors } = request;
    let category = categories.iter().find(|c| c.row.slug == input.category.trim()).cloned();
    let checked = match check(category, input, user, &mut uploads) {
        Ok(checked) if checked.career_action.is_some() => db.read(move |conn| check_procedure(conn, checked)).await,
        other => other,
    };
    let checked = with_edge_errors(checked, errors)?;
    let stemmed = db.stems_documents().then(|| checked.stem());
    Ok(Ready { checked, uploads, stemmed })
}

impl Checked {
    /// The search document's terms of the ticket this request opens.
    fn stem(&self) -> Stemmed {
        let email = match &self.opener {
            Opener::User(user) => user.email.as_str(),
            Opener::Guest { email, .. } => email.as_str(),
        };
        crate::tickets::search_index::stem_new_ticket(&self.subject, &self.body, email, &self.fields)
    }
}

/// The edge's errors first; the form's on the fields the edge said nothing of.
fn with_edge_errors(checked: Result<Checked, ServiceError>, mut edge: Vec<FieldError>) -> Result<Checked, ServiceError> {
    match checked {
        Ok(checked) if edge.is_empty() => Ok(checked),
        Ok(_) => Err(ServiceError::Validation(edge)),
        Err(ServiceError::Validation(list)) => {
            let fresh: Vec<FieldError> = list.into_iter().filter(|e| !edge.iter().any(|x| x.field == e.field)).collect();
            edge.extend(fresh);
            Err(ServiceError::Validation(edge))
        }
        Err(other) => Err(other),
    }
}

/// The linked procedure's own data, checked before anything is written (its rules' errors,
/// such as a course line without CFU, name the procedure's fields: `data.courses`).
fn check_procedure(conn: &mut DbConn, checked: Checked) -> Result<Checked, ServiceError> {
    if let Some(request) = &checked.career_action {
        instances::check(conn, request.clone(), CAREER_ACTION_FIELD, instances::today())?;
    }
    Ok(checked)
}

/// Every check that needs no database: category (`None`: no such active category), guest
/// rules, subject, body, form answers and required attachments.
fn check(category: Option<Category>, input: NewTicket, user: Option<User>, uploads: &mut [Upload]) -> Result<Checked, ServiceError> {
    let mut errors = FieldErrors::default();
    let Some(category) = category else {
        return Err(ServiceError::field("category", format!("unknown category '{}'", input.category)));
    };
    let opener = match (user, input.guest) {
        (Some(user), _) => Some(Opener::User(user)),
        (None, None) => return Err(ServiceError::Unauthenticated),
        (None, Some(_)) if !category.row.guests_allowed => {
            return Err(ServiceError::invalid("category", Code::SignInForCategory));
        }
        (None, Some(guest)) => {
            // Every field is checked even when the address is wrong: the form flags them all at once.
            let email = errors.check("guest.email", Email::parse(&guest.email));
            let name = errors.text("guest.name", &guest.name, 120);
            email.map(|email| Opener::Guest { email, name })
        }
    };
    let subject = errors.text("subject", &input.subject, MAX_SUBJECT);
    let body = errors.text("body", &input.body, MAX_BODY);
    let answers = validate_answers(&category.fields, &input.fields, &mut errors);
    let notice = check_notice(&category, input.privacy_notice_version, &mut errors);
    // The portal's forms ask for the procedure as a plain `career_action` answer.
    let career_action = input.career_action.or_else(|| {
        let kind = answers.get(CAREER_ACTION_FIELD)?.as_str()?.trim();
        (!kind.is_empty()).then(|| NewCareerAction { kind: kind.to_owned(), data: None, external_ref: None })
    });
    let given = Value::Object(answers.clone());
    for required in &category.required_attachments {
        if !crate::categories::form::all_hold(&required.required_when, &given) {
            // Not needed in the student's situation; a file sent anyway is kept and marked.
            for upload in uploads.iter_mut().filter(|u| u.key == required.key) {
                upload.identity_document = required.identity_document;
            }
            continue;
        }
        let mut present = false;
        for upload in uploads.iter_mut().filter(|u| u.key == required.key) {
            upload.identity_document = required.identity_document;
            present = true;
        }
        if !present {
            errors.reject(format!("attachments.{}", required.key), Code::Required);
        }
    }
    let Some(opener) = opener else { return Err(finish(errors)) };
    errors.into_result()?;
    let locale = input.locale.unwrap_or(match &opener {
        Opener::User(user) => user.locale,
        Opener::Guest { .. } => Locale::It,
    });
    Ok(Checked { category, subject, body, fields: Value::Object(answers), locale, opener, career_action, notice })
}

/// The category's current notice when the request acknowledged exactly that version; none
/// asked for when the category has no notice.
fn check_notice(category: &Category, given: Option<i64>, errors: &mut FieldErrors) -> Option<Notice> {
    let current = category.notice.as_ref()?;
    match given.map(NoticeVersion::parse) {
        None => errors.reject(NOTICE_FIELD, Code::NoticeRequired),
        Some(Ok(version)) if version == current.version => return Some(current.clone()),
        Some(_) => errors.reject(NOTICE_FIELD, Code::NoticeOutdated),
    }
    None
}

/// Stores the acknowledgement, last in `batch`; the notice must still be current (the
/// catalog checked may be a cache's TTL old, and an admin may have edited it on another
/// instance meanwhile): the row is copied from the notice only while it is not retired, and
/// the batch's count (its last statement's) says whether it was.
fn acknowledge<'q>(batch: &mut Batch<'_, 'q>, ticket_id: &'q str, notice: &'q Notice) -> QueryResult<()> {
    use diesel::sql_types::{Text, Timestamp};
    let current = category_notices::table
        .filter(category_notices::id.eq(&notice.id))
        .filter(category_notices::retired.eq(false))
        .select((ticket_id.into_sql::<Text>(), category_notices::id, category_notices::version, crate::ids::now().into_sql::<Timestamp>()));
    batch.push(
        diesel::insert_into(ticket_notice_acks::table)
            .values(current)
            .into_columns((ticket_notice_acks::ticket_id, ticket_notice_acks::notice_id, ticket_notice_acks::version, ticket_notice_acks::acknowledged_at)),
    )
}

fn finish(errors: FieldErrors) -> ServiceError {
    match errors.into_result() {
        Err(e) => e,
        Ok(()) => ServiceError::Internal("no error recorded".into()),
    }
}

pub(crate) fn new_secret() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_secret(&secret);
    (secret, hash)
}

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The person a new ticket is for, as the write needs them.
#[derive(Debug, Clone)]
pub(crate) struct Requester {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
}

impl Requester {
    pub fn of(user: &User) -> Self {
        Self { id: user.id.clone(), name: user.display_name.clone(), email: user.email.clone(), role: user.role }
    }
}

/// What a new ticket is made of, however it was asked for: the form (`open`), or an e-mail
/// reply to a closed ticket (`inbound`, which sets `follow_up_of`).
pub(crate) struct Draft<'a> {
    pub category_id: &'a str,
    pub category_slug: &'a str,
    pub team_id: &'a str,
    pub form_id: &'a str,
    pub form_version: i32,
    pub first_response_hours: i32,
    pub resolution_hours: i32,
    pub subject: &'a str,
    pub body: &'a str,
    pub fields_json: &'a str,
    pub locale: Locale,
    pub status: Status,
    /// A guest's secret link token and its hash.
    pub secret: Option<&'a (String, String)>,
    /// The closed ticket this one continues.
    pub follow_up_of: Option<&'a TicketRow>,
    /// The privacy notice the requester acknowledged (none by mail).
    pub notice: Option<&'a Notice>,
    /// The search document's terms, if computed before the write (else the write does it).
    pub stemmed: Option<&'a Stemmed>,
}

/// The shared write of every new ticket: number, ticket, first message, files, the `created`
/// event and the mails (the requester's, and the team's for a ticket in the queues).
/// Call inside a write transaction: the number is allocated in it.
pub(crate) fn insert_ticket(
    conn: &mut DbConn,
    draft: &Draft<'_>,
    requester: &Requester,
    uploads: &[Upload],
    place: &Place,
) -> Result<(TicketRow, MessageRow, Vec<AttachmentRow>), ServiceError> {
    let now_utc = Utc::now();
    let now = now_utc.naive_utc();
    let year = now_utc.with_timezone(&chrono_tz::Europe::Rome).year();
    let calendar = crate::sla::calendar(conn, draft.team_id)?;
    let targets = Targets { first_response_hours: draft.first_response_hours, resolution_hours: draft.resolution_hours };
    let due = calendar.due_times(now_utc, targets, 0);
    let seq = next_ticket_seq(conn, year)?;
    let number = TicketNumber::new(&place.prefix, year, seq).to_string();
    let ticket = TicketRow {
        id: new_id(),
        number,
        year,
        seq,
        category_id: draft.category_id.to_owned(),
        form_id: draft.form_id.to_owned(),
        subject: draft.subject.to_owned(),
        status: draft.status,
        priority: Priority::Normal,
        requester_id: requester.id.clone(),
        assignee_id: None,
        team_id: draft.team_id.to_owned(),
        fields: draft.fields_json.to_owned(),
        locale: draft.locale,
        version: 1,
        created_at: now,
        updated_at: now,
        first_response_due_at: Some(due.first_response.naive_utc()),
        due_at: Some(due.resolution.naive_utc()),
        first_responded_at: None,
        resolved_at: None,
        closed_at: None,
        merged_into_id: None,
        guest_secret_hash: draft.secret.map(|(_, hash)| hash.clone()),
        follow_up_of: draft.follow_up_of.map(|old| old.id.clone()),
        deadline_at: None,
    };
    let message = MessageRow::new(&ticket.id, MessageKind::Public, Some(&requester.id), draft.body.to_owned());
    let link = format!("{}/tickets/{}", place.base_url, ticket.number);
    let mail = |link| RequesterMail {
        number: ticket.number.clone(),
        subject: draft.subject.to_owned(),
        name: requester.name.clone(),
        link,
    };
    let requester_mail = match (draft.status, draft.secret) {
        (Status::Unverified, Some((secret, _))) => Mail::GuestVerify(mail(format!("{link}?secret={secret}"))),
        // A guest's ticket already in the queues (a follow-up): the link carries the secret.
        (_, Some((secret, _))) => Mail::TicketCreated(mail(format!("{link}?secret={secret}"))),
        (_, None) => Mail::TicketCreated(mail(link.clone())),
    };
    let mut created = json!({"number": ticket.number, "category": draft.category_slug, "status": draft.status.as_str(),
                             "form_version": draft.form_version, "attachments": uploads.len(),
                             "privacy_notice_version": draft.notice.map(|n| n.version)});
    if let (Some(old), Some(data)) = (draft.follow_up_of, created.as_object_mut()) {
        data.insert("follow_up_of".into(), json!(old.number));
    }
    // One round trip on PostgreSQL for all of these (see `direct::Batch`).
    let mut batch = Batch::new(conn);
    batch.push(diesel::insert_into(tickets::table).values(&ticket))?;
    batch.push(diesel::insert_into(messages::table).values(&message))?;
    let document = crate::db::ticket_search::NewDocument {
        ticket_id: &ticket.id,
        number: &ticket.number,
        subject: &ticket.subject,
        requester_email: &requester.email,
        fields: &ticket.fields,
        body: &message.body,
        stemmed: draft.stemmed,
    };
    crate::tickets::search_index::index_new_ticket(&mut batch, &document)?;
    batch.push(new_event(&ticket.id, Some(&requester.id), "created", created))?;
    outbox::enqueue_in(&mut batch, Notification { recipient: &requester.email, locale: draft.locale, ticket_id: Some(&ticket.id), mail: &requester_mail })?;
    if draft.status == Status::New {
        let mail = Mail::TeamNewTicket(StaffMail { number: ticket.number.clone(), subject: draft.subject.to_owned(), link });
        outbox::notify_staff_in(&mut batch, &ticket.id, &ticket.team_id, None, &mail)?;
    }
    if let Some(notice) = draft.notice {
        acknowledge(&mut batch, &ticket.id, notice)?;
    }
    let acknowledged = batch.finish()?;
    if draft.notice.is_some() && acknowledged == 0 {
        return Err(ServiceError::invalid(NOTICE_FIELD, Code::NoticeOutdated));
    }
    // After the batch: their rows name the message.
    let attachment_rows = link_uploads(conn, &ticket.id, Some(&message.id), Some(&requester.id), uploads)?;
    Ok((ticket, message, attachment_rows))
}

/// The write, inside the caller's transaction.
#[tracing::instrument(skip_all, fields(category = %checked.category.row.slug))]
fn write(conn: &mut DbConn, checked: Checked, uploads: Vec<Upload>, place: &Place, stemmed: Option<&Stemmed>) -> Result<Written, ServiceError> {
    let Checked { category, subject, body, fields, locale, opener, career_action, notice } = checked;
    let fields_json = fields.to_string();

    let (requester, status, secret) = match &opener {
        Opener::User(user) => (Requester::of(user), Status::New, None),
        Opener::Guest { email, name } => {
            let id = accounts::guest_account(conn, email, name, locale)?;
            let requester = Requester { id, name: name.clone(), email: email.to_string(), role: Role::Student };
            (requester, Status::Unverified, Some(new_secret()))
        }
    };
    let draft = Draft {
        category_id: &category.row.id,
        category_slug: &category.row.slug,
        team_id: &category.row.team_id,
        form_id: &category.form_id,
        form_version: category.form_version,
        first_response_hours: category.row.first_response_hours,
        resolution_hours: category.row.resolution_hours,
        subject: &subject,
        body: &body,
        fields_json: &fields_json,
        locale,
        status,
        secret: secret.as_ref(),
        follow_up_of: None,
        notice: notice.as_ref(),
        stemmed,
    };
    let (mut ticket, message, attachment_rows) = insert_ticket(conn, &draft, &requester, &uploads, place)?;
    // Only a ticket opened about a procedure has one linked (no read for the others).
    let linked = match career_action {
        Some(request) => {
            ticket = changes::attach_to_new_ticket(conn, &ticket, request)?;
            instances::linked_to_ticket(conn, &ticket.id, locale)?
        }
        None => Vec::new(),
    };
    let secret = secret.map(|(s, _)| s);
    Ok(Written { ticket, message, attachments: attachment_rows, requester, secret, linked, category, notice })
}
