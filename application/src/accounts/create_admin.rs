use domain::{Role, User, ValidationError};

use super::AccountPorts;
use super::register::{RegisterError, create, validate};
use crate::audit::Origin;

#[derive(Debug, thiserror::Error)]
pub enum CreateAdminError {
    /// E-mail, password or name (every problem, by field).
    #[error("invalid admin account")]
    Invalid(Vec<ValidationError>),
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

/// `student-palace admin create`: admins are never self-registered.
#[derive(Clone)]
pub struct CreateAdmin {
    ports: AccountPorts,
}

impl CreateAdmin {
    pub fn new(ports: AccountPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "accounts.create_admin", skip_all)]
    pub async fn execute(&self, email: &str, display_name: &str, password: &str) -> Result<User, CreateAdminError> {
        let v = validate(email, password, display_name, Role::Admin).map_err(CreateAdminError::Invalid)?;
        let origin = Origin { actor: None, request_id: Some("cli".into()) };
        create(&self.ports, v, &origin, "user.register").await.map_err(|e| match e {
            RegisterError::Invalid(v) => CreateAdminError::Invalid(v),
            RegisterError::EmailTaken => CreateAdminError::EmailTaken,
            RegisterError::Unexpected(e) => CreateAdminError::Unexpected(e),
        })
    }
}
