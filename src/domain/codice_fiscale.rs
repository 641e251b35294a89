use std::fmt;

use super::ParseError;

/// An Italian codice fiscale whose shape and check character are right. Omocodia (letters
/// LMNPQRSTUV standing for digits) is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodiceFiscale(String);

// Values of characters in odd (1st, 3rd, …) positions; digits map like A..J.
const ODD: [u32; 26] = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
const OMOCODIA: &str = "LMNPQRSTUV";
const MONTHS: &str = "ABCDEHLMPRST";

impl CodiceFiscale {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let value: String = raw.trim().to_uppercase();
        let chars: Vec<char> = value.chars().collect();
        if chars.len() != 16 || !chars.iter().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ParseError::coded(super::Code::CodiceFiscaleLength));
        }
        let digit_like = |c: char| c.is_ascii_digit() || OMOCODIA.contains(c);
        let shape_ok = chars.iter().enumerate().all(|(i, &c)| match i {
            0..=5 | 11 | 15 => c.is_ascii_uppercase(),
            8 => MONTHS.contains(c),
            _ => digit_like(c),
        });
        if !shape_ok {
            return Err(ParseError::coded(super::Code::CodiceFiscaleShape));
        }
        if check_char(&chars[..15]) != chars[15] {
            return Err(ParseError::coded(super::Code::CodiceFiscaleCheck));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_char(first15: &[char]) -> char {
    let value = |c: char| -> u32 {
        if c.is_ascii_digit() {
            c as u32 - '0' as u32
        } else {
            c as u32 - 'A' as u32
        }
    };
    let sum: u32 = first15
        .iter()
        .enumerate()
        .map(|(i, &c)| if i % 2 == 0 { ODD[value(c) as usize] } else { value(c) })
        .sum();
    char::from(b'A' + (sum % 26) as u8)
}

impl fmt::Display for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_codes_in_any_case() {
        assert_eq!(CodiceFiscale::parse("RSSMRA85T10A562S").unwrap().as_str(), "RSSMRA85T10A562S");
        assert!(CodiceFiscale::parse(" rssmra85t10a562s ").is_ok());
        // Omocodia: the last digit 2 replaced by N, and the check character recomputed.
        assert!(CodiceFiscale::parse("RSSMRA85T10A56NH").is_ok());
    }

    #[test]
    fn refuses_a_wrong_check_character() {
        let err = CodiceFiscale::parse("RSSMRA85T10A562T").unwrap_err();
        assert!(err.0.contains("check character"));
    }

    #[test]
    fn refuses_wrong_shapes() {
        for bad in ["", "RSSMRA85T10A562", "RSSMRA85T10A562SX", "1SSMRA85T10A562S", "RSSMRA85Z10A562S", "RSSMRA85T10A5-2S"] {
            assert!(CodiceFiscale::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn every_check_letter_but_one_is_refused() {
        let accepted = ('A'..='Z').filter(|c| CodiceFiscale::parse(&format!("RSSMRA85T10A562{c}")).is_ok()).count();
        assert_eq!(accepted, 1);
    }
}
