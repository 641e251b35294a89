//! Academic years as data. A year (1 August – 31 July, "2025/2026") holds, for each procedure
//! type, its windows — per cohort where the guide distinguishes them (programme level, year of
//! course, access) — and its dated rules (instalments, ISEEU). A year is a draft until an admin
//! publishes it; the desk never judges a date against an unpublished year. Which year a date
//! concerns, and where it falls in that year's windows for a cohort, are pure functions tested
//! here with the guide's sentences.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Europe::Rome;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::money::Euros;
use crate::ids::now;
use crate::categories::form::Text;
use crate::db::schema::{academic_years, calendar_windows, career_action_types};
use crate::db::{write_tx, DbConn};
use crate::domain::Locale;
use crate::error::{FieldErrors, ServiceError};

/// The calendars shipped with the desk (the guide's years), loaded into an empty database.
const SHIPPED: &[&str] = &[include_str!("../../seeds/calendars/2025-2026.json")];

/// An academic year, by the calendar year it starts in: 2025 is "2025/2026".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AcademicYear(i32);

impl AcademicYear {
    pub fn starting(year: i32) -> Self {
        Self(year)
    }

    /// "2025/2026", "2025-2026" or "2025/26".
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || format!("'{raw}' is not an academic year like 2026/2027");
        let (a, b) = raw.trim().split_once(['/', '-']).ok_or_else(bad)?;
        let first: i32 = a.parse().map_err(|_| bad())?;
        let second: i32 = b.parse().map_err(|_| bad())?;
        let follows = second == first + 1 || (b.len() == 2 && second == (first + 1) % 100);
        if a.len() != 4 || !follows || !(2000..=2200).contains(&first) {
            return Err(bad());
        }
        Ok(Self(first))
    }

    /// The year whose 1 August – 31 July span holds the day.
    pub fn of(day: NaiveDate) -> Self {
        Self(if day.month() >= 8 { day.year() } else { day.year() - 1 })
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 8, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0 + 1, 7, 31).unwrap_or(NaiveDate::MAX)
    }

    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }

    pub fn previous(self) -> Self {
        Self(self.0 - 1)
    }

    /// "2025/2026", as the guide and the desk write it.
    pub fn code(self) -> String {
        format!("{}/{}", self.0, self.0 + 1)
    }

    /// "2025-2026", for addresses.
    pub fn slug(self) -> String {
        format!("{}-{}", self.0, self.0 + 1)
    }

    /// The same day as many years later as `to` is after `self` (29 February → 28 February).
    pub fn shift(self, day: NaiveDate, to: AcademicYear) -> NaiveDate {
        let years = to.0 - self.0;
        let months = Months::new(years.unsigned_abs() * 12);
        let moved = if years >= 0 { day.checked_add_months(months) } else { day.checked_sub_months(months) };
        moved.unwrap_or(day)
    }
}

impl fmt::Display for AcademicYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl Serialize for AcademicYear {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

impl<'de> Deserialize<'de> for AcademicYear {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for AcademicYear {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::String).examples(["2025/2026"]).into()
    }
}

impl utoipa::ToSchema for AcademicYear {}

/// The programme level of a cohort. The admission rules' `lm-sfp` and `lmg-01` are single-cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Laurea,
    LaureaMagistrale,
    CicloUnico,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Laurea => "laurea",
            Level::LaureaMagistrale => "laurea-magistrale",
            Level::CicloUnico => "ciclo-unico",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "laurea" => Ok(Level::Laurea),
            "laurea-magistrale" => Ok(Level::LaureaMagistrale),
            "ciclo-unico" | "lm-sfp" | "lmg-01" => Ok(Level::CicloUnico),
            other => Err(format!("'{other}' is not one of laurea, laurea-magistrale, ciclo-unico")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Libero,
    Programmato,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Libero => "libero",
            Access::Programmato => "programmato",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "libero" => Ok(Access::Libero),
            "programmato" => Ok(Access::Programmato),
            other => Err(format!("'{other}' is not one of libero, programmato")),
        }
    }
}

/// Whom a window is for; `None` where it does not matter (or, asking, is not known).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Cohort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programme: Option<Level>,
    /// The year of course (1 = first year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
}

fn parse_year(raw: &str) -> Result<u8, String> {
    raw.trim().parse::<u8>().ok().filter(|y| (1..=6).contains(y)).ok_or_else(|| format!("'{raw}' is not a year of course 1-6"))
}

impl Cohort {
    /// From query parameters: a value that is there must be valid (`field` names it in the 422).
    pub fn parse(
        errors: &mut FieldErrors,
        prefix: &str,
        programme: Option<&str>,
        year: Option<&str>,
        access: Option<&str>,
    ) -> Cohort {
        let at = |name: &str| format!("{prefix}{name}");
        fn present(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        Cohort {
            programme: present(programme).and_then(|p| errors.check(&at("programme"), Level::parse(p))),
            year: present(year).and_then(|y| errors.check(&at("year"), parse_year(y))),
            access: present(access).and_then(|a| errors.check(&at("access"), Access::parse(a))),
        }
    }

    /// From a procedure's data (`programme`, `year`, `access`), strictly: 422 on a bad value.
    pub fn from_data(errors: &mut FieldErrors, prefix: &str, data: &Value) -> Cohort {
        let text = |key: &str| match data.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        Self::parse(errors, prefix, text("programme").as_deref(), text("year").as_deref(), text("access").as_deref())
    }

    fn specificity(&self) -> usize {
        usize::from(self.programme.is_some()) + usize::from(self.year.is_some()) + usize::from(self.access.is_some())
    }

    /// A window for `self` applies to `asked` when each thing it names is what `asked` says.
    fn admits(&self, asked: &Cohort) -> bool {
        fn one<T: PartialEq>(window: Option<T>, asked: Option<T>) -> bool {
            window.is_none_or(|w| asked == Some(w))
        }
        one(self.programme, asked.programme) && one(self.year, asked.year) && one(self.access, asked.access)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    Regular,
    Late,
}

impl WindowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowKind::Regular => "regular",
            WindowKind::Late => "late",
        }
    }
}

/// What follows the last window of a cohort: the period is over, or (programmed access, cap.
/// 10) the candidate is excluded — no late payment exists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AfterClose {
    #[default]
    Closed,
    Excluded,
}

impl AfterClose {
    pub fn as_str(self) -> &'static str {
        match self {
            AfterClose::Closed => "closed",
            AfterClose::Excluded => "excluded",
        }
    }

    fn is_closed(&self) -> bool {
        *self == AfterClose::Closed
    }
}

/// A period in which a procedure is accepted, both days included (Italian days), for a cohort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// None: the guide gives only the end ("entro il 3 ottobre 2025"); the year's 1 August.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
    pub kind: WindowKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_fee_eur: Option<Euros>,
    #[serde(default, flatten)]
    pub cohort: Cohort,
    #[serde(default, skip_serializing_if = "AfterClose::is_closed")]
    pub after_close: AfterClose,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

impl Window {
    fn opens(&self, year: AcademicYear) -> NaiveDate {
        self.from.unwrap_or_else(|| year.first_day())
    }

    fn contains(&self, year: AcademicYear, day: NaiveDate) -> bool {
        self.opens(year) <= day && day <= self.to
    }

    fn shifted(&self, from: AcademicYear, to: AcademicYear) -> Window {
        Window { from: self.from.map(|d| from.shift(d, to)), to: from.shift(self.to, to), ..self.clone() }
    }
}

/// The end of a day in Rome, as UTC.
pub fn end_of_day(day: NaiveDate) -> NaiveDateTime {
    let end = day.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN));
    Rome.from_local_datetime(&end).earliest().map(|t| t.naive_utc()).unwrap_or(end)
}

/// The year's dated rules (cap. 10 and 12 of the guide), copied with the windows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct YearDates {
    /// Renewal of the enrolment for the years after the first ("entro il 3 ottobre 2025").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_due: Option<NaiveDate>,
    /// "prima rata del contributo onnicomprensivo … entro il 17 febbraio 2026".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_instalment_due: Option<NaiveDate>,
    /// "seconda rata … entro il 15 maggio 2026".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_instalment_due: Option<NaiveDate>,
    /// "L'attestazione ISEEU deve essere prodotta entro e non oltre il 31 dicembre 2025."
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iseeu_due: Option<NaiveDate>,
    /// "… oltre tale termine, e comunque entro il 30 settembre 2026 … sanzione di € 150,00."
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iseeu_late_until: Option<NaiveDate>,
    /// "Entro il 26 settembre 2025 dovrai sostenere il TOLC".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolc_due: Option<NaiveDate>,
    /// Late enrolment: "il TOLC deve essere sostenuto entro il 20 novembre 2025".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolc_late_due: Option<NaiveDate>,
    /// "È valido il TOLC sostenuto a partire dal 1° gennaio 2024."
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolc_valid_from: Option<NaiveDate>,
}

impl YearDates {
    fn shifted(&self, from: AcademicYear, to: AcademicYear) -> YearDates {
        let s = |d: Option<NaiveDate>| d.map(|d| from.shift(d, to));
        YearDates {
            renewal_due: s(self.renewal_due),
            first_instalment_due: s(self.first_instalment_due),
            second_instalment_due: s(self.second_instalment_due),
            iseeu_due: s(self.iseeu_due),
            iseeu_late_until: s(self.iseeu_late_until),
            tolc_due: s(self.tolc_due),
            tolc_late_due: s(self.tolc_late_due),
            tolc_valid_from: s(self.tolc_valid_from),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum YearStatus {
    Draft,
    #[default]
    Published,
}

impl YearStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            YearStatus::Draft => "draft",
            YearStatus::Published => "published",
        }
    }

    fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "draft" => Ok(YearStatus::Draft),
            "published" => Ok(YearStatus::Published),
            other => Err(format!("year status '{other}'")),
        }
    }
}

/// One type's windows in a calendar file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeWindows {
    #[serde(rename = "type")]
    pub kind: String,
    pub windows: Vec<Window>,
}

/// A year as `seeds/calendars/*.json`, `helpdesk calendar import` and the admin API write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct YearCalendar {
    pub academic_year: AcademicYear,
    #[serde(default)]
    pub status: YearStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copied_from: Option<AcademicYear>,
    #[serde(default)]
    pub dates: YearDates,
    #[serde(default)]
    pub types: Vec<TypeWindows>,
}

impl YearCalendar {
    pub fn windows_of(&self, slug: &str) -> &[Window] {
        self.types.iter().find(|t| t.kind == slug).map(|t| t.windows.as_slice()).unwrap_or_default()
    }

    /// Each window inside the year's reach (it may open before 1 August, as enrolment does,
    /// but not a year early nor close after the year's end), in order.
    pub fn check(&self) -> Result<(), ServiceError> {
        let mut errors = FieldErrors::default();
        let (earliest, latest) = (self.academic_year.previous().first_day(), self.academic_year.last_day());
        for (t, tw) in self.types.iter().enumerate() {
            check_windows(&mut errors, &format!("types[{t}]."), self.academic_year, &tw.windows);
            for (i, w) in tw.windows.iter().enumerate() {
                if w.from.is_some_and(|f| f < earliest) || w.to > latest || w.to < earliest {
                    errors.add(format!("types[{t}].windows[{i}].to"), format!("is outside the academic year {}", self.academic_year));
                }
            }
        }
        errors.into_result()
    }
}

/// Windows in order (from ≤ to), late fees only on late windows.
pub fn check_windows(errors: &mut FieldErrors, prefix: &str, year: AcademicYear, windows: &[Window]) {
    for (i, w) in windows.iter().enumerate() {
        if w.opens(year) > w.to {
            errors.add(format!("{prefix}windows[{i}].to"), "is before from");
        }
        if w.kind == WindowKind::Regular && w.late_fee_eur.is_some() {
            errors.add(format!("{prefix}windows[{i}].late_fee_eur"), "only a late window has a late fee");
        }
    }
}

/// Where a day falls for a procedure and a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    NotYetOpen,
    Open,
    Late,
    Closed,
    /// Programmed access after the deadline: exclusion, no late payment (cap. 10).
    Excluded,
    /// The academic year the day concerns has no published calendar.
    NoCalendar,
}

/// The `window` object of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WindowStatus {
    pub academic_year: AcademicYear,
    pub state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opens_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closes_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_fee_eur: Option<Euros>,
    /// Other cohorts have other windows: give programme, year and access for your own.
    pub cohort_specific: bool,
}

impl WindowStatus {
    /// The last instant the procedure is still accepted as it is now (open or late).
    pub fn closes_at(&self) -> Option<NaiveDateTime> {
        matches!(self.state, State::Open | State::Late).then_some(self.closes_on).flatten().map(end_of_day)
    }

    /// What a student asking on that day must be told, in their language; None when open.
    pub fn warning(&self, name: &str, locale: Locale) -> Option<String> {
        let day = |d: Option<NaiveDate>| d.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default();
        let fee = self.late_fee_eur.map(|f| format!("{:.2}", f64::from(f)).replace('.', ","));
        let year = self.academic_year;
        let (opens, closes) = (day(self.opens_on), day(self.closes_on));
        let text = match (self.state, locale) {
            (State::Open, _) => return None,
            (State::NotYetOpen, Locale::It) => format!(
                "{name}: il periodo per presentare la domanda (a.a. {year}) non è ancora aperto: si apre il {opens}."
            ),
            (State::NotYetOpen, Locale::En) => {
                format!("{name}: the application period (academic year {year}) is not open yet: it opens on {opens}.")
            }
            (State::Late, Locale::It) => match fee {
                Some(fee) => format!(
                    "{name}: sei nel periodo tardivo (fino al {closes}). La domanda è accettata con un importo aggiuntivo di € {fee}."
                ),
                None => format!("{name}: sei nel periodo tardivo (fino al {closes}); la domanda è accettata."),
            },
            (State::Late, Locale::En) => match fee {
                Some(fee) => format!(
                    "{name}: this is the late period (until {closes}). The application is accepted with an extra charge of €{fee}."
                ),
                None => format!("{name}: this is the late period (until {closes}); the application is accepted."),
            },
            (State::Closed, Locale::It) => format!(
                "{name}: il periodo per presentare la domanda per l'a.a. {year} si è chiuso il {closes}. Puoi comunque scriverci."
            ),
            (State::Closed, Locale::En) => format!(
                "{name}: the application period for the academic year {year} closed on {closes}. You may still write to us."
            ),
            (State::Excluded, Locale::It) => format!(
                "{name}: il termine per l'a.a. {year} è scaduto il {closes}. Per i corsi ad accesso programmato il pagamento oltre il termine del bando comporta l'esclusione: non è previsto un pagamento tardivo con sanzione."
            ),
            (State::Excluded, Locale::En) => format!(
                "{name}: the deadline for the academic year {year} was {closes}. For programmed-access courses, paying after the call's deadline means exclusion: there is no late payment with a surcharge."
            ),
            (State::NoCalendar, Locale::It) => format!(
                "{name}: il calendario {year} non è ancora pubblicato. Le date e gli eventuali importi per il ritardo saranno indicati alla pubblicazione."
            ),
            (State::NoCalendar, Locale::En) => format!(
                "{name}: the {year} calendar is not published yet. Dates and any late charges will be given when it is."
            ),
        };
        Some(text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct YearInfo {
    pub academic_year: AcademicYear,
    pub status: YearStatus,
    pub copied_from: Option<AcademicYear>,
    pub dates: YearDates,
}

/// Every year and window (a few hundred rows at most), to judge dates without more queries.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeMap<AcademicYear, YearInfo>,
    windows: BTreeMap<(AcademicYear, String), Vec<Window>>,
}

impl Calendar {
    pub fn from_years(years: &[YearCalendar]) -> Calendar {
        let mut calendar = Calendar::default();
        for y in years {
            calendar.years.insert(
                y.academic_year,
                YearInfo { academic_year: y.academic_year, status: y.status, copied_from: y.copied_from, dates: y.dates.clone() },
            );
            for t in &y.types {
                calendar.windows.insert((y.academic_year, t.kind.clone()), t.windows.clone());
            }
        }
        calendar
    }

    pub fn years(&self) -> impl Iterator<Item = &YearInfo> {
        self.years.values()
    }

    pub fn year(&self, year: AcademicYear) -> Option<&YearInfo> {
        self.years.get(&year)
    }

    pub fn is_published(&self, year: AcademicYear) -> bool {
        self.years.get(&year).is_some_and(|y| y.status == YearStatus::Published)
    }

    /// The year's dated rules, when the year is published.
    pub fn dates(&self, year: AcademicYear) -> Option<&YearDates> {
        self.years.get(&year).filter(|y| y.status == YearStatus::Published).map(|y| &y.dates)
    }

    fn has_windows(&self, slug: &str) -> bool {
        self.windows.iter().any(|((_, s), w)| s == slug && !w.is_empty())
    }

    /// The windows of a type in a year as stored, whatever the year's status.
    pub fn windows(&self, year: AcademicYear, slug: &str) -> &[Window] {
        self.windows.get(&(year, slug.to_owned())).map(Vec::as_slice).unwrap_or_default()
    }

    /// The year's windows; for a year the desk does not have, the latest earlier year's, one
    /// year on for each year between (to tell which year a date concerns, never to judge it).
    fn windows_or_expected(&self, year: AcademicYear, slug: &str) -> Vec<Window> {
        if self.years.contains_key(&year) {
            return self.windows(year, slug).to_vec();
        }
        match self.years.range(..year).next_back() {
            Some((earlier, _)) => self.windows(*earlier, slug).iter().map(|w| w.shifted(*earlier, year)).collect(),
            None => Vec::new(),
        }
    }

    /// The year a day concerns for a procedure: the coming year when one of its windows holds
    /// the day (enrolment for a year opens in July, before its 1 August), else the year whose
    /// 1 August – 31 July span holds it.
    pub fn concerned_year(&self, slug: &str, day: NaiveDate, cohort: &Cohort) -> AcademicYear {
        let base = AcademicYear::of(day);
        for year in [base.next(), base] {
            let windows = self.windows_or_expected(year, slug);
            let (chosen, _) = for_cohort(&windows, cohort);
            if chosen.iter().any(|w| w.contains(year, day)) {
                return year;
            }
        }
        base
    }

    /// Where `day` falls for a procedure of type `slug` and a cohort.
    pub fn status(&self, slug: &str, day: NaiveDate, cohort: &Cohort) -> WindowStatus {
        let year = self.concerned_year(slug, day, cohort);
        let mut status = WindowStatus {
            academic_year: year,
            state: State::Open,
            opens_on: None,
            closes_on: None,
            late_fee_eur: None,
            cohort_specific: false,
        };
        if !self.has_windows(slug) {
            // A procedure without windows (rinuncia, the ITA-L2 test) is accepted any day.
            return status;
        }
        if !self.is_published(year) {
            status.state = State::NoCalendar;
            return status;
        }
        let windows = self.windows(year, slug);
        let (chosen, cohort_specific) = for_cohort(windows, cohort);
        status.cohort_specific = cohort_specific;
        judge(&mut status, year, &chosen, day);
        status
    }
}

/// The windows for a cohort: those whose cohort admits it, the most specific ones only (a
/// first-year master's student's study-plan window shadows the general one). The flag tells
/// whether a more specific window exists for a cohort the question did not name.
fn for_cohort<'a>(windows: &'a [Window], asked: &Cohort) -> (Vec<&'a Window>, bool) {
    let admitted: Vec<&Window> = windows.iter().filter(|w| w.cohort.admits(asked)).collect();
    let best = admitted.iter().map(|w| w.cohort.specificity()).max().unwrap_or(0);
    let chosen: Vec<&Window> = admitted.into_iter().filter(|w| w.cohort.specificity() == best).collect();
    let other = windows.iter().any(|w| !w.cohort.admits(asked) && w.cohort.specificity() > asked.specificity());
    (chosen, other)
}

fn judge(status: &mut WindowStatus, year: AcademicYear, windows: &[&Window], day: NaiveDate) {
    let holding = |kind| windows.iter().filter(|w| w.kind == kind && w.contains(year, day)).max_by_key(|w| w.to);
    let set = |status: &mut WindowStatus, state, w: &Window| {
        status.state = state;
        status.opens_on = Some(w.opens(year));
        status.closes_on = Some(w.to);
    };
    if let Some(w) = holding(WindowKind::Regular) {
        set(status, State::Open, w);
    } else if let Some(w) = holding(WindowKind::Late) {
        set(status, State::Late, w);
        status.late_fee_eur = w.late_fee_eur;
    } else if let Some(w) = windows.iter().filter(|w| w.opens(year) > day).min_by_key(|w| w.opens(year)) {
        set(status, State::NotYetOpen, w);
    } else if let Some(last) = windows.iter().max_by_key(|w| w.to) {
        status.state = match last.after_close {
            AfterClose::Closed => State::Closed,
            AfterClose::Excluded => State::Excluded,
        };
        status.closes_on = Some(last.to);
    }
    // No window for this cohort in a published year: the procedure has no deadline then.
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = academic_years)]
struct YearRow {
    code: String,
    status: String,
    dates: String,
    copied_from: Option<String>,
    published_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = calendar_windows)]
struct WindowRow {
    academic_year: String,
    type_slug: String,
    position: i32,
    programme: Option<String>,
    course_year: Option<i32>,
    access: Option<String>,
    opens_on: Option<String>,
    closes_on: String,
    kind: String,
    late_fee_cents: Option<i64>,
    after_close: String,
    note_it: Option<String>,
    note_en: Option<String>,
}

fn broken(what: &str, e: impl fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("calendar {what}: {e}"))
}

fn parse_day(raw: &str) -> Result<NaiveDate, ServiceError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|e| broken(raw, e))
}

impl WindowRow {
    fn into_window(self) -> Result<Window, ServiceError> {
        let kind = match self.kind.as_str() {
            "regular" => WindowKind::Regular,
            "late" => WindowKind::Late,
            other => return Err(broken("window kind", other)),
        };
        let after_close = match self.after_close.as_str() {
            "excluded" => AfterClose::Excluded,
            _ => AfterClose::Closed,
        };
        let cohort = Cohort {
            programme: self.programme.as_deref().map(Level::parse).transpose().map_err(|e| broken("programme", e))?,
            year: self.course_year.and_then(|y| u8::try_from(y).ok()),
            access: self.access.as_deref().map(Access::parse).transpose().map_err(|e| broken("access", e))?,
        };
        let note = match (self.note_it, self.note_en) {
            (Some(it), Some(en)) => Some(Text { it, en }),
            (Some(it), None) => Some(Text { en: it.clone(), it }),
            (None, Some(en)) => Some(Text { it: en.clone(), en }),
            (None, None) => None,
        };
        Ok(Window {
            from: self.opens_on.as_deref().filter(|d| !d.is_empty()).map(parse_day).transpose()?,
            to: parse_day(&self.closes_on)?,
            kind,
            late_fee_eur: self.late_fee_cents.map(Euros),
            cohort,
            after_close,
            note,
        })
    }

    fn new(year: AcademicYear, slug: &str, position: usize, w: &Window) -> WindowRow {
        WindowRow {
            academic_year: year.code(),
            type_slug: slug.to_owned(),
            position: i32::try_from(position).unwrap_or(i32::MAX),
            programme: w.cohort.programme.map(|p| p.as_str().to_owned()),
            course_year: w.cohort.year.map(i32::from),
            access: w.cohort.access.map(|a| a.as_str().to_owned()),
            opens_on: w.from.map(|d| d.to_string()),
            closes_on: w.to.to_string(),
            kind: w.kind.as_str().to_owned(),
            late_fee_cents: w.late_fee_eur.map(|e| e.0),
            after_close: w.after_close.as_str().to_owned(),
            note_it: w.note.as_ref().map(|n| n.it.clone()),
            note_en: w.note.as_ref().map(|n| n.en.clone()),
        }
    }
}

/// Every year with its windows, as stored.
pub fn load_years(conn: &mut DbConn) -> Result<Vec<YearCalendar>, ServiceError> {
    let years: Vec<YearRow> = academic_years::table.select(YearRow::as_select()).order(academic_years::code).load(conn)?;
    let rows: Vec<WindowRow> = calendar_windows::table
        .select(WindowRow::as_select())
        .order((calendar_windows::academic_year, calendar_windows::type_slug, calendar_windows::position))
        .load(conn)?;
    let mut by_year: BTreeMap<String, Vec<TypeWindows>> = BTreeMap::new();
    for row in rows {
        let (year, slug) = (row.academic_year.clone(), row.type_slug.clone());
        let window = row.into_window()?;
        let types = by_year.entry(year).or_default();
        match types.iter_mut().find(|t| t.kind == slug) {
            Some(t) => t.windows.push(window),
            None => types.push(TypeWindows { kind: slug, windows: vec![window] }),
        }
    }
    years
        .into_iter()
        .map(|y| {
            Ok(YearCalendar {
                academic_year: AcademicYear::parse(&y.code).map_err(|e| broken("year", e))?,
                status: YearStatus::parse(&y.status).map_err(|e| broken("status", e))?,
                copied_from: y.copied_from.as_deref().map(AcademicYear::parse).transpose().map_err(|e| broken("year", e))?,
                dates: serde_json::from_str(&y.dates).map_err(|e| broken("dates", e))?,
                types: by_year.remove(&y.code).unwrap_or_default(),
            })
        })
        .collect()
}

/// The calendar to judge dates with.
pub fn load(conn: &mut DbConn) -> Result<Calendar, ServiceError> {
    Ok(Calendar::from_years(&load_years(conn)?))
}

pub fn load_year(conn: &mut DbConn, year: AcademicYear) -> Result<Option<YearCalendar>, ServiceError> {
    Ok(load_years(conn)?.into_iter().find(|y| y.academic_year == year))
}

fn write_year_row(conn: &mut DbConn, y: &YearCalendar) -> Result<(), ServiceError> {
    let dates = serde_json::to_string(&y.dates).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let published_at = (y.status == YearStatus::Published).then(now);
    let values = (
        academic_years::status.eq(y.status.as_str()),
        academic_years::dates.eq(&dates),
        academic_years::copied_from.eq(y.copied_from.map(AcademicYear::code)),
        academic_years::published_at.eq(published_at),
        academic_years::updated_at.eq(now()),
    );
    let updated = diesel::update(academic_years::table.find(y.academic_year.code())).set(values.clone()).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(academic_years::table)
            .values((academic_years::code.eq(y.academic_year.code()), values))
            .execute(conn)?;
    }
    Ok(())
}

fn write_type_windows(conn: &mut DbConn, year: AcademicYear, slug: &str, windows: &[Window]) -> Result<(), ServiceError> {
    diesel::delete(
        calendar_windows::table
            .filter(calendar_windows::academic_year.eq(year.code()))
            .filter(calendar_windows::type_slug.eq(slug)),
    )
    .execute(conn)?;
    let rows: Vec<WindowRow> = windows.iter().enumerate().map(|(i, w)| WindowRow::new(year, slug, i, w)).collect();
    for row in rows {
        diesel::insert_into(calendar_windows::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// Replaces a whole year (its status, dates and every type's windows). Types the file names
/// that the catalog does not have are refused.
pub fn replace_year(conn: &mut DbConn, y: &YearCalendar) -> Result<(), ServiceError> {
    write_tx(conn, |conn| replace_year_in(conn, y))
}

fn replace_year_in(conn: &mut DbConn, y: &YearCalendar) -> Result<(), ServiceError> {
    y.check()?;
    write_year_row(conn, y)?;
    diesel::delete(calendar_windows::table.filter(calendar_windows::academic_year.eq(y.academic_year.code()))).execute(conn)?;
    for t in &y.types {
        let known: i64 = career_action_types::table.find(&t.kind).count().get_result(conn)?;
        if known == 0 {
            return Err(ServiceError::field("types", format!("unknown career-action type '{}'", t.kind)));
        }
        write_type_windows(conn, y.academic_year, &t.kind, &t.windows)?;
    }
    Ok(())
}

/// An admin's windows for one type in one year (a year the desk does not have yet starts as a
/// draft). Call inside a write transaction.
pub fn set_type_windows(conn: &mut DbConn, year: AcademicYear, slug: &str, windows: &[Window]) -> Result<(), ServiceError> {
    let mut errors = FieldErrors::default();
    check_windows(&mut errors, "", year, windows);
    errors.into_result()?;
    let exists: i64 = academic_years::table.find(year.code()).count().get_result(conn)?;
    if exists == 0 {
        let draft = YearCalendar {
            academic_year: year,
            status: YearStatus::Draft,
            copied_from: None,
            dates: YearDates::default(),
            types: Vec::new(),
        };
        write_year_row(conn, &draft)?;
    }
    write_type_windows(conn, year, slug, windows)
}

/// `calendar copy`: every window and date of `from` one year later (or as many as between),
/// as a draft of `to` replacing any earlier draft. A published year is not overwritten.
pub fn copy(conn: &mut DbConn, from: AcademicYear, to: AcademicYear) -> Result<YearCalendar, ServiceError> {
    if from == to {
        return Err(ServiceError::field("to", "must be another year than from"));
    }
    write_tx(conn, |conn| {
        let source = load_year(conn, from)?.ok_or_else(|| ServiceError::field("from", format!("no calendar {from}")))?;
        if let Some(existing) = load_year(conn, to)? {
            if existing.status == YearStatus::Published {
                return Err(ServiceError::Conflict(format!("the calendar {to} is published: it is not overwritten")));
            }
        }
        let draft = YearCalendar {
            academic_year: to,
            status: YearStatus::Draft,
            copied_from: Some(from),
            dates: source.dates.shifted(from, to),
            types: source
                .types
                .iter()
                .map(|t| TypeWindows { kind: t.kind.clone(), windows: t.windows.iter().map(|w| w.shifted(from, to)).collect() })
                .collect(),
        };
        replace_year_in(conn, &draft)?;
        Ok(draft)
    })
}

/// `calendar publish`: the year goes live.
pub fn publish(conn: &mut DbConn, year: AcademicYear) -> Result<YearCalendar, ServiceError> {
    write_tx(conn, |conn| {
        let mut y = load_year(conn, year)?.ok_or(ServiceError::NotFound)?;
        y.status = YearStatus::Published;
        write_year_row(conn, &y)?;
        Ok(y)
    })
}

pub fn parse_file(json: &str) -> Result<YearCalendar, ServiceError> {
    serde_json::from_str(json).map_err(|e| ServiceError::field("calendar", e.to_string()))
}

pub fn shipped() -> Result<Vec<YearCalendar>, ServiceError> {
    SHIPPED.iter().map(|json| parse_file(json)).collect()
}

/// First start: the shipped years, unless the desk has years already (admins' data is kept).
pub fn seed(conn: &mut DbConn) -> Result<(), ServiceError> {
    let existing: i64 = academic_years::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(());
    }
    shipped()?.iter().try_for_each(|y| replace_year(conn, y))
}

/// For the console: the years around `today` that students will ask about and that are not
/// published (this year, and the next from 1 April on, when pre-enrolments open).
pub fn unpublished_soon(calendar: &Calendar, today: NaiveDate) -> Vec<AcademicYear> {
    let this = AcademicYear::of(today);
    let mut years = vec![this];
    if today.month() >= 4 && today.month() < 8 {
        years.push(this.next());
    }
    years.into_iter().filter(|y| !calendar.is_published(*y)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn shipped_calendar() -> Calendar {
        Calendar::from_years(&shipped().unwrap())
    }

    fn cohort(programme: Option<Level>, year: Option<u8>, access: Option<Access>) -> Cohort {
        Cohort { programme, year, access }
    }

    const ANY: Cohort = Cohort { programme: None, year: None, access: None };

    #[test]
    fn academic_years_run_from_1_august_to_31_july() {
        let y = AcademicYear::parse("2025/2026").unwrap();
        assert_eq!(y, AcademicYear::parse("2025-2026").unwrap());
        assert_eq!(y, AcademicYear::parse("2025/26").unwrap());
        assert!(AcademicYear::parse("2025/2027").is_err());
        assert!(AcademicYear::parse("pizza").is_err());
        assert_eq!((y.first_day(), y.last_day()), (day(2025, 8, 1), day(2026, 7, 31)));
        assert_eq!(AcademicYear::of(day(2026, 7, 31)), y);
        assert_eq!(AcademicYear::of(day(2026, 8, 1)), y.next());
        assert_eq!(y.code(), "2025/2026");
        assert_eq!(serde_json::to_value(y).unwrap(), "2025/2026");
        // A leap day a year on is the last day of February.
        assert_eq!(AcademicYear::starting(2027).shift(day(2028, 2, 29), AcademicYear::starting(2028)), day(2029, 2, 28));
    }

    /// Cap. 11: "dal 15 ottobre al 17 novembre 2025 (per i corsi di laurea triennali/magistrali a
    /// ciclo unico e per il secondo anno dei corsi di laurea magistrale); dal 29 ottobre al 21
    /// novembre 2025 (per il primo anno dei corsi di laurea magistrale …)" and "La presentazione
    /// del piano di studio oltre le scadenze previste comporterà il pagamento di una sanzione di
    /// euro 50,00".
    #[test]
    fn the_study_plan_window_depends_on_the_cohort() {
        let c = shipped_calendar();
        let bachelor = cohort(Some(Level::Laurea), Some(2), None);
        let late = c.status("piano-di-studio", day(2025, 11, 20), &bachelor);
        assert_eq!((late.state, late.late_fee_eur), (State::Late, Some(Euros(50_00))));
        let first_year_master = cohort(Some(Level::LaureaMagistrale), Some(1), None);
        let open = c.status("piano-di-studio", day(2025, 11, 20), &first_year_master);
        assert_eq!((open.state, open.closes_on), (State::Open, Some(day(2025, 11, 21))));
        let second_year_master = cohort(Some(Level::LaureaMagistrale), Some(2), None);
        assert_eq!(c.status("piano-di-studio", day(2025, 11, 20), &second_year_master).state, State::Late);
        let before = c.status("piano-di-studio", day(2025, 10, 20), &first_year_master);
        assert_eq!((before.state, before.opens_on), (State::NotYetOpen, Some(day(2025, 10, 29))));
        // Not naming the cohort: the general window, and a flag that others exist.
        let general = c.status("piano-di-studio", day(2025, 11, 20), &ANY);
        assert_eq!((general.state, general.cohort_specific), (State::Late, true));
        assert!(!open.cohort_specific);
    }

    /// Cap. 10: "Per i corsi di laurea triennali, magistrali e magistrali a ciclo unico ad
    /// accesso programmato, il pagamento dei 156,00 euro oltre il termine perentorio previsto dal
    /// relativo bando comporta invece l'esclusione dalla procedura di selezione senza la
    /// possibilità di effettuare un pagamento tardivo con sanzione."
    #[test]
    fn programmed_access_enrolment_has_no_late_period() {
        let c = shipped_calendar();
        let programmed = cohort(None, None, Some(Access::Programmato));
        let after = c.status("immatricolazione", day(2025, 10, 10), &programmed);
        assert_eq!((after.state, after.late_fee_eur), (State::Excluded, None));
        // Open access: "Dal 4 ottobre al 28 novembre 2025 è possibile presentare domanda online di
        // immatricolazione tardiva (… pagamento del previsto contributo aggiuntivo)".
        let free = c.status("immatricolazione", day(2025, 10, 10), &cohort(Some(Level::Laurea), None, Some(Access::Libero)));
        assert_eq!((free.state, free.late_fee_eur), (State::Late, Some(Euros(95_00))));
        assert_eq!(c.status("immatricolazione", day(2025, 11, 29), &ANY).state, State::Closed);
        let master = cohort(Some(Level::LaureaMagistrale), None, Some(Access::Programmato));
        assert_eq!(c.status("immatricolazione", day(2025, 10, 9), &master).state, State::Open);
        assert_eq!(c.status("immatricolazione", day(2025, 10, 10), &master).state, State::Excluded);
    }

    /// "versare contestualmente la quota di 156,00 euro dal 1° luglio al 3 ottobre 2025": a July
    /// request for enrolment concerns the coming year, a July request for single courses the
    /// current one ("nel periodo 1° agosto 2025 - 15 luglio 2026").
    #[test]
    fn a_july_enrolment_concerns_the_coming_year() {
        let c = shipped_calendar();
        let july = c.status("immatricolazione", day(2025, 7, 2), &ANY);
        assert_eq!((july.academic_year.code(), july.state), ("2025/2026".to_owned(), State::Open));
        let singles = c.status("corsi-singoli", day(2026, 7, 2), &ANY);
        assert_eq!((singles.academic_year.code(), singles.state), ("2025/2026".to_owned(), State::Open));
        // July 2026: enrolment for 2026/2027, whose calendar is not there.
        let next = c.status("immatricolazione", day(2026, 7, 2), &ANY);
        assert_eq!((next.academic_year.code(), next.state), ("2026/2027".to_owned(), State::NoCalendar));
    }

    #[test]
    fn an_unpublished_year_says_so_instead_of_inventing_a_late_fee() {
        let c = shipped_calendar();
        let s = c.status("corsi-singoli", day(2026, 12, 6), &ANY);
        assert_eq!((s.academic_year.code(), s.state, s.late_fee_eur), ("2026/2027".to_owned(), State::NoCalendar, None));
        let it = s.warning("Iscrizione a corsi singoli", Locale::It).unwrap();
        assert!(it.contains("il calendario 2026/2027 non è ancora pubblicato"), "{it}");
        let en = s.warning("Single courses", Locale::En).unwrap();
        assert!(en.contains("2026/2027 calendar is not published yet"), "{en}");
        // A procedure without windows stays possible.
        assert_eq!(c.status("rinuncia-agli-studi", day(2026, 12, 6), &ANY).state, State::Open);
        assert_eq!(unpublished_soon(&c, day(2026, 12, 6)), vec![AcademicYear::starting(2026)]);
        assert!(unpublished_soon(&c, day(2025, 12, 6)).is_empty());
    }

    #[test]
    fn a_copied_year_is_a_year_later_and_judges_once_published() {
        let mut years = shipped().unwrap();
        let from = years[0].clone();
        let to = AcademicYear::starting(2026);
        let mut copy = YearCalendar {
            academic_year: to,
            status: YearStatus::Draft,
            copied_from: Some(from.academic_year),
            dates: from.dates.shifted(from.academic_year, to),
            types: from
                .types
                .iter()
                .map(|t| TypeWindows { kind: t.kind.clone(), windows: t.windows.iter().map(|w| w.shifted(from.academic_year, to)).collect() })
                .collect(),
        };
        copy.check().unwrap();
        years.push(copy.clone());
        let draft = Calendar::from_years(&years);
        assert_eq!(draft.status("corsi-singoli", day(2026, 12, 6), &ANY).state, State::NoCalendar);
        copy.status = YearStatus::Published;
        years.pop();
        years.push(copy);
        let live = Calendar::from_years(&years);
        let s = live.status("corsi-singoli", day(2026, 12, 6), &ANY);
        assert_eq!((s.state, s.closes_on), (State::Open, Some(day(2027, 7, 15))));
        assert_eq!(live.dates(to).and_then(|d| d.first_instalment_due), Some(day(2027, 2, 17)));
    }

    /// Cap. 7: "istanza tardiva di conseguimento seconda laurea dal 4 ottobre al 28 novembre 2025,
    /// con addebito della quota aggiuntiva per istanza fuori termine" (€ 95, cap. 10).
    #[test]
    fn seconda_laurea_is_regular_until_3_october_then_late_with_95_euro_until_28_november() {
        let c = shipped_calendar();
        let s = |d| c.status("seconda-laurea", d, &ANY);
        assert_eq!((s(day(2025, 10, 3)).state, s(day(2025, 10, 3)).late_fee_eur), (State::Open, None));
        let late = s(day(2025, 10, 4));
        assert_eq!((late.state, late.closes_on, late.late_fee_eur), (State::Late, Some(day(2025, 11, 28)), Some(Euros(95_00))));
        let closed = s(day(2025, 11, 29));
        assert_eq!((closed.state, closed.late_fee_eur), (State::Closed, None));
        let before = s(day(2025, 8, 5));
        assert_eq!((before.state, before.opens_on), (State::NotYetOpen, Some(day(2025, 8, 6))));
    }

    #[test]
    fn the_close_is_the_end_of_the_last_day_in_rome() {
        // 23:59:59 CEST is 21:59:59 UTC.
        assert_eq!(end_of_day(day(2025, 10, 3)).to_string(), "2025-10-03 21:59:59");
    }

    #[test]
    fn cohorts_from_data_take_the_admission_rules_programmes_and_refuse_nonsense() {
        let mut errors = FieldErrors::default();
        let c = Cohort::from_data(&mut errors, "data.", &serde_json::json!({"programme": "lmg-01", "year": 2, "access": "libero"}));
        assert_eq!(c, cohort(Some(Level::CicloUnico), Some(2), Some(Access::Libero)));
        assert!(errors.into_result().is_ok());
        let mut errors = FieldErrors::default();
        Cohort::from_data(&mut errors, "data.", &serde_json::json!({"year": 9, "access": "chiuso"}));
        assert!(errors.into_result().is_err());
    }

    #[test]
    fn a_window_outside_its_year_is_refused() {
        let mut y = shipped().unwrap().remove(0);
        y.types[0].windows[0].to = day(2027, 1, 1);
        assert!(y.check().is_err());
    }
}
