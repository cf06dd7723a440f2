//! The job queue of an [`InMemoryStore`](crate::InMemoryStore): the same rules as the SQL
//! queue, each call under the store's one lock (so concurrent claims are serialised, as
//! SQLite serialises them). Tests and demos only.

use application::RepositoryError;
use application::audit::AuditEvent;
use application::paging::{Page, PageRequest};
use application::ports::{Job, JobQueue, JobStatus, Lease, NewJob, Outcome};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::{Shared, State, micros, page, unexpected};

#[derive(Clone)]
pub struct InMemoryJobQueue {
    state: Shared,
}

impl InMemoryJobQueue {
    pub(crate) fn new(state: Shared) -> Self {
        Self { state }
    }
}

const LEASE_LOST: &str = "the lease ran out on the last attempt (the worker stopped mid-job)";

/// Stores `job` in `s` (the caller holds the lock); false when its dedupe key is taken.
pub(crate) fn insert_job(s: &mut State, job: &NewJob) -> Result<bool, RepositoryError> {
    if s.jobs.contains_key(&job.id) {
        return Err(RepositoryError::Conflict("a job with this id exists".into()));
    }
    if job.dedupe_key.is_some() && s.jobs.values().any(|j| j.dedupe_key == job.dedupe_key) {
        return Ok(false);
    }
    s.jobs.insert(
        job.id,
        Job {
            id: job.id,
            kind: job.kind.clone(),
            payload: job.payload.clone(),
            status: JobStatus::Queued,
            run_at: job.run_at,
            attempts: 0,
            max_attempts: job.max_attempts.max(1),
            lease: None,
            last_error: None,
            dedupe_key: job.dedupe_key.clone(),
            trace_context: None,
            created_at: job.created_at,
            updated_at: job.created_at,
        },
    );
    Ok(true)
}

impl InMemoryJobQueue {
    fn with_claim(&self, id: Uuid, lease: Uuid, change: impl FnOnce(&mut Job)) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        let job = s
            .jobs
            .get_mut(&id)
            .filter(|j| j.status == JobStatus::Running && j.lease.is_some_and(|l| l.id == lease))
            .ok_or(RepositoryError::Stale)?;
        change(job);
        Ok(())
    }
}

#[async_trait]
impl JobQueue for InMemoryJobQueue {
    async fn enqueue(&self, job: &NewJob) -> Result<bool, RepositoryError> {
        insert_job(&mut self.state.write(), job)
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Job>, RepositoryError> {
        let mut s = self.state.write();
        let expired = |j: &Job| j.status == JobStatus::Running && j.lease.is_some_and(|l| l.until < now);
        for j in s.jobs.values_mut() {
            if expired(j) && j.attempts >= j.max_attempts {
                j.status = JobStatus::Dead;
                j.lease = None;
                j.last_error = Some(LEASE_LOST.into());
                j.updated_at = now;
            }
        }
        let mut due: Vec<(DateTime<Utc>, Uuid)> = s
            .jobs
            .values()
            .filter(|j| (j.status == JobStatus::Queued && j.run_at <= now) || expired(j))
            .map(|j| (j.run_at, j.id))
            .collect();
        due.sort();
        due.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let lease = Lease { id: Uuid::now_v7(), until: lease_until };
        let mut claimed = Vec::with_capacity(due.len());
        for (_, id) in due {
            let j = s.jobs.get_mut(&id).ok_or_else(|| unexpected(format!("job {id} vanished")))?;
            j.status = JobStatus::Running;
            j.attempts += 1;
            j.lease = Some(lease);
            j.updated_at = now;
            claimed.push(j.clone());
        }
        Ok(claimed)
    }

    async fn extend(&self, id: Uuid, lease: Uuid, until: DateTime<Utc>) -> Result<(), RepositoryError> {
        self.with_claim(id, lease, |j| j.lease = Some(Lease { id: lease, until }))
    }

    async fn finish(
        &self,
        id: Uuid,
        lease: Uuid,
        outcome: &Outcome,
        now: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.with_claim(id, lease, |j| {
            j.lease = None;
            j.updated_at = now;
            match outcome {
                Outcome::Done => j.status = JobStatus::Done,
                Outcome::Retry { error, retry_at } => {
                    j.status = JobStatus::Queued;
                    j.run_at = *retry_at;
                    j.last_error = Some(error.chars().take(2000).collect());
                }
                Outcome::Dead { error } => {
                    j.status = JobStatus::Dead;
                    j.last_error = Some(error.chars().take(2000).collect());
                }
                Outcome::Release => {
                    j.status = JobStatus::Queued;
                    j.run_at = now;
                    j.attempts = j.attempts.saturating_sub(1);
                }
            }
        })
    }

    async fn find(&self, id: Uuid) -> Result<Option<Job>, RepositoryError> {
        Ok(self.state.read().jobs.get(&id).cloned())
    }

    async fn list(&self, status: Option<JobStatus>, req: PageRequest) -> Result<Page<Job>, RepositoryError> {
        let rows: Vec<Job> =
            self.state.read().jobs.values().filter(|j| status.is_none_or(|s| j.status == s)).cloned().collect();
        Ok(page(rows, req, 0, true, |j| (micros(j.updated_at), j.id)))
    }

    async fn retry(&self, id: Uuid, now: DateTime<Utc>, audit: &AuditEvent) -> Result<(), RepositoryError> {
        let mut s = self.state.write();
        s.check_event(audit)?;
        let job = s.jobs.get_mut(&id).filter(|j| j.status == JobStatus::Dead).ok_or(RepositoryError::Stale)?;
        job.status = JobStatus::Queued;
        job.attempts = 0;
        job.run_at = now;
        job.updated_at = now;
        s.audit.push(audit.clone());
        Ok(())
    }
}
