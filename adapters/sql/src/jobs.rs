//! The job queue on PostgreSQL and SQLite.
//!
//! Claiming is one `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING *` statement. On
//! PostgreSQL the inner select takes `FOR UPDATE SKIP LOCKED`, so concurrent workers skip
//! each other's rows instead of queueing on them; SQLite runs one writing statement at a
//! time, so the same statement without the clause is atomic there. Every later change is
//! conditional on the claim's `lease_id` and `status = 'running'` in its own statement.
//! Times come from the caller's clock (never the database's), bound as values.

use application::RepositoryError;
use application::audit::AuditEvent;
use application::paging::{Page, PageRequest};
use application::ports::{Job, JobQueue, JobStatus, Lease, NewJob, Outcome};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ClosedSet;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, Set,
    Statement, TransactionTrait, Value,
};
use uuid::Uuid;

use crate::audit::record;
use crate::entity::jobs::{self, Column};
use crate::error::{map_db_err, unexpected};
use crate::rows::{corrupt, newest_first, stored};

/// Jobs on PostgreSQL or SQLite.
#[derive(Clone)]
pub struct SqlJobQueue {
    db: DatabaseConnection,
}

impl SqlJobQueue {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Stores `job` on `conn` (a transaction, when the job belongs to a change). Returns false
/// when its dedupe key is taken.
pub(crate) async fn insert_job<C: ConnectionTrait>(conn: &C, job: &NewJob) -> Result<bool, RepositoryError> {
    let row = jobs::ActiveModel {
        id: Set(job.id),
        kind: Set(job.kind.clone()),
        payload: Set(job.payload.to_string()),
        status: Set(JobStatus::Queued.as_str().to_owned()),
        run_at: Set(stored(job.run_at)),
        attempts: Set(0),
        max_attempts: Set(i32::try_from(Ord::max(job.max_attempts, 1)).unwrap_or(i32::MAX)),
        lease_id: Set(None),
        lease_until: Set(None),
        last_error: Set(None),
        dedupe_key: Set(job.dedupe_key.clone()),
        trace_context: Set(crate::observe::traceparent()),
        created_at: Set(stored(job.created_at)),
        updated_at: Set(stored(job.created_at)),
    };
    let mut insert = jobs::Entity::insert(row);
    if job.dedupe_key.is_some() {
        insert = insert.on_conflict(OnConflict::column(Column::DedupeKey).do_nothing().to_owned());
    }
    let inserted = insert.exec_without_returning(conn).await.map_err(|e| map_db_err(e, "a job with this id exists"))?;
    Ok(inserted > 0)
}

fn status_of(raw: &str, id: Uuid) -> Result<JobStatus, RepositoryError> {
    JobStatus::ALL.iter().copied().find(|s| s.as_str() == raw).ok_or_else(|| corrupt("job", id, "status", raw))
}

fn to_job(m: jobs::Model) -> Result<Job, RepositoryError> {
    let count = |v: i32, field| u32::try_from(v).map_err(|e| corrupt("job", m.id, field, e));
    let lease = match (m.lease_id, m.lease_until) {
        (Some(id), Some(until)) => Some(Lease { id, until }),
        _ => None,
    };
    Ok(Job {
        id: m.id,
        status: status_of(&m.status, m.id)?,
        payload: serde_json::from_str(&m.payload).map_err(|e| corrupt("job", m.id, "payload", e))?,
        attempts: count(m.attempts, "attempts")?,
        max_attempts: count(m.max_attempts, "max_attempts")?,
        kind: m.kind,
        run_at: m.run_at,
        lease,
        last_error: m.last_error,
        dedupe_key: m.dedupe_key,
        trace_context: m.trace_context,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// What a lease that ran out on the job's last attempt leaves as the error.
const LEASE_LOST: &str = "the lease ran out on the last attempt (the worker stopped mid-job)";

/// Errors are stored whole but bounded (a cause chain, never a payload).
fn bounded(error: &str) -> String {
    error.chars().take(2000).collect()
}

impl SqlJobQueue {
    fn backend(&self) -> DatabaseBackend {
        self.db.get_database_backend()
    }

    /// `UPDATE jobs … WHERE id = ? AND lease_id = ? AND status = 'running'`, `Stale` when
    /// no row matched.
    async fn end_claim(
        &self,
        id: Uuid,
        lease: Uuid,
        set: impl FnOnce(sea_orm::UpdateMany<jobs::Entity>) -> sea_orm::UpdateMany<jobs::Entity>,
    ) -> Result<(), RepositoryError> {
        let update = jobs::Entity::update_many()
            .filter(Column::Id.eq(id))
            .filter(Column::LeaseId.eq(lease))
            .filter(Column::Status.eq(JobStatus::Running.as_str()));
        let res = set(update).exec(&self.db).await.map_err(unexpected)?;
        if res.rows_affected == 0 { Err(RepositoryError::Stale) } else { Ok(()) }
    }
}

#[async_trait]
impl JobQueue for SqlJobQueue {
    #[tracing::instrument(name = "db.jobs.enqueue", skip_all)]
    async fn enqueue(&self, job: &NewJob) -> Result<bool, RepositoryError> {
        crate::observe::op("jobs.enqueue", async move { insert_job(&self.db, job).await }).await
    }

    #[tracing::instrument(name = "db.jobs.claim", skip_all)]
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Job>, RepositoryError> {
        crate::observe::op("jobs.claim", async move {
            let (now, until) = (stored(now), stored(lease_until));
            // Leases that ran out on the last attempt: dead, not claimable.
            jobs::Entity::update_many()
                .col_expr(Column::Status, Expr::value(JobStatus::Dead.as_str()))
                .col_expr(Column::LeaseId, Expr::value(Value::Uuid(None)))
                .col_expr(Column::LeaseUntil, Expr::value(Value::ChronoDateTimeUtc(None)))
                .col_expr(Column::LastError, Expr::value(LEASE_LOST))
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .filter(Column::Status.eq(JobStatus::Running.as_str()))
                .filter(Column::LeaseUntil.lt(now))
                .filter(Expr::col(Column::Attempts).gte(Expr::col(Column::MaxAttempts)))
                .exec(&self.db)
                .await
                .map_err(unexpected)?;

            let backend = self.backend();
            let (p, lock) = match backend {
                DatabaseBackend::Postgres => (["$1", "$2", "$3", "$4"], " FOR UPDATE SKIP LOCKED"),
                _ => (["?", "?", "?", "?"], ""),
            };
            // SQLite numbers `?` by position, so the select's values come after the SET's.
            let sql = format!(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_id = {l}, lease_until = {u}, \
             updated_at = {n} WHERE id IN (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= {n2}) \
             OR (status = 'running' AND lease_until < {n2} AND attempts < max_attempts) \
             ORDER BY run_at, id LIMIT {lim}{lock}) RETURNING *",
                l = p[0],
                u = p[1],
                n = p[2],
                n2 = if backend == DatabaseBackend::Postgres { "$3" } else { "?" },
                lim = if backend == DatabaseBackend::Postgres { "$4" } else { "?" },
            );
            let lease = Uuid::now_v7();
            let values: Vec<Value> = match backend {
                DatabaseBackend::Postgres => vec![lease.into(), until.into(), now.into(), i64::from(limit).into()],
                _ => vec![lease.into(), until.into(), now.into(), now.into(), now.into(), i64::from(limit).into()],
            };
            let rows = jobs::Model::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
                .all(&self.db)
                .await
                .map_err(unexpected)?;
            let mut claimed = rows.into_iter().map(to_job).collect::<Result<Vec<_>, _>>()?;
            claimed.sort_by_key(|j| (j.run_at, j.id));
            Ok(claimed)
        })
        .await
    }

    #[tracing::instrument(name = "db.jobs.extend", skip_all)]
    async fn extend(&self, id: Uuid, lease: Uuid, until: DateTime<Utc>) -> Result<(), RepositoryError> {
        crate::observe::op("jobs.extend", async move {
            self.end_claim(id, lease, |u| u.col_expr(Column::LeaseUntil, Expr::value(stored(until)))).await
        })
        .await
    }

    #[tracing::instrument(name = "db.jobs.finish", skip_all)]
    async fn finish(
        &self,
        id: Uuid,
        lease: Uuid,
        outcome: &Outcome,
        now: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        crate::observe::op("jobs.finish", async move {
            let now = stored(now);
            let outcome = outcome.clone();
            self.end_claim(id, lease, move |u| {
                let u = u
                    .col_expr(Column::LeaseId, Expr::value(Value::Uuid(None)))
                    .col_expr(Column::LeaseUntil, Expr::value(Value::ChronoDateTimeUtc(None)))
                    .col_expr(Column::UpdatedAt, Expr::value(now));
                match outcome {
                    Outcome::Done => u.col_expr(Column::Status, Expr::value(JobStatus::Done.as_str())),
                    Outcome::Retry { error, retry_at } => u
                        .col_expr(Column::Status, Expr::value(JobStatus::Queued.as_str()))
                        .col_expr(Column::RunAt, Expr::value(stored(retry_at)))
                        .col_expr(Column::LastError, Expr::value(bounded(&error))),
                    Outcome::Dead { error } => u
                        .col_expr(Column::Status, Expr::value(JobStatus::Dead.as_str()))
                        .col_expr(Column::LastError, Expr::value(bounded(&error))),
                    Outcome::Release => u
                        .col_expr(Column::Status, Expr::value(JobStatus::Queued.as_str()))
                        .col_expr(Column::RunAt, Expr::value(now))
                        .col_expr(Column::Attempts, Expr::col(Column::Attempts).sub(1)),
                }
            })
            .await
        })
        .await
    }

    #[tracing::instrument(name = "db.jobs.find", skip_all)]
    async fn find(&self, id: Uuid) -> Result<Option<Job>, RepositoryError> {
        crate::observe::op("jobs.find", async move {
            jobs::Entity::find_by_id(id).one(&self.db).await.map_err(unexpected)?.map(to_job).transpose()
        })
        .await
    }

    #[tracing::instrument(name = "db.jobs.list", skip_all)]
    async fn list(&self, status: Option<JobStatus>, page: PageRequest) -> Result<Page<Job>, RepositoryError> {
        crate::observe::op("jobs.list", async move {
            let mut q = jobs::Entity::find();
            if let Some(s) = status {
                q = q.filter(Column::Status.eq(s.as_str()));
            }
            let rows = newest_first(&self.db, q, Column::UpdatedAt, Column::Id, page).await?;
            let jobs = rows.into_iter().map(to_job).collect::<Result<Vec<_>, _>>()?;
            Ok(Page::from_rows(jobs, page.size, 0, |j| (j.updated_at.timestamp_micros(), j.id)))
        })
        .await
    }

    #[tracing::instrument(name = "db.jobs.retry", skip_all)]
    async fn retry(&self, id: Uuid, now: DateTime<Utc>, audit: &AuditEvent) -> Result<(), RepositoryError> {
        crate::observe::op("jobs.retry", async move {
            let now = stored(now);
            let txn = self.db.begin().await.map_err(unexpected)?;
            let res = jobs::Entity::update_many()
                .col_expr(Column::Status, Expr::value(JobStatus::Queued.as_str()))
                .col_expr(Column::Attempts, Expr::value(0))
                .col_expr(Column::RunAt, Expr::value(now))
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .filter(Column::Id.eq(id))
                .filter(Column::Status.eq(JobStatus::Dead.as_str()))
                .exec(&txn)
                .await
                .map_err(unexpected)?;
            if res.rows_affected == 0 {
                return Err(RepositoryError::Stale);
            }
            record(&txn, audit).await?;
            txn.commit().await.map_err(unexpected)
        })
        .await
    }
}
