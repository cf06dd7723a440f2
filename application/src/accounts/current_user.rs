use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use domain::{User, UserId};

use crate::errors::storage_errors_are_unexpected;
use crate::ports::{Clock, UserRepository};

#[derive(Debug, thiserror::Error)]
pub enum CurrentUserError {
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(CurrentUserError);

/// How long a session lasts at most, whatever the browser keeps.
pub const SESSION_MAX_AGE: Duration = Duration::days(14);

/// What a session (the private cookie) says: whose it is, when it was issued and under
/// which of the user's session epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionClaim {
    pub user: UserId,
    pub issued_at: DateTime<Utc>,
    pub epoch: u64,
}

impl SessionClaim {
    /// A session for `user`, issued now.
    pub fn issue(user: &User, now: DateTime<Utc>) -> Self {
        Self { user: user.id, issued_at: now, epoch: user.session_epoch }
    }
}

/// The signed-in user, re-read on every request: a session is over once it is older than
/// [`SESSION_MAX_AGE`] (by the `Clock` port), once the user's session epoch has moved on
/// (sign-out, "sign out everywhere", suspension), or when the user may not sign in.
#[derive(Clone)]
pub struct CurrentUser {
    users: Arc<dyn UserRepository>,
    clock: Arc<dyn Clock>,
}

impl CurrentUser {
    pub fn new(users: Arc<dyn UserRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { users, clock }
    }

    /// The user behind a session, if the session is still valid.
    #[tracing::instrument(name = "accounts.current_user", skip_all)]
    pub async fn execute(&self, claim: SessionClaim) -> Result<Option<User>, CurrentUserError> {
        let age = self.clock.now() - claim.issued_at;
        // A session "issued" in the future was not issued by us (clock skew allowance: 1 min).
        if age > SESSION_MAX_AGE || age < -Duration::minutes(1) {
            return Ok(None);
        }
        Ok(self.users.find(claim.user).await?.filter(|u| u.can_sign_in() && u.session_epoch == claim.epoch))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use domain::{DisplayName, Email, PasswordHash, Role, Version};

    use super::*;
    use crate::ports::users::MockUserRepository;

    struct At(DateTime<Utc>);

    impl Clock for At {
        fn now(&self) -> DateTime<Utc> {
            self.0
        }
    }

    fn user(epoch: u64, suspended: bool) -> User {
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        User {
            id: UserId(uuid::Uuid::nil()),
            email: Email::parse("ana@example.com").unwrap(),
            display_name: DisplayName::parse("Ana").unwrap(),
            role: Role::Student,
            password_hash: PasswordHash("x".into()),
            email_verified: true,
            suspended,
            created_at: t,
            updated_at: t,
            version: Version::FIRST,
            session_epoch: epoch,
        }
    }

    fn current(stored: User, now: DateTime<Utc>) -> CurrentUser {
        let mut users = MockUserRepository::new();
        users.expect_find().returning(move |_| Ok(Some(stored.clone())));
        CurrentUser::new(Arc::new(users), Arc::new(At(now)))
    }

    fn valid(stored: User, claim: SessionClaim, now: DateTime<Utc>) -> bool {
        futures::executor::block_on(current(stored, now).execute(claim)).unwrap().is_some()
    }

    #[test]
    fn a_session_lasts_fourteen_days_by_the_clock() {
        let issued = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let claim = SessionClaim::issue(&user(0, false), issued);
        assert!(valid(user(0, false), claim, issued + SESSION_MAX_AGE));
        assert!(!valid(user(0, false), claim, issued + SESSION_MAX_AGE + Duration::seconds(1)));
        assert!(!valid(user(0, false), claim, issued - Duration::minutes(2)), "issued in the future");
    }

    #[test]
    fn a_moved_epoch_or_a_suspension_ends_the_session() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let claim = SessionClaim::issue(&user(3, false), now);
        assert!(valid(user(3, false), claim, now));
        assert!(!valid(user(4, false), claim, now), "signed out everywhere since");
        assert!(!valid(user(3, true), claim, now), "suspended");
    }
}
