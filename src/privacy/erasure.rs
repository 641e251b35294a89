//! A student's request to erase their data (issue 17, item 2). Asking opens a ticket for the
//! student office through `tickets::open`, in the `dati-personali` category the desk keeps for
//! it (inactive: the form never offers it), marked by its `erasure_requests` row. Staff of the
//! ticket's team, or an admin, decide: approving mails the student, then anonymises every
//! ticket of theirs (`retention::anonymise_rows`) and erases the account, in one transaction;
//! refusing records the reason and mails it. A decision is final.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use super::retention;
use crate::accounts::{self, User, UserRow};
use crate::categories;
use crate::db::privacy_schema::erasure_requests;
use crate::db::schema::{tickets, users};
use crate::db::{write_tx, Db, DbConn};
use crate::domain::{ErasureState, Locale, Role, TicketNumber};
use crate::error::{FieldErrors, ServiceError};
use crate::files::FileStore;
use crate::ids::now;
use crate::mail::notification::{ErasureDecision, Mail};
use crate::mail::outbox::{self, Notification};
use crate::auth::ticket_access::{may_decide_erasure, visible_ticket};
use crate::db::ticket_rows::{record_event, TicketRow};
use crate::tickets::open::{self as opening, NewTicket, Opened, Place};
use crate::tickets::view::ErasureView;

/// The category erasure requests are opened in (`seeds/categories.json`).
pub const CATEGORY: &str = "dati-personali";
/// A refusal's reason is mailed: a few paragraphs at most.
const MAX_REASON: usize = 2000;

/// The ticket's subject and first message, in the student's language.
fn request_text(locale: Locale) -> (&'static str, &'static str) {
    match locale {
        Locale::It => (
            "Richiesta di cancellazione dei dati personali",
            "Chiedo la cancellazione dei miei dati personali e la disattivazione del mio account dell'Help Desk \
             (art. 17 del Regolamento UE 2016/679). Richiesta inviata dalla pagina del mio account.",
        ),
        Locale::En => (
            "Request to erase my personal data",
            "I ask for my personal data to be erased and my Help Desk account disabled (article 17 of \
             Regulation (EU) 2016/679). Sent from my account page.",
        ),
    }
}

/// The student's pending request, if any (its ticket number).
pub fn pending_of(conn: &mut DbConn, user_id: &str) -> Result<Option<String>, ServiceError> {
    Ok(erasure_requests::table
        .inner_join(tickets::table.on(tickets::id.eq(erasure_requests::ticket_id)))
        .filter(erasure_requests::user_id.eq(user_id))
        .filter(erasure_requests::state.eq(ErasureState::Pending))
        .select(tickets::number)
        .first(conn)
        .optional()?)
}

fn already_pending(number: &str) -> ServiceError {
    ServiceError::Conflict(format!("an erasure request of yours is already open: {number}"))
}

/// A signed-in student asks to have their data erased: a ticket for the office, marked as an
/// erasure request. Staff ask through the admins, not here (403); one pending request at a time (409).
pub async fn request(db: &Db, user: User, place: &Place) -> Result<Opened, ServiceError> {
    if user.role != Role::Student {
        return Err(ServiceError::Forbidden("only a student account can ask to be erased here".into()));
    }
    let user_id = user.id.clone();
    let (pending, category) = db
        .read(move |conn| Ok::<_, ServiceError>((pending_of(conn, &user_id)?, categories::any_by_slug(conn, CATEGORY)?)))
        .await?;
    if let Some(number) = pending {
        return Err(already_pending(&number));
    }
    let category = category.ok_or_else(|| ServiceError::Internal(format!("the '{CATEGORY}' category is missing")))?;
    let (subject, body) = request_text(user.locale);
    let input = NewTicket {
        category: CATEGORY.into(),
        subject: subject.into(),
        body: body.into(),
        fields: Value::Object(Default::default()),
        locale: Some(user.locale),
        career_action: None,
        guest: None,
        // The student confirmed on the request's own page; a notice an admin adds to this
        // category later must not make the right to erasure unreachable.
        privacy_notice_version: category.notice.as_ref().map(|n| i64::from(n.version.get())),
    };
    let request = opening::Request { input, user: Some(user.clone()), uploads: Vec::new(), errors: Vec::new() };
    let user_id = user.id;
    let requested_at = now();
    let mut opened = opening::open_then(db, std::slice::from_ref(&category), request, place, move |conn, opened| {
        // Checked again in the ticket's transaction: a double click makes one request.
        if let Some(number) = pending_of(conn, &user_id)? {
            return Err(already_pending(&number));
        }
        diesel::insert_into(erasure_requests::table)
            .values((
                erasure_requests::ticket_id.eq(&opened.ticket.id),
                erasure_requests::user_id.eq(&user_id),
                erasure_requests::state.eq(ErasureState::Pending),
                erasure_requests::requested_at.eq(requested_at),
            ))
            .execute(conn)?;
        record_event(conn, &opened.ticket.id, Some(&user_id), "erasure_requested", json!({}))?;
        Ok(())
    })
    .await?;
    opened.ticket.erasure_request =
        Some(ErasureView { state: ErasureState::Pending, requested_at: requested_at.and_utc(), decided_at: None, reason: None, can_decide: false });
    Ok(opened)
}

/// What a decision did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Decided {
    pub state: ErasureState,
    /// Tickets of the student anonymised (approval only).
    pub tickets_anonymised: usize,
    /// Stored files removed (approval only).
    pub files_removed: usize,
}

/// The pending request on ticket `number` and its student, if `staff` may decide it: 404 for a
/// ticket they cannot see, 403 for one they may not decide (the student's own included), 409
/// for a ticket that is no erasure request or one already decided.
fn decidable(conn: &mut DbConn, staff: &User, number: &TicketNumber) -> Result<(TicketRow, UserRow), ServiceError> {
    let ticket = visible_ticket(conn, staff, number)?;
    if !may_decide_erasure(staff, &ticket) {
        return Err(ServiceError::Forbidden("only staff of the ticket's team or an admin decide an erasure request".into()));
    }
    let found: Option<(String, ErasureState)> = erasure_requests::table
        .find(&ticket.id)
        .select((erasure_requests::user_id, erasure_requests::state))
        .first(conn)
        .optional()?;
    let (user_id, state) = found.ok_or_else(|| ServiceError::Conflict("this ticket is not an erasure request".into()))?;
    if !state.can_decide() {
        return Err(ServiceError::Conflict(format!("this erasure request is already {}", state.as_str())));
    }
    let student: UserRow = users::table.find(&user_id).select(UserRow::as_select()).first(conn)?;
    Ok((ticket, student))
}

fn record_decision(conn: &mut DbConn, ticket_id: &str, staff: &User, state: ErasureState, reason: Option<&str>, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(erasure_requests::table.find(ticket_id))
        .set((
            erasure_requests::state.eq(state),
            erasure_requests::decided_by.eq(&staff.id),
            erasure_requests::decided_at.eq(at),
            erasure_requests::reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(())
}

fn decision_mail(conn: &mut DbConn, student: &UserRow, ticket: &TicketRow, mail: Mail) -> QueryResult<()> {
    outbox::enqueue(conn, Notification { recipient: &student.email, locale: student.locale, ticket_id: Some(&ticket.id), mail: &mail })
}

/// Approves: the student is mailed (the outbox keeps the address the account is about to
/// lose), every ticket of theirs is anonymised, the account erased, the decision recorded in
/// the request's history — one transaction; stored files go once it committed.
pub fn approve(conn: &mut DbConn, files: &FileStore, staff: &User, number: &TicketNumber, base_url: &str) -> Result<Decided, ServiceError> {
    let (count, sha256s) = write_tx(conn, |conn| -> Result<(usize, Vec<String>), ServiceError> {
        let (ticket, student) = decidable(conn, staff, number)?;
        let link = format!("{base_url}/tickets/{}", ticket.number);
        let mail = ErasureDecision { number: ticket.number.clone(), name: student.display_name.clone(), reason: String::new(), link };
        decision_mail(conn, &student, &ticket, Mail::ErasureApproved(mail))?;
        let at = now();
        record_decision(conn, &ticket.id, staff, ErasureState::Approved, None, at)?;
        let theirs: Vec<String> = tickets::table.filter(tickets::requester_id.eq(&student.id)).select(tickets::id).load(conn)?;
        record_event(conn, &ticket.id, Some(&staff.id), "erasure_approved", json!({"tickets": theirs.len()}))?;
        let mut sha256s = Vec::new();
        for id in &theirs {
            sha256s.extend(retention::anonymise_rows(conn, id, Some(&staff.id), "erasure")?);
        }
        accounts::erase::erase(conn, &student.id)?;
        Ok((theirs.len(), sha256s))
    })?;
    let files_removed = retention::remove_files(conn, Some(files), &sha256s)?;
    Ok(Decided { state: ErasureState::Approved, tickets_anonymised: count, files_removed })
}

/// Refuses with a reason the student is mailed (and reads on the ticket); nothing is erased.
pub fn refuse(conn: &mut DbConn, staff: &User, number: &TicketNumber, reason: &str, base_url: &str) -> Result<Decided, ServiceError> {
    let mut errors = FieldErrors::default();
    let reason = errors.text("reason", reason, MAX_REASON);
    errors.into_result()?;
    write_tx(conn, |conn| -> Result<Decided, ServiceError> {
        let (ticket, student) = decidable(conn, staff, number)?;
        record_decision(conn, &ticket.id, staff, ErasureState::Refused, Some(&reason), now())?;
        record_event(conn, &ticket.id, Some(&staff.id), "erasure_refused", json!({"reason": reason}))?;
        let link = format!("{base_url}/tickets/{}", ticket.number);
        let mail = ErasureDecision { number: ticket.number.clone(), name: student.display_name.clone(), reason: reason.clone(), link };
        decision_mail(conn, &student, &ticket, Mail::ErasureRefused(mail))?;
        Ok(Decided { state: ErasureState::Refused, tickets_anonymised: 0, files_removed: 0 })
    })
}
