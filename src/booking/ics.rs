//! The calendar file of a confirmed booking: RFC 5545 text (CRLF lines, folded at 75 octets,
//! TEXT values escaped), one VEVENT in UTC.

use chrono::{DateTime, Utc};

/// What the calendar entry says.
pub struct CalendarEvent<'a> {
    /// The booking id: the same booking always gives the same UID, so a resend updates.
    pub uid: &'a str,
    pub starts_at: DateTime<Utc>,
    pub stamp: DateTime<Utc>,
    pub summary: &'a str,
    pub location: &'a str,
    pub description: &'a str,
}

const FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// The VCALENDAR text of one event.
pub fn calendar(event: &CalendarEvent<'_>) -> String {
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//helpdesk//ITA-L2 booking//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", escape(event.uid)),
        format!("DTSTAMP:{}", event.stamp.format(FORMAT)),
        format!("DTSTART:{}", event.starts_at.format(FORMAT)),
        format!("SUMMARY:{}", escape(event.summary)),
        format!("LOCATION:{}", escape(event.location)),
        format!("DESCRIPTION:{}", escape(event.description)),
        "STATUS:CONFIRMED".to_owned(),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    let mut out = String::new();
    for line in &lines {
        fold(line, &mut out);
    }
    out
}

/// TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma, and line breaks as `\n`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (never inside a UTF-8 character), continuation lines
/// starting with one space, each line ending in CRLF (RFC 5545 §3.1).
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event<'a>(description: &'a str) -> CalendarEvent<'a> {
        CalendarEvent {
            uid: "0190b5a0-1111-7000-8000-000000000001",
            starts_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).single().unwrap(),
            stamp: Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).single().unwrap(),
            summary: "Test ITA-L2",
            location: "Aula 1, via dei Caniana 2; Bergamo",
            description,
        }
    }

    #[test]
    fn a_calendar_with_one_event_in_utc() {
        let ics = calendar(&event("Porta il passaporto."));
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"), "{ics}");
        assert!(ics.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        assert!(ics.contains("\r\nMETHOD:PUBLISH\r\n"));
        assert!(ics.contains("\r\nUID:0190b5a0-1111-7000-8000-000000000001\r\n"));
        assert!(ics.contains("\r\nDTSTART:20261201T093000Z\r\n"));
        assert!(ics.contains("\r\nDTSTAMP:20261123T080000Z\r\n"));
        assert!(ics.contains("\r\nSUMMARY:Test ITA-L2\r\n"));
        // Commas and semicolons are escaped in TEXT values.
        assert!(ics.contains("\r\nLOCATION:Aula 1\\, via dei Caniana 2\\; Bergamo\r\n"), "{ics}");
        // No bare LF anywhere.
        assert!(!ics.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn long_lines_fold_at_75_octets_and_line_breaks_are_escaped() {
        let long = "Sessione d'esame di lingua italiana — porta un documento d'identità valido.\nRiga due ".repeat(3);
        let ics = calendar(&event(&long));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "line of {} octets: {line:?}", line.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        let description = unfolded.lines().find(|l| l.starts_with("DESCRIPTION:")).unwrap();
        assert!(description.contains("valido.\\nRiga due"), "{description}");
        assert!(description.ends_with("Riga due "));
    }

    #[test]
    fn the_mailer_attaches_a_payload_ics_as_a_calendar_file() {
        use crate::db::outbox::OutboxRow;
        use crate::mail::mailer::Mailer;
        let dir = tempfile::tempdir().unwrap();
        let key = crate::mail::reply_token::ReplyKey::new(b"a secret of at least thirty-two bytes!!");
        let mailer = Mailer::new(None, dir.path().join("mail"), "Help Desk <helpdesk@localhost>", 1, key).unwrap();
        let ics = calendar(&event("Porta il passaporto."));
        let payload = serde_json::json!({"number": "HD-2026-000042", "subject": "ITA-L2", "name": "Mario",
            "link": "http://x/t/HD-2026-000042", "starts_at": "01/12/2026 10:30", "location": "Aula 1", "online": false, "ics": ics});
        let t = crate::ids::now();
        let row = OutboxRow {
            id: "0190b5a0-2222-7000-8000-000000000002".into(),
            kind: "booking_confirmed".into(),
            recipient: "mario@studenti.unibg.it".into(),
            locale: "it".into(),
            ticket_id: None,
            payload: payload.to_string(),
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: t,
            locked_until: None,
            last_error: None,
            created_at: t,
            sent_at: None,
            requeued_at: None,
        };
        let raw = String::from_utf8(mailer.build(&row).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("Content-Type: text/calendar; method=PUBLISH"), "{raw}");
        assert!(raw.contains("ita-l2.ics"), "{raw}");
        // Without `ics` the message stays as it was: no mixed part.
        let plain = OutboxRow { payload: payload.as_object().map(|m| { let mut m = m.clone(); m.remove("ics"); serde_json::Value::Object(m) }).unwrap().to_string(), ..row };
        let raw = String::from_utf8(mailer.build(&plain).unwrap().formatted()).unwrap();
        assert!(!raw.contains("multipart/mixed") && !raw.contains("text/calendar"));
    }
}
