//! `/admin/jobs/*`: the worker tier's queue as admins see it (`application::jobs`):
//! dead jobs to look at and retry.

use application::ports::{Job, JobStatus};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{ApiTags, PageDto, page_dto, page_request, reject_unknown_params};
use crate::Services;
use crate::auth::SignedIn;
use crate::error::ApiResult;
use crate::types::{Closed, CursorText, Nullable, Timestamp};

/// A job in the worker tier's queue. Payloads hold ids only, never personal data.
#[derive(Debug, Object)]
#[oai(rename = "Job")]
pub struct JobDto {
    pub id: Uuid,
    /// What runs it, e.g. `enquiry.notify_owner`, `listing.hmo_licence_sweep`.
    pub kind: String,
    pub status: Closed<JobStatus>,
    /// What the handler needs (ids).
    pub payload: serde_json::Value,
    /// Not run before this (a retry's time after a failure).
    pub run_at: Timestamp,
    /// Runs so far, the current one included.
    pub attempts: u32,
    pub max_attempts: u32,
    /// While `running`: when the claim ends unless its worker extends it.
    pub lease_until: Nullable<Timestamp>,
    /// The last failure (why it is dead, for a dead job).
    pub last_error: Nullable<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<Job> for JobDto {
    fn from(j: Job) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            status: Closed(j.status),
            payload: j.payload,
            run_at: Timestamp(j.run_at),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            lease_until: Nullable(j.lease.map(|l| Timestamp(l.until))),
            last_error: Nullable(j.last_error),
            created_at: Timestamp(j.created_at),
            updated_at: Timestamp(j.updated_at),
        }
    }
}

pub struct AdminJobsApi;

#[OpenApi(tag = "ApiTags::Admin")]
impl AdminJobsApi {
    /// The job queue, most recently changed first, by status
    ///
    /// `jobs::ListJobs`. `status=dead` lists the jobs that used up their attempts or
    /// failed for good.
    #[oai(path = "/admin/jobs", method = "get", operation_id = "adminJobs")]
    async fn list(
        &self,
        who: SignedIn,
        s: Data<&Services>,
        req: &Request,
        status: Query<Option<Closed<JobStatus>>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<CursorText>>,
        /// Default 20.
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
        page_size: Query<Option<i32>>,
    ) -> ApiResult<Json<PageDto<JobDto>>> {
        reject_unknown_params(req, &["status", "cursor", "page_size"])?;
        let page = page_request(cursor.0.as_ref().map(|c| c.0.as_str()), page_size.0, 0)?;
        let jobs = s.list_jobs.execute(who.viewer, status.0.map(|s| s.0), page).await?;
        Ok(Json(page_dto(jobs, JobDto::from)))
    }

    /// Run a dead job again, with fresh attempts
    ///
    /// `jobs::RetryJob`. Audited (`job.retry`). 409 `invalid-transition` when the job is
    /// not dead (queued, running or done: it runs, or ran, anyway).
    #[oai(path = "/admin/jobs/:id/retry", method = "post", operation_id = "retryJob")]
    async fn retry(&self, who: SignedIn, s: Data<&Services>, id: Path<Uuid>) -> ApiResult<Json<JobDto>> {
        let job = s.retry_job.execute(who.viewer, id.0, &who.origin).await?;
        Ok(Json(job.into()))
    }
}
