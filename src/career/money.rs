//! Money as the guide writes it.

use serde::{Deserialize, Serialize};

/// Euro amounts as the guide writes them (95, 16, 111): whole cents, shown as euros.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(into = "f64", try_from = "f64")]
#[schema(value_type = f64)]
pub struct Euros(pub i64);

impl From<Euros> for f64 {
    fn from(e: Euros) -> f64 {
        e.0 as f64 / 100.0
    }
}

impl TryFrom<f64> for Euros {
    type Error = String;
    fn try_from(v: f64) -> Result<Self, String> {
        if v.is_finite() && (0.0..=100_000.0).contains(&v) {
            Ok(Euros((v * 100.0).round() as i64))
        } else {
            Err(format!("{v} is not an amount in euros between 0 and 100000"))
        }
    }
}
