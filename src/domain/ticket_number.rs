use std::fmt;
use std::str::FromStr;

use super::ParseError;

/// `PREFIX-YYYY-NNNNNN`, e.g. `HD-2025-000042`. The sequence pads to six digits and grows
/// past them rather than wrapping.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TicketNumber {
    prefix: String,
    year: i32,
    seq: i64,
}

impl TicketNumber {
    /// A number as people type it in an address or a form (`hd-2026-000001`, spaces around).
    pub fn parse_any_case(raw: &str) -> Result<Self, ParseError> {
        raw.trim().to_ascii_uppercase().parse()
    }

    pub fn new(prefix: &str, year: i32, seq: i64) -> Self {
        Self { prefix: prefix.to_owned(), year, seq }
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn seq(&self) -> i64 {
        self.seq
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:04}-{:06}", self.prefix, self.year, self.seq)
    }
}

impl FromStr for TicketNumber {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseError::new(format!("'{s}' is not a ticket number like HD-2025-000042"));
        let mut parts = s.rsplitn(3, '-');
        let (Some(seq), Some(year), Some(prefix)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let prefix_ok = !prefix.is_empty()
            && prefix.len() <= 10
            && prefix.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let year_ok = year.len() == 4 && year.chars().all(|c| c.is_ascii_digit());
        let seq_ok = (6..=12).contains(&seq.len()) && seq.chars().all(|c| c.is_ascii_digit());
        if !(prefix_ok && year_ok && seq_ok) {
            return Err(bad());
        }
        let year = year.parse().map_err(|_| bad())?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        if seq == 0 {
            return Err(bad());
        }
        Ok(Self { prefix: prefix.to_owned(), year, seq })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_six_digit_padding() {
        assert_eq!(TicketNumber::new("HD", 2025, 42).to_string(), "HD-2025-000042");
        assert_eq!(TicketNumber::new("HD", 2026, 1_234_567).to_string(), "HD-2026-1234567");
    }

    #[test]
    fn parses_what_it_formats() {
        let n: TicketNumber = "HD-2025-000042".parse().unwrap();
        assert_eq!((n.year(), n.seq()), (2025, 42));
        assert_eq!(n.to_string(), "HD-2025-000042");
    }

    #[test]
    fn refuses_malformed_numbers() {
        for bad in ["", "HD-2025-42", "hd-2025-000042", "HD-25-000042", "HD-2025-000000", "2025-000042", "HD-2025-00004x"] {
            assert!(bad.parse::<TicketNumber>().is_err(), "{bad} should not parse");
        }
    }
}
