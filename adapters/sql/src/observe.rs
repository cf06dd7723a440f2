//! The database's metrics (`metrics` facade; the binary installs the recorder):
//!
//! - `db_query_duration_seconds{pool,operation}` (histogram) for every statement, and
//!   `db_query_errors_total{pool,operation}` for those that failed. `pool` is `primary` or
//!   `replica`; `operation` is the repository method running it (`listings.search`; the
//!   method's span is `db.listings.search`), `other` outside one (migrations, the sampler).
//! - sampled by [`sample_pool`]: `db_pool_connections{pool,state="in_use"|"idle"}`,
//!   `db_pool_max_connections{pool}` and `db_pool_acquire_seconds{pool}`, how long taking
//!   a connection from the pool took just now (what a request waits before its query).
//! - sampled by [`sample_jobs`]: `jobs_queued{kind}` (waiting or running),
//!   `jobs_dead{kind}` and `jobs_oldest_ready_age_seconds`, how long the oldest job that
//!   is due has been waiting (0 when none is).

use std::time::Instant;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::entity::jobs;

/// Counts and times every statement `db` runs, under `pool`. Call once, on the pool as
/// opened (its clones share the callback).
pub fn observe(db: &mut DatabaseConnection, pool: &'static str) {
    db.set_metric_callback(move |info| {
        let operation = operation();
        metrics::histogram!("db_query_duration_seconds", "pool" => pool, "operation" => operation)
            .record(info.elapsed.as_secs_f64());
        if info.failed {
            metrics::counter!("db_query_errors_total", "pool" => pool, "operation" => operation).increment(1);
        }
    });
    metrics::counter!("db_query_errors_total", "pool" => pool, "operation" => "other").increment(0);
}

tokio::task_local! {
    static OPERATION: &'static str;
}

/// Runs a repository method's body as `name` (the `operation` label of its statements).
pub(crate) async fn op<T>(name: &'static str, body: impl Future<Output = T>) -> T {
    OPERATION.scope(name, body).await
}

/// The repository operation running now (`other` outside one: migrations, the sampler).
fn operation() -> &'static str {
    OPERATION.try_with(|o| *o).unwrap_or("other")
}

/// The W3C `traceparent` of the current span when it is traced (stored with a job, so
/// the worker's span links back to the request that enqueued it).
pub(crate) fn traceparent() -> Option<String> {
    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let cx = tracing::Span::current().context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = std::collections::HashMap::new();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut carrier));
    carrier.remove("traceparent").filter(|t| t.len() <= 128)
}

/// Sets the pool gauges of `db` under `pool`, then times one checkout (read first: the
/// sampler's own connection goes back to the pool in a task of its own). A checkout that
/// fails (the pool's acquire timeout) is recorded with the time it waited.
pub async fn sample_pool(db: &DatabaseConnection, pool: &'static str) {
    let gauges = |size: u32, idle: usize, max: u32| {
        let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
        metrics::gauge!("db_pool_connections", "pool" => pool, "state" => "in_use").set(f64::from(size - idle));
        metrics::gauge!("db_pool_connections", "pool" => pool, "state" => "idle").set(f64::from(idle));
        metrics::gauge!("db_pool_max_connections", "pool" => pool).set(f64::from(max));
    };
    let started = Instant::now();
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            gauges(p.size(), p.num_idle(), p.options().get_max_connections());
            drop(p.acquire().await);
        }
        DatabaseBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            gauges(p.size(), p.num_idle(), p.options().get_max_connections());
            drop(p.acquire().await);
        }
        _ => return,
    }
    metrics::gauge!("db_pool_acquire_seconds", "pool" => pool).set(started.elapsed().as_secs_f64());
}

/// Sets the job-queue gauges from one grouped query over the jobs not done (the
/// `ix_jobs_due` index). `kinds` (the worker's) are set to 0 when nothing waits, so a
/// drained queue reads 0, not its last value; other kinds found are reported too.
pub async fn sample_jobs(
    db: &DatabaseConnection,
    kinds: &[&'static str],
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let rows: Vec<(String, String, i64, DateTime<Utc>)> = jobs::Entity::find()
        .select_only()
        .column(jobs::Column::Kind)
        .column(jobs::Column::Status)
        .column_as(Expr::from(Func::count(Expr::col(jobs::Column::Id))), "n")
        .column_as(Expr::from(Func::min(Expr::col(jobs::Column::RunAt))), "oldest")
        .filter(jobs::Column::Status.is_in(["queued", "running", "dead"]))
        .group_by(jobs::Column::Kind)
        .group_by(jobs::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut oldest_due: Option<DateTime<Utc>> = None;
    let mut all: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
    all.extend(rows.iter().map(|r| r.0.clone()));
    all.sort_unstable();
    all.dedup();
    for kind in all {
        let count = |status: &[&str]| -> f64 {
            rows.iter()
                .filter(|(k, s, _, _)| *k == kind && status.contains(&s.as_str()))
                .map(|r| u32::try_from(r.2).map_or(f64::from(u32::MAX), f64::from))
                .sum()
        };
        let (queued, dead) = (count(&["queued", "running"]), count(&["dead"]));
        metrics::gauge!("jobs_queued", "kind" => kind.clone()).set(queued);
        metrics::gauge!("jobs_dead", "kind" => kind).set(dead);
    }
    for (_, status, _, oldest) in &rows {
        if status == "queued" && *oldest <= now {
            oldest_due = Some(oldest_due.map_or(*oldest, |o| o.min(*oldest)));
        }
    }
    let age = oldest_due.map_or(0.0, |o| (now - o).to_std().unwrap_or_default().as_secs_f64());
    metrics::gauge!("jobs_oldest_ready_age_seconds").set(age);
    Ok(())
}
