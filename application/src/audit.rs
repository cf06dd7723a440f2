//! Audit events: who changed what, written in the same transaction as the change.

use chrono::{DateTime, Utc};
use domain::UserId;
use uuid::Uuid;

/// The context of a change: who did it and which request carried it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub actor: Option<UserId>,
    pub request_id: Option<String>,
}

/// One audited change. `before`/`after` are summaries without secrets (never password
/// hashes; e-mails only where the change is about the e-mail).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: Uuid,
    pub actor_id: Option<UserId>,
    /// `<target>.<verb>`, e.g. `listing.publish`, `user.suspend`.
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

impl AuditEvent {
    pub fn new(
        id: Uuid,
        origin: &Origin,
        action: &str,
        target: (&str, String),
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            actor_id: origin.actor,
            action: action.to_owned(),
            target_type: target.0.to_owned(),
            target_id: target.1,
            before,
            after,
            request_id: origin.request_id.clone(),
            at,
        }
    }
}

/// Filters for the admin audit view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor_id: Option<UserId>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
}
