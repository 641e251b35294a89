//! The life of a career procedure and who may move it where.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CareerStatus {
    Draft,
    Submitted,
    InReview,
    WaitingDocuments,
    Approved,
    Rejected,
    Completed,
    Cancelled,
}

impl CareerStatus {
    pub const ALL: [CareerStatus; 8] = [
        Self::Draft,
        Self::Submitted,
        Self::InReview,
        Self::WaitingDocuments,
        Self::Approved,
        Self::Rejected,
        Self::Completed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::InReview => "in_review",
            Self::WaitingDocuments => "waiting_documents",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| format!("unknown status '{raw}'; one of {}", Self::ALL.map(Self::as_str).join(", ")))
    }

    /// Nothing more happens to the procedure.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Rejected | Self::Completed | Self::Cancelled)
    }

    /// The moves staff may make from the ticket page. The career system is the authority on its
    /// own records and may set any status (see `instances::apply_integration`).
    pub fn staff_may_move_to(self, to: Self) -> bool {
        use CareerStatus::*;
        match (self, to) {
            (from, to) if from == to => false,
            (from, _) if from.is_final() => false,
            (_, Draft) => false,
            (_, Cancelled) => true,
            (Draft, Submitted) => true,
            (Draft, _) => false,
            (Submitted | InReview | WaitingDocuments, Submitted | InReview | WaitingDocuments | Approved | Rejected) => true,
            (Approved, Completed) => true,
            (Approved, _) => false,
            (_, Completed) => false,
            _ => false,
        }
    }

    pub fn label(self, locale: crate::domain::Locale) -> &'static str {
        use crate::domain::Locale::{En, It};
        match (self, locale) {
            (Self::Draft, It) => "bozza",
            (Self::Draft, En) => "draft",
            (Self::Submitted, It) => "presentata",
            (Self::Submitted, En) => "submitted",
            (Self::InReview, It) => "in valutazione",
            (Self::InReview, En) => "in review",
            (Self::WaitingDocuments, It) => "in attesa di documenti",
            (Self::WaitingDocuments, En) => "waiting for documents",
            (Self::Approved, It) => "approvata",
            (Self::Approved, En) => "approved",
            (Self::Rejected, It) => "respinta",
            (Self::Rejected, En) => "rejected",
            (Self::Completed, It) => "completata",
            (Self::Completed, En) => "completed",
            (Self::Cancelled, It) => "annullata",
            (Self::Cancelled, En) => "cancelled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CareerStatus::*;
    use super::*;

    #[test]
    fn parse_round_trips_every_status_and_rejects_others() {
        for s in CareerStatus::ALL {
            assert_eq!(CareerStatus::parse(s.as_str()), Ok(s));
        }
        assert!(CareerStatus::parse("done").is_err());
    }

    #[test]
    fn staff_review_moves_are_allowed_and_final_states_stay_final() {
        assert!(Submitted.staff_may_move_to(InReview));
        assert!(InReview.staff_may_move_to(WaitingDocuments));
        assert!(WaitingDocuments.staff_may_move_to(InReview));
        assert!(InReview.staff_may_move_to(Approved));
        assert!(Approved.staff_may_move_to(Completed));
        assert!(Draft.staff_may_move_to(Cancelled));
        for from in [Rejected, Completed, Cancelled] {
            for to in CareerStatus::ALL {
                assert!(!from.staff_may_move_to(to), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn staff_cannot_skip_review_or_go_back_to_draft() {
        assert!(!Draft.staff_may_move_to(Approved));
        assert!(!Submitted.staff_may_move_to(Completed));
        assert!(!Approved.staff_may_move_to(InReview));
        assert!(!InReview.staff_may_move_to(Draft));
        assert!(!InReview.staff_may_move_to(InReview));
    }
}
