use super::JobPorts;
use crate::errors::storage_errors_are_unexpected;
use crate::listings::Viewer;
use crate::paging::{Page, PageRequest};
use crate::ports::{Job, JobStatus};

#[derive(Debug, thiserror::Error)]
pub enum ListJobsError {
    #[error("only admins can see the job queue")]
    NotAnAdmin,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

storage_errors_are_unexpected!(ListJobsError);

/// `GET /admin/jobs?status=dead`: the queue, most recently changed first.
#[derive(Clone)]
pub struct ListJobs {
    p: JobPorts,
}

impl ListJobs {
    pub fn new(p: JobPorts) -> Self {
        Self { p }
    }

    #[tracing::instrument(name = "jobs.list", skip_all)]
    pub async fn execute(
        &self,
        viewer: Viewer,
        status: Option<JobStatus>,
        page: PageRequest,
    ) -> Result<Page<Job>, ListJobsError> {
        if !viewer.is_admin() {
            return Err(ListJobsError::NotAnAdmin);
        }
        Ok(self.p.jobs.list(status, page).await?)
    }
}
