//! The HTTP adapter: poem + poem-openapi. Routes call use cases only; every error leaves
//! as `application/problem+json` (RFC 9457) from one mapping in [`error`].
//!
//! Middleware, outermost first (Loco's order): request id + access log → HTTP metrics
//! ([`metrics`]) → security
//! headers + default `Cache-Control` → `Allow` on 405 → problem `instance` → client IP
//! and the global per-IP rate limit → request head limits → timeout →
//! panic catcher → problem+json for every error → HTTP caching of public reads (`ETag`,
//! 304, `Cache-Control`) → read-your-writes cookie ([`replica`]) → session (cookie, or
//! server-side: [`sessions`]) → body size
//! limit → routes. Authentication and CSRF are the `auth::SignedIn` security scheme that
//! handlers take as a parameter.

// poem-openapi handlers take one argument per query parameter, and `ApiError` carries a
// problem document by value on the (cold) error path.
#![allow(clippy::too_many_arguments, clippy::result_large_err, clippy::unused_async)]

mod api;
pub mod auth;
pub mod client_ip;
pub mod error;
mod health;
mod media;
pub mod metrics;
mod middleware;
pub mod openapi;
mod payload;
pub mod problem;
pub mod replica;
pub mod response_cache;
pub mod server;
mod sessions;
pub mod types;

use std::sync::Arc;
use std::time::Duration;

use application::accounts::{ChangePassword, CurrentUser, EndSessions, Login, Register};
use application::cities::{AddArea, ChangeArea, ChangeCity, CreateCity, ListAllCities};
use application::enquiries::{MyEnquiries, SendEnquiry, SetEnquiryStatus};
use application::health::CheckReadiness;
use application::listings::{
    ArchiveListing, CreateListing, DeleteListing, MarkListingLet, MyListings, PublishListing, UpdateListing,
};
use application::moderation::{ListUsers, ReadAuditTrail, SetSuspension, UnpublishListing};
use application::shortlist::{MyShortlist, RemoveSavedListing, SaveListing};
use poem::endpoint::{BoxEndpoint, make_sync};
use poem::http::Method;
use poem::middleware::CatchPanic;
use poem::session::{CookieSession, ServerSession};
use poem::web::Html;
use poem::{EndpointExt, Route, get};

pub use middleware::RequestId;

/// The use cases the HTTP surface calls, one per operation (the handler's doc comment
/// names it).
#[derive(Clone)]
pub struct Services {
    pub readiness: CheckReadiness,
    pub register: Register,
    pub login: Login,
    pub end_sessions: EndSessions,
    pub change_password: ChangePassword,
    pub current_user: CurrentUser,
    /// Searches, listing pages, `/cities` and `/stats` on the primary; [`Services::read`]
    /// picks between these and the replica's.
    pub reads: replica::Reads,
    /// The same reads on a streaming replica (`DATABASE_READ_URL`), if there is one.
    pub replica: Option<Arc<replica::Replica>>,
    pub my_listings: MyListings,
    pub create_listing: CreateListing,
    pub update_listing: UpdateListing,
    pub publish_listing: PublishListing,
    pub archive_listing: ArchiveListing,
    pub mark_listing_let: MarkListingLet,
    pub delete_listing: DeleteListing,
    pub save_listing: SaveListing,
    pub remove_saved_listing: RemoveSavedListing,
    pub my_shortlist: MyShortlist,
    pub send_enquiry: SendEnquiry,
    pub set_enquiry_status: SetEnquiryStatus,
    pub my_enquiries: MyEnquiries,
    pub unpublish_listing: UnpublishListing,
    pub set_suspension: SetSuspension,
    pub list_users: ListUsers,
    pub audit_trail: ReadAuditTrail,
    pub list_all_cities: ListAllCities,
    pub create_city: CreateCity,
    pub change_city: ChangeCity,
    pub add_area: AddArea,
    pub change_area: ChangeArea,
    pub list_jobs: application::jobs::ListJobs,
    pub upload_photo: application::photos::UploadPhoto,
    pub list_photos: application::photos::ListPhotos,
    pub reorder_photos: application::photos::ReorderPhotos,
    pub delete_photo: application::photos::DeletePhoto,
    pub serve_media: application::photos::ServeMedia,
    /// The largest photo accepted (`MAX_UPLOAD_BYTES`).
    pub max_upload_bytes: usize,
    pub retry_job: application::jobs::RetryJob,
    /// The rate limits (`application::rate_limit`).
    pub throttle: application::rate_limit::Throttle,
}

impl Services {
    /// Runs a read on the replica or the primary (`replica::read`).
    pub async fn read<T, F, Fut>(&self, req: &poem::Request, read: F) -> error::ApiResult<T>
    where
        F: Fn(replica::Reads) -> Fut,
        Fut: std::future::Future<Output = error::ApiResult<T>>,
    {
        replica::read(&self.reads, self.replica.as_deref(), req, read).await
    }
}

/// HTTP behaviour that differs per environment.
#[derive(Clone)]
#[allow(clippy::struct_excessive_bools, reason = "independent switches, each set from its own setting")]
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
    /// Largest photo accepted; a `multipart/form-data` body may be this plus 64 KiB.
    pub max_upload_bytes: usize,
    /// Serve `/media/*` from storage (dev: a local folder or memory; elsewhere the
    /// bucket behind the CDN does).
    pub serve_media: bool,
    /// Version reported in the OpenAPI document.
    pub version: String,
    /// The proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: client_ip::TrustedProxies,
    /// How long the public counts may be kept (`s-maxage` of `/cities` and `/stats`).
    pub counts_ttl: Duration,
    /// Where sessions live: `None` in the cookie, or this store (`SESSION_STORE=redis`).
    pub session_store: Option<Arc<dyn application::ports::SessionStore>>,
    /// With a replica: how long a client's reads go to the primary after its own write
    /// (`READ_YOUR_WRITES_SECONDS`); `None` without one.
    pub read_your_writes: Option<Duration>,
    /// Cache-aside of public responses (`PUBLIC_CACHE_TTL_SECONDS`); `None`: off.
    pub response_cache: Option<Arc<response_cache::ResponseCache>>,
    /// `/metrics` on this listener (`METRICS_TOKEN`); `None`: not here.
    pub metrics: Option<metrics::MetricsEndpoint>,
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
            max_upload_bytes: 15 * 1024 * 1024,
            serve_media: false,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            trusted_proxies: client_ip::TrustedProxies::default(),
            counts_ttl: Duration::from_secs(15),
            session_store: None,
            read_your_writes: None,
            response_cache: None,
            metrics: None,
        }
    }
}

/// The OpenAPI document as JSON (for `student-palace openapi` and tests).
pub fn openapi_json(version: &str, secure_cookies: bool) -> String {
    serde_json::to_string_pretty(&openapi::document(version, secure_cookies)).expect("a JSON value")
}

/// Routes outside the API, with their methods (for `Allow`).
const OTHER_ROUTES: &[(&str, &[Method])] = &[
    ("/livez", &[Method::GET, Method::HEAD]),
    ("/healthz", &[Method::GET, Method::HEAD]),
    ("/api/openapi.json", &[Method::GET, Method::HEAD]),
    ("/metrics", &[Method::GET, Method::HEAD]),
];

/// Builds the whole HTTP application.
pub fn app(services: Services, cfg: &HttpConfig) -> BoxEndpoint<'static> {
    let doc = openapi::document(&cfg.version, cfg.secure_cookies);
    let allowed = Arc::new(openapi::AllowedMethods::new(&doc, OTHER_ROUTES));
    let cacheable = Arc::new(openapi::cacheable_paths(&doc));
    let templates = Arc::new(openapi::route_templates(&doc));
    let spec = serde_json::to_string(&doc).expect("a JSON value");
    let docs = openapi::swagger_html(&cfg.version, cfg.secure_cookies);
    let docs_csp = poem::http::HeaderValue::from_str(&openapi::swagger_csp(&docs)).expect("an ASCII policy");
    let api = poem_openapi::OpenApiService::new(api::apis(), "Student Palace API", &cfg.version);

    let mut routes = Route::new()
        .at("/livez", get(health::livez))
        .at("/healthz", get(health::healthz))
        .nest(openapi::API_PREFIX, api)
        .at(
            "/api/openapi.json",
            get(make_sync(move |_| {
                poem::Response::builder().content_type("application/json; charset=utf-8").body(spec.clone())
            })),
        )
        .at("/docs", get(make_sync(move |_| Html(docs.clone()))));
    if cfg.dev_routes {
        routes = routes.at("/_dev/sleep", get(health::dev_sleep));
    }
    if let Some(m) = &cfg.metrics {
        routes = routes.at("/metrics", get(m.clone()));
    }
    if cfg.serve_media {
        routes = routes.at("/media/*key", get(media::serve));
    }

    let limits = middleware::ClientLimits { trusted: cfg.trusted_proxies.clone(), throttle: services.throttle.clone() };
    let routes = routes
        .data(services)
        .with(middleware::BodyLimit { json: cfg.max_body_bytes, multipart: cfg.max_upload_bytes + 64 * 1024 });
    let cookie = auth::cookie_config(&cfg.session_key, cfg.secure_cookies);
    let sessioned = match &cfg.session_store {
        Some(store) => routes.with(ServerSession::new(cookie, sessions::StoredSessions(store.clone()))).boxed(),
        None => routes.with(CookieSession::new(cookie)).boxed(),
    };
    sessioned
        .with(replica::ReadYourWrites { ttl: cfg.read_your_writes, secure: cfg.secure_cookies })
        .with(middleware::HttpCaching {
            counts_ttl: cfg.counts_ttl,
            session_cookie: auth::cookie_name(cfg.secure_cookies),
            fresh_cookie: replica::fresh_cookie_name(cfg.secure_cookies),
            paths: cacheable,
            responses: cfg.response_cache.clone(),
        })
        .catch_all_error(problem::from_poem_error)
        .with(CatchPanic::new().with_handler(problem::PanicHandler))
        .with(middleware::Timeout(cfg.request_timeout))
        .around(middleware::request_head_limits)
        .with(limits)
        .around(middleware::problem_instance)
        .with(middleware::AllowHeader(allowed))
        .with(middleware::SecurityHeaders { hsts: cfg.hsts, docs_csp })
        .with(metrics::HttpMetrics { templates: templates.clone() })
        .around(middleware::request_context)
        .boxed()
}
