use std::time::{Duration, Instant};

use poem::http::{HeaderName, HeaderValue, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tracing::Instrument;

use crate::openapi::AllowedMethods;
use crate::problem::{Problem, ProblemKind};

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The server's id for the current request (a UUID v7), generated for every request.
/// Handlers read it from the request extensions; the audit trail records it, and the
/// response's `X-Request-Id` returns it for support to quote.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A client's `X-Request-Id` is kept for correlation, in the log only, when it is short
/// and plain: `^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`.
fn acceptable(id: &str) -> bool {
    let b = id.as_bytes();
    (1..=64).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || b"-_.:".contains(c))
}

/// What the access line reports that only inner layers learn: the client's address
/// ([`ClientLimits`]) and the signed-in user (authentication). In the request's
/// extensions for the length of the request.
#[derive(Debug, Default)]
pub struct AccessNote {
    client_ip: std::sync::OnceLock<std::net::IpAddr>,
    user_id: std::sync::OnceLock<String>,
}

impl AccessNote {
    /// Notes the signed-in user of `req` (the first note wins).
    pub fn user(req: &Request, id: impl std::fmt::Display) {
        if let Some(note) = req.extensions().get::<std::sync::Arc<AccessNote>>() {
            let _ = note.user_id.set(id.to_string());
        }
    }

    fn client_ip(req: &Request, ip: std::net::IpAddr) {
        if let Some(note) = req.extensions().get::<std::sync::Arc<AccessNote>>() {
            let _ = note.client_ip.set(ip);
        }
    }
}

/// The longest user agent the access line keeps (characters).
const USER_AGENT_MAX: usize = 200;

/// Request id, a span holding it around everything the request logs, and one access
/// log line per request: method, route template, status, latency, body size when known,
/// the user's id when signed in, the user agent and the client's address (the log
/// writer masks it, `telemetry::redact`).
///
/// Ours, not poem's `RequestId` + `Tracing`: poem's `RequestId` reuses any incoming id
/// as given (a client could then write what it likes into logs and the audit trail; we
/// always use our own and log an acceptable client id beside it as `client_request_id`),
/// and its `Tracing` span records the full URI, query string included, which can carry
/// personal data (`/admin/users?email=...`): we log the path only.
pub async fn request_context<E: Endpoint>(next: E, mut req: Request) -> Result<Response> {
    let id = uuid::Uuid::now_v7().to_string();
    let client_id =
        req.headers().get(&X_REQUEST_ID).and_then(|v| v.to_str().ok()).filter(|v| acceptable(v)).map(str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let note = std::sync::Arc::new(AccessNote::default());
    req.extensions_mut().insert(note.clone());
    let method = req.method().clone();
    let user_agent = req
        .headers()
        .get(poem::http::header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).chars().take(USER_AGENT_MAX).collect::<String>());
    // No path: the route template goes on the access line (ids and free text stay out).
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        client_request_id = client_id.as_deref(),
        otel.kind = "server",
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    continue_trace(&span, req.headers());
    async move {
        let started = Instant::now();
        let mut resp = match next.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        if let Ok(v) = HeaderValue::from_str(&id) {
            resp.headers_mut().insert(X_REQUEST_ID.clone(), v);
        }
        let status = resp.status().as_u16();
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        // The template, not the raw path: ids and free text stay out of the access line.
        let route = resp.data::<crate::metrics::RouteLabel>().map_or("unmatched", |r| r.0.as_str()).to_owned();
        let bytes = body_size(&mut resp);
        let user_id = note.user_id.get().map(String::as_str);
        let peer = note.client_ip.get().map(tracing::field::display);
        let user_agent = user_agent.as_deref();
        if status >= 500 {
            tracing::warn!(%method, route, status, latency_ms, bytes, user_id, user_agent, client_ip = peer, "request failed");
        } else {
            tracing::info!(%method, route, status, latency_ms, bytes, user_id, user_agent, client_ip = peer, "request completed");
        }
        // For the trace (after the access line, which has them already).
        let current = tracing::Span::current();
        current.record("http.route", route.as_str());
        current.record("http.response.status_code", status);
        if status >= 500 {
            current.record("otel.status_code", "ERROR");
        }
        finish_trace(&current, &method, &route, resp.headers_mut());
        Ok(resp)
    }
    .instrument(span)
    .await
}

/// Continues the caller's trace when the request carries a W3C `traceparent` (and
/// `tracestate`); otherwise the request starts a trace (if traces are on and sampled).
fn continue_trace(span: &tracing::Span, headers: &poem::http::HeaderMap) {
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    if headers.contains_key("traceparent") {
        let parent = opentelemetry::global::get_text_map_propagator(|p| {
            p.extract(&opentelemetry_http::HeaderExtractor(headers))
        });
        let _ = span.set_parent(parent);
    }
}

/// When the request is traced: names its span `GET /api/v1/listings/{id}` now that the
/// route is known (it started as `request`; the method as the metrics bound it, so a
/// made-up method is `other`, not a new name), and puts its own `traceparent` on the
/// response, so a client (or a support ticket) can name the trace.
fn finish_trace(span: &tracing::Span, method: &poem::http::Method, route: &str, headers: &mut poem::http::HeaderMap) {
    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return;
    }
    cx.span().update_name(format!("{} {route}", crate::metrics::method_label(method)));
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(&cx, &mut opentelemetry_http::HeaderInjector(headers));
    });
}

/// The response body's length when it is known before sending (every buffered body;
/// not a stream).
fn body_size(resp: &mut Response) -> Option<u64> {
    let body: http_body_util::combinators::BoxBody<bytes::Bytes, std::io::Error> = resp.take_body().into();
    let size = http_body::Body::size_hint(&body).exact();
    resp.set_body(poem::Body::from(body));
    size
}

/// What a 503 tells clients to wait before retrying.
pub const RETRY_AFTER_SECONDS: &str = "5";

/// Abandons a request that takes longer than the limit, answering 503 with `Retry-After`.
/// (poem 3 ships no timeout middleware.)
pub struct Timeout(pub Duration);

impl<E: Endpoint> Middleware<E> for Timeout {
    type Output = TimeoutEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        TimeoutEndpoint { inner: ep, limit: self.0 }
    }
}

pub struct TimeoutEndpoint<E> {
    inner: E,
    limit: Duration,
}

impl<E: Endpoint> Endpoint for TimeoutEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        if let Ok(r) = tokio::time::timeout(self.limit, self.inner.call(req)).await {
            r.map(IntoResponse::into_response)
        } else {
            tracing::warn!(limit_ms = self.limit.as_millis(), "request timed out");
            let mut resp =
                Problem::new(ProblemKind::Timeout, "The request took too long and was abandoned; try again.")
                    .into_response();
            resp.headers_mut().insert("retry-after", HeaderValue::from_static(RETRY_AFTER_SECONDS));
            Ok(resp)
        }
    }
}

/// Security headers on every response; HSTS when TLS terminates in front of us; and
/// `Cache-Control: no-store` on every response that does not set its own, so no shared
/// or browser cache keeps a personal response.
///
/// Ours, not poem's `SetHeader`: the Content-Security-Policy depends on the path (Swagger
/// UI needs its inline script) and `Cache-Control` is a default, not an override.
pub struct SecurityHeaders {
    pub hsts: bool,
    /// The policy for `/docs` (`openapi::swagger_csp`).
    pub docs_csp: HeaderValue,
}

impl<E: Endpoint> Middleware<E> for SecurityHeaders {
    type Output = SecurityHeadersEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        SecurityHeadersEndpoint { inner: ep, hsts: self.hsts, docs_csp: self.docs_csp.clone() }
    }
}

pub struct SecurityHeadersEndpoint<E> {
    inner: E,
    hsts: bool,
    docs_csp: HeaderValue,
}

impl<E: Endpoint> Endpoint for SecurityHeadersEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        // Swagger UI runs its own inline scripts (allowed by hash); everything else is
        // JSON and gets a policy that allows nothing.
        let is_docs = req.uri().path() == "/docs";
        let mut resp = self.inner.call(req).await?.into_response();
        let h = resp.headers_mut();
        h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        h.insert("referrer-policy", HeaderValue::from_static("strict-origin-when-cross-origin"));
        h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
        h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
        h.insert(
            "permissions-policy",
            HeaderValue::from_static(
                "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
            ),
        );
        let csp = if is_docs {
            self.docs_csp.clone()
        } else {
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'")
        };
        h.insert("content-security-policy", csp);
        if !h.contains_key(poem::http::header::CACHE_CONTROL) {
            h.insert(poem::http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        if self.hsts {
            h.insert("strict-transport-security", HeaderValue::from_static("max-age=63072000; includeSubDomains"));
        }
        Ok(resp)
    }
}

/// Refuses bodies larger than the limit, counting the bytes actually read: 413 up front
/// when `Content-Length` says so; otherwise (HTTP/1.1 chunked, HTTP/2 without
/// `Content-Length`) the body is a capped stream, reading past the cap fails it, and the
/// answer is 413 whatever the handler made of the failed read. At most `limit` bytes
/// are ever buffered.
///
/// Ours, not poem's `SizeLimit`: that one answers 411 to every request without
/// `Content-Length` (chunked uploads, HTTP/2) instead of counting what is read.
///
/// `multipart/form-data` bodies (photo uploads) get their own, larger limit.
pub struct BodyLimit {
    pub json: usize,
    pub multipart: usize,
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint { inner: ep, json: self.json, multipart: self.multipart }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    json: usize,
    multipart: usize,
}

fn too_large(limit: usize) -> Response {
    Problem::new(ProblemKind::PayloadTooLarge, format!("The body may be at most {limit} bytes.")).into_response()
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        use std::sync::atomic::{AtomicBool, Ordering};
        let is_multipart = req
            .headers()
            .get(poem::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
        let limit = if is_multipart { self.multipart } else { self.json };
        let declared = req
            .headers()
            .get(poem::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let exceeded = match declared {
            Some(n) if n > limit as u64 => return Ok(too_large(limit)),
            // hyper enforces a declared length: no more than that is read.
            Some(_) => None,
            None => {
                use futures::StreamExt;
                let exceeded = std::sync::Arc::new(AtomicBool::new(false));
                let flag = exceeded.clone();
                let mut seen = 0usize;
                let stream = req.take_body().into_bytes_stream().map(move |chunk| {
                    let chunk = chunk?;
                    seen = seen.saturating_add(chunk.len());
                    if seen > limit {
                        flag.store(true, Ordering::Relaxed);
                        return Err(std::io::Error::other(format!("request body exceeds {limit} bytes")));
                    }
                    Ok(chunk)
                });
                req.set_body(poem::Body::from_bytes_stream(stream));
                Some(exceeded)
            }
        };
        let resp = self.inner.call(req).await.map(IntoResponse::into_response);
        match exceeded {
            Some(flag) if flag.load(Ordering::Relaxed) => Ok(too_large(limit)),
            _ => resp,
        }
    }
}

/// The longest URL (path and query) the service reads.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header bytes (names and values together) the service reads.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// 414 / 431 as problem+json for request heads over our limits. The server's hard cap
/// (`server::ServerLimits::max_header_bytes`, 64 KiB) is above these, so any head
/// between the two gets this shaped answer (request id, security headers included);
/// only heads over the hard cap get hyper's plain 431 before the application runs.
pub async fn request_head_limits<E: Endpoint>(next: E, req: Request) -> Result<Response> {
    let uri = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri > MAX_URI_BYTES {
        return Ok(Problem::new(ProblemKind::UriTooLong, format!("The URL may be at most {MAX_URI_BYTES} bytes."))
            .into_response());
    }
    let headers: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
    if headers > MAX_HEADER_BYTES {
        return Ok(Problem::new(
            ProblemKind::HeadersTooLarge,
            format!("The request headers may be at most {MAX_HEADER_BYTES} bytes together."),
        )
        .into_response());
    }
    next.call(req).await.map(IntoResponse::into_response)
}

/// `Allow` on every 405 (RFC 9110 §15.5.6), from the document's paths.
pub struct AllowHeader(pub std::sync::Arc<AllowedMethods>);

impl<E: Endpoint> Middleware<E> for AllowHeader {
    type Output = AllowHeaderEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        AllowHeaderEndpoint { inner: ep, allowed: self.0.clone() }
    }
}

pub struct AllowHeaderEndpoint<E> {
    inner: E,
    allowed: std::sync::Arc<AllowedMethods>,
}

impl<E: Endpoint> Endpoint for AllowHeaderEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let path = req.uri().path().to_owned();
        let mut resp = self.inner.call(req).await?.into_response();
        if resp.status() == StatusCode::METHOD_NOT_ALLOWED
            && let Ok(v) = HeaderValue::from_str(&self.allowed.allow(&path))
        {
            resp.headers_mut().insert(poem::http::header::ALLOW, v);
        }
        Ok(resp)
    }
}

/// Fills in a problem's `instance` with the request's path (problems are built where
/// the request is not at hand: use cases' errors, routing, limits). Error bodies are
/// small; they are parsed and written again.
pub async fn problem_instance<E: Endpoint>(next: E, req: Request) -> Result<Response> {
    let path = req.uri().path().to_owned();
    let mut resp = next.call(req).await?.into_response();
    let is_problem = resp
        .headers()
        .get(poem::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return Ok(resp);
    }
    let body = resp.take_body().into_bytes().await.unwrap_or_default();
    let filled = serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|mut v| {
        v.get_mut("instance")?;
        v["instance"] = serde_json::Value::String(path);
        serde_json::to_vec(&v).ok()
    });
    resp.headers_mut().remove(poem::http::header::CONTENT_LENGTH);
    resp.set_body(filled.unwrap_or_else(|| body.to_vec()));
    Ok(resp)
}

/// The client's address as the rate limits see it (`client_ip::TrustedProxies`), put in
/// the request's extensions by [`ClientLimits`].
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub std::net::IpAddr);

impl ClientIp {
    /// The client of `req`: what [`ClientLimits`] found, else the TCP peer.
    pub fn of(req: &Request) -> std::net::IpAddr {
        req.extensions().get::<ClientIp>().map_or_else(
            || {
                req.remote_addr()
                    .as_socket_addr()
                    .map_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), std::net::SocketAddr::ip)
            },
            |c| c.0,
        )
    }
}

/// Finds the client's address and counts the request against the global per-IP limit
/// (`Limit::Global`): over it, 429 problem+json with `Retry-After`, `RateLimit` and
/// `RateLimit-Policy`, before any work is done. Health probes are not counted.
pub struct ClientLimits {
    pub trusted: crate::client_ip::TrustedProxies,
    pub throttle: application::rate_limit::Throttle,
}

impl<E: Endpoint> Middleware<E> for ClientLimits {
    type Output = ClientLimitsEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        ClientLimitsEndpoint { inner: ep, trusted: self.trusted.clone(), throttle: self.throttle.clone() }
    }
}

pub struct ClientLimitsEndpoint<E> {
    inner: E,
    trusted: crate::client_ip::TrustedProxies,
    throttle: application::rate_limit::Throttle,
}

impl<E: Endpoint> Endpoint for ClientLimitsEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let peer = ClientIp::of(&req);
        let forwarded = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        let ip = self.trusted.client_ip(peer, forwarded);
        req.extensions_mut().insert(ClientIp(ip));
        AccessNote::client_ip(&req, ip);
        if !matches!(req.uri().path(), "/livez" | "/healthz" | "/metrics")
            && let Err(throttled) = self.throttle.check(application::rate_limit::Limit::Global, &ip.to_string()).await
        {
            tracing::info!(limit = throttled.limit.name(), "rate limited");
            return Ok(crate::error::ApiError::from(throttled).into_response());
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// HTTP caching for the public reads a CDN may keep (`/cities`, `/stats`, search), when
/// the request carries no session cookie (a signed-in visitor's answers are personal and
/// keep `no-store`):
/// - `ETag` (a hash of the body) and `If-None-Match` → 304 with no body;
/// - `Cache-Control`: the counts `public, max-age=0, s-maxage=TTL,
///   stale-while-revalidate=2×TTL` (they are cached that long in the service anyway);
///   search `public, no-cache`, so a CDN revalidates every time and a listing taken down
///   never shows from a cached page;
/// - `Vary: Cookie`, so no cache serves the anonymous answer to a signed-in visitor.
///
/// And, with `responses` (`PUBLIC_CACHE_TTL_SECONDS`), the service's own cache-aside of
/// those answers, first search pages only, and of anonymous listing pages
/// ([`crate::response_cache`]), skipped for a client that has just written (it reads its
/// own writes).
pub struct HttpCaching {
    /// `PUBLIC_COUNTS_TTL_SECONDS`.
    pub counts_ttl: Duration,
    /// The session cookie's name.
    pub session_cookie: &'static str,
    /// The read-your-writes cookie's name (`replica::fresh_cookie_name`).
    pub fresh_cookie: &'static str,
    /// The cacheable routes' paths (`openapi::cacheable_paths`).
    pub paths: std::sync::Arc<Vec<String>>,
    pub responses: Option<std::sync::Arc<crate::response_cache::ResponseCache>>,
}

impl<E: Endpoint> Middleware<E> for HttpCaching {
    type Output = HttpCachingEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        HttpCachingEndpoint {
            inner: ep,
            counts_ttl: self.counts_ttl,
            session_cookie: self.session_cookie,
            fresh_cookie: self.fresh_cookie,
            paths: self.paths.clone(),
            responses: self.responses.clone(),
        }
    }
}

pub struct HttpCachingEndpoint<E> {
    inner: E,
    counts_ttl: Duration,
    session_cookie: &'static str,
    fresh_cookie: &'static str,
    paths: std::sync::Arc<Vec<String>>,
    responses: Option<std::sync::Arc<crate::response_cache::ResponseCache>>,
}

/// Whether the request carries a cookie named `cookie`. Names are compared
/// percent-decoded, as poem's cookie jar reads them (`sp%5Fsession` is the session
/// cookie too); a header that is not text counts as carrying it (not anonymous).
pub(crate) fn has_cookie(req: &Request, cookie: &str) -> bool {
    req.headers().get_all("cookie").iter().any(|v| {
        let Ok(v) = v.to_str() else { return true };
        v.split(';').any(|c| {
            let name = c.split_once('=').map_or(c, |(n, _)| n).trim();
            percent_encoding::percent_decode_str(name).decode_utf8_lossy() == cookie
        })
    })
}

/// The response cache's key for a request: the path and its query parameters decoded
/// and sorted (`b=2&a=1`, `a=1&b=%32` and `a=1&b=2` are one page), and whether it asks
/// for a deeper page (`cursor`, in any spelling).
fn canonical_query(path: &str, query: Option<&str>) -> (String, bool) {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let deep = pairs.iter().any(|(k, _)| k == "cursor");
    pairs.sort();
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    (format!("{path}?{query}"), deep)
}

/// Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2).
fn matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    if_none_match.trim() == "*" || if_none_match.split(',').any(|t| bare(t) == bare(etag))
}

/// `GET /api/v1/listings/{id}` (one segment after the collection).
fn is_listing_page(path: &str) -> bool {
    path.strip_prefix(crate::openapi::API_PREFIX)
        .and_then(|p| p.strip_prefix("/listings/"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

fn etag_of(body: &[u8]) -> String {
    use base64::Engine as _;
    let digest = <sha2::Sha256 as sha2::Digest>::digest(body);
    format!("W/\"{}\"", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..12]))
}

impl<E: Endpoint> HttpCachingEndpoint<E> {
    fn cache_control(&self, path: &str) -> String {
        if path.strip_prefix(crate::openapi::API_PREFIX) == Some("/listings") {
            "public, no-cache".to_owned()
        } else {
            let ttl = self.counts_ttl.as_secs().max(1);
            format!("public, max-age=0, s-maxage={ttl}, stale-while-revalidate={}", ttl * 2)
        }
    }

    /// The CDN headers on a public 200, or 304 when `If-None-Match` names its `ETag`.
    fn public(&self, mut resp: Response, path: &str, etag: &str, if_none_match: Option<&str>) -> Response {
        let h = resp.headers_mut();
        h.insert(poem::http::header::CACHE_CONTROL, HeaderValue::from_str(&self.cache_control(path)).expect("ASCII"));
        h.insert(poem::http::header::VARY, HeaderValue::from_static("Cookie"));
        h.insert(poem::http::header::ETAG, HeaderValue::from_str(etag).expect("ASCII"));
        if if_none_match.is_some_and(|inm| matches(inm, etag)) {
            let (mut parts, _) = resp.into_parts();
            parts.status = StatusCode::NOT_MODIFIED;
            parts.headers.remove(poem::http::header::CONTENT_TYPE);
            parts.headers.remove(poem::http::header::CONTENT_LENGTH);
            return Response::from_parts(parts, poem::Body::empty());
        }
        resp
    }
}

/// A 200 without cookies as a [`Stored`](crate::response_cache::Stored) (with its
/// `ETag` when `public`); anything else back as it was.
async fn storable(resp: Response, public: bool) -> Result<Result<crate::response_cache::Stored, Response>> {
    if resp.status() != StatusCode::OK || resp.headers().contains_key(poem::http::header::SET_COOKIE) {
        return Ok(Err(resp));
    }
    let content_type = resp
        .headers()
        .get(poem::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json; charset=utf-8")
        .to_owned();
    let body = resp.into_body().into_bytes().await?;
    let etag = public.then(|| etag_of(&body));
    Ok(Ok(crate::response_cache::Stored { content_type, etag, body }))
}

impl<E: Endpoint> Endpoint for HttpCachingEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let path = req.uri().path().to_owned();
        let method = req.method().clone();
        let anonymous = !has_cookie(&req, self.session_cookie);
        let public = matches!(method, poem::http::Method::GET | poem::http::Method::HEAD)
            && self.paths.contains(&path)
            && anonymous;
        let if_none_match =
            req.headers().get(poem::http::header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);

        // Only a request the cache may answer pays for its canonical key.
        let cached = self.responses.as_ref().filter(|_| {
            method == poem::http::Method::GET
                && anonymous
                && (is_listing_page(&path) || self.paths.contains(&path))
                && !has_cookie(&req, self.fresh_cookie)
        });
        let keyed = cached.map(|r| (r, canonical_query(&path, req.uri().query())));
        if let Some((responses, (key, deep))) = keyed
            && (is_listing_page(&path) || !deep)
        {
            let mut req = req;
            req.extensions_mut().insert(crate::replica::FillsCache);
            let slot = std::sync::Mutex::new(Some(req));
            let fill = || async {
                let req = slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
                let req = req.ok_or_else(|| poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
                self.inner.call(req).await.map(IntoResponse::into_response)
            };
            return Ok(match responses.get_or_fill(&key, fill, |r| storable(r, public)).await? {
                crate::response_cache::Served::Stored(s) => {
                    let mut resp = s.response();
                    // No route ran: name the one that would have (the metrics' label).
                    let pattern =
                        if is_listing_page(&path) { "/api/v1/listings/:id".into() } else { path.clone().into() };
                    resp.set_data(poem::PathPattern(pattern));
                    match (&s.etag, public) {
                        (Some(etag), true) => self.public(resp, &path, etag, if_none_match.as_deref()),
                        _ => resp,
                    }
                }
                crate::response_cache::Served::Passed(resp) => {
                    self.finish(resp, public, &path, if_none_match.as_deref()).await?
                }
            });
        }
        let resp = self.inner.call(req).await?.into_response();
        self.finish(resp, public, &path, if_none_match.as_deref()).await
    }
}

impl<E: Endpoint> HttpCachingEndpoint<E> {
    /// A response computed now: the CDN headers when it is a public 200.
    async fn finish(&self, resp: Response, public: bool, path: &str, if_none_match: Option<&str>) -> Result<Response> {
        if !public || resp.status() != StatusCode::OK || resp.headers().contains_key(poem::http::header::SET_COOKIE) {
            return Ok(resp);
        }
        let (parts, body) = resp.into_parts();
        let bytes = body.into_bytes().await?;
        let etag = etag_of(&bytes);
        Ok(self.public(Response::from_parts(parts, poem::Body::from(bytes)), path, &etag, if_none_match))
    }
}

#[cfg(test)]
mod caching_tests {
    use super::matches;

    #[test]
    fn cache_keys_are_canonical_and_deep_pages_are_found_in_any_spelling() {
        use super::canonical_query;
        let (a, _) = canonical_query("/p", Some("b=2&a=1"));
        assert_eq!(a, canonical_query("/p", Some("a=1&b=%32")).0);
        assert_eq!(a, "/p?a=1&b=2");
        assert_ne!(a, canonical_query("/p", Some("a=1&b=3")).0);
        assert!(canonical_query("/p", Some("city=leeds&%63ursor=x")).1);
        assert!(!canonical_query("/p", Some("city=leeds")).1);
    }

    #[test]
    fn a_percent_encoded_session_cookie_is_still_the_session_cookie() {
        let req = poem::Request::builder().header("cookie", "a=b; sp%5Fsession=x").finish();
        assert!(super::has_cookie(&req, "sp_session"));
        let req = poem::Request::builder().header("cookie", "sp_sessionx=1").finish();
        assert!(!super::has_cookie(&req, "sp_session"));
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_star() {
        assert!(matches("W/\"abc\"", "W/\"abc\""));
        assert!(matches("\"abc\"", "W/\"abc\""));
        assert!(matches("\"x\", W/\"abc\"", "W/\"abc\""));
        assert!(matches("*", "W/\"abc\""));
        assert!(!matches("W/\"abd\"", "W/\"abc\""));
    }
}
