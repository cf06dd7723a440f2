//! Sessions and CSRF.
//!
//! Sessions are stateless: a private cookie (encrypted and signed with a key derived from
//! `SECRET_KEY`) holding the user id, the CSRF token and the issue time. The user is
//! re-read on every request, so suspension ends a session at once; sessions older than
//! `SESSION_MAX_AGE` are refused whatever the browser keeps.

use std::time::Duration;

use application::listings::Viewer;
use poem::http::{Method, StatusCode};
use poem::session::Session;
use poem::web::cookie::{CookieKey, SameSite};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use uuid::Uuid;

use crate::Services;
use crate::error::{ApiError, ApiResult};
use crate::problem::Problem;

pub const SESSION_MAX_AGE: Duration = Duration::from_secs(14 * 24 * 3600);
const UID: &str = "uid";
const CSRF: &str = "csrf";
const ISSUED: &str = "iat";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Cookie settings: `__Host-` prefix and `Secure` outside dev (HTTPS), `HttpOnly`,
/// `SameSite=Lax`, path `/`.
pub fn cookie_config(secret_key: &[u8], secure: bool) -> poem::session::CookieConfig {
    let key = CookieKey::derive_from(secret_key);
    let name = if secure { "__Host-sp_session" } else { "sp_session" };
    poem::session::CookieConfig::private(key)
        .name(name)
        .path("/")
        .secure(secure)
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(SESSION_MAX_AGE)
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Starts a fresh session for a user; returns the CSRF token the client must echo.
pub fn sign_in(session: &Session, user_id: Uuid) -> String {
    // A cookie session lives in the client: clearing and refilling it issues a new
    // encrypted cookie (no fixation). `purge` would forbid the sets that follow.
    session.clear();
    let csrf = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    session.set(UID, user_id);
    session.set(CSRF, &csrf);
    session.set(ISSUED, now_secs());
    csrf
}

/// Ends the session by replacing the cookie with an empty one. (poem's `purge` emits a
/// removal cookie without `Path=/`, which browsers do not match against our cookie.)
pub fn sign_out(session: &Session) {
    session.clear();
}

fn session_user(session: &Session) -> Option<Uuid> {
    let issued: u64 = session.get(ISSUED)?;
    if now_secs().saturating_sub(issued) > SESSION_MAX_AGE.as_secs() {
        return None;
    }
    session.get(UID)
}

/// The signed-in user, if any. A session whose user is gone or suspended is ended.
pub async fn current_user(services: &Services, session: &Session) -> ApiResult<Option<domain::User>> {
    let Some(id) = session_user(session) else {
        if !session.is_empty() {
            sign_out(session);
        }
        return Ok(None);
    };
    let user = services.current_user.execute(domain::UserId(id)).await?;
    if user.is_none() {
        sign_out(session);
    }
    Ok(user)
}

/// Who is signed in, as the use cases need it.
pub async fn viewer(services: &Services, session: &Session) -> ApiResult<Option<Viewer>> {
    Ok(current_user(services, session).await?.map(|u| Viewer { id: u.id, role: u.role }))
}

/// The signed-in user, or 401.
pub async fn require(services: &Services, session: &Session) -> ApiResult<Viewer> {
    viewer(services, session).await?.ok_or_else(ApiError::unauthenticated)
}

/// Every state-changing request that a session cookie authenticates must carry the
/// session's token in `X-CSRF-Token`; otherwise 403. Sign-in and registration do not act
/// with the session's authority and are exempt.
pub struct Csrf;

impl<E: Endpoint> Middleware<E> for Csrf {
    type Output = CsrfEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        CsrfEndpoint(ep)
    }
}

pub struct CsrfEndpoint<E>(E);

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl<E: Endpoint> Endpoint for CsrfEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        let exempt = matches!(req.uri().path(), "/api/v1/auth/login" | "/api/v1/auth/register");
        if unsafe_method && !exempt {
            let session = req.extensions().get::<Session>().cloned();
            if let Some(session) = session
                && let Some(expected) = session.get::<String>(CSRF)
                && session_user(&session).is_some()
            {
                let given = req.headers().get(CSRF_HEADER).map(|v| v.as_bytes().to_vec()).unwrap_or_default();
                if !constant_time_eq(&given, expected.as_bytes()) {
                    return Ok(Problem::new(StatusCode::FORBIDDEN, "csrf", "CSRF token missing or wrong")
                        .detail("Send the csrf_token from sign-in in the X-CSRF-Token header.")
                        .into_response());
                }
            }
        }
        self.0.call(req).await.map(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_cookie(secure: bool) -> String {
        let cfg = cookie_config(&[7u8; 64], secure);
        let jar = poem::web::cookie::CookieJar::default();
        cfg.set_cookie_value(&jar, "{}");
        let name = if secure { "__Host-sp_session" } else { "sp_session" };
        jar.get(name).expect("a cookie is set").to_string()
    }

    #[test]
    fn outside_dev_the_cookie_is_secure_and_host_prefixed() {
        let c = set_cookie(true);
        assert!(c.starts_with("__Host-sp_session="), "{c}");
        for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=1209600"] {
            assert!(c.contains(attr), "{attr} in {c}");
        }
        assert!(!c.contains("Domain="), "__Host- cookies carry no Domain: {c}");
        assert!(!c.contains("{}"), "the value is encrypted: {c}");
    }

    #[test]
    fn in_dev_the_cookie_works_over_plain_http() {
        let c = set_cookie(false);
        assert!(c.starts_with("sp_session=") && !c.contains("Secure") && c.contains("HttpOnly"), "{c}");
    }

    #[test]
    fn csrf_tokens_compare_in_constant_time_and_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
