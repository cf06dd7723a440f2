//! Money: integer pence, never floats.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// An amount of money in pence (≥ 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pence(i64);

impl Pence {
    pub const ZERO: Pence = Pence(0);

    pub fn new(field: &'static str, value: i64, max: i64) -> Result<Self, ValidationError> {
        if value < 0 {
            return Err(ValidationError::new(field, "must not be negative"));
        }
        if value > max {
            return Err(ValidationError::new(field, format!("must be at most {max} pence")));
        }
        Ok(Self(value))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Pence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "£{}.{:02}", self.0 / 100, self.0 % 100)
    }
}
