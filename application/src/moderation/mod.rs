//! Admin moderation: one module per use case. Every use case here refuses non-admins.
//!
//! | module | use case | endpoint |
//! | --- | --- | --- |
//! | `unpublish` | [`UnpublishListing`] | `POST /admin/listings/{id}/unpublish` |
//! | `suspension` | [`SetSuspension`] | `POST /admin/users/{id}/suspend`, `.../unsuspend` |
//! | `users` | [`ListUsers`] | `GET /admin/users` |
//! | `audit_trail` | [`ReadAuditTrail`] | `GET /admin/audit` |

mod audit_trail;
mod suspension;
mod unpublish;
mod users;

use std::sync::Arc;

pub use audit_trail::{ReadAuditTrail, ReadAuditTrailError};
pub use suspension::{SetSuspension, SetSuspensionError};
pub use unpublish::{UnpublishListing, UnpublishListingError};
pub use users::{ListUsers, ListUsersError};

use crate::ports::{AuditLog, Clock, IdGen, UserRepository};

/// The ports of the user-facing moderation use cases.
#[derive(Clone)]
pub struct ModerationPorts {
    pub users: Arc<dyn UserRepository>,
    pub audit: Arc<dyn AuditLog>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    /// Suspension removes the user's server-side sessions.
    pub sessions: crate::accounts::ServerSessions,
    /// A suspension hides (or lifting it shows) the user's listings and counts.
    pub public: crate::cached::PublicVersion,
}
