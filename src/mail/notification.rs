//! What the desk mails, typed: one variant per mail kind (the template folder under
//! `templates/email/`), each with the fields its templates read. Stored in the outbox as the
//! kind and a JSON object of those fields, as before the types: queued rows survive an upgrade
//! and the worker renders them without knowing these types.

use serde::Serialize;
use serde_json::Value;

/// Mails about a ticket to its requester: created, confirm your address, a fresh guest link,
/// waiting for you, resolved, closed. `link` may carry a guest's secret (redacted once sent).
#[derive(Debug, Clone, Serialize)]
pub struct RequesterMail {
    pub number: String,
    pub subject: String,
    pub name: String,
    pub link: String,
}

/// Mails to staff about a ticket: new in the team, assigned to you, the student replied.
#[derive(Debug, Clone, Serialize)]
pub struct StaffMail {
    pub number: String,
    pub subject: String,
    pub link: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StaffReply {
    pub number: String,
    pub subject: String,
    pub name: String,
    pub reply: String,
    pub author: String,
    pub link: String,
    /// The reply also set the ticket waiting for the student, or resolved it (one mail says so).
    pub waiting: bool,
    pub resolved: bool,
}

/// A ticket close to breaching a target: `due` in Rome's time, as the mail shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SlaRisk {
    pub number: String,
    pub subject: String,
    pub link: String,
    pub due: String,
    pub first_response: bool,
}

/// A mailed reply that was not appended: the student is told to use the ticket's page.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyRefused {
    pub number: String,
    pub name: String,
    pub link: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TicketMerged {
    pub number: String,
    pub into: String,
    pub subject: String,
    pub name: String,
    pub link: String,
}

/// An account's link: the address's verification or a sign-in link.
#[derive(Debug, Clone, Serialize)]
pub struct AccountLink {
    pub name: String,
    pub link: String,
}

/// An ITA-L2 booking confirmed (with its `.ics`), waitlisted (with its `position`) or cancelled.
#[derive(Debug, Clone, Serialize)]
pub struct BookingMail {
    pub number: String,
    pub subject: String,
    pub name: String,
    pub link: String,
    pub booking: String,
    pub session: String,
    pub starts_at: String,
    pub starts_at_utc: String,
    pub online: bool,
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ics: Option<String>,
}

/// A student's procedure changed status. `number` (threading: Message-ID, Reply-To) only when
/// the procedure has a ticket.
#[derive(Debug, Clone, Serialize)]
pub struct CareerActionUpdate {
    pub name: String,
    pub procedure: String,
    pub status: String,
    pub status_code: String,
    pub note: String,
    pub external_ref: String,
    pub link: String,
    pub amount_lines: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub tag: String,
}

/// A decision on a student's erasure request: approved (sent before the address is erased)
/// or refused with the staff's `reason`.
#[derive(Debug, Clone, Serialize)]
pub struct ErasureDecision {
    pub number: String,
    pub name: String,
    pub reason: String,
    pub link: String,
}

/// Declares `Mail` with its kind names once: the names are the template folders and the
/// outbox's `kind` column, so they must never change for a kind already queued.
macro_rules! mails {
    ($($variant:ident($payload:ty) => $kind:literal,)*) => {
        #[derive(Debug, Clone)]
        pub enum Mail {
            $($variant($payload),)*
        }

        impl Mail {
            /// Every kind, for the template checks.
            pub const KINDS: &'static [&'static str] = &[$($kind,)*];

            /// The outbox's `kind`: the template folder.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Mail::$variant(_) => $kind,)*
                }
            }

            /// The outbox's `payload`: the fields as a JSON object (keys sorted, as `json!` wrote them).
            pub fn payload(&self) -> serde_json::Result<Value> {
                match self {
                    $(Mail::$variant(p) => serde_json::to_value(p),)*
                }
            }
        }
    };
}

mails! {
    VerifyEmail(AccountLink) => "verify_email",
    SignInLink(AccountLink) => "sign_in_link",
    TicketCreated(RequesterMail) => "ticket_created",
    GuestVerify(RequesterMail) => "guest_verify",
    GuestLink(RequesterMail) => "guest_link",
    TicketWaiting(RequesterMail) => "ticket_waiting",
    TicketResolved(RequesterMail) => "ticket_resolved",
    TicketClosed(RequesterMail) => "ticket_closed",
    StaffReply(StaffReply) => "staff_reply",
    TicketMerged(TicketMerged) => "ticket_merged",
    ReplyRefused(ReplyRefused) => "reply_refused",
    TeamNewTicket(StaffMail) => "team_new_ticket",
    TicketAssigned(StaffMail) => "ticket_assigned",
    StudentReply(StaffMail) => "student_reply",
    SlaRisk(SlaRisk) => "sla_risk",
    BookingConfirmed(BookingMail) => "booking_confirmed",
    BookingWaitlisted(BookingMail) => "booking_waitlisted",
    BookingCancelled(BookingMail) => "booking_cancelled",
    CareerActionUpdate(CareerActionUpdate) => "career_action_update",
    ErasureApproved(ErasureDecision) => "erasure_approved",
    ErasureRefused(ErasureDecision) => "erasure_refused",
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn payloads_are_the_objects_json_wrote_before() {
        let mail = Mail::TicketCreated(RequesterMail {
            number: "HD-2026-000042".into(),
            subject: "Piano".into(),
            name: "Mario".into(),
            link: "http://x/tickets/HD-2026-000042?secret=s".into(),
        });
        assert_eq!(mail.kind(), "ticket_created");
        let before = json!({"number": "HD-2026-000042", "subject": "Piano", "name": "Mario",
                            "link": "http://x/tickets/HD-2026-000042?secret=s"});
        assert_eq!(mail.payload().unwrap().to_string(), before.to_string());
    }

    #[test]
    fn optional_fields_are_left_out_not_null() {
        let mail = Mail::CareerActionUpdate(CareerActionUpdate {
            name: "Mario".into(),
            procedure: "Passaggio".into(),
            status: "accolta".into(),
            status_code: "approved".into(),
            note: String::new(),
            external_ref: String::new(),
            link: "http://x/procedures/1".into(),
            amount_lines: Vec::new(),
            number: None,
            tag: String::new(),
        });
        assert!(mail.payload().unwrap().get("number").is_none());
    }

    #[test]
    fn every_kind_has_templates_and_no_kind_twice() {
        let folders: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/email"))
            .unwrap()
            .filter_map(|e| e.ok().filter(|e| e.path().is_dir()).map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        for kind in Mail::KINDS {
            assert!(folders.iter().any(|f| f == kind), "{kind} has no templates");
            assert_eq!(Mail::KINDS.iter().filter(|k| *k == kind).count(), 1, "{kind} twice");
        }
    }
}
