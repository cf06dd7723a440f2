//! `application/problem+json` (RFC 9457): the error body, and the closed list of error
//! kinds the API documents (`docs/api.md` lists them; a test keeps the two equal).

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::Object;
use serde::Serialize;

/// Base of every problem `type` URI. The path after it is the stable error kind.
pub const TYPE_BASE: &str = "https://student-palace.co.uk/problems/";

/// Every kind of error the API answers with, its status and title. Clients may switch on
/// the `type` URI (`TYPE_BASE` + slug); the slugs are part of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// 400: the request does not match the document (e.g. invalid UTF-8 in the URL).
    BadRequest,
    /// 400: a path or query parameter does not match its schema, or is unknown.
    InvalidParameter,
    /// 400: the body is not JSON of the documented shape.
    InvalidBody,
    /// 401: not signed in, or the session expired or ended.
    Unauthenticated,
    /// 401: sign-in refused (unknown e-mail, wrong password, suspended: alike).
    BadCredentials,
    /// 403: signed in but not allowed (role, ownership).
    Forbidden,
    /// 403: a state-changing request without the session's `X-CSRF-Token`.
    Csrf,
    /// 404: no such resource, or not visible to the caller.
    NotFound,
    /// 405: the path exists, the method does not (`Allow` lists those that do).
    MethodNotAllowed,
    /// 409: the e-mail is registered already.
    EmailTaken,
    /// 409: publishing needs more; `errors` names every field.
    ListingIncomplete,
    /// 409: the status change is not allowed from the current status.
    InvalidTransition,
    /// 409: only a never-published draft can be deleted (archive the others).
    NotDeletable,
    /// 409: the listing takes no enquiries (it is let).
    NotTakingEnquiries,
    /// 409: admins cannot suspend their own account.
    OwnAccount,
    /// 409: suspending another admin needs `confirm_admin=true`.
    AdminAccount,
    /// 409: a city or area of this name (or slug) exists.
    NameTaken,
    /// 409: the listing has as many photos as allowed (30).
    GalleryFull,
    /// 412: `If-Match` names a version that is no longer the current one.
    PreconditionFailed,
    /// 428: a change to a listing needs `If-Match` with its `ETag`.
    PreconditionRequired,
    /// 413: the body is larger than the limit.
    PayloadTooLarge,
    /// 414: the URL is longer than 8 KiB.
    UriTooLong,
    /// 431: the request's headers together are larger than 16 KiB.
    HeadersTooLarge,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 422: schema-valid input that breaks a rule no schema can state (letting rules,
    /// a common password, a minimum above its maximum, ...); `errors` names the fields.
    Validation,
    /// 500: something failed on our side (logged; quote the `X-Request-Id`).
    Internal,
    /// 503: the request took too long and was abandoned; retry after `Retry-After`.
    Timeout,
    /// 503: too many requests need a scarce resource at once (database connections,
    /// password hashing); retry after `Retry-After`.
    Overloaded,
    /// 503: a dependency this request needs is down for a moment (the session store,
    /// when sessions are server-side); retry after `Retry-After`.
    Unavailable,
    /// 429: over a rate limit (`RateLimit-Policy` names it); retry after `Retry-After`.
    RateLimited,
}

impl ProblemKind {
    pub const ALL: &'static [ProblemKind] = &[
        Self::BadRequest,
        Self::InvalidParameter,
        Self::InvalidBody,
        Self::Unauthenticated,
        Self::BadCredentials,
        Self::Forbidden,
        Self::Csrf,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::EmailTaken,
        Self::ListingIncomplete,
        Self::InvalidTransition,
        Self::NotDeletable,
        Self::NotTakingEnquiries,
        Self::OwnAccount,
        Self::AdminAccount,
        Self::NameTaken,
        Self::GalleryFull,
        Self::PreconditionFailed,
        Self::PreconditionRequired,
        Self::PayloadTooLarge,
        Self::UriTooLong,
        Self::HeadersTooLarge,
        Self::UnsupportedMediaType,
        Self::Validation,
        Self::Internal,
        Self::Timeout,
        Self::Overloaded,
        Self::Unavailable,
        Self::RateLimited,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Self::BadRequest => "bad-request",
            Self::InvalidParameter => "invalid-parameter",
            Self::InvalidBody => "invalid-body",
            Self::Unauthenticated => "unauthenticated",
            Self::BadCredentials => "bad-credentials",
            Self::Forbidden => "forbidden",
            Self::Csrf => "csrf",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::EmailTaken => "email-taken",
            Self::ListingIncomplete => "listing-incomplete",
            Self::InvalidTransition => "invalid-transition",
            Self::NotDeletable => "not-deletable",
            Self::NotTakingEnquiries => "not-taking-enquiries",
            Self::OwnAccount => "own-account",
            Self::AdminAccount => "admin-account",
            Self::NameTaken => "name-taken",
            Self::GalleryFull => "gallery-full",
            Self::PreconditionFailed => "precondition-failed",
            Self::PreconditionRequired => "precondition-required",
            Self::PayloadTooLarge => "payload-too-large",
            Self::UriTooLong => "uri-too-long",
            Self::HeadersTooLarge => "headers-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::Validation => "validation",
            Self::Internal => "internal",
            Self::Timeout => "timeout",
            Self::Overloaded => "overloaded",
            Self::Unavailable => "unavailable",
            Self::RateLimited => "rate-limited",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest | Self::InvalidParameter | Self::InvalidBody => StatusCode::BAD_REQUEST,
            Self::Unauthenticated | Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::EmailTaken
            | Self::ListingIncomplete
            | Self::InvalidTransition
            | Self::NotDeletable
            | Self::NotTakingEnquiries
            | Self::OwnAccount
            | Self::AdminAccount
            | Self::NameTaken
            | Self::GalleryFull => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong => StatusCode::URI_TOO_LONG,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Timeout | Self::Overloaded | Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::BadRequest => "Bad request",
            Self::InvalidParameter => "Invalid parameter",
            Self::InvalidBody => "Invalid request body",
            Self::Unauthenticated => "Authentication required",
            Self::BadCredentials => "Sign-in failed",
            Self::Forbidden => "Forbidden",
            Self::Csrf => "CSRF token missing or wrong",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::EmailTaken => "E-mail already registered",
            Self::ListingIncomplete => "Listing cannot be published yet",
            Self::InvalidTransition => "Illegal status change",
            Self::NotDeletable => "Only never-published drafts can be deleted",
            Self::NotTakingEnquiries => "This listing takes no enquiries",
            Self::OwnAccount => "Not on your own account",
            Self::AdminAccount => "The account is an admin's",
            Self::NameTaken => "Name already taken",
            Self::GalleryFull => "Too many photos",
            Self::PreconditionFailed => "The listing changed since you read it",
            Self::PreconditionRequired => "If-Match required",
            Self::PayloadTooLarge => "Request body too large",
            Self::UriTooLong => "URL too long",
            Self::HeadersTooLarge => "Request headers too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::Validation => "Invalid input",
            Self::Internal => "Internal server error",
            Self::Timeout => "Request timed out",
            Self::Overloaded => "Service busy",
            Self::Unavailable => "Temporarily unavailable",
            Self::RateLimited => "Too many requests",
        }
    }
}

/// One invalid field.
#[derive(Debug, Clone, Serialize, Object)]
pub struct FieldError {
    /// The input's name: a body field (`rent_pppw_pence`) or a parameter (`page_size`).
    pub field: String,
    pub message: String,
}

/// An error response body (RFC 9457).
#[derive(Debug, Clone, Serialize, Object)]
pub struct Problem {
    /// Stable URI naming the error kind (`https://student-palace.co.uk/problems/<kind>`).
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind (the same for every problem of a kind).
    pub title: String,
    /// The HTTP status, repeated.
    pub status: u16,
    /// What went wrong this time, for a person to read.
    pub detail: String,
    /// The request path that failed (no query string).
    pub instance: String,
    /// Present on input problems: each invalid field and why.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl Problem {
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("{TYPE_BASE}{}", kind.slug()),
            title: kind.title().to_owned(),
            status: kind.status().as_u16(),
            detail: detail.into(),
            // Filled in by `middleware::problem_instance` with the request's path.
            instance: String::new(),
            errors: None,
        }
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
        Self::new(
            ProblemKind::Internal,
            "Something went wrong on our side. Quote the X-Request-Id header if you contact us.",
        )
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

/// Every error that escaped a route (routing misses, size limits, ...) becomes
/// problem+json with a kind derived from its status.
pub async fn from_poem_error(err: poem::Error) -> Response {
    // The matched route travels on (the metrics' label).
    let pattern = err.data::<poem::PathPattern>().cloned();
    let mut resp = render_error(err);
    if let Some(p) = pattern {
        resp.set_data(p);
    }
    resp
}

fn render_error(err: poem::Error) -> Response {
    // API handlers' errors (`ApiError`) arrive already rendered as problem+json.
    if err.is_from_response() {
        return err.into_response();
    }
    if let Some(p) = crate::error::extractor_problem(&err) {
        return p.into_response();
    }
    let status = err.status();
    let problem = match status {
        StatusCode::NOT_FOUND => Problem::new(ProblemKind::NotFound, "No resource at this address."),
        StatusCode::METHOD_NOT_ALLOWED => {
            Problem::new(ProblemKind::MethodNotAllowed, "This address does not take this method; see Allow.")
        }
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(ProblemKind::PayloadTooLarge, err.to_string()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Problem::new(ProblemKind::UnsupportedMediaType, err.to_string()),
        StatusCode::UNAUTHORIZED => Problem::new(ProblemKind::Unauthenticated, "Sign in first."),
        StatusCode::FORBIDDEN => Problem::new(ProblemKind::Forbidden, "Not allowed."),
        s if s.is_client_error() => {
            let mut p = Problem::new(ProblemKind::BadRequest, err.to_string());
            p.status = s.as_u16();
            p
        }
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
        Problem::new(ProblemKind::Internal, "Something went wrong on our side.").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_distinct_slugs_and_error_statuses() {
        let mut slugs: Vec<&str> = ProblemKind::ALL.iter().map(|k| k.slug()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), ProblemKind::ALL.len());
        assert!(ProblemKind::ALL.iter().all(|k| k.status().is_client_error() || k.status().is_server_error()));
    }

    #[test]
    fn docs_api_md_lists_every_kind_with_its_status() {
        let docs = include_str!("../../../docs/api.md");
        for k in ProblemKind::ALL {
            let row = format!("| `{}` | {} |", k.slug(), k.status().as_u16());
            assert!(docs.contains(&row), "docs/api.md lacks the row {row}");
        }
    }

    #[test]
    fn problems_serialise_without_absent_errors() {
        let p = Problem::new(ProblemKind::NotFound, "No such listing.");
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "https://student-palace.co.uk/problems/not-found");
        assert_eq!(v["status"], 404);
        assert!(v.get("errors").is_none());
    }
}
