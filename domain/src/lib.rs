//! Student Palace domain: entities, value objects and the invariants they keep.
//!
//! Nothing in this crate performs I/O or knows about an async runtime, a database or
//! a web framework. Values are validated on construction (`parse`/`new`), so an invalid
//! value cannot exist past that point.

pub mod city;
pub mod enquiry;
pub mod listing;
pub mod money;
pub mod photo;
pub mod rules;
pub mod user;
mod vocabulary;

pub use city::{Area, AreaName, City, CityName, CitySlug, same_name};
pub use money::Pence;
pub use user::{DisplayName, Email, NewPassword, PasswordHash, Role, SignupRole, User, UserId};
pub use vocabulary::ClosedSet;

/// How many times a stored entity has been written: 1 when created, one more with every
/// write. A write names the version it was based on and happens only if that is still the
/// stored one (`docs/architecture.md`, "Concurrency"); a listing's version is its `ETag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u64);

impl Version {
    pub const FIRST: Version = Version(1);

    #[must_use]
    pub fn next(self) -> Version {
        Version(self.0 + 1)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A value failed validation. `field` names the input, `message` says what is wrong in
/// words fit for an API client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

/// The calendar date in the UK (Europe/London) at `now`: what "today" means for
/// availability, licence and EPC expiry and viewing dates. Between midnight and 1 am
/// in summer time the UTC date is still yesterday.
pub fn uk_today(now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    now.with_timezone(&chrono_tz::Europe::London).date_naive()
}

#[cfg(test)]
mod uk_today_tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    #[test]
    fn today_is_the_london_date_in_summer_and_winter() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        // BST (UTC+1): 23:30 UTC on 30 June is already 1 July in London.
        assert_eq!(super::uk_today(Utc.with_ymd_and_hms(2027, 6, 30, 23, 30, 0).unwrap()), d(2027, 7, 1));
        assert_eq!(super::uk_today(Utc.with_ymd_and_hms(2027, 6, 30, 22, 59, 0).unwrap()), d(2027, 6, 30));
        // GMT (UTC+0) in winter: the UTC date.
        assert_eq!(super::uk_today(Utc.with_ymd_and_hms(2027, 12, 31, 23, 30, 0).unwrap()), d(2027, 12, 31));
        // The clocks go forward at 01:00 UTC on the last Sunday of March (28 March 2027).
        assert_eq!(super::uk_today(Utc.with_ymd_and_hms(2027, 3, 28, 23, 0, 0).unwrap()), d(2027, 3, 29));
        assert_eq!(super::uk_today(Utc.with_ymd_and_hms(2027, 3, 27, 23, 0, 0).unwrap()), d(2027, 3, 27));
    }
}
