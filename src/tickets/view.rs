//! The JSON shapes of tickets, and the loading of the names they show.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::db::ticket_rows::{AttachmentRow, EventRow, MessageKind, MessageRow, TicketRow};
use crate::db::schema::{categories, teams, users};
use crate::db::DbConn;
use crate::domain::sla::BusinessCalendar;
use crate::domain::{Priority, Role, Status};
use crate::error::ServiceError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub id: String,
    pub display_name: String,
    /// Only shown to staff and to the person themself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: String,
    pub kind: MessageKind,
    pub author: Option<PersonView>,
    pub body: String,
    pub attachments: Vec<AttachmentView>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketView {
    pub id: String,
    pub number: String,
    pub category: String,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub requester: Option<PersonView>,
    pub assignee: Option<PersonView>,
    pub team: String,
    #[schema(value_type = Object)]
    pub fields: Value,
    pub form_version: Option<i32>,
    /// The privacy notice version the requester acknowledged; `null` when the category had
    /// none, or the ticket came by e-mail.
    pub privacy_notice_version: Option<crate::domain::NoticeVersion>,
    pub career_actions: Vec<crate::career::instances::LinkedAction>,
    pub locale: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_due_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    /// The close of a linked procedure's window, when one is near.
    pub deadline_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i32,
    /// Staff only: due times and where the ticket stands against them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<crate::sla::SlaView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<AttachmentView>>,
    /// Only on a ticket the desk opened for a student's request to erase their data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erasure_request: Option<ErasureView>,
}

/// Where an erasure request stands, on its ticket.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErasureView {
    pub state: crate::domain::ErasureState,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why staff refused it (the student is mailed it too).
    pub reason: Option<String>,
    /// Whether the reader may approve or refuse it now.
    pub can_decide: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub id: String,
    pub kind: String,
    pub actor: Option<PersonView>,
    #[schema(value_type = Object)]
    pub data: Value,
    /// Change events (assignee, team, category): `{from, to}` names of the ids in `data`, in
    /// the reader's language; `null` for nobody or an id no longer found.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub names: Option<Value>,
    pub created_at: DateTime<Utc>,
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Names for the ids that rows refer to, loaded in a few batched queries.
#[derive(Default)]
pub struct Names {
    people: HashMap<String, (String, String, Role)>,
    categories: HashMap<String, String>,
    teams: HashMap<String, String>,
    /// Business calendars by team id (loaded with the places).
    calendars: HashMap<String, Arc<BusinessCalendar>>,
}

impl Names {
    pub fn load<'a>(conn: &mut DbConn, user_ids: impl IntoIterator<Item = &'a str>, with_places: bool) -> Result<Self, ServiceError> {
        let mut ids: Vec<&str> = user_ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        let people = users::table
            .filter(users::id.eq_any(&ids))
            .select((users::id, users::display_name, users::email, users::role))
            .load::<(String, String, String, Role)>(conn)?
            .into_iter()
            .map(|(id, name, email, role)| (id, (name, email, role)))
            .collect();
        let (categories, teams): (HashMap<String, String>, HashMap<String, String>) = if with_places {
            (
                categories::table.select((categories::id, categories::slug)).load::<(String, String)>(conn)?.into_iter().collect(),
                teams::table.select((teams::id, teams::slug)).load::<(String, String)>(conn)?.into_iter().collect(),
            )
        } else {
            (HashMap::new(), HashMap::new())
        };
        let calendars = teams.keys().map(|id| Ok((id.clone(), crate::sla::calendar(conn, id)?))).collect::<QueryResult<_>>()?;
        Ok(Self { people, categories, teams, calendars })
    }

    /// `show_email`: staff see everyone's address; a student sees only their own.
    pub fn person(&self, id: Option<&str>, viewer_is_staff: bool, viewer_id: &str) -> Option<PersonView> {
        let id = id?;
        let (name, email, role) = self.people.get(id)?;
        let show_email = viewer_is_staff || id == viewer_id;
        Some(PersonView {
            id: id.to_owned(),
            display_name: name.clone(),
            email: show_email.then(|| email.clone()),
            role: *role,
        })
    }

    pub fn set_place(&mut self, category_id: &str, category: &str, team_id: &str, team: &str) {
        self.categories.insert(category_id.to_owned(), category.to_owned());
        self.teams.insert(team_id.to_owned(), team.to_owned());
    }

    /// A team's calendar: loaded with the places, else remembered, else the default hours.
    pub fn calendar(&self, team_id: &str) -> Arc<BusinessCalendar> {
        self.calendars.get(team_id).cloned().or_else(|| crate::sla::cached(team_id)).unwrap_or_default()
    }

    pub fn add_person(&mut self, id: &str, name: &str, email: &str, role: Role) {
        self.people.insert(id.to_owned(), (name.to_owned(), email.to_owned(), role));
    }
}

pub struct Viewer<'a> {
    pub id: &'a str,
    pub is_staff: bool,
}

pub fn attachment_view(row: &AttachmentRow) -> AttachmentView {
    AttachmentView {
        id: row.id.clone(),
        filename: row.filename.clone(),
        content_type: row.content_type.clone(),
        size: row.size_bytes,
        url: format!("/api/v1/attachments/{}", row.id),
        message_id: row.message_id.clone(),
        created_at: utc(row.created_at),
    }
}

pub fn message_view(row: &MessageRow, attachments: &[AttachmentRow], names: &Names, viewer: &Viewer) -> MessageView {
    MessageView {
        id: row.id.clone(),
        kind: row.kind(),
        author: names.person(row.author_id.as_deref(), viewer.is_staff, viewer.id),
        body: row.body.clone(),
        attachments: attachments
            .iter()
            .filter(|a| a.message_id.as_deref() == Some(row.id.as_str()))
            .map(attachment_view)
            .collect(),
        created_at: utc(row.created_at),
    }
}

pub fn ticket_view(row: &TicketRow, names: &Names, viewer: &Viewer) -> Result<TicketView, ServiceError> {
    Ok(TicketView {
        id: row.id.clone(),
        number: row.number.clone(),
        category: names.categories.get(&row.category_id).cloned().unwrap_or_default(),
        subject: row.subject.clone(),
        status: row.status,
        priority: row.priority,
        requester: names.person(Some(&row.requester_id), viewer.is_staff, viewer.id),
        assignee: names.person(row.assignee_id.as_deref(), viewer.is_staff, viewer.id),
        team: names.teams.get(&row.team_id).cloned().unwrap_or_default(),
        fields: serde_json::from_str(&row.fields).unwrap_or(Value::Null),
        form_version: None,
        privacy_notice_version: None,
        erasure_request: None,
        career_actions: Vec::new(),
        locale: row.locale.as_str().to_owned(),
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        first_response_due_at: row.first_response_due_at.map(utc),
        due_at: row.due_at.map(utc),
        deadline_at: row.deadline_at.map(utc),
        resolved_at: row.resolved_at.map(utc),
        closed_at: row.closed_at.map(utc),
        version: row.version,
        sla: if viewer.is_staff { Some(crate::sla::view(row, &names.calendar(&row.team_id), Utc::now())?) } else { None },
        messages: None,
        attachments: None,
    })
}

pub fn event_view(row: &EventRow, names: &Names, viewer: &Viewer) -> EventView {
    EventView {
        id: row.id.clone(),
        kind: row.kind.clone(),
        actor: names.person(row.actor_id.as_deref(), viewer.is_staff, viewer.id),
        data: serde_json::from_str(&row.data).unwrap_or(Value::Null),
        names: None,
        created_at: utc(row.created_at),
    }
}

/// Students never see internal notes, nor files attached to them.
pub fn visible_to(kind: MessageKind, viewer_is_staff: bool) -> bool {
    viewer_is_staff || kind != MessageKind::Internal
}
