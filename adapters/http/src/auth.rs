//! Sessions, and authentication declared once: the [`SignedIn`] and [`MaybeSignedIn`]
//! security schemes that handlers take as a parameter.
//!
//! A session holds an `accounts::SessionClaim` (user id, issue time, the user's session
//! epoch) and the CSRF token: in a private cookie (encrypted and signed with a key
//! derived from `SECRET_KEY`) by default, or server-side (`SESSION_STORE=redis`,
//! [`crate::sessions`]) with only a random id in that cookie. `accounts::CurrentUser` re-reads the user on every
//! request and refuses the claim once it is older than `SESSION_MAX_AGE` (by the `Clock`
//! port) or the user's epoch has moved on (sign-out, sign out everywhere, suspension),
//! so a copied cookie stops working at once.
//!
//! State-changing requests that a session authenticates must carry the session's token
//! in `X-CSRF-Token` (checked here, in constant time). The OpenAPI document declares two
//! schemes, `session` (the cookie) and `csrf` (the header); operations with an unsafe
//! method require both (`openapi::refine` joins them, as poem-openapi lists each scheme
//! of an operation as an alternative).
//!
//! Ours, not poem's `Csrf` middleware: that one keeps the token in a cookie of its own
//! (double submit) and leaves the check to each handler; ours binds the token to the
//! session and checks it in the scheme every signed-in handler takes.

use std::time::Duration;

use application::accounts::{SESSION_MAX_AGE, SessionClaim};
use application::audit::Origin;
use application::listings::Viewer;
use poem::Request;
use poem::http::Method;
use poem::session::Session;
use poem::web::cookie::{CookieKey, SameSite};
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::Services;
use crate::error::Refusal;
use crate::middleware::RequestId;
use crate::problem::{Problem, ProblemKind};

pub(crate) const UID: &str = "uid";
const CSRF: &str = "csrf";
const ISSUED: &str = "iat";
const EPOCH: &str = "epoch";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session cookie's name: `__Host-` prefixed when it is `Secure` (outside dev).
pub fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-sp_session" } else { "sp_session" }
}

/// Cookie settings: `__Host-` prefix and `Secure` outside dev (HTTPS), `HttpOnly`,
/// `SameSite=Lax`, path `/`.
pub fn cookie_config(secret_key: &[u8], secure: bool) -> poem::session::CookieConfig {
    let key = CookieKey::derive_from(secret_key);
    poem::session::CookieConfig::private(key)
        .name(cookie_name(secure))
        .path("/")
        .secure(secure)
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(SESSION_MAX_AGE.to_std().unwrap_or(Duration::from_secs(14 * 24 * 3600)))
}

/// Starts a fresh session for a user; returns the CSRF token the client must echo.
pub fn sign_in(session: &Session, claim: &SessionClaim) -> String {
    // No fixation: `renew` gives a server-side session a new id (the old one is removed)
    // and a cookie session a new encrypted cookie. `purge` would forbid the sets that
    // follow.
    session.clear();
    session.renew();
    let csrf = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    session.set(UID, claim.user.0);
    session.set(CSRF, &csrf);
    session.set(ISSUED, claim.issued_at.timestamp());
    session.set(EPOCH, claim.epoch);
    csrf
}

/// Ends the session by emptying it: a cookie session gets an empty cookie, a server-side
/// one is removed from the store. (poem's `purge` emits a removal cookie without
/// `Path=/`, which browsers do not match against our cookie.)
pub fn sign_out(session: &Session) {
    if !session.is_empty() {
        session.clear();
    }
}

/// What the session cookie claims (`CurrentUser` decides whether it still holds).
fn session_claim(session: &Session) -> Option<SessionClaim> {
    Some(SessionClaim {
        user: domain::UserId(session.get(UID)?),
        issued_at: chrono::DateTime::from_timestamp(session.get(ISSUED)?, 0)?,
        epoch: session.get(EPOCH)?,
    })
}

/// A signed-in, non-suspended user, and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: domain::User,
    pub viewer: Viewer,
    /// Who acts and which request carries it, for the audit trail.
    pub origin: Origin,
    pub csrf_token: String,
}

fn refuse(kind: ProblemKind, detail: &str) -> poem::Error {
    Refusal::into_poem(Problem::new(kind, detail))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The session behind the request: `Ok(None)` when there is none (or it ended), an
/// error when it is valid but an unsafe request lacks its CSRF token.
async fn authenticate(req: &Request) -> poem::Result<Option<SignedIn>> {
    let (Some(session), Some(services)) = (req.extensions().get::<Session>(), req.data::<Services>()) else {
        return Err(refuse(ProblemKind::Internal, "session middleware missing"));
    };
    let Some(claim) = session_claim(session) else {
        if !session.is_empty() {
            sign_out(session);
        }
        return Ok(None);
    };
    let user = services.current_user.execute(claim).await.map_err(|e| {
        let e = crate::error::ApiError::from(e);
        poem::Error::from(e)
    })?;
    let Some(user) = user else {
        sign_out(session);
        return Ok(None);
    };
    crate::middleware::AccessNote::user(req, user.id);
    let csrf_token: String = session.get(CSRF).unwrap_or_default();
    if !is_safe(req.method()) {
        let given = req.headers().get(CSRF_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
        let matches: bool = given.ct_eq(csrf_token.as_bytes()).into();
        if csrf_token.is_empty() || !matches {
            return Err(refuse(
                ProblemKind::Csrf,
                "Send the csrf_token from sign-in (or GET /me) in the X-CSRF-Token header.",
            ));
        }
    }
    let viewer = Viewer { id: user.id, role: user.role };
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    Ok(Some(SignedIn { viewer, origin: Origin { actor: Some(user.id), request_id }, user, csrf_token }))
}

/// The scheme names in the OpenAPI document.
pub const SESSION_SCHEME: &str = "session";
pub const CSRF_SCHEME: &str = "csrf";

fn register_schemes(registry: &mut Registry) {
    registry.create_security_scheme(
        SESSION_SCHEME,
        MetaSecurityScheme {
            ty: "apiKey",
            description: Some(
                "The session cookie set by `POST /auth/login` (HttpOnly; `__Host-sp_session` over HTTPS, \
                 `sp_session` in development). Browsers send it by themselves.",
            ),
            name: Some("sp_session"),
            key_in: Some("cookie"),
            scheme: None,
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
    registry.create_security_scheme(
        CSRF_SCHEME,
        MetaSecurityScheme {
            ty: "apiKey",
            description: Some(
                "The session's `csrf_token` (from `POST /auth/login` or `GET /me`), required with the \
                 session cookie on every state-changing request.",
            ),
            name: Some("X-CSRF-Token"),
            key_in: Some("header"),
            scheme: None,
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
}

impl<'a> ApiExtractor<'a> for SignedIn {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_schemes(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![SESSION_SCHEME]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut poem::RequestBody,
        _opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        authenticate(req)
            .await?
            .ok_or_else(|| refuse(ProblemKind::Unauthenticated, "Sign in first (POST /api/v1/auth/login)."))
    }
}

/// Signed in or anonymous; a session, when present, is checked as for [`SignedIn`].
#[derive(Debug, Clone)]
pub struct MaybeSignedIn(pub Option<SignedIn>);

impl MaybeSignedIn {
    pub fn viewer(&self) -> Option<Viewer> {
        self.0.as_ref().map(|s| s.viewer)
    }
}

impl<'a> ApiExtractor<'a> for MaybeSignedIn {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_schemes(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![SESSION_SCHEME]
    }

    fn has_security_fallback() -> bool {
        true
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut poem::RequestBody,
        _opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        authenticate(req).await.map(MaybeSignedIn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_cookie(secure: bool) -> String {
        let cfg = cookie_config(&[7u8; 64], secure);
        let jar = poem::web::cookie::CookieJar::default();
        cfg.set_cookie_value(&jar, "{}");
        jar.get(cookie_name(secure)).expect("a cookie is set").to_string()
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
}
