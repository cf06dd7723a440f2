use std::time::Duration;

use async_trait::async_trait;
use domain::UserId;

/// Errors of the `SessionStore` port.
#[derive(Debug, thiserror::Error)]
pub enum SessionStoreError {
    /// The store could not be reached in time. Nobody is let in on a session that cannot
    /// be read (the request counts as signed out); a session that cannot be written
    /// answers 503 with `Retry-After`.
    #[error("session store unavailable")]
    Unavailable(#[source] anyhow::Error),
}

/// Server-side sessions (`SESSION_STORE=redis`): the session cookie carries only an id,
/// and the session's data lives here, shared by every instance.
///
/// Ids are opaque keys chosen by the caller (the HTTP adapter hands in a digest of the
/// cookie's random id, never the id itself, so a copy of the store lets nobody in).
/// `data` is opaque too (the HTTP adapter's JSON). Implementations keep, per user, the
/// ids of their sessions so that [`SessionStore::remove_all_for`] can end them.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// The data saved under `id`, unless it expired or was removed.
    async fn load(&self, id: &str) -> Result<Option<String>, SessionStoreError>;

    /// Saves `data` under `id` for `ttl` (replacing what was there), filed under `user`
    /// when the session is signed in.
    async fn save(&self, id: &str, user: Option<UserId>, data: &str, ttl: Duration) -> Result<(), SessionStoreError>;

    /// Removes the session `id`; removing a missing one is not an error.
    async fn remove(&self, id: &str) -> Result<(), SessionStoreError>;

    /// Removes every session filed under `user` (sign out everywhere, password change,
    /// suspension); returns how many were there.
    async fn remove_all_for(&self, user: UserId) -> Result<u64, SessionStoreError>;

    /// A round trip to the store (readiness).
    async fn ping(&self) -> Result<(), SessionStoreError>;
}
