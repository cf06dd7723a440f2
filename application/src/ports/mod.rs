//! The ports: everything the use cases need from the outside world.

pub mod audit;
pub mod blob;
pub mod cache;
pub mod cities;
pub mod clock;
pub mod enquiries;
pub mod health;
pub mod images;
pub mod jobs;
pub mod listings;
pub mod mail;
pub mod photos;
pub mod rate_limit;
pub mod security;
pub mod sessions;
pub mod shortlist;
pub mod users;

pub use audit::AuditLog;
pub use blob::{BlobAttrs, BlobBody, BlobError, BlobKey, BlobMeta, BlobStore, IMMUTABLE};
pub use cache::{Cache, CacheError};
pub use cities::{AreaChange, CityChange, CityFilter, CityRepository};
pub use clock::{Clock, SystemClock};
pub use enquiries::{EnquiryBox, EnquiryRepository};
pub use health::HealthProbe;
pub use images::{ImageError, ImageFormat, ImageInfo, ImageProcessingError, ImageProcessor, Processed, Variant};
pub use jobs::{Job, JobQueue, JobStatus, Lease, NewJob, Outcome};
pub use listings::{ListingRepository, Precondition, SearchQuery, SearchResults, SearchSort, SiteStats};
pub use mail::{MailError, MailMessage, Mailer};
pub use photos::PhotoRepository;
pub use rate_limit::{Quota, RateDecision, RateLimitError, RateLimiter};
pub use security::{IdGen, PasswordHasher, UuidV7};
pub use sessions::{SessionStore, SessionStoreError};
pub use shortlist::{SavedListing, ShortlistRepository};
pub use users::{UserFilter, UserRepository};

/// The error contract shared by repository ports.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// A uniqueness rule would be broken (the message names the rule, never the row).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A conditional write found the row changed since it was read (another write won:
    /// a different version or status), or gone. Nothing was written.
    #[error("the stored row changed since it was read")]
    Stale,
    /// The store could not be reached or failed; the source carries the driver error.
    #[error("repository failure")]
    Unexpected(#[source] anyhow::Error),
}

/// A dependency is saturated and the caller gave up waiting for it: every database
/// connection in use, every password-hashing slot taken. Adapters return it inside
/// their `anyhow` / `Unexpected` errors (never a panic, never unbounded queueing); use
/// cases pass it on unchanged; the HTTP layer answers any error whose cause chain holds
/// one with 503 `overloaded` and `Retry-After`, and logs it as a warning, not a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{what} is saturated; retry after {retry_after_secs} s")]
pub struct Busy {
    pub what: &'static str,
    pub retry_after_secs: u32,
}

impl Busy {
    /// The `Busy` in `e`'s cause chain, if any.
    pub fn in_chain(e: &anyhow::Error) -> Option<Busy> {
        e.chain().find_map(|c| c.downcast_ref::<Busy>()).copied()
    }
}

impl RepositoryError {
    pub fn unexpected(e: impl Into<anyhow::Error>) -> Self {
        Self::Unexpected(e.into())
    }

    /// The error as an unexpected failure of the caller (a `Conflict` keeps its rule).
    pub fn into_unexpected(self) -> anyhow::Error {
        match self {
            RepositoryError::Conflict(rule) => anyhow::anyhow!("unexpected conflict: {rule}"),
            RepositoryError::Stale => anyhow::anyhow!("unexpected stale write"),
            RepositoryError::Unexpected(e) => e,
        }
    }
}
