//! A worker process for `tests/tests/worker.rs`: runs `test.slow` jobs from the queue on
//! `DATABASE_URL` with sp-worker's loop, as `student-palace worker` does with the real
//! handlers. Each job prints `started <id>` and then takes `SLOW_MS` (default: an hour,
//! so it only ends by a signal). SIGTERM stops the worker with a grace of `GRACE_MS`;
//! the lease is `LEASE_MS`. Prints `stopped finished=N released=N` when it stops.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use application::jobs::{JobError, JobHandler};
use application::ports::{Job, SystemClock, UuidV7};
use async_trait::async_trait;
use secrecy::SecretString;

fn ms(name: &str, default: u64) -> Duration {
    Duration::from_millis(std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default))
}

struct Slow(Duration);

#[async_trait]
impl JobHandler for Slow {
    fn kind(&self) -> &'static str {
        "test.slow"
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        println!("started {}", job.id);
        std::io::stdout().flush().map_err(|e| JobError::Retry(e.into()))?;
        tokio::time::sleep(self.0).await;
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")?;
    let db = sp_sql::connect(&sp_sql::DbConfig {
        url: SecretString::from(url),
        max_connections: 2,
        min_connections: 1,
        connect_timeout: Duration::from_secs(5),
        acquire_timeout: Duration::from_secs(5),
        label: "primary",
    })
    .await?;
    let config = sp_worker::WorkerConfig {
        concurrency: 1,
        lease: ms("LEASE_MS", 1500),
        poll_interval: Duration::from_millis(50),
        shutdown_grace: ms("GRACE_MS", 300),
        ..sp_worker::WorkerConfig::default()
    };
    let worker =
        sp_worker::Worker::new(Arc::new(sp_sql::SqlJobQueue::new(db)), Arc::new(SystemClock), Arc::new(UuidV7), config)
            .handle(Arc::new(Slow(ms("SLOW_MS", 3_600_000))));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    println!("ready");
    let summary = worker
        .run(async move {
            term.recv().await;
        })
        .await;
    println!("stopped finished={} released={}", summary.finished, summary.released);
    Ok(())
}
