//! HTTP metrics (`metrics` facade; the binary installs the Prometheus recorder):
//! `http_requests_total{method,route,status}`, `http_request_duration_seconds{method,route}`
//! and `http_requests_in_flight`. `route` is the matched route's template
//! (`/api/v1/listings/{id}`), never the raw path, so 1,000 listings make one series; a path
//! no route matches is `unmatched`.
//!
//! And `/metrics` itself: on the main listener only with `METRICS_TOKEN` as a bearer
//! token ([`MetricsEndpoint`]); `METRICS_PORT` serves it on a listener of its own.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use poem::PathPattern;
use poem::http::{Method, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use subtle::ConstantTimeEq;

/// A path template with its parameters as `*` (`/api/v1/listings/:param0` and
/// `/api/v1/listings/{id}` are both `/api/v1/listings/*`); `open` is how a parameter
/// segment starts (`:` for poem, `{` for the document).
pub fn shape(template: &str, open: char) -> String {
    template.split('/').map(|seg| if seg.starts_with(open) { "*" } else { seg }).collect::<Vec<_>>().join("/")
}

/// The route label of a matched pattern: the document's template for it
/// (`/api/v1/listings/{id}`), else poem's pattern with `:name` as `{name}`; `unmatched`
/// when no route matched.
pub(crate) fn route_label(pattern: Option<&PathPattern>, templates: &HashMap<String, String>) -> String {
    let Some(p) = pattern else { return "unmatched".to_owned() };
    if let Some(t) = templates.get(&shape(&p.0, ':')) {
        return t.clone();
    }
    p.0.split('/')
        .map(|seg| seg.strip_prefix(':').map_or_else(|| seg.to_owned(), |name| format!("{{{name}}}")))
        .collect::<Vec<_>>()
        .join("/")
}

/// The route template a response was labelled with, for the access log line.
#[derive(Clone, Debug)]
pub struct RouteLabel(pub String);

/// Decrements the in-flight gauge however the request ends (a dropped connection too).
struct InFlight;

impl InFlight {
    fn start() -> Self {
        metrics::gauge!("http_requests_in_flight").increment(1.0);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("http_requests_in_flight").decrement(1.0);
    }
}

pub(crate) fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        // Anything else is one label: a client cannot mint series with made-up methods.
        _ => "other",
    }
}

/// Counts and times every request (just inside the request context, so that it sees
/// the final status).
pub struct HttpMetrics {
    /// `openapi::route_templates`.
    pub templates: Arc<HashMap<String, String>>,
}

impl<E: Endpoint> Middleware<E> for HttpMetrics {
    type Output = HttpMetricsEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        HttpMetricsEndpoint { inner: ep, templates: self.templates.clone() }
    }
}

pub struct HttpMetricsEndpoint<E> {
    inner: E,
    templates: Arc<HashMap<String, String>>,
}

impl<E: Endpoint> Endpoint for HttpMetricsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let _in_flight = InFlight::start();
        let method = method_label(req.method());
        let started = Instant::now();
        let result = self.inner.call(req).await.map(IntoResponse::into_response);
        let (route, status) = match &result {
            Ok(r) => (route_label(r.data::<PathPattern>(), &self.templates), r.status()),
            Err(e) => (route_label(e.data::<PathPattern>(), &self.templates), e.status()),
        };
        let status = status.as_u16().to_string();
        metrics::counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
            .increment(1);
        metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route.clone())
            .record(started.elapsed().as_secs_f64());
        result.map(|mut r| {
            r.set_data(RouteLabel(route));
            r
        })
    }
}

/// `/metrics` on the main listener, behind `Authorization: Bearer <METRICS_TOKEN>`.
#[derive(Clone)]
pub struct MetricsEndpoint {
    /// The exposition text (the Prometheus recorder's `render`).
    pub render: Arc<dyn Fn() -> String + Send + Sync>,
    /// `None`: no token asked (the metrics listener of its own).
    pub token: Option<Arc<str>>,
}

impl Endpoint for MetricsEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        if let Some(token) = &self.token {
            let given = req
                .headers()
                .get(poem::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
                return Ok(Response::builder()
                    .status(StatusCode::UNAUTHORIZED)
                    .header("www-authenticate", "Bearer")
                    .body("metrics need the bearer token"));
            }
        }
        Ok(Response::builder()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .header("cache-control", "no-store")
            .body((self.render)()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_the_documents_templates() {
        let templates: HashMap<_, _> =
            [("/api/v1/listings/*".to_owned(), "/api/v1/listings/{id}".to_owned())].into_iter().collect();
        let label = |p: &str| route_label(Some(&PathPattern(p.into())), &templates);
        assert_eq!(label("/api/v1/listings/:param0"), "/api/v1/listings/{id}");
        assert_eq!(label("/media/:key"), "/media/{key}", "outside the document: poem's own name");
        assert_eq!(label("/livez"), "/livez");
        assert_eq!(route_label(None, &templates), "unmatched");
    }
}
