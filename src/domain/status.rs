use diesel::sql_types::Text;
use diesel::{AsExpression, FromSqlRow};
use serde::{Deserialize, Serialize};

use super::ParseError;

/// A ticket's status. `unverified` is a guest ticket whose e-mail is not yet confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Unverified,
    New,
    Open,
    WaitingStudent,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Unverified, Status::New, Status::Open, Status::WaitingStudent, Status::Resolved, Status::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unverified => "unverified",
            Status::New => "new",
            Status::Open => "open",
            Status::WaitingStudent => "waiting_student",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ParseError> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| ParseError::new(format!("unknown status '{value}'")))
    }

    /// The transitions staff may make. `unverified → new` happens only when the guest follows
    /// the mailed link; nothing leaves `closed` (a reply to it opens a new ticket).
    pub fn staff_can_move_to(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (New, Open | WaitingStudent | Resolved | Closed)
                | (Open, WaitingStudent | Resolved | Closed)
                | (WaitingStudent, Open | Resolved | Closed)
                | (Resolved, Open | Closed)
        )
    }

    /// Students may close their ticket, or reopen a resolved one.
    pub fn student_can_move_to(self, to: Status) -> bool {
        use Status::*;
        matches!((self, to), (New | Open | WaitingStudent | Resolved, Closed) | (Resolved, Open))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ParseError> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == value)
            .ok_or_else(|| ParseError::new(format!("unknown priority '{value}'")))
    }
}

super::text_column!(Status, Status::parse);
super::text_column!(Priority, Priority::parse);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Ok(s));
        }
        assert!(Status::parse("pending").is_err());
    }

    #[test]
    fn nothing_leaves_closed_and_nobody_skips_verification() {
        for to in Status::ALL {
            assert!(!Status::Closed.staff_can_move_to(to));
            assert!(!Status::Closed.student_can_move_to(to));
            assert!(!Status::Unverified.staff_can_move_to(to));
        }
        for from in Status::ALL {
            assert!(!from.staff_can_move_to(Status::Unverified));
            assert!(!from.staff_can_move_to(Status::New));
        }
    }

    #[test]
    fn students_close_or_reopen_only() {
        assert!(Status::Resolved.student_can_move_to(Status::Open));
        assert!(Status::Open.student_can_move_to(Status::Closed));
        assert!(!Status::Open.student_can_move_to(Status::Resolved));
        assert!(!Status::WaitingStudent.student_can_move_to(Status::Open));
        assert!(!Status::New.student_can_move_to(Status::Open));
    }

    #[test]
    fn the_lifecycle_of_the_spec_is_allowed() {
        let path = [Status::New, Status::Open, Status::WaitingStudent, Status::Open, Status::Resolved, Status::Closed];
        for pair in path.windows(2) {
            assert!(pair[0].staff_can_move_to(pair[1]), "{:?} → {:?}", pair[0], pair[1]);
        }
    }
}
