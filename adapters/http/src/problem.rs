//! `application/problem+json` (RFC 9457): the one place where errors become responses.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::Object;
use serde::Serialize;

/// Base of every problem `type` URI. The path after it is the stable error kind.
pub const TYPE_BASE: &str = "https://student-palace.co.uk/problems/";

/// One invalid field.
#[derive(Debug, Clone, Serialize, Object)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An error response body (RFC 9457).
#[derive(Debug, Clone, Serialize, Object)]
pub struct Problem {
    /// Stable URI naming the error kind.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: &str) -> Self {
        Self {
            kind: format!("{TYPE_BASE}{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
            instance: None,
            errors: None,
        }
    }

    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    #[must_use]
    pub fn field(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.errors.get_or_insert_with(Vec::new).push(FieldError { field: field.into(), message: message.into() });
        self
    }

    /// 500, after logging the cause chain. Clients learn nothing about the cause.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = cause.to_string();
        let mut src = cause.source();
        while let Some(s) = src {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            src = s.source();
        }
        tracing::error!(error.chain = %chain, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal server error")
            .detail("Something went wrong on our side. Quote the X-Request-Id header if you contact us.")
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found")
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        Response::builder()
            .status(self.status_code())
            .content_type("application/problem+json")
            .header("cache-control", "no-store")
            .body(body)
    }
}

/// Every error that escaped a route (routing misses, poem-openapi's request parsing,
/// size limits, ...) becomes problem+json with a kind derived from its status.
pub async fn from_poem_error(err: poem::Error) -> Response {
    // API handlers' errors (`ApiError`) arrive already rendered as problem+json.
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let problem = match status {
        StatusCode::NOT_FOUND => Problem::not_found().detail("No resource at this address."),
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(status, "method-not-allowed", "Method not allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(status, "payload-too-large", "Request body too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            Problem::new(status, "unsupported-media-type", "Unsupported media type").detail(err.to_string())
        }
        StatusCode::UNAUTHORIZED => Problem::new(status, "unauthenticated", "Authentication required"),
        StatusCode::FORBIDDEN => Problem::new(status, "forbidden", "Forbidden"),
        s if s.is_client_error() => Problem::new(s, "bad-request", "Bad request").detail(err.to_string()),
        _ => Problem::internal(&err),
    };
    problem.into_response()
}

/// Panics become a logged 500 problem.
#[derive(Clone)]
pub struct PanicHandler;

impl poem::middleware::PanicHandler for PanicHandler {
    type Response = Response;

    fn get_response(&self, err: Box<dyn std::any::Any + Send + 'static>) -> Self::Response {
        let msg = err
            .downcast_ref::<&str>()
            .map(ToString::to_string)
            .or_else(|| err.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        tracing::error!(panic = %msg, "handler panicked");
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal server error").into_response()
    }
}
