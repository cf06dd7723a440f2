//! The one mapping from use-case errors to HTTP: every error response is an `ApiError`,
//! a problem+json document with a stable `type`. Causes are logged, never sent.

use application::accounts::AccountError;
use application::listings::ListingsError;
use domain::ValidationError;
use domain::listing::ListingError;
use poem::http::StatusCode;
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;

use crate::problem::Problem;

/// Error responses of the API (application/problem+json, RFC 9457).
#[derive(ApiResponse, Debug)]
#[oai(bad_request_handler = "bad_request")]
pub enum ApiError {
    /// Malformed request: a parameter or body field is missing, of the wrong type, out of
    /// range or unknown; `errors` names each field.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// Not signed in (or the session expired).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// Signed in, but not allowed (wrong role, not the owner, missing CSRF token).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No such resource (or not visible to you).
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The resource's state does not allow this (illegal transition, incomplete listing,
    /// duplicate e-mail); `detail`/`errors` give the reason.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// Well-formed but breaks a rule (validation, UK letting rules); `errors` names fields.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// Unexpected failure (logged; quote the X-Request-Id).
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn from_problem(p: Problem) -> Self {
        match p.status {
            400 => Self::BadRequest(Json(p)),
            401 => Self::Unauthenticated(Json(p)),
            403 => Self::Forbidden(Json(p)),
            404 => Self::NotFound(Json(p)),
            409 => Self::Conflict(Json(p)),
            422 => Self::Unprocessable(Json(p)),
            _ => Self::Internal(Json(p)),
        }
    }

    pub fn bad_param(field: &str, message: impl Into<String>) -> Self {
        Self::from_problem(
            Problem::new(StatusCode::BAD_REQUEST, "invalid-parameter", "Invalid parameter")
                .detail(format!("{field}: is invalid"))
                .field(field, message),
        )
    }

    pub fn invalid(errors: &[ValidationError]) -> Self {
        let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "Invalid input")
            .detail(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "));
        for e in errors {
            p = p.field(e.field, e.message.clone());
        }
        Self::from_problem(p)
    }

    pub fn unauthenticated() -> Self {
        Self::from_problem(
            Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", "Authentication required")
                .detail("Sign in first (POST /api/v1/auth/login)."),
        )
    }

    pub fn forbidden(detail: &str) -> Self {
        Self::from_problem(Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden").detail(detail))
    }

    pub fn not_found(what: &str) -> Self {
        Self::from_problem(Problem::not_found().detail(format!("No such {what}.")))
    }

    pub fn internal(e: &(dyn std::error::Error + 'static)) -> Self {
        Self::from_problem(Problem::internal(e))
    }
}

/// poem-openapi's request parsing failures (bad JSON, wrong types, bad parameters).
#[allow(clippy::needless_pass_by_value)] // the signature poem-openapi calls
fn bad_request(err: poem::Error) -> ApiError {
    if let Some(e) = err.downcast_ref::<poem_openapi::error::ParseParamError>() {
        return ApiError::bad_param(e.name, e.reason.clone());
    }
    if let Some(e) = err.downcast_ref::<poem_openapi::error::ParseRequestPayloadError>() {
        return ApiError::from_problem(
            Problem::new(StatusCode::BAD_REQUEST, "invalid-body", "Invalid request body").detail(e.reason.clone()),
        );
    }
    if err.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        return ApiError::from_problem(
            Problem::new(StatusCode::BAD_REQUEST, "invalid-body", "Invalid request body")
                .detail("Send JSON with Content-Type: application/json."),
        );
    }
    ApiError::from_problem(Problem::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request").detail(err.to_string()))
}

impl From<ListingsError> for ApiError {
    fn from(e: ListingsError) -> Self {
        match e {
            ListingsError::Invalid(v) => ApiError::invalid(&v),
            ListingsError::NotFound => ApiError::not_found("resource"),
            ListingsError::Forbidden => ApiError::forbidden("You are not allowed to do this."),
            ListingsError::Conflict(c) => conflict(&c),
            ListingsError::StateConflict(reason) => ApiError::from_problem(
                Problem::new(StatusCode::CONFLICT, "invalid-state", "Not possible in this state").detail(reason),
            ),
            ListingsError::Unexpected(e) => ApiError::internal(e.as_ref()),
        }
    }
}

fn conflict(c: &ListingError) -> ApiError {
    let (kind, title) = match c {
        ListingError::Incomplete(_) => ("listing-incomplete", "Listing cannot be published yet"),
        ListingError::NotADraft(_) => ("not-a-draft", "Only drafts can be deleted"),
        _ => ("invalid-transition", "Illegal status change"),
    };
    let mut p = Problem::new(StatusCode::CONFLICT, kind, title).detail(c.to_string());
    if let ListingError::Incomplete(v) | ListingError::Invalid(v) = c {
        for e in v {
            p = p.field(e.field, e.message.clone());
        }
    }
    ApiError::from_problem(p)
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(v) => ApiError::invalid(&v),
            AccountError::EmailTaken => ApiError::from_problem(
                Problem::new(StatusCode::CONFLICT, "email-taken", "E-mail already registered")
                    .detail("An account with this e-mail exists. Sign in or reset the password."),
            ),
            AccountError::RoleNotSelfService => ApiError::from_problem(
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "Invalid input")
                    .field("role", "must be one of student, landlord, agent"),
            ),
            AccountError::BadCredentials => ApiError::from_problem(
                Problem::new(StatusCode::UNAUTHORIZED, "bad-credentials", "Sign-in failed")
                    .detail("The e-mail or password is wrong."),
            ),
            AccountError::Unexpected(e) => ApiError::internal(e.as_ref()),
        }
    }
}
