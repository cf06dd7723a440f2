//! Enquiries: a student asks a landlord about a listing.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ValidationError;
use crate::listing::ListingId;
use crate::user::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EnquiryId(pub Uuid);

impl fmt::Display for EnquiryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The message, 10–2,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnquiryMessage(String);

impl EnquiryMessage {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
            return Err(ValidationError::new("message", "must not contain control characters"));
        }
        let s = raw.trim().replace("\r\n", "\n");
        match s.chars().count() {
            n if n < 10 => Err(ValidationError::new("message", "must be at least 10 characters")),
            n if n > 2000 => Err(ValidationError::new("message", "must be at most 2000 characters")),
            _ => Ok(Self(s)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Up to five preferred viewing dates, today or later, distinct and sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ViewingDates(Vec<NaiveDate>);

impl ViewingDates {
    pub const MAX: usize = 5;

    pub fn parse(mut dates: Vec<NaiveDate>, today: NaiveDate) -> Result<Self, ValidationError> {
        if dates.len() > Self::MAX {
            return Err(ValidationError::new("viewing_dates", format!("at most {} dates", Self::MAX)));
        }
        if dates.iter().any(|d| *d < today) {
            return Err(ValidationError::new("viewing_dates", "dates must be today or later"));
        }
        if dates.iter().any(|d| *d > today + chrono::Days::new(366)) {
            return Err(ValidationError::new("viewing_dates", "dates must be within a year"));
        }
        dates.sort_unstable();
        dates.dedup();
        Ok(Self(dates))
    }

    /// Dates as stored (no date checks: they were valid when sent).
    pub fn from_stored(dates: Vec<NaiveDate>) -> Self {
        Self(dates)
    }

    pub fn dates(&self) -> &[NaiveDate] {
        &self.0
    }
}

crate::closed_set!(
    /// Where an enquiry is: new → replied → closed.
    EnquiryStatus, "status", { New => "new", Replied => "replied", Closed => "closed" }
);

impl EnquiryStatus {
    /// new → replied → closed; new → closed. Closed is final.
    pub fn can_become(self, next: EnquiryStatus) -> bool {
        matches!(
            (self, next),
            (EnquiryStatus::New, EnquiryStatus::Replied | EnquiryStatus::Closed)
                | (EnquiryStatus::Replied, EnquiryStatus::Closed)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enquiry {
    pub id: EnquiryId,
    pub listing_id: ListingId,
    pub sender_id: UserId,
    pub owner_id: UserId,
    pub message: EnquiryMessage,
    pub viewing_dates: ViewingDates,
    pub status: EnquiryStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_move_forward_only() {
        use EnquiryStatus::*;
        assert!(New.can_become(Replied) && New.can_become(Closed) && Replied.can_become(Closed));
        for (a, b) in [(Replied, New), (Closed, New), (Closed, Replied), (New, New), (Closed, Closed)] {
            assert!(!a.can_become(b), "{a:?} → {b:?}");
        }
    }

    #[test]
    fn viewing_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let v = ViewingDates::parse(vec![d("2026-12-02"), d("2026-11-25"), d("2026-12-02")], today).unwrap();
        assert_eq!(v.dates(), [d("2026-11-25"), d("2026-12-02")]);
        assert!(ViewingDates::parse(vec![d("2026-11-24")], today).is_err());
        assert!(ViewingDates::parse(vec![d("2028-01-01")], today).is_err());
        assert!(ViewingDates::parse(vec![today; 6], today).is_err());
    }

    #[test]
    fn messages() {
        assert!(EnquiryMessage::parse("hi").is_err());
        assert!(EnquiryMessage::parse(&"x".repeat(2001)).is_err());
        assert!(EnquiryMessage::parse("Is the garden shared?\nThanks").is_ok());
    }
}
