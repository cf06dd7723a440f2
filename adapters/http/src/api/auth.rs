use application::accounts::Registration;
use chrono::{DateTime, Utc};
use poem::Request;
use poem::session::Session;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use super::{ApiTags, origin};
use crate::Services;
use crate::auth;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RegisterInput {
    #[oai(validator(max_length = 320))]
    pub email: String,
    /// 12–128 characters; common passwords are refused.
    #[oai(validator(max_length = 1024))]
    pub password: String,
    #[oai(validator(max_length = 200))]
    pub display_name: String,
    /// student | landlord | agent
    #[oai(validator(max_length = 20))]
    pub role: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LoginInput {
    #[oai(validator(max_length = 320))]
    pub email: String,
    #[oai(validator(max_length = 1024))]
    pub password: String,
}

/// A user as they see themself.
#[derive(Debug, Object)]
pub struct UserDto {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    /// student | landlord | agent | admin
    pub role: String,
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&domain::User> for UserDto {
    fn from(u: &domain::User) -> Self {
        Self {
            id: u.id.0,
            email: u.email.as_str().to_owned(),
            display_name: u.display_name.as_str().to_owned(),
            role: u.role.as_str().to_owned(),
            email_verified: u.email_verified,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct SignedIn {
    pub user: UserDto,
    /// Send this in the `X-CSRF-Token` header on every state-changing request.
    pub csrf_token: String,
}

#[derive(ApiResponse)]
pub enum Registered {
    /// The account was created; sign in next.
    #[oai(status = 201)]
    Created(Json<UserDto>),
}

#[derive(ApiResponse)]
pub enum LoggedOut {
    /// The session cookie is removed.
    #[oai(status = 204)]
    Done,
}

pub struct AuthApi;

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthApi {
    /// Register a student, landlord or agent account
    ///
    /// E-mails are unique case-insensitively (409 `email-taken`). Passwords: 12–128
    /// characters, not a common password (422 naming `password`).
    #[oai(path = "/auth/register", method = "post", operation_id = "register")]
    async fn register(&self, s: Data<&Services>, req: &Request, body: Json<RegisterInput>) -> ApiResult<Registered> {
        let b = body.0;
        let input = Registration { email: b.email, password: b.password, display_name: b.display_name, role: b.role };
        let user = s.register.execute(input, &origin(req, None)).await?;
        Ok(Registered::Created(Json(UserDto::from(&user))))
    }

    /// Sign in
    ///
    /// Sets the session cookie (HttpOnly, SameSite=Lax; Secure and `__Host-` outside dev)
    /// and returns the CSRF token. Wrong e-mail and wrong password answer identically (401).
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(&self, s: Data<&Services>, session: &Session, body: Json<LoginInput>) -> ApiResult<Json<SignedIn>> {
        let user = s.login.execute(&body.0.email, &body.0.password).await?;
        let csrf_token = auth::sign_in(session, user.id.0);
        Ok(Json(SignedIn { user: UserDto::from(&user), csrf_token }))
    }

    /// Sign out
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(&self, session: &Session) -> ApiResult<LoggedOut> {
        auth::sign_out(session);
        Ok(LoggedOut::Done)
    }

    /// The signed-in user
    #[oai(path = "/me", method = "get", operation_id = "me")]
    async fn me(&self, s: Data<&Services>, session: &Session) -> ApiResult<Json<UserDto>> {
        let user = auth::current_user(&s, session).await?.ok_or_else(ApiError::unauthenticated)?;
        Ok(Json(UserDto::from(&user)))
    }
}
