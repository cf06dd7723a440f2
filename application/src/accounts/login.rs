use domain::{Email, User};

use super::{AccountPorts, SessionClaim};
use crate::errors::storage_errors_are_unexpected;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown e-mail, wrong password and suspended account all look alike.
    #[error("e-mail or password is wrong")]
    BadCredentials,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(LoginError);

/// `POST /auth/login`. Unknown e-mail, wrong password and suspended account answer the
/// same error after the same work (a hash verification every time).
#[derive(Clone)]
pub struct Login {
    ports: AccountPorts,
}

impl Login {
    pub fn new(ports: AccountPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "accounts.login", skip_all)]
    pub async fn execute(&self, email: &str, password: &str) -> Result<(User, SessionClaim), LoginError> {
        // Over-long input is refused before hashing (no CPU amplification).
        if password.len() > 4 * domain::NewPassword::MAX_CHARS || email.len() > 320 {
            return Err(LoginError::BadCredentials);
        }
        let user = match Email::parse(email) {
            Ok(e) => self.ports.users.find_by_email(&e).await?,
            Err(_) => None,
        };
        let hash = user.as_ref().map_or_else(|| self.ports.hasher.dummy_hash(), |u| u.password_hash.clone());
        let matches = self.ports.hasher.verify(password, &hash).await.map_err(LoginError::Unexpected)?;
        match user {
            Some(u) if matches && u.can_sign_in() => {
                tracing::info!(user_id = %u.id, "signed in");
                let claim = SessionClaim::issue(&u, self.ports.clock.now());
                Ok((u, claim))
            }
            _ => {
                tracing::info!("sign-in refused");
                Err(LoginError::BadCredentials)
            }
        }
    }
}
