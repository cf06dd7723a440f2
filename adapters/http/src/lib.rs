//! The HTTP adapter: poem + poem-openapi. Routes call use cases only; every error leaves
//! as `application/problem+json` (RFC 9457) from one mapping in [`problem`].
//!
//! Middleware, outermost first (Loco's order): request id + access log → security
//! headers → timeout → panic catcher → problem+json for every error → session cookie →
//! CSRF → body size limit → routes.

// poem-openapi handlers take one argument per query parameter, and `ApiError` carries a
// problem document by value on the (cold) error path.
#![allow(clippy::too_many_arguments, clippy::result_large_err, clippy::unused_async)]

mod api;
pub mod auth;
pub mod error;
mod health;
mod middleware;
mod payload;
pub mod problem;

use std::time::Duration;

use application::accounts::{CurrentUser, Login, Register};
use application::enquiries::Enquiries;
use application::health::CheckReadiness;
use application::listings::{
    ChangeStatus, CitiesWithCounts, CreateListing, DeleteListing, GetListing, MyListings, SearchListings, SiteCounters,
    UpdateListing,
};
use application::moderation::Moderation;
use application::shortlist::Shortlist;
use poem::endpoint::BoxEndpoint;
use poem::middleware::CatchPanic;
use poem::session::CookieSession;
use poem::{EndpointExt, Route, get};
use poem_openapi::OpenApiService;

pub use middleware::RequestId;

/// The use cases the HTTP surface calls.
#[derive(Clone)]
pub struct Services {
    pub readiness: CheckReadiness,
    pub register: Register,
    pub login: Login,
    pub current_user: CurrentUser,
    pub cities_with_counts: CitiesWithCounts,
    pub stats: SiteCounters,
    pub search: SearchListings,
    pub get_listing: GetListing,
    pub my_listings: MyListings,
    pub create_listing: CreateListing,
    pub update_listing: UpdateListing,
    pub change_status: ChangeStatus,
    pub delete_listing: DeleteListing,
    pub shortlist: Shortlist,
    pub enquiries: Enquiries,
    pub moderation: Moderation,
}

/// HTTP behaviour that differs per environment.
#[derive(Clone)]
pub struct HttpConfig {
    /// Development conveniences (`/_dev/*` routes). Never on in staging/prod.
    pub dev_routes: bool,
    /// Send `Strict-Transport-Security` (staging/prod: TLS terminates in front of us).
    pub hsts: bool,
    /// Session cookies are `Secure` with the `__Host-` prefix (anything served over HTTPS).
    pub secure_cookies: bool,
    /// Key material for the session cookie (from `SECRET_KEY`, at least 32 bytes).
    pub session_key: Vec<u8>,
    /// A request still running after this gets 503 and is abandoned.
    pub request_timeout: Duration,
    /// Largest request body accepted (JSON endpoints).
    pub max_body_bytes: usize,
    /// Version reported in the OpenAPI document.
    pub version: String,
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("dev_routes", &self.dev_routes)
            .field("hsts", &self.hsts)
            .field("secure_cookies", &self.secure_cookies)
            .field("session_key", &"****")
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl HttpConfig {
    pub fn new(session_key: Vec<u8>) -> Self {
        Self {
            dev_routes: false,
            hsts: false,
            secure_cookies: false,
            session_key,
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

fn api_service(version: &str) -> OpenApiService<api::Apis, ()> {
    OpenApiService::new(api::apis(), "Student Palace API", version)
        .server("/api/v1")
        .description("UK student accommodation: listings, search, shortlists, enquiries. Errors are application/problem+json (RFC 9457).")
}

/// The OpenAPI document as JSON (for `student-palace openapi` and tests).
pub fn openapi_json(version: &str) -> String {
    api_service(version).spec()
}

/// Builds the whole HTTP application.
pub fn app(services: Services, cfg: &HttpConfig) -> BoxEndpoint<'static> {
    let api = api_service(&cfg.version);
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();

    let mut routes = Route::new()
        .at("/livez", get(health::livez))
        .at("/healthz", get(health::healthz))
        .nest("/api/v1", api)
        .at("/api/openapi.json", spec)
        .nest("/docs", docs);
    if cfg.dev_routes {
        routes = routes.at("/_dev/sleep", get(health::dev_sleep));
    }

    routes
        .data(services)
        .with(middleware::BodyLimit(cfg.max_body_bytes))
        .with(auth::Csrf)
        .with(CookieSession::new(auth::cookie_config(&cfg.session_key, cfg.secure_cookies)))
        .catch_all_error(problem::from_poem_error)
        .with(CatchPanic::new().with_handler(problem::PanicHandler))
        .with(middleware::Timeout(cfg.request_timeout))
        .with(middleware::SecurityHeaders { hsts: cfg.hsts })
        .around(middleware::request_context)
        .boxed()
}
