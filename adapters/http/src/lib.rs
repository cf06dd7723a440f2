//! The HTTP adapter: poem + poem-openapi. Routes call use cases only; every error leaves
//! as `application/problem+json` (RFC 9457) from one mapping in [`problem`].
//!
//! Middleware, outermost first (Loco's order): request id + access log → security
//! headers → timeout → panic catcher → problem+json for every error → body size limit →
//! routes.

mod api;
mod health;
mod middleware;
pub mod problem;

use std::time::Duration;

use application::cities::ListCities;
use application::health::CheckReadiness;
use poem::endpoint::BoxEndpoint;
use poem::middleware::CatchPanic;
use poem::{EndpointExt, Route, get};
use poem_openapi::OpenApiService;

pub use middleware::RequestId;

/// The use cases the HTTP surface calls.
#[derive(Clone)]
pub struct Services {
    pub list_cities: ListCities,
    pub readiness: CheckReadiness,
}

/// HTTP behaviour that differs per environment.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Development conveniences (`/_dev/*` routes). Never on in staging/prod.
    pub dev_routes: bool,
    /// Send `Strict-Transport-Security` (staging/prod: TLS terminates in front of us).
    pub hsts: bool,
    /// A request still running after this gets 503 and is abandoned.
    pub request_timeout: Duration,
    /// Largest request body accepted (JSON endpoints).
    pub max_body_bytes: usize,
    /// Version reported in the OpenAPI document.
    pub version: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            dev_routes: false,
            hsts: false,
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
        .catch_all_error(problem::from_poem_error)
        .with(CatchPanic::new().with_handler(problem::PanicHandler))
        .with(middleware::Timeout(cfg.request_timeout))
        .with(middleware::SecurityHeaders { hsts: cfg.hsts })
        .around(middleware::request_context)
        .boxed()
}
