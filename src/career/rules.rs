//! The guide's rules, computed (a.a. 2025-2026, Università di Bergamo, "Guida dello studente").
//! Money is in euro cents, written `euros_cents` (25_00 is € 25,00). Each test cites the
//! sentence of the guide it checks.
#![allow(clippy::inconsistent_digit_grouping)]

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

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

pub fn corsi_singoli(courses: &[Course], reduction: Option<Reduction>, exception: Option<CapException>) -> Result<CorsiSingoliQuote, RuleError> {
    if courses.is_empty() {
        return Err(RuleError::Invalid("list at least one course".into()));
    }
    if let Some(bad) = courses.iter().find(|c| !(1..=30).contains(&c.cfu)) {
        return Err(RuleError::Invalid(format!("course {} has {} CFU: a course has 1 to 30", bad.code, bad.cfu)));
    }
    let mut codes: Vec<&str> = courses.iter().map(|c| c.code.trim()).collect();
    codes.sort_unstable();
    if codes.windows(2).any(|w| w[0] == w[1]) || codes.iter().any(|c| c.is_empty()) {
        return Err(RuleError::Invalid("each course needs its own code".into()));
    }
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
