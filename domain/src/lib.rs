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

pub use city::{Area, AreaName, City, CityName, CitySlug};
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
