//! The one mapping from use-case errors to HTTP. Every error response is an [`ApiError`]:
//! a problem+json document with a stable `type` (`problem::ProblemKind`). Causes are
//! logged (`Problem::internal`), never sent.
//!
//! Each use case has its own error enum (`application::*::*Error`); the `From` impls
//! below are the only place that decides which status and kind each case becomes.

use application::accounts::{ChangePasswordError, CurrentUserError, EndSessionsError, LoginError, RegisterError};
use application::cities::{AddAreaError, ChangeAreaError, ChangeCityError, CreateCityError, ListAllCitiesError};
use application::enquiries::{MyEnquiriesError, SendEnquiryError, SetEnquiryStatusError};
use application::jobs::{ListJobsError, RetryJobError};
use application::listings::{
    ArchiveListingError, CitiesWithCountsError, CreateListingError, DeleteListingError, GetListingError,
    MarkListingLetError, MyListingsError, PublishListingError, SearchListingsError, SiteCountersError,
    UpdateListingError,
};
use application::moderation::{ListUsersError, ReadAuditTrailError, SetSuspensionError, UnpublishListingError};
use application::photos::{DeletePhotoError, ListPhotosError, ReorderPhotosError, UploadPhotoError};
use application::shortlist::{MyShortlistError, RemoveSavedListingError, SaveListingError};
use domain::ValidationError;
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;

use crate::problem::{Problem, ProblemKind};

/// Error responses of the API (application/problem+json, RFC 9457).
#[derive(ApiResponse, Debug)]
#[oai(bad_request_handler = "bad_request")]
pub enum ApiError {
    /// The request does not match this document: a parameter or body field is missing,
    /// of the wrong type, outside its schema, or unknown. `errors` names parameters.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// Not signed in (or the session expired or ended); or sign-in refused.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Json<Problem>),
    /// Signed in, but not allowed (role, ownership), or the CSRF token is missing/wrong.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No such resource (or not visible to you).
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The resource's state does not allow this (status change, incomplete listing,
    /// e-mail taken); `detail`/`errors` give the reason.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `If-Match` names an old version of the listing: someone changed it since you read
    /// it. `GET` it again (new `ETag`) and redo the change.
    #[oai(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Json<Problem>),
    /// A change to a listing needs `If-Match` with the `ETag` from `GET /listings/{id}`.
    #[oai(status = 428, content_type = "application/problem+json")]
    PreconditionRequired(Json<Problem>),
    /// The request body is larger than the limit (1 MiB).
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not sent as `application/json`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// Valid against this document, but breaks a rule it cannot state (letting rules, a
    /// common password, contradictory filters); `errors` names the fields.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// Over a rate limit: `RateLimit-Policy` names the limit and its quota
    /// (`"login-ip";q=30;w=900`), `RateLimit` what is left (`"login-ip";r=0;t=42`, IETF
    /// draft-ietf-httpapi-ratelimit-headers). Retry after `Retry-After` seconds.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(
        Json<Problem>,
        #[oai(header = "Retry-After")] u32,
        #[oai(header = "RateLimit")] String,
        #[oai(header = "RateLimit-Policy")] String,
    ),
    /// Unexpected failure (logged; quote the X-Request-Id).
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// Overloaded or too slow; try again after `Retry-After` seconds.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>, #[oai(header = "Retry-After")] u32),
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
            412 => Self::PreconditionFailed(Json(p)),
            428 => Self::PreconditionRequired(Json(p)),
            413 => Self::PayloadTooLarge(Json(p)),
            415 => Self::UnsupportedMediaType(Json(p)),
            422 => Self::Unprocessable(Json(p)),
            503 => Self::Unavailable(Json(p), 1),
            429 => Self::TooManyRequests(Json(p), 1, String::new(), String::new()),
            _ => Self::Internal(Json(p)),
        }
    }

    pub fn problem(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self::from_problem(Problem::new(kind, detail))
    }

    /// 400 naming a parameter that does not match its schema.
    pub fn bad_param(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::from_problem(
            Problem::new(ProblemKind::InvalidParameter, format!("{field}: {message}")).field(field, message),
        )
    }

    /// 422 with every field that breaks a rule.
    pub fn invalid(errors: &[ValidationError]) -> Self {
        Self::from_problem(with_fields(ProblemKind::Validation, errors))
    }

    pub fn unauthenticated() -> Self {
        Self::problem(ProblemKind::Unauthenticated, "Sign in first (POST /api/v1/auth/login).")
    }

    pub fn forbidden(detail: &str) -> Self {
        Self::problem(ProblemKind::Forbidden, detail)
    }

    /// 412: the listing changed since the client read it.
    pub fn stale() -> Self {
        Self::problem(
            ProblemKind::PreconditionFailed,
            "The listing changed since you read it (If-Match names an old ETag). GET it again and redo the change.",
        )
    }

    pub fn not_found(what: &str) -> Self {
        Self::problem(ProblemKind::NotFound, format!("No such {what}."))
    }

    pub fn internal(e: &(dyn std::error::Error + 'static)) -> Self {
        Self::from_problem(Problem::internal(e))
    }

    /// An unexpected failure: 503 `overloaded` with `Retry-After` when a dependency was
    /// saturated (`application::ports::Busy` in the chain), else 500. Both are logged
    /// with the cause chain.
    fn unexpected(e: &anyhow::Error) -> Self {
        match application::ports::Busy::in_chain(e) {
            Some(busy) => {
                tracing::warn!(error = format!("{e:#}"), what = busy.what, "overloaded: answered 503");
                Self::Unavailable(
                    Json(Problem::new(
                        ProblemKind::Overloaded,
                        format!("The service is busy; retry in {} s.", busy.retry_after_secs),
                    )),
                    busy.retry_after_secs,
                )
            }
            None => Self::internal(e.as_ref()),
        }
    }
}

/// Seconds, rounded up (a client told 0 would retry at once).
fn whole_seconds(d: std::time::Duration) -> u64 {
    d.as_millis().div_ceil(1000).try_into().unwrap_or(u64::MAX)
}

/// The `RateLimit-Policy` value of a limit: `"name";q=burst;w=seconds`.
pub fn rate_limit_policy(limit: application::rate_limit::Limit, quota: application::ports::Quota) -> String {
    format!("\"{}\";q={};w={}", limit.name(), quota.burst(), quota.period().as_secs())
}

/// The `RateLimit` value: `"name";r=remaining;t=seconds-until-whole`.
pub fn rate_limit_state(limit: application::rate_limit::Limit, remaining: u32, reset: std::time::Duration) -> String {
    format!("\"{}\";r={remaining};t={}", limit.name(), whole_seconds(reset))
}

impl From<application::rate_limit::Throttled> for ApiError {
    fn from(t: application::rate_limit::Throttled) -> Self {
        let secs = u32::try_from(whole_seconds(t.retry_after)).unwrap_or(u32::MAX).max(1);
        Self::TooManyRequests(
            Json(Problem::new(ProblemKind::RateLimited, format!("Too many requests; retry in {secs} s."))),
            secs,
            rate_limit_state(t.limit, 0, t.reset),
            rate_limit_policy(t.limit, t.quota),
        )
    }
}

/// A problem of `kind` listing `errors` by field (detail: all of them, joined).
fn with_fields(kind: ProblemKind, errors: &[ValidationError]) -> Problem {
    let detail = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
    errors.iter().fold(Problem::new(kind, detail), |p, e| p.field(e.field, e.message.clone()))
}

/// A failure of an extractor that already knows its answer (authentication, CSRF): it
/// travels through poem as an error and [`bad_request`] returns it unchanged.
#[derive(Debug)]
pub struct Refusal(pub Problem);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.detail)
    }
}

impl std::error::Error for Refusal {}

impl Refusal {
    pub fn into_poem(p: Problem) -> poem::Error {
        let status = p.status_code();
        poem::Error::new(Refusal(p), status)
    }
}

/// The problem for an extractor failure: parameters and bodies that do not match their
/// schema (400), bodies of the wrong media type (415), and our own extractors' refusals.
///
/// Handlers return `ApiResult<T>`, and poem-openapi hands extractor errors of such
/// operations to the Ok type's `bad_request_handler` (none), so they leave the handler as
/// plain `poem::Error`s; `problem::from_poem_error` turns them into problems through this.
pub fn extractor_problem(err: &poem::Error) -> Option<Problem> {
    if let Some(Refusal(p)) = err.downcast_ref::<Refusal>() {
        return Some(p.clone());
    }
    if let Some(e) = err.downcast_ref::<poem_openapi::error::ParseParamError>() {
        return Some(
            Problem::new(ProblemKind::InvalidParameter, format!("{}: {}", e.name, e.reason))
                .field(e.name, e.reason.clone()),
        );
    }
    if let Some(e) = err.downcast_ref::<poem_openapi::error::ParseRequestPayloadError>() {
        return Some(Problem::new(ProblemKind::InvalidBody, e.reason.clone()));
    }
    if err.downcast_ref::<poem_openapi::error::ContentTypeError>().is_some() {
        return Some(Problem::new(
            ProblemKind::UnsupportedMediaType,
            "Send the body as JSON, with Content-Type: application/json.",
        ));
    }
    None
}

#[allow(clippy::needless_pass_by_value)] // the signature poem-openapi calls
fn bad_request(err: poem::Error) -> ApiError {
    ApiError::from_problem(
        extractor_problem(&err).unwrap_or_else(|| Problem::new(ProblemKind::BadRequest, err.to_string())),
    )
}

// ---------------------------------------------------------------- accounts

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::Invalid(v) => ApiError::invalid(&v),
            RegisterError::EmailTaken => ApiError::problem(
                ProblemKind::EmailTaken,
                "An account with this e-mail exists. Sign in or reset the password.",
            ),
            RegisterError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::BadCredentials => {
                ApiError::problem(ProblemKind::BadCredentials, "The e-mail or password is wrong.")
            }
            LoginError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<EndSessionsError> for ApiError {
    fn from(e: EndSessionsError) -> Self {
        match e {
            EndSessionsError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<CurrentUserError> for ApiError {
    fn from(e: CurrentUserError) -> Self {
        match e {
            CurrentUserError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

// ---------------------------------------------------------------- listings

const NOT_YOURS: &str = "This listing is not yours to change.";

impl From<CreateListingError> for ApiError {
    fn from(e: CreateListingError) -> Self {
        match e {
            CreateListingError::NotALister => ApiError::forbidden("Only landlords and agents can create listings."),
            CreateListingError::Invalid(v) => ApiError::invalid(&v),
            CreateListingError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<UpdateListingError> for ApiError {
    fn from(e: UpdateListingError) -> Self {
        match e {
            UpdateListingError::NotFound => ApiError::not_found("listing"),
            UpdateListingError::Forbidden => ApiError::forbidden(NOT_YOURS),
            UpdateListingError::Invalid(v) => ApiError::invalid(&v),
            UpdateListingError::WouldBeIncomplete(v) => ApiError::from_problem(Problem {
                detail: format!(
                    "A published listing must stay complete: {}",
                    with_fields(ProblemKind::Validation, &v).detail
                ),
                ..with_fields(ProblemKind::ListingIncomplete, &v)
            }),
            UpdateListingError::Archived => {
                ApiError::problem(ProblemKind::InvalidTransition, "An archived listing cannot be edited.")
            }
            UpdateListingError::Stale => ApiError::stale(),
            UpdateListingError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<PublishListingError> for ApiError {
    fn from(e: PublishListingError) -> Self {
        match e {
            PublishListingError::NotFound => ApiError::not_found("listing"),
            PublishListingError::Forbidden => ApiError::forbidden(NOT_YOURS),
            PublishListingError::AlreadyPublished => {
                ApiError::problem(ProblemKind::InvalidTransition, "The listing is published already.")
            }
            PublishListingError::Incomplete(v) => {
                ApiError::from_problem(with_fields(ProblemKind::ListingIncomplete, &v))
            }
            PublishListingError::Stale => ApiError::stale(),
            PublishListingError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<ArchiveListingError> for ApiError {
    fn from(e: ArchiveListingError) -> Self {
        match e {
            ArchiveListingError::NotFound => ApiError::not_found("listing"),
            ArchiveListingError::Forbidden => ApiError::forbidden(NOT_YOURS),
            ArchiveListingError::AlreadyArchived => {
                ApiError::problem(ProblemKind::InvalidTransition, "The listing is archived already.")
            }
            ArchiveListingError::Stale => ApiError::stale(),
            ArchiveListingError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<MarkListingLetError> for ApiError {
    fn from(e: MarkListingLetError) -> Self {
        match e {
            MarkListingLetError::NotFound => ApiError::not_found("listing"),
            MarkListingLetError::Forbidden => ApiError::forbidden(NOT_YOURS),
            MarkListingLetError::NotPublished(s) => {
                ApiError::problem(ProblemKind::InvalidTransition, format!("A {s} listing cannot be marked as let."))
            }
            MarkListingLetError::Stale => ApiError::stale(),
            MarkListingLetError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<DeleteListingError> for ApiError {
    fn from(e: DeleteListingError) -> Self {
        match e {
            DeleteListingError::NotFound => ApiError::not_found("listing"),
            DeleteListingError::Forbidden => ApiError::forbidden(NOT_YOURS),
            DeleteListingError::NotDeletable(s) => ApiError::problem(
                ProblemKind::NotDeletable,
                format!(
                    "Only a draft that was never published can be deleted; archive this {s} listing instead \
                     (students' enquiries and moderation notes are kept)."
                ),
            ),
            DeleteListingError::Stale => ApiError::stale(),
            DeleteListingError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<GetListingError> for ApiError {
    fn from(e: GetListingError) -> Self {
        match e {
            GetListingError::NotFound => ApiError::not_found("listing"),
            GetListingError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<SearchListingsError> for ApiError {
    fn from(e: SearchListingsError) -> Self {
        match e {
            SearchListingsError::Invalid(v) => ApiError::invalid(&v),
            SearchListingsError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

/// Use cases whose only failure is unexpected.
macro_rules! only_unexpected {
    ($($t:ident),+ $(,)?) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                match e {
                    $t::Unexpected(e) => ApiError::unexpected(&e),
                }
            }
        }
    )+};
}

only_unexpected!(MyListingsError, CitiesWithCountsError, SiteCountersError, MyEnquiriesError);

// ---------------------------------------------------------------- shortlist

const STUDENTS_ONLY: &str = "Only students have a shortlist.";

impl From<SaveListingError> for ApiError {
    fn from(e: SaveListingError) -> Self {
        match e {
            SaveListingError::NotAStudent => ApiError::forbidden(STUDENTS_ONLY),
            SaveListingError::ListingNotFound => ApiError::not_found("listing"),
            SaveListingError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<RemoveSavedListingError> for ApiError {
    fn from(e: RemoveSavedListingError) -> Self {
        match e {
            RemoveSavedListingError::NotAStudent => ApiError::forbidden(STUDENTS_ONLY),
            RemoveSavedListingError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<MyShortlistError> for ApiError {
    fn from(e: MyShortlistError) -> Self {
        match e {
            MyShortlistError::NotAStudent => ApiError::forbidden(STUDENTS_ONLY),
            MyShortlistError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

// ---------------------------------------------------------------- enquiries

impl From<SendEnquiryError> for ApiError {
    fn from(e: SendEnquiryError) -> Self {
        match e {
            SendEnquiryError::NotAStudent => ApiError::forbidden("Only students can send enquiries."),
            SendEnquiryError::Invalid(v) => ApiError::invalid(&v),
            SendEnquiryError::ListingNotFound => ApiError::not_found("listing"),
            SendEnquiryError::NotTakingEnquiries(s) => ApiError::problem(
                ProblemKind::NotTakingEnquiries,
                format!("Only published listings take enquiries; this one is {s}."),
            ),
            SendEnquiryError::LicenceLapsed => ApiError::problem(
                ProblemKind::NotTakingEnquiries,
                "This listing takes no enquiries: its HMO licence has lapsed. It is hidden until the landlord renews it.",
            ),
            SendEnquiryError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<SetEnquiryStatusError> for ApiError {
    fn from(e: SetEnquiryStatusError) -> Self {
        match e {
            SetEnquiryStatusError::NotFound => ApiError::not_found("enquiry"),
            SetEnquiryStatusError::Forbidden => {
                ApiError::forbidden("Only the listing's owner can change an enquiry's status.")
            }
            SetEnquiryStatusError::InvalidTransition { from, to } => ApiError::problem(
                ProblemKind::InvalidTransition,
                format!("An enquiry that is {from} cannot become {to}."),
            ),
            SetEnquiryStatusError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

// ---------------------------------------------------------------- moderation

const ADMINS_ONLY: &str = "Only admins can do this.";

impl From<UnpublishListingError> for ApiError {
    fn from(e: UnpublishListingError) -> Self {
        match e {
            UnpublishListingError::NotAnAdmin => ApiError::forbidden(ADMINS_ONLY),
            UnpublishListingError::Invalid(v) => ApiError::invalid(&v),
            UnpublishListingError::NotFound => ApiError::not_found("listing"),
            UnpublishListingError::NotPublished(s) => {
                ApiError::problem(ProblemKind::InvalidTransition, format!("A {s} listing cannot be unpublished."))
            }
            UnpublishListingError::Stale => ApiError::stale(),
            UnpublishListingError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<SetSuspensionError> for ApiError {
    fn from(e: SetSuspensionError) -> Self {
        match e {
            SetSuspensionError::NotAnAdmin => ApiError::forbidden(ADMINS_ONLY),
            SetSuspensionError::NotFound => ApiError::not_found("user"),
            SetSuspensionError::OwnAccount => {
                ApiError::problem(ProblemKind::OwnAccount, "Admins cannot suspend or reinstate themselves.")
            }
            SetSuspensionError::TargetIsAdmin => ApiError::problem(
                ProblemKind::AdminAccount,
                "This account is an admin's: suspending it needs confirm_admin=true (audited as user.suspend_admin).",
            ),
            SetSuspensionError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<ListUsersError> for ApiError {
    fn from(e: ListUsersError) -> Self {
        match e {
            ListUsersError::NotAnAdmin => ApiError::forbidden(ADMINS_ONLY),
            ListUsersError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<ReadAuditTrailError> for ApiError {
    fn from(e: ReadAuditTrailError) -> Self {
        match e {
            ReadAuditTrailError::NotAnAdmin => ApiError::forbidden(ADMINS_ONLY),
            ReadAuditTrailError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

const CITY_ADMINS_ONLY: &str = "Only admins manage cities and areas.";

impl From<UploadPhotoError> for ApiError {
    fn from(e: UploadPhotoError) -> Self {
        match e {
            UploadPhotoError::NotFound => ApiError::not_found("listing"),
            UploadPhotoError::NotManager => ApiError::forbidden("Only the listing's owner or an admin adds photos."),
            UploadPhotoError::Archived => {
                ApiError::problem(ProblemKind::InvalidTransition, "An archived listing takes no photos.")
            }
            UploadPhotoError::Unsupported(e) => ApiError::problem(ProblemKind::UnsupportedMediaType, e.to_string()),
            UploadPhotoError::Invalid(e) => ApiError::invalid(&[ValidationError::new("file", e.to_string())]),
            e @ UploadPhotoError::GalleryFull => ApiError::problem(ProblemKind::GalleryFull, format!("{e}.")),
            UploadPhotoError::Busy(b) => ApiError::unexpected(&anyhow::Error::new(b)),
            UploadPhotoError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<ListPhotosError> for ApiError {
    fn from(e: ListPhotosError) -> Self {
        match e {
            ListPhotosError::NotFound => ApiError::not_found("listing"),
            ListPhotosError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<ReorderPhotosError> for ApiError {
    fn from(e: ReorderPhotosError) -> Self {
        match e {
            ReorderPhotosError::NotFound => ApiError::not_found("listing"),
            ReorderPhotosError::NotManager => {
                ApiError::forbidden("Only the listing's owner or an admin orders its photos.")
            }
            e @ ReorderPhotosError::Mismatch => ApiError::problem(ProblemKind::InvalidTransition, format!("{e}.")),
            ReorderPhotosError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<DeletePhotoError> for ApiError {
    fn from(e: DeletePhotoError) -> Self {
        match e {
            DeletePhotoError::NotFound => ApiError::not_found("photo"),
            DeletePhotoError::NotManager => {
                ApiError::forbidden("Only the listing's owner or an admin deletes its photos.")
            }
            DeletePhotoError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<ListJobsError> for ApiError {
    fn from(e: ListJobsError) -> Self {
        match e {
            ListJobsError::NotAnAdmin => ApiError::forbidden("Only admins see the job queue."),
            ListJobsError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<RetryJobError> for ApiError {
    fn from(e: RetryJobError) -> Self {
        match e {
            RetryJobError::NotAnAdmin => ApiError::forbidden("Only admins retry jobs."),
            RetryJobError::NotFound => ApiError::not_found("job"),
            e @ RetryJobError::NotDead(_) => {
                ApiError::problem(ProblemKind::InvalidTransition, format!("{e}: only dead jobs are retried."))
            }
            RetryJobError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<ListAllCitiesError> for ApiError {
    fn from(e: ListAllCitiesError) -> Self {
        match e {
            ListAllCitiesError::NotAnAdmin => ApiError::forbidden(CITY_ADMINS_ONLY),
            ListAllCitiesError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<CreateCityError> for ApiError {
    fn from(e: CreateCityError) -> Self {
        match e {
            CreateCityError::NotAnAdmin => ApiError::forbidden(CITY_ADMINS_ONLY),
            CreateCityError::Invalid(v) => ApiError::invalid(&v),
            CreateCityError::NameTaken => {
                ApiError::problem(ProblemKind::NameTaken, "A city with this slug or name exists.")
            }
            CreateCityError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<ChangeCityError> for ApiError {
    fn from(e: ChangeCityError) -> Self {
        match e {
            ChangeCityError::NotAnAdmin => ApiError::forbidden(CITY_ADMINS_ONLY),
            ChangeCityError::Invalid(v) => ApiError::invalid(&v),
            ChangeCityError::NotFound => ApiError::not_found("city"),
            ChangeCityError::NameTaken => ApiError::problem(ProblemKind::NameTaken, "Another city has this name."),
            ChangeCityError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<AddAreaError> for ApiError {
    fn from(e: AddAreaError) -> Self {
        match e {
            AddAreaError::NotAnAdmin => ApiError::forbidden(CITY_ADMINS_ONLY),
            AddAreaError::Invalid(v) => ApiError::invalid(&v),
            AddAreaError::NotFound => ApiError::not_found("city"),
            AddAreaError::NameTaken => ApiError::problem(
                ProblemKind::NameTaken,
                "The city has an area of this name (ignoring case), active or retired.",
            ),
            AddAreaError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<ChangeAreaError> for ApiError {
    fn from(e: ChangeAreaError) -> Self {
        match e {
            ChangeAreaError::NotAnAdmin => ApiError::forbidden(CITY_ADMINS_ONLY),
            ChangeAreaError::Invalid(v) => ApiError::invalid(&v),
            ChangeAreaError::NotFound => ApiError::not_found("area"),
            ChangeAreaError::NameTaken => {
                ApiError::problem(ProblemKind::NameTaken, "The city has another area of this name (ignoring case).")
            }
            ChangeAreaError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<ChangePasswordError> for ApiError {
    fn from(e: ChangePasswordError) -> Self {
        match e {
            ChangePasswordError::Invalid(v) => ApiError::invalid(&v),
            ChangePasswordError::CannotSignIn => ApiError::unauthenticated(),
            ChangePasswordError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}
