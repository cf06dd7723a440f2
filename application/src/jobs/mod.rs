//! The worker tier: what runs a job, how failures are retried, and the admin's view of
//! the queue. The queue itself is the `JobQueue` port; the loop that claims and runs jobs
//! is `sp-worker` (it needs a runtime); handlers live with their capability (the
//! enquiry notification in `enquiries`, the HMO sweep in `listings`).
//!
//! | module | use case | entry point |
//! | --- | --- | --- |
//! | `list` | [`ListJobs`] | `GET /admin/jobs` |
//! | `retry` | [`RetryJob`] | `POST /admin/jobs/{id}/retry` |
//!
//! Delivery is at least once: a job whose worker died mid-run is claimed again after its
//! lease, so every handler is idempotent (it checks what is already done before doing it).

mod list;
mod retry;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use list::{ListJobs, ListJobsError};
pub use retry::{RetryJob, RetryJobError};

use crate::ports::{Clock, IdGen, Job, JobQueue, Outcome};

/// The ports the admin job use cases need.
#[derive(Clone)]
pub struct JobPorts {
    pub jobs: Arc<dyn JobQueue>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
}

/// How a handler failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (a dependency was down, a timeout).
    #[error("{0:#}")]
    Retry(anyhow::Error),
    /// Can never succeed (the payload names nothing, a recipient is refused): dead now.
    #[error("{0:#}")]
    Permanent(anyhow::Error),
}

impl JobError {
    /// A retryable failure from any error.
    pub fn retry(e: impl Into<anyhow::Error>) -> Self {
        Self::Retry(e.into())
    }
}

/// The id a job's payload names under `field` (payloads hold ids only); a payload without
/// one can never run, so that is permanent.
pub fn payload_id(job: &Job, field: &str) -> Result<uuid::Uuid, JobError> {
    job.payload
        .get(field)
        .and_then(|v| v.as_str())
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("the payload names no {field}")))
}

/// Runs the jobs of one kind. Idempotent: running a job twice has the effect of once.
#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    /// The kind it runs, e.g. `enquiry.notify_owner`.
    fn kind(&self) -> &'static str;

    async fn run(&self, job: &Job) -> Result<(), JobError>;
}

/// The first retry waits about this long…
pub const BACKOFF_BASE: Duration = Duration::from_secs(30);
/// …each next one twice as long, up to this.
pub const BACKOFF_CAP: Duration = Duration::from_secs(3600);

/// Exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { base: BACKOFF_BASE, cap: BACKOFF_CAP }
    }
}

impl Backoff {
    /// The wait before retrying after failed attempt number `attempt` (1-based):
    /// `base × 2^(attempt-1)` capped at `cap`, scaled by a jitter factor in [0.5, 1.0)
    /// drawn from `jitter` ∈ [0, 1), so jobs that failed together do not all come back
    /// together.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = self.base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        exp.min(self.cap).mul_f64(0.5 + jitter.clamp(0.0, 0.999_999) / 2.0)
    }
}

/// [`Backoff::delay`] with the default base and cap.
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    Backoff::default().delay(attempt, jitter)
}

/// How a run of `job` ends: done, retried later with backoff, or dead when the failure
/// is permanent or the attempts are used up.
pub fn outcome_of(
    job: &Job,
    result: Result<(), JobError>,
    now: DateTime<Utc>,
    backoff: Backoff,
    jitter: f64,
) -> Outcome {
    match result {
        Ok(()) => Outcome::Done,
        Err(JobError::Permanent(e)) => Outcome::Dead { error: format!("{e:#}") },
        Err(JobError::Retry(e)) if job.attempts >= job.max_attempts => {
            Outcome::Dead { error: format!("{e:#} (after {} attempts)", job.attempts) }
        }
        Err(JobError::Retry(e)) => {
            let wait =
                chrono::Duration::from_std(backoff.delay(job.attempts, jitter)).unwrap_or(chrono::Duration::hours(1));
            Outcome::Retry { error: format!("{e:#}"), retry_at: now + wait }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::ports::JobStatus;

    fn job(attempts: u32, max_attempts: u32) -> Job {
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        Job {
            id: uuid::Uuid::nil(),
            kind: "test".into(),
            payload: serde_json::json!({}),
            status: JobStatus::Running,
            run_at: t,
            attempts,
            max_attempts,
            lease: None,
            last_error: None,
            dedupe_key: None,
            trace_context: None,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        assert_eq!(backoff(1, 0.999_999_9), BACKOFF_BASE.mul_f64(0.5 + 0.999_999 / 2.0));
        assert_eq!(backoff(1, 0.0), Duration::from_secs(15));
        assert_eq!(backoff(2, 0.0), Duration::from_secs(30));
        assert_eq!(backoff(3, 0.0), Duration::from_secs(60));
        assert_eq!(backoff(8, 0.0), Duration::from_secs(1800), "30 s × 2^7 capped at 1 h, halved");
        assert_eq!(backoff(40, 0.0), Duration::from_secs(1800));
    }

    proptest! {
        #[test]
        fn backoff_stays_within_half_and_whole_of_the_capped_exponential(attempt in 1u32..100, jitter in 0.0f64..1.0) {
            let full = BACKOFF_BASE.saturating_mul(1u32 << (attempt - 1).min(20)).min(BACKOFF_CAP);
            let got = backoff(attempt, jitter);
            prop_assert!(got >= full / 2 && got < full, "{got:?} for {full:?}");
            prop_assert!(backoff(attempt + 1, jitter) >= got);
        }
    }

    #[test]
    fn outcomes() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(outcome_of(&job(1, 3), Ok(()), now, Backoff::default(), 0.5), Outcome::Done);
        let retry =
            outcome_of(&job(1, 3), Err(JobError::Retry(anyhow::anyhow!("smtp down"))), now, Backoff::default(), 0.0);
        assert_eq!(retry, Outcome::Retry { error: "smtp down".into(), retry_at: now + chrono::Duration::seconds(15) });
        let dead =
            outcome_of(&job(3, 3), Err(JobError::Retry(anyhow::anyhow!("smtp down"))), now, Backoff::default(), 0.0);
        assert_eq!(dead, Outcome::Dead { error: "smtp down (after 3 attempts)".into() });
        let permanent = outcome_of(
            &job(1, 3),
            Err(JobError::Permanent(anyhow::anyhow!("no such enquiry"))),
            now,
            Backoff::default(),
            0.0,
        );
        assert_eq!(permanent, Outcome::Dead { error: "no such enquiry".into() });
    }
}
