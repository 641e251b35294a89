//! Part-time eligibility (cap. 6, "Condizioni per iscriversi come studente part-time"): the
//! checklist the guide gives, computed from what the student declares. Money in cents, as in
//! rules.rs.
#![allow(clippy::inconsistent_digit_grouping)]

use serde::{Deserialize, Serialize};

/// "… con un reddito superiore ad € 2.840,51" (cents).
pub const MIN_WORK_INCOME: i64 = 2_840_51;
/// "… per un periodo di almeno sei mesi nell'arco dell'anno".
pub const MIN_WORK_MONTHS: u32 = 6;
/// "… otterrai una riduzione del 50% del contributo onnicomprensivo dovuto".
pub const CONTRIBUTION_REDUCTION_PERCENT: u32 = 50;

/// One of the guide's categories of students who may study part-time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Condition {
    /// Employed or self-employed for months in the year, with an income in euros.
    Work {
        months: u32,
        income_eur: f64,
    },
    CivicService,
    UniversalCivilService,
    Traineeship,
    Caregiver,
    Health,
    ChildrenOrPregnancy,
    HighLevelSport,
    Artistic,
}

impl Condition {
    /// The proof the guide asks for, or why the condition does not count.
    fn assess(&self) -> Result<&'static str, String> {
        match self {
            Condition::Work { months, income_eur } => {
                let income = (income_eur * 100.0).round() as i64;
                if *months < MIN_WORK_MONTHS {
                    Err(format!("work: at least {MIN_WORK_MONTHS} months in the year are needed ({months} declared)"))
                } else if income <= MIN_WORK_INCOME {
                    Err(format!("work: the income must be above € 2.840,51 ({income_eur:.2} declared)"))
                } else {
                    Ok("contratti, dichiarazioni IVA e/o dei redditi")
                }
            }
            Condition::CivicService => Ok("attestazione del Servizio di leva civica"),
            Condition::UniversalCivilService => Ok("attestazione del Servizio Civile Universale"),
            Condition::Traineeship => Ok("attestazione del praticantato post lauream"),
            Condition::Caregiver => Ok("certificazione di invalidità del familiare (AST) e relazione di un medico del SSN"),
            Condition::Health => Ok("certificazione ATS (per DSA: certificazione di non più di tre anni)"),
            Condition::ChildrenOrPregnancy => {
                Ok("certificato di nascita dei figli fino a 5 anni o certificato medico specialistico")
            }
            Condition::HighLevelSport => Ok("attestazione del Comitato per lo Sport Universitario (Dual Career)"),
            Condition::Artistic => Ok("curriculum, contratti, scritture"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PartTimeCheck {
    pub eligible: bool,
    /// What stands in the way, one line each.
    pub problems: Vec<String>,
    /// Declared conditions that do not count, and why (one that counts is enough).
    pub not_counted: Vec<String>,
    /// The documents to send for the conditions that count.
    pub documents: Vec<String>,
    pub contribution_reduction_percent: u32,
}

/// "Puoi richiedere l'iscrizione a tempo parziale se sei iscritto IN CORSO … e rientri in una
/// delle seguenti categorie"; "la variazione di status è consentita per una sola volta".
pub fn part_time(in_corso: bool, conditions: &[Condition], changed_status_before: bool) -> PartTimeCheck {
    let mut problems = Vec::new();
    if !in_corso {
        problems.push("only students enrolled 'in corso' (not fuori corso) may study part-time".to_owned());
    }
    if changed_status_before {
        problems.push("the status may be changed only once while enrolled in a degree programme".to_owned());
    }
    let (mut documents, mut not_counted) = (Vec::new(), Vec::new());
    for condition in conditions {
        match condition.assess() {
            Ok(doc) => documents.push(doc.to_owned()),
            Err(reason) => not_counted.push(reason),
        }
    }
    if documents.is_empty() {
        problems.push("none of the guide's conditions applies".to_owned());
    }
    PartTimeCheck {
        eligible: problems.is_empty(),
        problems,
        not_counted,
        documents,
        contribution_reduction_percent: CONTRIBUTION_REDUCTION_PERCENT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(months: u32, income_eur: f64) -> Condition {
        Condition::Work { months, income_eur }
    }

    /// "impegnato … per un periodo di almeno sei mesi … con un reddito superiore ad € 2.840,51".
    #[test]
    fn work_counts_from_six_months_and_above_2840_euro_51() {
        assert!(part_time(true, &[work(6, 2840.52)], false).eligible);
        let short = part_time(true, &[work(5, 10_000.0)], false);
        assert!(!short.eligible && short.not_counted[0].contains("6 months"), "{short:?}");
        let poor = part_time(true, &[work(12, 2840.51)], false);
        assert!(!poor.eligible && poor.not_counted[0].contains("2.840,51"), "{poor:?}");
    }

    /// "… se sei iscritto IN CORSO".
    #[test]
    fn fuori_corso_students_are_not_eligible_whatever_their_condition() {
        let check = part_time(false, &[Condition::Caregiver], false);
        assert!(!check.eligible);
        assert_eq!(check.documents.len(), 1);
    }

    /// "la variazione di status è consentita per una sola volta".
    #[test]
    fn the_status_changes_only_once() {
        assert!(!part_time(true, &[Condition::Artistic], true).eligible);
    }

    /// "… e rientri in una delle seguenti categorie": one is enough.
    #[test]
    fn one_condition_that_counts_is_enough_and_lists_its_documents() {
        let check = part_time(true, &[work(2, 100.0), Condition::ChildrenOrPregnancy], false);
        assert!(check.eligible, "{check:?}");
        assert_eq!(check.not_counted.len(), 1);
        let check = part_time(true, &[Condition::ChildrenOrPregnancy, Condition::HighLevelSport], false);
        assert!(check.eligible);
        assert_eq!(check.documents.len(), 2);
        assert_eq!(check.contribution_reduction_percent, 50);
        assert!(!part_time(true, &[], false).eligible);
    }
}
