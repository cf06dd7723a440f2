use application::RepositoryError;
use application::audit::AuditEvent;
use application::paging::{Page, PageRequest};
use application::ports::{UserFilter, UserRepository};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Email, User, UserId, Version};

use crate::store::{Shared, micros, page, unexpected};

/// Users of an [`InMemoryStore`](crate::InMemoryStore); same contract as the SQL repository.
#[derive(Clone)]
pub struct InMemoryUserRepository {
    state: Shared,
}

impl InMemoryUserRepository {
    pub(crate) fn new(state: Shared) -> Self {
        Self { state }
    }
}

#[async_trait]
impl UserRepository for InMemoryUserRepository {
    async fn insert(&self, user: &User, audit: &AuditEvent) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        if s.users.values().any(|u| u.email == user.email) {
            return Err(RepositoryError::Conflict("a user with this e-mail exists".into()));
        }
        if s.users.contains_key(&user.id) {
            return Err(unexpected(format!("user {} exists already", user.id)));
        }
        s.check_event(audit)?;
        s.users.insert(user.id, user.clone());
        s.audit.push(audit.clone());
        Ok(())
    }

    async fn update(&self, user: &User, expected: Version, audit: &AuditEvent) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        s.check_event(audit)?;
        let Some(stored) = s.users.get_mut(&user.id).filter(|u| u.version == expected) else {
            return Err(RepositoryError::Stale);
        };
        // The mutable fields only: e-mail and created_at stay as stored.
        stored.role = user.role;
        stored.suspended = user.suspended;
        stored.display_name = user.display_name.clone();
        stored.email_verified = user.email_verified;
        stored.password_hash = user.password_hash.clone();
        stored.updated_at = user.updated_at;
        stored.version = user.version;
        stored.session_epoch = user.session_epoch;
        s.audit.push(audit.clone());
        Ok(())
    }

    async fn end_sessions(&self, id: UserId, at: DateTime<Utc>, audit: &AuditEvent) -> Result<u64, RepositoryError> {
        let mut s = self.state.write();
        s.check_event(audit)?;
        let Some(stored) = s.users.get_mut(&id) else {
            return Err(RepositoryError::Stale);
        };
        stored.session_epoch += 1;
        stored.version = stored.version.next();
        stored.updated_at = at;
        let epoch = stored.session_epoch;
        s.audit.push(audit.clone());
        Ok(epoch)
    }

    async fn find(&self, id: UserId) -> Result<Option<User>, RepositoryError> {
        Ok(self.state.read().users.get(&id).cloned())
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepositoryError> {
        Ok(self.state.read().users.values().find(|u| u.email == *email).cloned())
    }

    async fn list(&self, filter: &UserFilter, req: PageRequest) -> Result<Page<User>, RepositoryError> {
        let needle = filter.email_contains.as_ref().map(|n| n.to_lowercase());
        let rows: Vec<User> = self
            .state
            .read()
            .users
            .values()
            .filter(|u| filter.role.is_none_or(|r| u.role == r))
            .filter(|u| needle.as_ref().is_none_or(|n| u.email.as_str().to_lowercase().contains(n.as_str())))
            .cloned()
            .collect();
        Ok(page(rows, req, 0, true, |u| (micros(u.created_at), u.id.0)))
    }
}
