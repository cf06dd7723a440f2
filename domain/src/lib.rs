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
