//! The worker tier's durable queue.
//!
//! Jobs are enqueued in the same transaction as the change that causes them (an
//! enquiry's notification is stored with the enquiry: `EnquiryRepository::insert`), or on
//! their own (`JobQueue::enqueue`: scheduled sweeps, photo processing). Workers claim
//! jobs under a lease; a job whose lease runs out (its worker died) is claimed again.
//! Delivery is at least once, so every handler is idempotent. Every state change is
//! conditional on the claim (`Lease`) in the statement that makes it: a worker that
//! lost its lease can neither complete nor fail the job someone else now runs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::RepositoryError;
use crate::audit::AuditEvent;
use crate::paging::{Page, PageRequest};

/// A job to store. `payload` holds ids, never personal data (addresses, message bodies).
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: Uuid,
    /// What runs it, e.g. `enquiry.notify_owner`.
    pub kind: String,
    pub payload: serde_json::Value,
    /// Not claimed before this instant.
    pub run_at: DateTime<Utc>,
    /// Attempts before the job is dead.
    pub max_attempts: u32,
    /// At most one job ever exists with this key (scheduled jobs: kind and slot), so
    /// every worker may enqueue the same tick and exactly one job results.
    pub dedupe_key: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Attempts a job gets unless its producer says otherwise: with the default backoff
/// (`crate::jobs::backoff`) the last one runs about four hours after the first.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

impl NewJob {
    /// A job due now, with the default attempts and no dedupe key.
    pub fn now(id: Uuid, kind: &str, payload: serde_json::Value, now: DateTime<Utc>) -> Self {
        Self {
            id,
            kind: kind.to_owned(),
            payload,
            run_at: now,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            dedupe_key: None,
            created_at: now,
        }
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Waiting for `run_at` (first run or a retry).
    Queued,
    /// Claimed by a worker until its lease ends.
    Running,
    Done,
    /// Failed `max_attempts` times, or for good: waits for an admin (`retry`).
    Dead,
}

impl domain::ClosedSet for JobStatus {
    const NAME: &'static str = "JobStatus";
    const FIELD: &'static str = "status";
    const ALL: &'static [Self] = &[Self::Queued, Self::Running, Self::Done, Self::Dead];

    fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: JobStatus,
    pub run_at: DateTime<Utc>,
    /// Claims so far (the running one included).
    pub attempts: u32,
    pub max_attempts: u32,
    /// The current claim, while running.
    pub lease: Option<Lease>,
    /// The last failure's message (a cause chain without personal data).
    pub last_error: Option<String>,
    pub dedupe_key: Option<String>,
    /// The W3C `traceparent` of the span that enqueued it, when that was traced (the
    /// worker's span for the job links to it). Set by the queue, not the producer.
    pub trace_context: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One claim of a job: its id and when it ends unless extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub id: Uuid,
    pub until: DateTime<Utc>,
}

/// How a claim ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Run again at `retry_at` (the attempt counts).
    Retry {
        error: String,
        retry_at: DateTime<Utc>,
    },
    /// Dead: attempts are used up, or the job can never succeed.
    Dead {
        error: String,
    },
    /// Give the job back unrun (the worker is stopping): queued again, this attempt does
    /// not count.
    Release,
}

/// The queue's error contract: `Stale` when the lease is no longer the job's (it ran
/// out and another worker claimed the job, or an admin changed it), nothing written;
/// `Unexpected` when the store fails.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait JobQueue: Send + Sync + 'static {
    /// Stores a job. Returns false, storing nothing, when a job with its `dedupe_key`
    /// exists already (in any status). Errors: `Conflict` when the id is taken.
    async fn enqueue(&self, job: &NewJob) -> Result<bool, RepositoryError>;

    /// Claims up to `limit` jobs that are due at `now` (queued with `run_at <= now`, or
    /// running with an expired lease and attempts left), oldest `run_at` first, each
    /// under a new lease until `lease_until`, counting an attempt. Running jobs whose
    /// lease expired on their last attempt become dead. Concurrent claims never return
    /// the same job twice for the same lease period.
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Job>, RepositoryError>;

    /// Moves the lease's end (a long job's heartbeat). Errors: `Stale`.
    async fn extend(&self, id: Uuid, lease: Uuid, until: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// Ends the claim. Errors: `Stale`.
    async fn finish(&self, id: Uuid, lease: Uuid, outcome: &Outcome, now: DateTime<Utc>)
    -> Result<(), RepositoryError>;

    async fn find(&self, id: Uuid) -> Result<Option<Job>, RepositoryError>;

    /// Jobs in `status` (every status when `None`), newest `updated_at` first.
    async fn list(&self, status: Option<JobStatus>, page: PageRequest) -> Result<Page<Job>, RepositoryError>;

    /// Queues a dead job again with fresh attempts, to run at `now`, only if it is still
    /// dead (checked in the statement), and records `audit` in the same transaction.
    /// Errors: `Stale` when it is not dead, or is gone (nothing written).
    async fn retry(&self, id: Uuid, now: DateTime<Utc>, audit: &AuditEvent) -> Result<(), RepositoryError>;
}
