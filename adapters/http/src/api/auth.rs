//! `/auth/*`: registration, sign-in, sign-out (`application::accounts`).

use application::accounts::{Registration, SessionsEnd};
use application::rate_limit::Limit;
use domain::SignupRole;
use poem::Request;
use poem::session::Session;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::me::{SignedInDto, UserDto};
use super::{ApiTags, anonymous_origin};
use crate::Services;
use crate::auth::{self, MaybeSignedIn};
use crate::error::ApiResult;
use crate::middleware::ClientIp;
use crate::types::{Closed, Text};

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RegisterInput {
    /// Unique, case-insensitively.
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: Text,
    /// 12–128 characters; common passwords are refused (422).
    #[oai(validator(min_length = 12, max_length = 128))]
    pub password: Text,
    /// 1–60 characters (runs of whitespace count as one space).
    #[oai(validator(min_length = 1, max_length = 60))]
    pub display_name: Text,
    /// Admins are never registered; they are made with `student-palace admin create`.
    pub role: Closed<SignupRole>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LoginInput {
    #[oai(validator(max_length = 320))]
    pub email: Text,
    #[oai(validator(max_length = 1024))]
    pub password: Text,
}

#[derive(ApiResponse)]
pub enum Registered {
    /// The account was created; sign in next.
    #[oai(status = 201)]
    Created(Json<UserDto>),
}

#[derive(ApiResponse)]
pub enum LoggedOut {
    /// The session cookie is replaced by an empty one.
    #[oai(status = 204)]
    Done,
}

pub struct AuthApi;

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthApi {
    /// Register a student, landlord or agent account
    ///
    /// `accounts::Register`. E-mails are unique case-insensitively (409 `email-taken`).
    /// A common password or an invalid e-mail is 422 naming the field. Registrations are
    /// limited per client address (429 `rate-limited`).
    #[oai(path = "/auth/register", method = "post", operation_id = "register")]
    async fn register(&self, s: Data<&Services>, req: &Request, body: Json<RegisterInput>) -> ApiResult<Registered> {
        s.throttle.check(Limit::RegisterIp, &ClientIp::of(req).to_string()).await?;
        let b = body.0;
        let input =
            Registration { email: b.email.0, password: b.password.0, display_name: b.display_name.0, role: b.role.0 };
        let user = s.register.execute(input, &anonymous_origin(req)).await?;
        Ok(Registered::Created(Json(UserDto::from(&user))))
    }

    /// Sign in
    ///
    /// `accounts::Login`. Sets the session cookie (HttpOnly, SameSite=Lax; Secure and
    /// `__Host-` outside dev) and returns the CSRF token. Wrong e-mail and wrong password
    /// answer identically (401 `bad-credentials`). Attempts are limited per client address
    /// and per account (429 `rate-limited`).
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        s: Data<&Services>,
        req: &Request,
        session: &Session,
        body: Json<LoginInput>,
    ) -> ApiResult<Json<SignedInDto>> {
        // Per address (one machine trying many accounts) and per account (many machines
        // trying one), before the password is hashed.
        s.throttle.check(Limit::LoginIp, &ClientIp::of(req).to_string()).await?;
        // The account as the store names it (an address that does not parse names none,
        // and counts under what was typed).
        let account =
            domain::Email::parse(&body.0.email).map_or_else(|_| body.0.email.0.clone(), |e| e.as_str().to_owned());
        s.throttle.check(Limit::LoginAccount, &account).await?;
        let (user, claim) = s.login.execute(&body.0.email, &body.0.password).await?;
        let csrf_token = auth::sign_in(session, &claim);
        Ok(Json(SignedInDto { user: UserDto::from(&user), csrf_token }))
    }

    /// Sign out
    ///
    /// `accounts::EndSessions`. Ends the session on the server, not just in this browser:
    /// signing out ends every session of the account (a copied cookie is refused from
    /// then on; server-side sessions are deleted). Signed out already: 204 all the same.
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(&self, who: MaybeSignedIn, s: Data<&Services>, session: &Session) -> ApiResult<LoggedOut> {
        if let Some(who) = who.0 {
            s.end_sessions.execute(who.user.id, SessionsEnd::SignOut, &who.origin).await?;
        }
        auth::sign_out(session);
        Ok(LoggedOut::Done)
    }
}
