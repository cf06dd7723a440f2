use uuid::Uuid;

use super::JobPorts;
use crate::RepositoryError;
use crate::audit::{AuditEvent, Origin};
use crate::listings::Viewer;
use crate::ports::Job;

#[derive(Debug, thiserror::Error)]
pub enum RetryJobError {
    #[error("only admins can retry jobs")]
    NotAnAdmin,
    #[error("no such job")]
    NotFound,
    /// Only dead jobs are retried (a queued or running one will run anyway).
    #[error("the job is {0}, not dead")]
    NotDead(&'static str),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl From<RepositoryError> for RetryJobError {
    fn from(e: RepositoryError) -> Self {
        Self::Unexpected(e.into())
    }
}

/// `POST /admin/jobs/{id}/retry`: a dead job runs again with fresh attempts.
#[derive(Clone)]
pub struct RetryJob {
    p: JobPorts,
}

impl RetryJob {
    pub fn new(p: JobPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "jobs.retry", skip_all, fields(job_id = %id))]
    pub async fn execute(&self, viewer: Viewer, id: Uuid, origin: &Origin) -> Result<Job, RetryJobError> {
        if !viewer.is_admin() {
            return Err(RetryJobError::NotAnAdmin);
        }
        let job = self.p.jobs.find(id).await?.ok_or(RetryJobError::NotFound)?;
        let now = self.p.clock.now();
        let audit = AuditEvent::new(
            self.p.ids.new_id(),
            origin,
            "job.retry",
            ("job", id.to_string()),
            Some(serde_json::json!({ "status": "dead", "kind": job.kind, "attempts": job.attempts })),
            Some(serde_json::json!({ "status": "queued", "attempts": 0 })),
            now,
        );
        match self.p.jobs.retry(id, now, &audit).await {
            Ok(()) => {}
            // Not dead any more: another admin retried it first, or it was never dead.
            Err(RepositoryError::Stale) => {
                let now = self.p.jobs.find(id).await?.ok_or(RetryJobError::NotFound)?;
                return Err(RetryJobError::NotDead(domain::ClosedSet::as_str(now.status)));
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(job_id = %id, kind = %job.kind, "dead job queued again by an admin");
        self.p.jobs.find(id).await?.ok_or(RetryJobError::NotFound)
    }
}
