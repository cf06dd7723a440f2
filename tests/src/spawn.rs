//! `spawn_app`: the assembled service on port 0 with its own fresh PostgreSQL database,
//! in-memory object storage and the in-process cache, driven over real HTTP.

use bootstrap::{Application, Config, Dependencies};
use tokio::sync::oneshot;

use crate::db::TestDb;

pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// The metrics listener's port (`METRICS_PORT`), if asked for.
    pub metrics_port: Option<u16>,
    pub client: reqwest::Client,
    pub deps: Dependencies,
    pub db: TestDb,
    /// Where the embedded worker writes the e-mails it sends (`.eml` files).
    pub outbox: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

fn init_test_logging() {
    if std::env::var("TEST_LOG").is_ok_and(|v| !v.is_empty() && v != "0") {
        bootstrap::telemetry::init(
            &bootstrap::telemetry::Logging {
                format: bootstrap::config::LogFormat::Pretty,
                filter: "info,sp_http=debug".to_owned(),
                redact: true,
                gcp_project: None,
            },
            std::io::stdout,
            None,
        );
    }
}

/// The service on PostgreSQL with default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestDb::postgres().await, &[]).await
}

/// The service on `db` with extra `(VARIABLE, value)` settings (they win over defaults).
/// Quotas no test reaches (`RATE_LIMITS`); tests of the limits set their own.
pub const NO_LIMITS: &str = "global=1000000000/1000000, login-ip=1000000000/1000000, login-account=1000000000/1000000, register-ip=1000000000/1000000, \
     enquiry-user=1000000000/1000000, enquiry-listing=1000000000/1000000, upload-user=1000000000/1000000";

pub async fn spawn_app_with(db: TestDb, extra: &[(&str, &str)]) -> TestApp {
    init_test_logging();
    let outbox = tempfile::tempdir().expect("a temporary outbox");
    let outbox_dir = outbox.path().to_str().expect("a UTF-8 temp path").to_owned();
    let mut vars: Vec<(&str, &str)> = vec![
        ("APP_ENV", "dev"),
        ("PORT", "0"),
        ("DATABASE_URL", &db.url),
        ("DATABASE_MAX_CONNECTIONS", "4"),
        ("STORAGE_URL", "memory://"),
        ("AUTO_MIGRATE", "true"),
        // Counts are live in tests (caching them is the use cases' unit tests' business).
        ("PUBLIC_COUNTS_TTL_SECONDS", "0"),
        ("MAIL_OUTBOX_DIR", &outbox_dir),
        // Every test client is 127.0.0.1: limits out of the way unless a test sets them.
        ("RATE_LIMITS", NO_LIMITS),
    ];
    vars.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    vars.extend_from_slice(extra);
    let config = Config::from_pairs(vars).expect("test configuration is valid");
    let app = Application::build(&config).await.expect("application builds");
    let port = app.port();
    let metrics_port = app.metrics_port();
    let deps = app.dependencies().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("http client");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        metrics_port,
        client,
        deps,
        db,
        outbox,
        stop: Some(stop),
        server: Some(server),
    }
}

impl TestApp {
    /// The jobs of `kind` in any status.
    pub async fn jobs_of(&self, kind: &str) -> Vec<application::ports::Job> {
        let page = self.deps.jobs.list(None, application::paging::PageRequest::first(50)).await.expect("jobs");
        page.items.into_iter().filter(|j| j.kind == kind).collect()
    }

    /// The e-mails sent so far (raw `.eml` text), oldest first.
    pub fn sent_mail(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(self.outbox.path())
            .expect("the outbox exists")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files.iter().map(|p| std::fs::read_to_string(p).expect("readable .eml")).collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    /// Stops the server gracefully and waits for it (closing its pool).
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.server.take() {
            h.await.expect("server task").expect("server stopped cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.server.take() {
            h.abort();
        }
    }
}
