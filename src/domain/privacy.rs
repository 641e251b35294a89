//! Typed values of the privacy features (issue 17): the version of a category's privacy
//! notice a ticket acknowledged, and where an erasure request stands.

use diesel::sql_types::Text;
use diesel::{AsExpression, FromSqlRow};
use serde::{Deserialize, Serialize};

use super::{Code, ParseError};

/// A version of a category's privacy notice: 1 for the first text, one more for each edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[schema(value_type = i32, example = 1)]
pub struct NoticeVersion(i32);

impl NoticeVersion {
    pub const FIRST: NoticeVersion = NoticeVersion(1);

    /// What a client sent: a whole number from 1.
    pub fn parse(raw: i64) -> Result<Self, ParseError> {
        match i32::try_from(raw) {
            Ok(v) if v >= 1 => Ok(Self(v)),
            _ => Err(ParseError::coded(Code::NoticeOutdated)),
        }
    }

    /// A version the database stored (written by `next`, so never below 1).
    pub fn stored(v: i32) -> Self {
        Self(v.max(1))
    }

    pub fn get(self) -> i32 {
        self.0
    }

    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}

impl std::fmt::Display for NoticeVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a student's request to erase their data stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum ErasureState {
    Pending,
    Approved,
    Refused,
}

impl ErasureState {
    pub fn as_str(self) -> &'static str {
        match self {
            ErasureState::Pending => "pending",
            ErasureState::Approved => "approved",
            ErasureState::Refused => "refused",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ParseError> {
        match value {
            "pending" => Ok(ErasureState::Pending),
            "approved" => Ok(ErasureState::Approved),
            "refused" => Ok(ErasureState::Refused),
            other => Err(ParseError::new(format!("unknown erasure state '{other}'"))),
        }
    }

    /// Only a pending request may be decided; a decision is final.
    pub fn can_decide(self) -> bool {
        self == ErasureState::Pending
    }
}

super::text_column!(ErasureState, ErasureState::parse);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_start_at_one_and_grow() {
        assert_eq!(NoticeVersion::parse(1), Ok(NoticeVersion::FIRST));
        assert!(NoticeVersion::parse(0).is_err());
        assert!(NoticeVersion::parse(-3).is_err());
        assert!(NoticeVersion::parse(i64::from(i32::MAX) + 1).is_err());
        assert_eq!(NoticeVersion::FIRST.next().get(), 2);
        assert_eq!(NoticeVersion::stored(0), NoticeVersion::FIRST);
    }

    #[test]
    fn erasure_states_round_trip_and_only_pending_is_decided() {
        for s in [ErasureState::Pending, ErasureState::Approved, ErasureState::Refused] {
            assert_eq!(ErasureState::parse(s.as_str()), Ok(s));
        }
        assert!(ErasureState::parse("done").is_err());
        assert!(ErasureState::Pending.can_decide());
        assert!(!ErasureState::Approved.can_decide());
        assert!(!ErasureState::Refused.can_decide());
    }
}
