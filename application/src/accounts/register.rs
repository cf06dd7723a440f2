use domain::{DisplayName, Email, NewPassword, Role, User, UserId, ValidationError};

use super::{AccountError, AccountPorts, summary};
use crate::audit::{AuditEvent, Origin};

/// Raw registration input, validated here so every problem is reported at once.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub role: String,
}

struct Valid {
    email: Email,
    password: NewPassword,
    display_name: DisplayName,
    role: Role,
}

fn validate(r: &Registration, admin_allowed: bool) -> Result<Valid, AccountError> {
    let mut errors: Vec<ValidationError> = Vec::new();
    let email = Email::parse(&r.email).map_err(|e| errors.push(e)).ok();
    let password = NewPassword::parse(&r.password).map_err(|e| errors.push(e)).ok();
    let display_name = DisplayName::parse(&r.display_name).map_err(|e| errors.push(e)).ok();
    let role = Role::parse(&r.role).map_err(|e| errors.push(e)).ok();
    match (email, password, display_name, role) {
        (Some(email), Some(password), Some(display_name), Some(role)) if errors.is_empty() => {
            if !role.self_service() && !admin_allowed {
                return Err(AccountError::RoleNotSelfService);
            }
            Ok(Valid { email, password, display_name, role })
        }
        _ => Err(AccountError::Invalid(errors)),
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
    pub async fn execute(&self, input: Registration, origin: &Origin) -> Result<User, AccountError> {
        let v = validate(&input, false)?;
        create(&self.ports, v, origin).await
    }
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
    pub async fn execute(&self, email: &str, display_name: &str, password: &str) -> Result<User, AccountError> {
        let input = Registration {
            email: email.to_owned(),
            password: password.to_owned(),
            display_name: display_name.to_owned(),
            role: "admin".to_owned(),
        };
        let v = validate(&input, true)?;
        create(&self.ports, v, &Origin { actor: None, request_id: Some("cli".into()) }).await
    }
}

async fn create(p: &AccountPorts, v: Valid, origin: &Origin) -> Result<User, AccountError> {
    // Fail fast (and cheaply) on a taken e-mail; the unique index still decides races.
    if p.users.find_by_email(&v.email).await?.is_some() {
        return Err(AccountError::EmailTaken);
    }
    let password_hash = p.hasher.hash(&v.password).await?;
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
    };
    let origin = Origin { actor: origin.actor.or(Some(user.id)), request_id: origin.request_id.clone() };
    let audit = AuditEvent::new(
        p.ids.new_id(),
        &origin,
        "user.register",
        ("user", user.id.to_string()),
        None,
        Some(summary(&user)),
        now,
    );
    p.users.insert(&user, &audit).await?;
    tracing::info!(user_id = %user.id, role = user.role.as_str(), "user registered");
    Ok(user)
}
