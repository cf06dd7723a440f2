//! The worker tier against a real PostgreSQL queue: several worker loops never run a job
//! twice; a worker killed mid-job (SIGKILL) leaves the job to be claimed again after its
//! lease, and it completes exactly once; SIGTERM lets a short job finish and releases a
//! long one; a poison job ends dead after its attempts while the rest keep flowing;
//! scheduled jobs are enqueued once per slot however many workers run.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use application::jobs::{Backoff, JobError, JobHandler};
use application::paging::PageRequest;
use application::ports::{Job, JobQueue, JobStatus, NewJob, SystemClock, UuidV7};
use async_trait::async_trait;
use sp_sql::SqlJobQueue;
use sp_tests::TestDb;
use sp_worker::{Schedule, Worker, WorkerConfig};
use tokio::io::{AsyncBufReadExt, BufReader};
use uuid::Uuid;

/// Counts runs per job; fails the jobs of `poison` kind.
#[derive(Default)]
struct Recorder {
    runs: Mutex<HashMap<Uuid, u32>>,
}

struct Record(Arc<Recorder>, &'static str, Duration);

#[async_trait]
impl JobHandler for Record {
    fn kind(&self) -> &'static str {
        self.1
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        *self.0.runs.lock().unwrap().entry(job.id).or_default() += 1;
        tokio::time::sleep(self.2).await;
        if self.1 == "test.poison" {
            return Err(JobError::Retry(anyhow::anyhow!("poison: always fails")));
        }
        Ok(())
    }
}

fn fast() -> WorkerConfig {
    WorkerConfig {
        concurrency: 4,
        lease: Duration::from_secs(5),
        poll_interval: Duration::from_millis(20),
        shutdown_grace: Duration::from_secs(5),
        backoff: Backoff { base: Duration::from_millis(40), cap: Duration::from_millis(200) },
    }
}

fn worker(queue: &Arc<SqlJobQueue>, config: WorkerConfig) -> Worker {
    Worker::new(queue.clone(), Arc::new(SystemClock), Arc::new(UuidV7), config)
}

async fn enqueue(queue: &SqlJobQueue, kind: &str, max_attempts: u32) -> Uuid {
    let id = Uuid::now_v7();
    let job = NewJob { max_attempts, ..NewJob::now(id, kind, serde_json::json!({}), chrono::Utc::now()) };
    assert!(queue.enqueue(&job).await.unwrap());
    id
}

async fn count(queue: &SqlJobQueue, status: JobStatus) -> usize {
    let mut n = 0;
    let mut page = PageRequest::first(50);
    loop {
        let got = queue.list(Some(status), page).await.unwrap();
        n += got.items.len();
        match got.next {
            Some(next) => page = PageRequest { after: Some(next), size: 50 },
            None => return n,
        }
    }
}

/// Runs `workers` until `done` holds, then stops them all and returns.
async fn run_until(workers: Vec<Worker>, what: &str, done: impl AsyncFnMut() -> Result<(), String>) {
    let (stop, _) = tokio::sync::broadcast::channel::<()>(1);
    let handles: Vec<_> = workers
        .into_iter()
        .map(|w| {
            let mut rx = stop.subscribe();
            tokio::spawn(w.run(async move {
                let _ = rx.recv().await;
            }))
        })
        .collect();
    let mut done = done;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match done().await {
            Ok(()) => break,
            Err(seen) if std::time::Instant::now() >= deadline => panic!("{what}: not within 60 s; last seen: {seen}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    stop.send(()).unwrap();
    for h in handles {
        h.await.unwrap();
    }
}

#[tokio::test]
async fn four_workers_on_one_postgres_queue_never_run_a_job_twice() {
    let db = TestDb::postgres().await;
    let queue = Arc::new(SqlJobQueue::new(db.migrated().await));
    let mut ids = Vec::new();
    for _ in 0..200 {
        ids.push(enqueue(&queue, "test.record", 3).await);
    }
    let rec = Arc::new(Recorder::default());
    let workers = (0..4)
        .map(|_| worker(&queue, fast()).handle(Arc::new(Record(rec.clone(), "test.record", Duration::from_millis(3)))))
        .collect();
    let q = queue.clone();
    run_until(workers, "all 200 jobs done", async || {
        let done = count(&q, JobStatus::Done).await;
        if done == 200 { Ok(()) } else { Err(format!("{done} done")) }
    })
    .await;
    let runs = rec.runs.lock().unwrap();
    assert_eq!(runs.len(), 200, "every job ran");
    let twice: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
    for id in ids {
        assert_eq!(runs.get(&id), Some(&1));
    }
}

#[tokio::test]
async fn a_poison_job_ends_dead_after_its_attempts_and_the_rest_keep_flowing() {
    let db = TestDb::postgres().await;
    let queue = Arc::new(SqlJobQueue::new(db.migrated().await));
    let poison = enqueue(&queue, "test.poison", 3).await;
    let unknown = enqueue(&queue, "test.nobody-handles-this", 3).await;
    for _ in 0..30 {
        enqueue(&queue, "test.record", 3).await;
    }
    let rec = Arc::new(Recorder::default());
    let w = worker(&queue, fast())
        .handle(Arc::new(Record(rec.clone(), "test.record", Duration::from_millis(2))))
        .handle(Arc::new(Record(rec.clone(), "test.poison", Duration::ZERO)));
    let q = queue.clone();
    run_until(vec![w], "the poison job dead and the rest done", async || {
        let (done, dead) = (count(&q, JobStatus::Done).await, count(&q, JobStatus::Dead).await);
        if done == 30 && dead == 2 { Ok(()) } else { Err(format!("{done} done, {dead} dead")) }
    })
    .await;
    let job = queue.find(poison).await.unwrap().unwrap();
    assert_eq!((job.status, job.attempts), (JobStatus::Dead, 3));
    assert_eq!(rec.runs.lock().unwrap()[&poison], 3, "ran exactly max_attempts times");
    assert!(job.last_error.unwrap().contains("poison: always fails"));
    let job = queue.find(unknown).await.unwrap().unwrap();
    assert_eq!((job.status, job.attempts), (JobStatus::Dead, 1), "a kind nobody handles is dead at once");
    assert!(job.last_error.unwrap().contains("no handler"));
}

#[tokio::test]
async fn scheduled_jobs_are_enqueued_once_per_slot_by_many_workers() {
    let db = TestDb::postgres().await;
    let queue = Arc::new(SqlJobQueue::new(db.migrated().await));
    let rec = Arc::new(Recorder::default());
    let daily =
        Schedule { kind: "test.record", every: Duration::from_secs(86_400), offset: Duration::ZERO, max_attempts: 3 };
    let workers = (0..4)
        .map(|_| {
            worker(&queue, fast()).schedule(daily.clone()).handle(Arc::new(Record(
                rec.clone(),
                "test.record",
                Duration::ZERO,
            )))
        })
        .collect();
    let q = queue.clone();
    run_until(workers, "today's slot run", async || {
        let done = count(&q, JobStatus::Done).await;
        if done >= 1 { Ok(()) } else { Err(format!("{done} done")) }
    })
    .await;
    assert_eq!(count(&queue, JobStatus::Done).await, 1);
    assert_eq!(queue.list(None, PageRequest::first(50)).await.unwrap().items.len(), 1, "one job for the slot");
    assert_eq!(rec.runs.lock().unwrap().values().sum::<u32>(), 1);
}

/// A `job-worker` process on `db`, once it says it is ready.
async fn spawn_worker_process(
    db: &TestDb,
    env: &[(&str, &str)],
) -> (tokio::process::Child, tokio::io::Lines<BufReader<tokio::process::ChildStdout>>) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_job-worker"))
        .env("DATABASE_URL", &db.url)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("job-worker starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(next_line(&mut lines).await, "ready");
    (child, lines)
}

async fn next_line(lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>) -> String {
    tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the worker process answers within 30 s")
        .unwrap()
        .expect("the worker process wrote a line")
}

#[tokio::test]
async fn a_worker_killed_mid_job_leaves_it_to_be_claimed_after_its_lease_and_it_completes_once() {
    let db = TestDb::postgres().await;
    let queue = Arc::new(SqlJobQueue::new(db.migrated().await));
    let id = enqueue(&queue, "test.slow", 5).await;
    let (mut child, mut lines) = spawn_worker_process(&db, &[("LEASE_MS", "1500")]).await;
    assert_eq!(next_line(&mut lines).await, format!("started {id}"));
    child.start_kill().unwrap(); // SIGKILL: no chance to release anything
    child.wait().await.unwrap();
    let held = queue.find(id).await.unwrap().unwrap();
    assert_eq!((held.status, held.attempts), (JobStatus::Running, 1), "still leased to the dead worker");

    let rec = Arc::new(Recorder::default());
    let w = worker(&queue, fast()).handle(Arc::new(Record(rec.clone(), "test.slow", Duration::ZERO)));
    let q = queue.clone();
    run_until(vec![w], "the job done by the surviving worker", async || {
        let j = q.find(id).await.unwrap().unwrap();
        if j.status == JobStatus::Done { Ok(()) } else { Err(format!("{:?}", j.status)) }
    })
    .await;
    let job = queue.find(id).await.unwrap().unwrap();
    assert_eq!((job.status, job.attempts), (JobStatus::Done, 2), "claimed again once the lease ran out");
    assert_eq!(rec.runs.lock().unwrap()[&id], 1, "completed exactly once");
}

#[tokio::test]
async fn sigterm_releases_a_job_that_outlasts_the_grace() {
    let db = TestDb::postgres().await;
    let queue = Arc::new(SqlJobQueue::new(db.migrated().await));
    let id = enqueue(&queue, "test.slow", 5).await;
    let (mut child, mut lines) = spawn_worker_process(&db, &[("GRACE_MS", "200"), ("LEASE_MS", "60000")]).await;
    assert_eq!(next_line(&mut lines).await, format!("started {id}"));
    terminate(&child);
    assert_eq!(next_line(&mut lines).await, "stopped finished=0 released=1");
    assert!(child.wait().await.unwrap().success());
    let job = queue.find(id).await.unwrap().unwrap();
    assert_eq!(
        (job.status, job.attempts, job.lease),
        (JobStatus::Queued, 0, None),
        "given back, the attempt not counted"
    );
}

#[tokio::test]
async fn sigterm_lets_a_short_job_finish() {
    let db = TestDb::postgres().await;
    let queue = Arc::new(SqlJobQueue::new(db.migrated().await));
    let id = enqueue(&queue, "test.slow", 5).await;
    let (mut child, mut lines) = spawn_worker_process(&db, &[("GRACE_MS", "10000"), ("SLOW_MS", "500")]).await;
    assert_eq!(next_line(&mut lines).await, format!("started {id}"));
    terminate(&child);
    assert_eq!(next_line(&mut lines).await, "stopped finished=1 released=0");
    assert!(child.wait().await.unwrap().success());
    assert_eq!(queue.find(id).await.unwrap().unwrap().status, JobStatus::Done);
}

fn terminate(child: &tokio::process::Child) {
    let pid = child.id().expect("running").to_string();
    let ok = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success();
    assert!(ok, "kill -TERM {pid}");
}

/// The queue, except that heartbeats fail (the database hiccups for longer than a lease).
struct ExtendFails(Arc<SqlJobQueue>);

#[async_trait]
impl JobQueue for ExtendFails {
    async fn enqueue(&self, job: &NewJob) -> Result<bool, application::RepositoryError> {
        self.0.enqueue(job).await
    }
    async fn claim(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<Job>, application::RepositoryError> {
        self.0.claim(now, until, limit).await
    }
    async fn extend(
        &self,
        _: Uuid,
        _: Uuid,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), application::RepositoryError> {
        Err(application::RepositoryError::Unexpected(anyhow::anyhow!("connection reset")))
    }
    async fn finish(
        &self,
        id: Uuid,
        lease: Uuid,
        outcome: &application::ports::Outcome,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), application::RepositoryError> {
        self.0.finish(id, lease, outcome, now).await
    }
    async fn find(&self, id: Uuid) -> Result<Option<Job>, application::RepositoryError> {
        self.0.find(id).await
    }
    async fn list(
        &self,
        status: Option<JobStatus>,
        page: PageRequest,
    ) -> Result<application::paging::Page<Job>, application::RepositoryError> {
        self.0.list(status, page).await
    }
    async fn retry(
        &self,
        id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
        audit: &application::audit::AuditEvent,
    ) -> Result<(), application::RepositoryError> {
        self.0.retry(id, now, audit).await
    }
}

/// Records when its run ends, however it ends (finished, or dropped by the worker).
struct Finishes(Arc<Mutex<Option<chrono::DateTime<chrono::Utc>>>>);

struct StampOnDrop(Arc<Mutex<Option<chrono::DateTime<chrono::Utc>>>>);

impl Drop for StampOnDrop {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(chrono::Utc::now());
    }
}

#[async_trait]
impl JobHandler for Finishes {
    fn kind(&self) -> &'static str {
        "test.long"
    }
    async fn run(&self, _: &Job) -> Result<(), JobError> {
        let _stamp = StampOnDrop(self.0.clone());
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(())
    }
}

#[tokio::test]
async fn a_run_whose_lease_cannot_be_extended_stops_before_the_lease_runs_out() {
    let db = TestDb::postgres().await;
    let queue = Arc::new(SqlJobQueue::new(db.migrated().await));
    let id = enqueue(&queue, "test.long", 1).await;
    let ended = Arc::new(Mutex::new(None));
    // Beats every second; the run must stop by 2 s, a second before the lease ends at 3 s.
    let config = WorkerConfig { lease: Duration::from_secs(3), ..fast() };
    let w = Worker::new(Arc::new(ExtendFails(queue.clone())), Arc::new(SystemClock), Arc::new(UuidV7), config)
        .handle(Arc::new(Finishes(ended.clone())));
    let q = queue.clone();
    run_until(vec![w], "the job dead after its only lease ran out", async || {
        let j = q.find(id).await.unwrap().unwrap();
        if j.status == JobStatus::Dead { Ok(()) } else { Err(format!("{:?}", j.status)) }
    })
    .await;
    let job = queue.find(id).await.unwrap().unwrap();
    let ended = ended.lock().unwrap().expect("the run ended");
    assert!(
        ended < job.updated_at,
        "the run stopped ({ended}) before its lease ran out and the job was declared dead ({})",
        job.updated_at
    );
    assert!(job.last_error.unwrap().contains("lease"));
}
