//! The guide's rules, computed (a.a. 2025-2026, Università di Bergamo, "Guida dello studente").
//! Money is in euro cents, written `euros_cents` (25_00 is € 25,00). Each test cites the
//! sentence of the guide it checks.
#![allow(clippy::inconsistent_digit_grouping)]

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::calendar::Level;
use crate::domain::sla::is_italian_holiday;

/// "Il contributo di iscrizione è pari ad € 25,00 per ogni credito formativo" (cap. 9).
pub const CORSI_SINGOLI_PER_CFU: i64 = 25_00;
/// "… oltre all'importo pari a € 16,00 corrispondente alla marca da bollo" (cap. 9, 12).
pub const STAMP_DUTY: i64 = 16_00;
/// "Potrai iscriverti ad un numero massimo di 36 cfu" (cap. 9).
pub const CORSI_SINGOLI_MAX_CFU: i64 = 36;
/// "… che dovrai pagare entro 15 giorni dall'emissione" (cap. 9).
pub const CORSI_SINGOLI_DUE_DAYS: i64 = 15;
/// "… un importo aggiuntivo per istanza fuori termine pari a € 95,00" (cap. 10).
pub const LATE_APPLICATION_FEE: i64 = 95_00;
/// "… perfezionata solo se lo studente procede al pagamento della marca da bollo, pari a
/// € 16,00, entro i 30 giorni successivi" (cap. 12).
pub const RINUNCIA_PAY_WITHIN_DAYS: i64 = 30;

/// "pagare online il contributo pari a € 95,00 (+ € 16,00 per la marca da bollo assolta in modo
/// virtuale)" … "il pagamento della quota complessiva di € 111,00" (cap. 7: seconda laurea,
/// abbreviazione di corso, re-immatricolazione; riconoscimento titolo estero: "€ 111,00, di cui
/// € 16,00 di imposta di bollo").
pub const APPLICATION_FEE: i64 = 95_00;
/// "Puoi pre-iscriverti ad un massimo di 2 corsi di laurea magistrale, versando il previsto
/// contributo di pre-iscrizione di € 52,00 per ogni corso di interesse" (cap. 4).
pub const PRE_ENROLMENT_FEE: i64 = 52_00;
pub const PRE_ENROLMENT_MAX_COURSES: usize = 2;
/// "… almeno 15 giorni lavorativi prima della data dell'esame che si intende sostenere" (cap. 9).
pub const CORSI_SINGOLI_WORKING_DAYS_BEFORE_EXAM: u32 = 15;
/// "… con successivo addebito della sanzione prevista di € 150,00" (cap. 10, ISEEU).
pub const ISEEU_LATE_FEE: i64 = 150_00;

/// The fee, stamp duty and total of an application with the € 95 contribution and the stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ApplicationFee {
    pub fee_cents: i64,
    pub stamp_duty_cents: i64,
    pub total_cents: i64,
}

pub fn application_fee() -> ApplicationFee {
    ApplicationFee { fee_cents: APPLICATION_FEE, stamp_duty_cents: STAMP_DUTY, total_cents: APPLICATION_FEE + STAMP_DUTY }
}

/// The master's pre-enrolment: € 52 for each course, at most two.
pub fn pre_enrolment(courses: usize) -> Result<i64, RuleError> {
    match courses {
        0 => Err(RuleError::Invalid("name the master's course (at most 2)".into())),
        n if n > PRE_ENROLMENT_MAX_COURSES => {
            Err(RuleError::Invalid(format!("at most {PRE_ENROLMENT_MAX_COURSES} master's courses ({n} asked)")))
        }
        n => Ok(PRE_ENROLMENT_FEE * n as i64),
    }
}

/// Extra-curricular exams: "fino a un massimo di 20 cfu per i corsi di laurea di primo livello,
/// ad un massimo di 20 cfu per i corsi di laurea magistrale, a un massimo di 40 cfu per i corsi di
/// laurea magistrale a ciclo unico" count in the degree average (cap. 11).
pub fn extra_exams_average_cap(level: Level) -> i64 {
    match level {
        Level::Laurea | Level::LaureaMagistrale => 20,
        Level::CicloUnico => 40,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ExtraExams {
    pub total_cfu: i64,
    /// At most the cap: what may count in the degree average, on request.
    pub counted_in_average_cfu: i64,
    pub average_cap_cfu: i64,
    pub warnings: Vec<String>,
}

pub fn extra_exams(level: Level, courses: &[Course]) -> Result<ExtraExams, RuleError> {
    check_courses(courses)?;
    let total_cfu: i64 = courses.iter().map(|c| c.cfu).sum();
    let cap = extra_exams_average_cap(level);
    let mut warnings = vec!["the request goes to the degree council within the study-plan deadline".to_owned()];
    if total_cfu > cap {
        warnings.push(format!("only {cap} of the {total_cfu} CFU can count in the degree average"));
    }
    Ok(ExtraExams { total_cfu, counted_in_average_cfu: total_cfu.min(cap), average_cap_cfu: cap, warnings })
}

/// A working day: Monday to Friday, not an Italian public holiday.
fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !is_italian_holiday(day)
}

/// The last day to pay single courses for an exam on `exam`: 15 working days before it.
pub fn corsi_singoli_pay_by(exam: NaiveDate) -> NaiveDate {
    let mut day = exam;
    let mut left = CORSI_SINGOLI_WORKING_DAYS_BEFORE_EXAM;
    while left > 0 {
        day = day.pred_opt().unwrap_or(day);
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// Whether a TOLC date is valid ("È valido il TOLC sostenuto a partire dal 1° gennaio 2024")
/// and in time (by the year's deadline), as warnings; None when all is well.
pub fn tolc_problems(taken_on: Option<NaiveDate>, valid_from: Option<NaiveDate>, due: Option<NaiveDate>) -> Vec<String> {
    let mut problems = Vec::new();
    match (taken_on, valid_from) {
        (Some(taken), Some(from)) if taken < from => {
            problems.push(format!("a TOLC taken before {} does not count: take it again", from.format("%d/%m/%Y")))
        }
        (None, _) => {
            if let Some(due) = due {
                problems.push(format!("take the TOLC by {}", due.format("%d/%m/%Y")));
            }
        }
        _ => {}
    }
    if let (Some(taken), Some(due)) = (taken_on, due) {
        if taken > due {
            problems.push(format!("the TOLC must be taken by {}", due.format("%d/%m/%Y")));
        }
    }
    problems
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IseeuBand {
    /// The band follows the ISEEU.
    ByIseeu,
    /// "Oltre tale scadenza ti verrà attribuita inderogabilmente la fascia massima".
    Maximum,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IseeuQuote {
    pub late_fee_cents: i64,
    pub band: IseeuBand,
}

/// The ISEEU attestation: in time by `due` (31 December 2025), later "e comunque entro il 30
/// settembre 2026" with € 150, after that the maximum band.
pub fn iseeu(submitted_on: NaiveDate, due: NaiveDate, late_until: NaiveDate) -> IseeuQuote {
    if submitted_on <= due {
        IseeuQuote { late_fee_cents: 0, band: IseeuBand::ByIseeu }
    } else if submitted_on <= late_until {
        IseeuQuote { late_fee_cents: ISEEU_LATE_FEE, band: IseeuBand::ByIseeu }
    } else {
        IseeuQuote { late_fee_cents: 0, band: IseeuBand::Maximum }
    }
}

/// The surcharge on a yearly instalment (renewal, first, second) paid on `paid_on` for a due
/// day `due` (the calendar's).
pub fn instalment_surcharge(due: NaiveDate, paid_on: NaiveDate) -> i64 {
    late_payment_surcharge((paid_on - due).num_days())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Reduction {
    /// Legge 104/92 or an invalidity of at least 66 %.
    Disability,
    /// Detained or in external penal execution.
    Detention,
}

/// The two cases in which the 36-CFU cap may be exceeded (cap. 9: "deroghe … soltanto nel caso
/// di acquisizione di crediti necessari per integrare i requisiti di accesso alle classi di
/// concorso per l'insegnamento oppure per raggiungere i requisiti curriculari richiesti per
/// l'accesso ai corsi di laurea magistrale").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CapException {
    TeachingRequirements,
    MasterRequirements,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Course {
    pub code: String,
    pub name: String,
    pub cfu: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CorsiSingoliQuote {
    pub total_cfu: i64,
    pub fee_cents: i64,
    pub stamp_duty_cents: i64,
    pub total_cents: i64,
    pub due_within_days: i64,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("{0}")]
    Invalid(String),
    #[error("at most {max} CFU of single courses ({total} asked) unless an exception of the guide applies")]
    OverCap { total: i64, max: i64 },
}

/// Courses typed one per line as "code | name | CFU" (a form's text area).
pub fn parse_course_lines(text: &str) -> Result<Vec<Course>, RuleError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            match parts[..] {
                [code, name, cfu] if !code.is_empty() && !name.is_empty() => match cfu.parse::<i64>() {
                    Ok(cfu) => Ok(Course { code: code.to_owned(), name: name.to_owned(), cfu }),
                    Err(_) => Err(RuleError::Invalid(format!("line {}: '{cfu}' is not a number of CFU", i + 1))),
                },
                _ => Err(RuleError::Invalid(format!("line {}: write code | name | CFU", i + 1))),
            }
        })
        .collect()
}

/// A list of courses: at least one, each with its own code and a positive number of CFU (the
/// guide sets no other bound on a course: "per il numero di cfu per cui il corso viene offerto").
fn check_courses(courses: &[Course]) -> Result<(), RuleError> {
    if courses.is_empty() {
        return Err(RuleError::Invalid("list at least one course".into()));
    }
    if let Some(bad) = courses.iter().find(|c| c.cfu < 1) {
        return Err(RuleError::Invalid(format!("course {} has {} CFU: a course has at least 1", bad.code, bad.cfu)));
    }
    let mut codes: Vec<&str> = courses.iter().map(|c| c.code.trim()).collect();
    codes.sort_unstable();
    if codes.windows(2).any(|w| w[0] == w[1]) || codes.iter().any(|c| c.is_empty()) {
        return Err(RuleError::Invalid("each course needs its own code".into()));
    }
    Ok(())
}

pub fn corsi_singoli(courses: &[Course], reduction: Option<Reduction>, exception: Option<CapException>) -> Result<CorsiSingoliQuote, RuleError> {
    check_courses(courses)?;
    let total_cfu: i64 = courses.iter().map(|c| c.cfu).sum();
    let mut warnings = Vec::new();
    if total_cfu > CORSI_SINGOLI_MAX_CFU {
        match exception {
            None => return Err(RuleError::OverCap { total: total_cfu, max: CORSI_SINGOLI_MAX_CFU }),
            Some(_) => warnings.push(format!(
                "{total_cfu} CFU exceed the 36-CFU cap: the office checks the stated exception"
            )),
        }
    }
    let full = total_cfu * CORSI_SINGOLI_PER_CFU;
    // "… riduzione … pari al 40% del contributo previsto": the stamp duty is not reduced.
    let fee_cents = match reduction {
        Some(_) => full * 60 / 100,
        None => full,
    };
    warnings.push("the fee is not refundable and cannot be paid in instalments".into());
    warnings.push("single courses are requested once only in the period: no changes or additions later in the year".into());
    Ok(CorsiSingoliQuote {
        total_cfu,
        fee_cents,
        stamp_duty_cents: STAMP_DUTY,
        total_cents: fee_cents + STAMP_DUTY,
        due_within_days: CORSI_SINGOLI_DUE_DAYS,
        warnings,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Programme {
    /// Corsi di laurea (three-year degrees).
    #[serde(rename = "laurea")]
    Laurea,
    /// Scienze della formazione primaria (LM-85 bis, single cycle).
    #[serde(rename = "lm-sfp")]
    LmSfp,
    /// Giurisprudenza (LMG/01, single cycle).
    #[serde(rename = "lmg-01")]
    Lmg01,
}

/// The year of admission from the recognised CFU (delibera del Senato Accademico del 16
/// dicembre 2024, cap. 7). 1-based.
pub fn admission_year(programme: Programme, recognised_cfu: i64) -> Result<u8, RuleError> {
    if recognised_cfu < 0 {
        return Err(RuleError::Invalid("recognised CFU cannot be negative".into()));
    }
    let thresholds: &[i64] = match programme {
        Programme::Laurea => &[30, 90],
        // "non è possibile l'iscrizione ad anni superiori al terzo".
        Programme::LmSfp => &[51, 101],
        Programme::Lmg01 => &[36, 81, 135, 227],
    };
    Ok(1 + thresholds.iter().filter(|t| recognised_cfu >= **t).count() as u8)
}

/// "€ 20,00 … entro i 30 giorni successivi alla scadenza; € 40,00 tra il 31° e il 60°;
/// € 60,00 tra il 61° e il 90°; € 80,00 oltre il 90° giorno" (cap. 10).
pub fn late_payment_surcharge(days_late: i64) -> i64 {
    match days_late {
        i64::MIN..=0 => 0,
        1..=30 => 20_00,
        31..=60 => 40_00,
        61..=90 => 60_00,
        _ => 80_00,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Instalment {
    NotDue,
    Half,
    Due,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RinunciaQuote {
    pub stamp_duty_cents: i64,
    pub pay_by: NaiveDate,
    /// None while the year's calendar (its instalment dates) is not published.
    pub first_instalment: Option<Instalment>,
    pub second_instalment: Option<Instalment>,
    pub warnings: Vec<String>,
}

/// Withdrawal from studies (cap. 12): the € 16 stamp within 30 days of the application, and
/// which instalments of the year's contribution are still due, from the year's instalment
/// dates (the calendar's; 17 February and 15 May in 2025/2026).
pub fn rinuncia(
    submitted_on: NaiveDate,
    passed_exam_in_winter_session: bool,
    first_due: Option<NaiveDate>,
    second_due: Option<NaiveDate>,
) -> RinunciaQuote {
    let mut warnings = vec![
        "pay the € 16 within 5 days of the online application, as the procedure asks; without the payment within 30 days the application lapses".to_owned(),
        "the career is closed only once every amount due is paid".to_owned(),
    ];
    let (first, second) = match (first_due, second_due) {
        (Some(first_due), Some(second_due)) => {
            let passed = passed_exam_in_winter_session;
            let (first, second) = if submitted_on <= first_due {
                (if passed { Instalment::Due } else { Instalment::NotDue }, Instalment::NotDue)
            } else if submitted_on <= second_due {
                (Instalment::Due, if passed { Instalment::Half } else { Instalment::NotDue })
            } else {
                (Instalment::Due, Instalment::Due)
            };
            (Some(first), Some(second))
        }
        _ => {
            warnings.push("the instalment dates of this academic year are not published yet".to_owned());
            (None, None)
        }
    };
    RinunciaQuote {
        stamp_duty_cents: STAMP_DUTY,
        pay_by: submitted_on + chrono::Duration::days(RINUNCIA_PAY_WITHIN_DAYS),
        first_instalment: first,
        second_instalment: second,
        warnings,
    }
}

/// A text the desk itself says, in both languages.
pub struct Said {
    pub it: &'static str,
    pub en: &'static str,
}

impl Said {
    pub fn get(&self, locale: crate::domain::Locale) -> &'static str {
        match locale {
            crate::domain::Locale::It => self.it,
            crate::domain::Locale::En => self.en,
        }
    }
}

/// Where the guide says two things, the sentences, and which one the desk follows (shown to
/// admins on the calendar page).
pub struct GuideConflict {
    pub topic: Said,
    pub sentences: &'static [&'static str],
    pub followed: Said,
}

pub const GUIDE_CONFLICTS: &[GuideConflict] = &[GuideConflict {
    topic: Said { it: "Rinuncia agli studi: 5 o 30 giorni per i 16 €", en: "Withdrawal: 5 or 30 days for the €16" },
    sentences: &[
        "il sistema genera il contributo di € 16,00 da versare, entro i 5 giorni successivi",
        "l’istanza di rinuncia agli studi si intende perfezionata solo se lo studente procede al pagamento della marca da bollo, pari a € 16,00, entro i 30 giorni successivi data di presentazione della domanda",
    ],
    followed: Said {
        it: "Il desk segue la regola specifica: l'istanza decade solo senza il pagamento entro 30 giorni dalla presentazione. Agli studenti suggerisce di pagare entro 5 giorni, come chiede la procedura online.",
        en: "The desk follows the specific rule: the application lapses only without the payment within 30 days of submitting it. It advises students to pay within 5 days, as the online procedure asks.",
    },
}];

#[cfg(test)]
mod tests {
    use super::*;

    fn course(code: &str, cfu: i64) -> Course {
        Course { code: code.into(), name: format!("Corso {code}"), cfu }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn corsi_singoli_cost_25_euro_per_cfu_plus_16_euro_stamp() {
        // "Il contributo di iscrizione è pari ad € 25,00 per ogni credito formativo" + € 16,00.
        let q = corsi_singoli(&[course("A1", 6), course("B2", 6), course("C3", 9)], None, None).unwrap();
        assert_eq!((q.total_cfu, q.fee_cents, q.stamp_duty_cents, q.total_cents), (21, 525_00, 16_00, 541_00));
        // "… che dovrai pagare entro 15 giorni dall'emissione".
        assert_eq!(q.due_within_days, 15);
    }

    #[test]
    fn corsi_singoli_are_capped_at_36_cfu_with_the_two_exceptions() {
        // "Potrai iscriverti ad un numero massimo di 36 cfu."
        assert!(corsi_singoli(&[course("A", 12), course("B", 12), course("C", 12)], None, None).is_ok());
        let over = [course("A", 12), course("B", 12), course("C", 12), course("D", 6)];
        assert_eq!(corsi_singoli(&over, None, None), Err(RuleError::OverCap { total: 42, max: 36 }));
        // "deroghe … per integrare i requisiti di accesso alle classi di concorso … oppure per
        // raggiungere i requisiti curriculari richiesti per l'accesso ai corsi di laurea magistrale".
        let q = corsi_singoli(&over, None, Some(CapException::MasterRequirements)).unwrap();
        assert_eq!(q.total_cents, 42 * 25_00 + 16_00);
        assert!(corsi_singoli(&over, None, Some(CapException::TeachingRequirements)).is_ok());
    }

    #[test]
    fn disability_and_detention_take_40_percent_off_the_contribution_not_the_stamp() {
        // "… riduzione del costo di accesso ai corsi singoli pari al 40% del contributo previsto."
        for reduction in [Reduction::Disability, Reduction::Detention] {
            let q = corsi_singoli(&[course("A", 6), course("B", 9)], Some(reduction), None).unwrap();
            assert_eq!((q.fee_cents, q.total_cents), (225_00, 241_00), "15 CFU: 375 € − 40 % = 225 €, + 16 €");
        }
    }

    #[test]
    fn corsi_singoli_refuse_nonsense() {
        assert!(corsi_singoli(&[], None, None).is_err());
        assert!(corsi_singoli(&[course("A", 0)], None, None).is_err());
        assert!(corsi_singoli(&[course("A", 6), course("A", 6)], None, None).is_err());
    }

    /// "Potrai iscriverti ai corsi singoli esclusivamente per insegnamenti attivati … e per il
    /// numero di cfu per cui il corso viene offerto": no per-course bound beyond the 36-CFU cap.
    /// "… specificando … codici, denominazione degli insegnamenti richiesti e numero di cfu di cui
    /// si compone ogni insegnamento."
    #[test]
    fn courses_are_typed_as_code_name_and_cfu() {
        let courses = parse_course_lines("21001 | Diritto privato | 9\n\n 21002|Economia|6 ").unwrap();
        assert_eq!(courses, [course_named("21001", "Diritto privato", 9), course_named("21002", "Economia", 6)]);
        assert!(parse_course_lines("21001 | Diritto privato").is_err());
        assert!(parse_course_lines("21001 | Diritto privato | nove").is_err());
    }

    fn course_named(code: &str, name: &str, cfu: i64) -> Course {
        Course { code: code.into(), name: name.into(), cfu }
    }

    #[test]
    fn a_single_course_has_the_cfu_it_is_offered_with() {
        let q = corsi_singoli(&[course("TESI", 31)], None, None).unwrap();
        assert_eq!(q.total_cfu, 31);
        assert!(corsi_singoli(&[course("A", 2)], None, None).is_ok(), "Complementi da 2 cfu");
        // "Potrai formulare istanza di corsi singoli una sola volta nell'arco di tempo previsto."
        assert!(q.warnings.iter().any(|w| w.contains("once only")), "{:?}", q.warnings);
    }

    /// "L'iscrizione ai singoli insegnamenti deve essere perfezionata con il pagamento della quota
    /// prevista almeno 15 giorni lavorativi prima della data dell'esame che si intende sostenere."
    #[test]
    fn single_courses_are_paid_15_working_days_before_the_exam() {
        // Exam on Monday 26 January 2026: 15 working days back, skipping Epifania (6 January),
        // is Friday 2 January.
        assert_eq!(corsi_singoli_pay_by(date(2026, 1, 26)), date(2026, 1, 2));
        assert_eq!(corsi_singoli_pay_by(date(2026, 3, 20)), date(2026, 2, 27));
    }

    /// Cap. 7: "pagare online il contributo pari a € 95,00 (+ € 16,00 per la marca da bollo assolta
    /// in modo virtuale)" … "il pagamento della quota complessiva di € 111,00".
    #[test]
    fn second_degree_shortening_reenrolment_and_foreign_title_cost_95_plus_16_euro() {
        assert_eq!(application_fee(), ApplicationFee { fee_cents: 95_00, stamp_duty_cents: 16_00, total_cents: 111_00 });
    }

    /// Cap. 4: "Puoi pre-iscriverti ad un massimo di 2 corsi di laurea magistrale, versando il
    /// previsto contributo di pre-iscrizione di € 52,00 per ogni corso di interesse."
    #[test]
    fn the_masters_pre_enrolment_is_52_euro_a_course_for_at_most_two() {
        assert_eq!(pre_enrolment(1), Ok(52_00));
        assert_eq!(pre_enrolment(2), Ok(104_00));
        assert!(pre_enrolment(3).is_err());
        assert!(pre_enrolment(0).is_err());
    }

    /// Cap. 11: "fino a un massimo di 20 cfu per i corsi di laurea di primo livello, ad un massimo
    /// di 20 cfu per i corsi di laurea magistrale, a un massimo di 40 cfu per i corsi di laurea
    /// magistrale a ciclo unico".
    #[test]
    fn extra_exams_count_in_the_average_up_to_the_caps() {
        let courses = [course("A", 12), course("B", 12), course("C", 6)];
        let bachelor = extra_exams(Level::Laurea, &courses).unwrap();
        assert_eq!((bachelor.total_cfu, bachelor.counted_in_average_cfu, bachelor.average_cap_cfu), (30, 20, 20));
        assert_eq!(extra_exams(Level::LaureaMagistrale, &courses).unwrap().counted_in_average_cfu, 20);
        assert_eq!(extra_exams(Level::CicloUnico, &courses).unwrap().counted_in_average_cfu, 30);
        assert!(extra_exams(Level::Laurea, &[]).is_err());
    }

    /// Cap. 4: "Entro il 26 settembre 2025 dovrai sostenere il TOLC" … "È valido il TOLC sostenuto
    /// a partire dal 1° gennaio 2024."
    #[test]
    fn a_tolc_counts_from_1_january_2024_and_by_the_deadline() {
        let (from, due) = (Some(date(2024, 1, 1)), Some(date(2025, 9, 26)));
        assert!(tolc_problems(Some(date(2024, 3, 1)), from, due).is_empty());
        assert!(tolc_problems(Some(date(2023, 12, 31)), from, due)[0].contains("does not count"));
        assert!(tolc_problems(Some(date(2025, 9, 27)), from, due)[0].contains("26/09/2025"));
        assert!(tolc_problems(None, from, due)[0].contains("take the TOLC by 26/09/2025"));
    }

    /// Cap. 10: "L'attestazione ISEEU deve essere prodotta entro e non oltre il 31 dicembre 2025"
    /// … "entro il 30 settembre 2026 … sanzione prevista di € 150,00. Oltre tale scadenza ti verrà
    /// attribuita inderogabilmente la fascia massima di contribuzione."
    #[test]
    fn a_late_iseeu_costs_150_euro_and_after_september_the_maximum_band() {
        let (due, until) = (date(2025, 12, 31), date(2026, 9, 30));
        assert_eq!(iseeu(date(2025, 12, 31), due, until), IseeuQuote { late_fee_cents: 0, band: IseeuBand::ByIseeu });
        assert_eq!(iseeu(date(2026, 1, 1), due, until), IseeuQuote { late_fee_cents: 150_00, band: IseeuBand::ByIseeu });
        assert_eq!(iseeu(date(2026, 10, 1), due, until).band, IseeuBand::Maximum);
    }

    /// "Le medesime quote sopra citate sono addebitate anche in caso di pagamento della tassa
    /// regionale per il rinnovo iscrizione ad anno di corso successivo al primo oltre il termine
    /// del 3 ottobre 2025."
    #[test]
    fn late_instalments_get_the_surcharge_of_their_delay() {
        let renewal = date(2025, 10, 3);
        assert_eq!(instalment_surcharge(renewal, date(2025, 10, 3)), 0);
        assert_eq!(instalment_surcharge(renewal, date(2025, 10, 4)), 20_00);
        assert_eq!(instalment_surcharge(renewal, date(2025, 12, 3)), 60_00);
        assert_eq!(instalment_surcharge(date(2026, 2, 17), date(2026, 6, 1)), 80_00);
    }

    #[test]
    fn admission_year_for_a_laurea() {
        // "fino a 29 cfu: I anno; da 30 a 89: II anno; da 90: III anno".
        let y = |cfu| admission_year(Programme::Laurea, cfu).unwrap();
        assert_eq!([y(0), y(29), y(30), y(89), y(90), y(180)], [1, 1, 2, 2, 3, 3]);
    }

    #[test]
    fn admission_year_for_scienze_della_formazione_primaria_stops_at_the_third() {
        // "fino a 50: I; da 51 a 100: II; da 101: III … non è possibile l'iscrizione ad anni
        // superiori al terzo, indipendentemente dal numero di cfu".
        let y = |cfu| admission_year(Programme::LmSfp, cfu).unwrap();
        assert_eq!([y(50), y(51), y(100), y(101), y(300)], [1, 2, 2, 3, 3]);
    }

    #[test]
    fn admission_year_for_giurisprudenza() {
        // "fino a 35: I; 36-80: II; 81-134: III; 135-226: IV; da 227: V".
        let y = |cfu| admission_year(Programme::Lmg01, cfu).unwrap();
        assert_eq!([y(35), y(36), y(80), y(81), y(134), y(135), y(226), y(227)], [1, 2, 2, 3, 3, 4, 4, 5]);
        assert!(admission_year(Programme::Lmg01, -1).is_err());
    }

    #[test]
    fn late_payment_surcharges_grow_by_month() {
        // "€ 20,00 entro i 30 giorni …; € 40,00 tra il 31° e il 60° …; € 60,00 tra il 61° e il
        // 90° …; € 80,00 oltre il 90° giorno successivo alla scadenza".
        let s: Vec<i64> = [0, 1, 30, 31, 60, 61, 90, 91, 400].iter().map(|d| late_payment_surcharge(*d)).collect();
        assert_eq!(s, [0, 20_00, 20_00, 40_00, 40_00, 60_00, 60_00, 80_00, 80_00]);
    }

    /// The 2025/2026 instalment dates, as the shipped calendar holds them.
    fn rinuncia_2026(on: NaiveDate, passed: bool) -> RinunciaQuote {
        rinuncia(on, passed, Some(date(2026, 2, 17)), Some(date(2026, 5, 15)))
    }

    #[test]
    fn rinuncia_stamp_duty_and_instalments() {
        // "… marca da bollo, pari a € 16,00, entro i 30 giorni successivi data di presentazione".
        let early = rinuncia_2026(date(2026, 1, 10), false);
        assert_eq!((early.stamp_duty_cents, early.pay_by), (16_00, date(2026, 2, 9)));
        // "entro e non oltre il 17 febbraio 2026, non dovrai pagare la prima rata … solamente se
        // non hai superato alcun esame nel corso della sessione di gennaio-febbraio 2026".
        assert_eq!((early.first_instalment, early.second_instalment), (Some(Instalment::NotDue), Some(Instalment::NotDue)));
        assert_eq!(rinuncia_2026(date(2026, 2, 17), true).first_instalment, Some(Instalment::Due));
        // "dopo il 17 febbraio 2026 ed entro … il 15 maggio 2026 dovrai pagare interamente la prima
        // rata, mentre … il 50% della seconda rata se hai superato almeno un esame".
        let spring = rinuncia_2026(date(2026, 3, 1), true);
        assert_eq!((spring.first_instalment, spring.second_instalment), (Some(Instalment::Due), Some(Instalment::Half)));
        assert_eq!(rinuncia_2026(date(2026, 5, 15), false).second_instalment, Some(Instalment::NotDue));
        // "successivamente al 15 maggio 2026, dovrai pagare tutte le rate".
        let late = rinuncia_2026(date(2026, 5, 16), false);
        assert_eq!((late.first_instalment, late.second_instalment), (Some(Instalment::Due), Some(Instalment::Due)));
    }

    /// Cap. 12 says both "il sistema genera il contributo di € 16,00 da versare, entro i 5 giorni
    /// successivi" and "l'istanza di rinuncia … si intende perfezionata solo se … entro i 30
    /// giorni successivi": the specific rule (30 days, when the application lapses) decides.
    #[test]
    fn rinuncia_follows_the_30_day_rule_and_the_conflict_quotes_the_guide() {
        let guide = include_str!("../../seeds/guides/unibg-guida-2025-2026.it.txt");
        for conflict in GUIDE_CONFLICTS {
            for sentence in conflict.sentences {
                assert!(guide.contains(sentence), "not in the guide: {sentence}");
            }
        }
        let q = rinuncia_2026(date(2026, 3, 1), false);
        assert_eq!(q.pay_by, date(2026, 3, 31));
        assert!(q.warnings[0].contains("5 days") && q.warnings[0].contains("30 days"), "{:?}", q.warnings);
    }

    #[test]
    fn rinuncia_without_a_published_calendar_does_not_guess_the_instalments() {
        let q = rinuncia(date(2026, 12, 6), false, None, None);
        assert_eq!((q.first_instalment, q.second_instalment), (None, None));
        assert_eq!(q.pay_by, date(2027, 1, 5));
        assert!(q.warnings.iter().any(|w| w.contains("not published")));
    }
}
