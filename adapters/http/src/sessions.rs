//! Server-side sessions (`SESSION_STORE=redis`): poem's `ServerSession` middleware on the
//! `SessionStore` port. The cookie (private: encrypted and signed) carries a random id
//! of 256 bits; the store sees only its SHA-256 digest, so a copy of the store lets
//! nobody in. Session data is the same JSON a cookie session would carry.
//!
//! A store that cannot be read makes the request signed out (public reads keep working,
//! nobody is let in); one that cannot be written answers 503 `unavailable` with
//! `Retry-After` (sign-in, sign-out), so nothing claims a session that was not stored.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use application::ports::SessionStore;
use poem::session::SessionStorage;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::problem::ProblemKind;

/// poem's `SessionStorage` over the `SessionStore` port.
pub struct StoredSessions(pub Arc<dyn SessionStore>);

/// The store's key for a cookie's session id.
fn digest(session_id: &str) -> String {
    use std::fmt::Write as _;
    Sha256::digest(session_id.as_bytes()).iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unavailable(e: application::ports::SessionStoreError) -> poem::Error {
    tracing::debug!(error = format!("{:#}", anyhow::Error::new(e)), "session store unavailable");
    ApiError::problem(ProblemKind::Unavailable, "Sessions are unavailable for a moment; retry shortly.").into()
}

impl SessionStorage for StoredSessions {
    async fn load_session<'a>(&'a self, session_id: &'a str) -> poem::Result<Option<BTreeMap<String, Value>>> {
        match self.0.load(&digest(session_id)).await {
            // Unreadable data (a format from another release) is no session.
            Ok(data) => Ok(data.and_then(|d| serde_json::from_str(&d).ok())),
            // Signed out while the store is away (the adapter logs the outage).
            Err(_) => Ok(None),
        }
    }

    async fn update_session<'a>(
        &'a self,
        session_id: &'a str,
        entries: &'a BTreeMap<String, Value>,
        expires: Option<Duration>,
    ) -> poem::Result<()> {
        let id = digest(session_id);
        if entries.is_empty() {
            // Signing out clears the session: nothing is left to keep.
            return self.0.remove(&id).await.map_err(unavailable);
        }
        let user = entries
            .get(crate::auth::UID)
            .and_then(|v| serde_json::from_value::<uuid::Uuid>(v.clone()).ok())
            .map(domain::UserId);
        let data = serde_json::to_string(entries).map_err(|e| ApiError::internal(&e))?;
        let ttl = expires.unwrap_or(Duration::from_secs(24 * 3600));
        self.0.save(&id, user, &data, ttl).await.map_err(unavailable)
    }

    async fn remove_session<'a>(&'a self, session_id: &'a str) -> poem::Result<()> {
        self.0.remove(&digest(session_id)).await.map_err(unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_never_sees_the_cookie_id() {
        let d = digest("abc");
        assert_eq!(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(!d.contains("abc"));
    }
}
