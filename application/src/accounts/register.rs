use domain::{DisplayName, Email, NewPassword, Role, SignupRole, User, UserId, ValidationError};

use super::{AccountPorts, summary};
use crate::RepositoryError;
use crate::audit::{AuditEvent, Origin};

/// Raw registration input, validated here so every problem is reported at once.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub display_name: String,
    /// Admins cannot be chosen: they are made by the CLI.
    pub role: SignupRole,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// E-mail, password or name (every problem, by field).
    #[error("invalid registration")]
    Invalid(Vec<ValidationError>),
    /// The e-mail is taken. Deliberately says no more.
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl From<RepositoryError> for RegisterError {
    fn from(e: RepositoryError) -> Self {
        match e {
            // The unique index decides races between two registrations.
            RepositoryError::Conflict(_) => RegisterError::EmailTaken,
            e => RegisterError::Unexpected(e.into_unexpected()),
        }
    }
}

pub(super) struct Valid {
    email: Email,
    password: NewPassword,
    display_name: DisplayName,
    role: Role,
}

pub(super) fn validate(email: &str, password: &str, name: &str, role: Role) -> Result<Valid, Vec<ValidationError>> {
    let mut errors: Vec<ValidationError> = Vec::new();
    let email = Email::parse(email).map_err(|e| errors.push(e)).ok();
    let password = NewPassword::parse(password).map_err(|e| errors.push(e)).ok();
    let display_name = DisplayName::parse(name).map_err(|e| errors.push(e)).ok();
    match (email, password, display_name) {
        (Some(email), Some(password), Some(display_name)) => Ok(Valid { email, password, display_name, role }),
        _ => Err(errors),
    }
}

/// `POST /auth/register`: a new student, landlord or agent.
#[derive(Clone)]
pub struct Register {
    ports: AccountPorts,
}

impl Register {
    pub fn new(ports: AccountPorts) -> Self {
        Self { ports }
    }

    #[tracing::instrument(name = "accounts.register", skip_all)]
    pub async fn execute(&self, input: Registration, origin: &Origin) -> Result<User, RegisterError> {
        let v = validate(&input.email, &input.password, &input.display_name, input.role.into())
            .map_err(RegisterError::Invalid)?;
        create(&self.ports, v, origin, "user.register").await
    }
}

/// Stores a validated new account (its own actor when nobody is signed in).
pub(super) async fn create(p: &AccountPorts, v: Valid, origin: &Origin, action: &str) -> Result<User, RegisterError> {
    // Fail fast (and cheaply) on a taken e-mail; the unique index still decides races.
    if p.users.find_by_email(&v.email).await?.is_some() {
        return Err(RegisterError::EmailTaken);
    }
    let password_hash = p.hasher.hash(&v.password).await.map_err(RegisterError::Unexpected)?;
    let now = p.clock.now();
    let user = User {
        id: UserId(p.ids.new_id()),
        email: v.email,
        display_name: v.display_name,
        role: v.role,
        password_hash,
        email_verified: false,
        suspended: false,
        created_at: now,
        updated_at: now,
        version: domain::Version::FIRST,
        session_epoch: 0,
    };
    let origin = Origin { actor: origin.actor.or(Some(user.id)), request_id: origin.request_id.clone() };
    let audit = AuditEvent::new(
        p.ids.new_id(),
        &origin,
        action,
        ("user", user.id.to_string()),
        None,
        Some(summary(&user)),
        now,
    );
    p.users.insert(&user, &audit).await?;
    tracing::info!(user_id = %user.id, role = user.role.as_str(), "user registered");
    Ok(user)
}
