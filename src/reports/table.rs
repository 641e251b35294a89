//! Reports as tables: the rows of the CSV downloads (RFC 4180 quoting by the `csv` crate).

use super::{Group, Grouped};
use crate::error::ServiceError;

/// A report that can be written as one table.
pub trait Tabular {
    /// The report's name in file names, e.g. `volume`.
    fn name(&self) -> &'static str;
    fn header(&self) -> Vec<&'static str>;
    fn rows(&self) -> Vec<Vec<String>>;
}

/// A cell of free text (a category's name): one that a spreadsheet would run as a formula gets
/// a leading apostrophe.
pub fn text(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

/// A number that may be missing: an empty cell then.
pub fn maybe<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The whole table as CSV, header first.
pub fn to_csv(report: &impl Tabular) -> Result<Vec<u8>, ServiceError> {
    let fail = |e: csv::Error| ServiceError::Internal(format!("writing CSV: {e}"));
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(report.header()).map_err(fail)?;
    for row in report.rows() {
        out.write_record(&row).map_err(fail)?;
    }
    out.into_inner().map_err(|e| ServiceError::Internal(format!("writing CSV: {e}")))
}

/// Rows of a grouped report: `scope` (all, category, team), the group, then its cells.
pub fn grouped_rows<T>(report: &Grouped<T>, row: impl Fn(&str, &T) -> Vec<Vec<String>>) -> Vec<Vec<String>> {
    let mut rows = row("all", &report.all);
    report.by_category.iter().for_each(|g| rows.extend(row("category", g)));
    report.by_team.iter().for_each(|g| rows.extend(row("team", g)));
    rows
}

/// A row of a grouped report: the scope and the group, then `cells`.
pub fn with_lead(scope: &str, group: &Group, cells: Vec<String>) -> Vec<String> {
    let mut row = vec![scope.to_owned(), text(&group.key), text(&group.name)];
    row.extend(cells);
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sample;

    impl Tabular for Sample {
        fn name(&self) -> &'static str {
            "sample"
        }
        fn header(&self) -> Vec<&'static str> {
            vec!["key", "name", "value"]
        }
        fn rows(&self) -> Vec<Vec<String>> {
            vec![
                vec!["a".into(), text("Segreteria, \"Dalmine\"\nsede"), maybe(Some(1.5))],
                vec!["b".into(), text("=HYPERLINK(\"x\")"), maybe(None::<i64>)],
            ]
        }
    }

    #[test]
    fn quotes_separators_quotes_and_newlines_and_defuses_formulas() {
        let csv = String::from_utf8(to_csv(&Sample).unwrap()).unwrap();
        assert_eq!(csv, "key,name,value\na,\"Segreteria, \"\"Dalmine\"\"\nsede\",1.5\nb,\"'=HYPERLINK(\"\"x\"\")\",\n");
    }
}
