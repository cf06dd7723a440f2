//! The worker tier's wiring: the mailer the configuration names, and a worker with every
//! job handler and schedule. `student-palace worker` runs it alone (staging, prod: its
//! own process from the same image); `serve` runs it embedded in dev.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use application::enquiries::NotifyOwner;
use application::listings::{HMO_SWEEP, HmoLicenceSweep};
use application::ports::Mailer;
use sp_worker::{Schedule, Worker, WorkerConfig};

use crate::config::Config;
use crate::startup::Dependencies;

/// Every job kind the worker handles (the queue gauges report each, 0 included).
pub const JOB_KINDS: &[&str] = &[
    application::enquiries::NOTIFY_OWNER,
    application::photos::PROCESS_PHOTO,
    HMO_SWEEP,
    application::photos::RECONCILE_MEDIA,
];

/// How long one SMTP command may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// The daily HMO-licence sweep runs at 03:00 UTC.
pub fn hmo_sweep_schedule() -> Schedule {
    Schedule {
        kind: HMO_SWEEP,
        every: Duration::from_secs(86_400),
        offset: Duration::from_secs(3 * 3600),
        max_attempts: 5,
    }
}

/// The daily `media reconcile` dry run at 04:00 UTC (what it finds is logged).
pub fn reconcile_schedule() -> Schedule {
    Schedule {
        kind: application::photos::RECONCILE_MEDIA,
        every: Duration::from_secs(86_400),
        offset: Duration::from_secs(4 * 3600),
        max_attempts: 3,
    }
}

/// SMTP when `SMTP_URL` is set, otherwise (dev) `.eml` files in `MAIL_OUTBOX_DIR`.
/// Call inside the runtime.
pub fn mailer(config: &Config) -> anyhow::Result<Arc<dyn Mailer>> {
    Ok(match &config.smtp_url {
        Some(url) => Arc::new(sp_mail::SmtpMailer::new(url, &config.mail_from, SMTP_TIMEOUT)?),
        None => Arc::new(
            sp_mail::EmlFolder::new(&config.mail_outbox_dir, &config.mail_from)
                .with_context(|| format!("MAIL_OUTBOX_DIR {}", config.mail_outbox_dir.display()))?,
        ),
    })
}

/// A worker over `deps` with every handler and schedule.
pub fn build(deps: &Dependencies, config: &Config, mailer: Arc<dyn Mailer>) -> Worker {
    let worker_config = WorkerConfig {
        concurrency: config.worker_concurrency,
        lease: config.job_lease,
        shutdown_grace: config.shutdown_grace,
        ..WorkerConfig::default()
    };
    Worker::new(deps.jobs.clone(), deps.clock.clone(), deps.ids.clone(), worker_config)
        .handle(Arc::new(NotifyOwner {
            enquiries: deps.enquiries.clone(),
            listings: deps.listings.clone(),
            users: deps.users.clone(),
            mailer,
            site_url: config.public_base_url.clone(),
        }))
        .handle(Arc::new(HmoLicenceSweep { ports: deps.listing_ports() }))
        .handle(Arc::new(application::photos::ProcessPhoto { ports: deps.photo_ports() }))
        .handle(Arc::new(application::photos::ReconcileMediaDryRun(application::photos::ReconcileMedia::new(
            deps.photo_ports(),
        ))))
        .schedule(hmo_sweep_schedule())
        .schedule(reconcile_schedule())
}
