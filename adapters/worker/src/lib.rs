//! The worker loop. One [`Worker`] runs up to `concurrency` jobs at once:
//!
//! 1. it claims as many due jobs as it has free slots, each under a lease of `lease`;
//! 2. each job's handler runs in its own task while a heartbeat extends the lease every
//!    third of it; a heartbeat that finds the lease gone (it ran out and another worker
//!    took the job) stops the handler and leaves the job to its new owner;
//! 3. the result becomes an [`Outcome`] (`application::jobs::outcome_of`: done, retried
//!    with exponential backoff and jitter, or dead) written conditionally on the lease;
//! 4. every poll it also enqueues the current slot of each [`Schedule`] under a dedupe
//!    key, so of all the workers' enqueues exactly one job per slot is stored.
//!
//! Stopping (the shutdown future resolves, e.g. on SIGTERM): no new claims; running jobs
//! get `shutdown_grace` to finish, then their handlers are dropped and the jobs released
//! (queued again, the attempt not counted). A worker killed outright (SIGKILL) releases
//! nothing: its jobs come back when their leases run out.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use application::jobs::{Backoff, JobError, JobHandler, outcome_of};
use application::ports::{Clock, IdGen, Job, JobQueue, NewJob, Outcome};
use chrono::{DateTime, Utc};
use tokio::task::JoinSet;
use uuid::Uuid;

/// The span of one run of `job` (every line it logs carries its id, kind and attempt). A
/// new trace, linked to the span that enqueued the job when that was traced (its stored
/// `traceparent`): the request that caused it is one click away, and a job retried hours
/// later does not stretch the request's trace.
fn job_span(job: &Job) -> tracing::Span {
    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let span = tracing::info_span!(
        parent: None,
        "job",
        job_id = %job.id,
        kind = %job.kind,
        attempt = job.attempts,
        otel.kind = "consumer",
        otel.name = format!("job {}", job.kind),
    );
    if let Some(tc) = &job.trace_context {
        let carrier = HashMap::from([("traceparent".to_owned(), tc.clone())]);
        let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
        let linked = cx.span().span_context().clone();
        if linked.is_valid() {
            span.add_link(linked);
        }
    }
    span
}

/// A repository error's cause chain, on one line (for logs).
fn chain(e: application::RepositoryError) -> String {
    format!("{:#}", anyhow::Error::from(e))
}

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs run at once.
    pub concurrency: usize,
    /// How long a claim lasts without a heartbeat.
    pub lease: Duration,
    /// The wait between polls when the queue is empty.
    pub poll_interval: Duration,
    /// On stop, how long running jobs may take to finish before they are released.
    pub shutdown_grace: Duration,
    /// The wait before a failed job's next attempt.
    pub backoff: Backoff,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(20),
            backoff: Backoff::default(),
        }
    }
}

/// A job enqueued once per slot: slots start at `offset` past the epoch (UTC) and repeat
/// every `every` (a daily sweep at 03:00 UTC is `every` 24 h, `offset` 3 h).
#[derive(Debug, Clone)]
pub struct Schedule {
    pub kind: &'static str,
    pub every: Duration,
    pub offset: Duration,
    pub max_attempts: u32,
}

impl Schedule {
    /// The start of the slot `now` is in.
    pub fn slot(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let every = i64::try_from(self.every.as_secs().max(1)).unwrap_or(i64::MAX);
        let offset = i64::try_from(self.offset.as_secs()).unwrap_or(0);
        let t = now.timestamp() - offset;
        DateTime::from_timestamp(t.div_euclid(every) * every + offset, 0).unwrap_or(now)
    }

    /// The job for the slot `now` is in; its dedupe key names the kind and the slot.
    pub fn job(&self, now: DateTime<Utc>, id: Uuid) -> NewJob {
        let slot = self.slot(now);
        NewJob {
            id,
            kind: self.kind.to_owned(),
            payload: serde_json::json!({ "slot": slot }),
            run_at: slot,
            max_attempts: self.max_attempts,
            dedupe_key: Some(format!("{}@{}", self.kind, slot.to_rfc3339())),
            created_at: now,
        }
    }
}

/// What a run did (for logs and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub finished: u64,
    pub released: u64,
    pub lost_leases: u64,
}

pub struct Worker {
    queue: Arc<dyn JobQueue>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
    schedules: Vec<Schedule>,
    config: WorkerConfig,
}

/// How one job's task ended.
enum Ended {
    Finished,
    LeaseLost,
}

impl Worker {
    pub fn new(queue: Arc<dyn JobQueue>, clock: Arc<dyn Clock>, ids: Arc<dyn IdGen>, config: WorkerConfig) -> Self {
        Self { queue, clock, ids, handlers: HashMap::new(), schedules: Vec::new(), config }
    }

    /// Runs `handler`'s kind. A claimed job of a kind nobody handles is dead at once.
    #[must_use]
    pub fn handle(mut self, handler: Arc<dyn JobHandler>) -> Self {
        // The series exist at 0 from the start, so rates and alerts see the first one.
        for outcome in ["done", "retry", "dead", "released"] {
            metrics::counter!("jobs_finished_total", "kind" => handler.kind(), "outcome" => outcome).increment(0);
        }
        self.handlers.insert(handler.kind(), handler);
        self
    }

    #[must_use]
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedules.push(schedule);
        self
    }

    /// Enqueues the current slot of every schedule (once per slot: the dedupe key).
    async fn enqueue_schedules(&self, last: &mut HashMap<&'static str, DateTime<Utc>>) {
        let now = self.clock.now();
        for s in &self.schedules {
            let slot = s.slot(now);
            if last.get(s.kind) == Some(&slot) {
                continue;
            }
            match self.queue.enqueue(&s.job(now, self.ids.new_id())).await {
                Ok(created) => {
                    if created {
                        tracing::info!(kind = s.kind, slot = %slot, "scheduled job enqueued");
                    }
                    last.insert(s.kind, slot);
                }
                Err(e) => {
                    tracing::warn!(kind = s.kind, error = %chain(e), "enqueuing a scheduled job failed; next poll retries");
                }
            }
        }
    }

    /// Claims and runs jobs until `shutdown` resolves, then drains (see the module docs).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> RunSummary {
        let this = Arc::new(self);
        let mut tasks: JoinSet<Ended> = JoinSet::new();
        let mut running: HashMap<tokio::task::Id, (Uuid, Uuid)> = HashMap::new();
        let mut summary = RunSummary::default();
        let mut last_slots = HashMap::new();
        let mut idle = this.config.poll_interval;
        tokio::pin!(shutdown);
        tracing::info!(concurrency = this.config.concurrency, "worker started");
        loop {
            this.enqueue_schedules(&mut last_slots).await;
            let free = this.config.concurrency.saturating_sub(tasks.len());
            let mut claimed = 0;
            if free > 0 {
                let now = this.clock.now();
                let until = now + chrono::Duration::from_std(this.config.lease).unwrap_or(chrono::Duration::minutes(1));
                match this.queue.claim(now, until, u32::try_from(free).unwrap_or(u32::MAX)).await {
                    Ok(jobs) => {
                        idle = this.config.poll_interval;
                        claimed = jobs.len();
                        for job in jobs {
                            let lease = job.lease.map(|l| l.id).unwrap_or_default();
                            let id = job.id;
                            let span = job_span(&job);
                            let handle =
                                tasks.spawn(tracing::Instrument::instrument(Arc::clone(&this).run_one(job), span));
                            running.insert(handle.id(), (id, lease));
                        }
                    }
                    Err(e) => {
                        // The database is down or saturated: back off, up to 30 s.
                        tracing::warn!(error = %chain(e), "claiming jobs failed");
                        idle = (idle * 2).min(Duration::from_secs(30));
                    }
                }
            }
            // A full batch means more may be waiting: poll again as soon as a slot frees.
            let wait = if claimed > 0 && claimed == free { Duration::ZERO } else { idle };
            tokio::select! {
                () = &mut shutdown => break,
                Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    Self::record(&mut running, &mut summary, done);
                }
                () = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!(running = tasks.len(), "worker stopping: no new claims, waiting for running jobs");
        let deadline = tokio::time::Instant::now() + this.config.shutdown_grace;
        while !tasks.is_empty() {
            match tokio::time::timeout_at(deadline, tasks.join_next_with_id()).await {
                Ok(Some(done)) => Self::record(&mut running, &mut summary, done),
                Ok(None) => break,
                Err(_) => {
                    tasks.abort_all();
                    while let Some(done) = tasks.join_next_with_id().await {
                        Self::record(&mut running, &mut summary, done);
                    }
                }
            }
        }
        // Jobs whose tasks were cut short: give them back unrun.
        for (_, (id, lease)) in running.drain() {
            match this.queue.finish(id, lease, &Outcome::Release, this.clock.now()).await {
                Ok(()) => {
                    summary.released += 1;
                    tracing::info!(job_id = %id, "job released on shutdown");
                }
                Err(e) => {
                    tracing::warn!(job_id = %id, error = %chain(e), "releasing a job failed; its lease will run out");
                }
            }
        }
        tracing::info!(finished = summary.finished, released = summary.released, "worker stopped");
        summary
    }

    fn record(
        running: &mut HashMap<tokio::task::Id, (Uuid, Uuid)>,
        summary: &mut RunSummary,
        done: Result<(tokio::task::Id, Ended), tokio::task::JoinError>,
    ) {
        match done {
            Ok((id, ended)) => {
                running.remove(&id);
                match ended {
                    Ended::Finished => summary.finished += 1,
                    Ended::LeaseLost => summary.lost_leases += 1,
                }
            }
            // Aborted on shutdown: stays in `running`, to be released.
            Err(e) if e.is_cancelled() => {}
            Err(e) => {
                // A handler panicked: the job is left to its lease (and counted as an attempt).
                tracing::error!(error = %e, "a job task panicked");
                running.remove(&e.id());
            }
        }
    }

    /// One run of `job`, inside its [`job_span`].
    async fn run_one(self: Arc<Self>, job: Job) -> Ended {
        let lease = job.lease.map(|l| l.id).unwrap_or_default();
        let started = std::time::Instant::now();
        let result = match self.handlers.get(job.kind.as_str()) {
            None => Some(Err(JobError::Permanent(anyhow::anyhow!("no handler for job kind {:?}", job.kind)))),
            Some(handler) => {
                let run = handler.run(&job);
                tokio::pin!(run);
                let beat = (self.config.lease / 3).max(Duration::from_millis(50));
                let beat_chrono = chrono::Duration::from_std(beat).unwrap_or(chrono::Duration::seconds(1));
                // The end of the lease as last stored: once a failed heartbeat leaves less
                // than a beat of it, another worker may claim the job, so this run stops.
                let mut held_until = job.lease.map_or_else(|| self.clock.now(), |l| l.until);
                loop {
                    tokio::select! {
                        r = &mut run => break Some(r),
                        () = tokio::time::sleep(beat) => {
                            let until = self.clock.now() + chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::minutes(1));
                            match self.queue.extend(job.id, lease, until).await {
                                Ok(()) => held_until = until,
                                Err(application::RepositoryError::Stale) => break None,
                                Err(e) if self.clock.now() + beat_chrono >= held_until => {
                                    tracing::warn!(error = %chain(e), "the lease cannot be extended and is about to run out; stopping this run");
                                    break None;
                                }
                                Err(e) => {
                                    tracing::warn!(error = %chain(e), "extending a lease failed; retrying at the next beat");
                                }
                            }
                        }
                    }
                }
            }
        };
        let Some(result) = result else {
            tracing::warn!("lease lost or about to run out; stopped this run (the job runs again after its lease)");
            metrics::counter!("jobs_lease_lost_total", "kind" => job.kind.clone()).increment(1);
            return Ended::LeaseLost;
        };
        let outcome = outcome_of(&job, result, self.clock.now(), self.config.backoff, rand::random::<f64>());
        let label = match &outcome {
            Outcome::Done => "done",
            Outcome::Retry { .. } => "retry",
            Outcome::Dead { .. } => "dead",
            Outcome::Release => "released",
        };
        metrics::counter!("jobs_finished_total", "kind" => job.kind.clone(), "outcome" => label).increment(1);
        metrics::histogram!("job_duration_seconds", "kind" => job.kind.clone()).record(started.elapsed().as_secs_f64());
        match &outcome {
            Outcome::Done => tracing::info!(elapsed_ms = started.elapsed().as_millis(), "job done"),
            Outcome::Retry { error, retry_at } => tracing::warn!(%error, %retry_at, "job failed; will retry"),
            Outcome::Dead { error } => tracing::error!(%error, "job dead"),
            Outcome::Release => {}
        }
        match self.queue.finish(job.id, lease, &outcome, self.clock.now()).await {
            Ok(()) => Ended::Finished,
            Err(application::RepositoryError::Stale) => Ended::LeaseLost,
            Err(e) => {
                tracing::warn!(error = %chain(e), "recording the outcome failed; the job runs again after its lease");
                Ended::Finished
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_repeat_from_the_offset() {
        let daily = Schedule {
            kind: "x",
            every: Duration::from_secs(86_400),
            offset: Duration::from_secs(3 * 3600),
            max_attempts: 3,
        };
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(daily.slot(t("2026-12-03T02:59:59Z")), t("2026-12-02T03:00:00Z"));
        assert_eq!(daily.slot(t("2026-12-03T03:00:00Z")), t("2026-12-03T03:00:00Z"));
        assert_eq!(daily.slot(t("2026-12-03T23:00:00Z")), t("2026-12-03T03:00:00Z"));
        let a = daily.job(t("2026-12-03T04:00:00Z"), Uuid::nil());
        let b = daily.job(t("2026-12-03T20:00:00Z"), Uuid::max());
        assert_eq!(a.dedupe_key, b.dedupe_key, "one key per slot");
        assert_eq!(a.dedupe_key.as_deref(), Some("x@2026-12-03T03:00:00+00:00"));
        assert_ne!(a.dedupe_key, daily.job(t("2026-12-04T03:00:00Z"), Uuid::nil()).dedupe_key);
    }
}
