//! The `student-palace` binary as an operator runs it: configuration errors, `config
//! check`, serving on PostgreSQL, request ids in logs, and SIGTERM during a slow request.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_student-palace");

/// A command with a clean environment (only what the test sets) in a temp folder.
fn cmd(dir: &std::path::Path, vars: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear().current_dir(dir).env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in vars {
        c.env(k, v);
    }
    c
}

fn run(vars: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    cmd(dir.path(), vars).args(args).output().unwrap()
}

#[test]
fn bad_port_exits_78_with_one_line_naming_the_variable() {
    let out = run(&[("PORT", "abc")], &["serve"]);
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("configuration error: PORT: "), "{err}");
    assert!(err.contains("abc"), "{err}");
}

#[test]
fn prod_with_sqlite_is_refused_naming_database_url() {
    let key = "k".repeat(40);
    let out = run(
        &[
            ("APP_ENV", "prod"),
            ("STORAGE_URL", "s3://b"),
            ("MEDIA_BASE_URL", "https://cdn.example"),
            ("SECRET_KEY", &key),
        ],
        &["serve"],
    );
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("DATABASE_URL") && err.contains("SQLite"), "{err}");
}

#[test]
fn prod_without_secret_key_is_refused() {
    let out = run(
        &[
            ("APP_ENV", "prod"),
            ("DATABASE_URL", "postgres://u:p@db/sp"),
            ("STORAGE_URL", "s3://b"),
            ("MEDIA_BASE_URL", "https://cdn.example"),
        ],
        &["config", "check"],
    );
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8(out.stderr).unwrap().contains("SECRET_KEY"));
}

#[test]
fn config_check_prints_everything_with_secrets_masked() {
    let out = run(
        &[
            ("DATABASE_URL", "postgres://sp:hunter2-db@db.internal/sp"),
            ("REDIS_URL", "redis://:hunter2-redis@cache:6379"),
            ("SECRET_KEY", "hunter2-key-hunter2-key-hunter2-key-0"),
        ],
        &["config", "check"],
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("DATABASE_URL=postgres://sp:****@db.internal/sp"), "{text}");
    assert!(text.contains("REDIS_URL=redis://:****@cache:6379"), "{text}");
    assert!(text.contains("SECRET_KEY=**** (set)"), "{text}");
    assert!(text.contains("PORT=8080"), "{text}");
}

/// A running server whose stdout lines are collected.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(vars: &[(&str, &str)]) -> Self {
        let mut s = Self::spawn(tempfile::tempdir().unwrap(), vars, "serve");
        let banner = s.wait_for("Student Palace is running at", Duration::from_secs(60));
        let url = banner.split_whitespace().find(|w| w.starts_with("http://")).unwrap();
        s.port = url.rsplit(':').next().unwrap().parse().unwrap();
        s
    }

    /// `student-palace <sub>` in `dir`, its stdout read line by line.
    fn spawn(dir: tempfile::TempDir, vars: &[(&str, &str)], sub: &str) -> Self {
        let mut all = vec![("PORT", "0")];
        all.extend_from_slice(vars);
        let mut child = cmd(dir.path(), &all).arg(sub).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines, seen: Vec::new(), port: 0, _dir: dir }
    }

    fn wait_for(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(needle) {
                        return l;
                    }
                }
                Err(e) => panic!("no line containing {needle:?} ({e}); output so far:\n{}", self.seen.join("\n")),
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill").args([sig, &self.child.id().to_string()]).status().unwrap().success();
        assert!(ok);
    }

    /// Waits for the process to exit and returns its status and every stdout line.
    fn wait_exit(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let status = self.child.wait().unwrap();
        // The reader thread ends when the pipe closes, which drops the sender.
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(l);
        }
        (status, std::mem::take(&mut self.seen))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn sigterm_during_a_slow_request_finishes_it_and_exits_0() {
    let server = Server::start(&[("SHUTDOWN_GRACE_SECONDS", "10")]);
    let client = reqwest::Client::new();
    let live = server.url("/livez");
    // Headers come at once and the body after 1.5 s: holding the headers proves the
    // request is in flight when the signal lands.
    let resp = client.get(server.url("/_dev/sleep?ms=1500&stream=true")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    server.signal("-TERM");
    let body = resp.text().await.expect("the in-flight request completes");
    assert!(body.contains("\"slept_ms\":1500"), "{body}");
    let (status, lines) = tokio::task::spawn_blocking(move || server.wait_exit()).await.unwrap();
    assert_eq!(status.code(), Some(0), "{}", lines.join("\n"));
    assert!(lines.iter().any(|l| l.contains("SIGTERM")), "{}", lines.join("\n"));
    assert!(lines.iter().any(|l| l.contains("closing the database pool")), "{}", lines.join("\n"));
    // Nothing listens any more.
    assert!(reqwest::Client::new().get(live).send().await.is_err());
}

/// A plain HTTP/1.0 GET of `url` (`http://host:port/path`): the body, or "" on any error.
fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let Ok(mut conn) = std::net::TcpStream::connect(host) else { return String::new() };
    let _ = write!(conn, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    let mut text = String::new();
    let _ = conn.read_to_string(&mut text);
    text.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default()
}

#[test]
fn the_worker_refuses_an_unmigrated_database_then_runs_until_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let out = cmd(dir.path(), &[]).arg("worker").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("migrate up"), "{err}");

    assert!(cmd(dir.path(), &[]).args(["migrate", "up"]).status().unwrap().success());
    // With METRICS_PORT the worker serves its own /metrics: job and queue series.
    let mut worker = Server::spawn(dir, &[("METRICS_PORT", "0")], "worker");
    let banner = worker.wait_for("metrics on http://", Duration::from_secs(30));
    let metrics = banner.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
    worker.wait_for("worker running", Duration::from_secs(30));
    worker.wait_for("worker started", Duration::from_secs(30));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let text = http_get(&metrics);
        if [
            "jobs_queued{",
            "jobs_oldest_ready_age_seconds",
            "jobs_finished_total{",
            "db_pool_connections{",
            "mail_sent_total{",
        ]
        .iter()
        .all(|s| text.contains(s))
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the worker's metrics lack job and pool series:\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    }
    worker.signal("-TERM");
    let (status, lines) = worker.wait_exit();
    assert_eq!(status.code(), Some(0), "{}", lines.join("\n"));
    assert!(lines.iter().any(|l| l.contains("worker stopped")), "{}", lines.join("\n"));
}

#[tokio::test]
async fn make_run_shows_demo_listings_with_photos_served_by_the_app() {
    let server = Server::start(&[]);
    let client = reqwest::Client::new();
    let page: serde_json::Value =
        client.get(server.url("/api/v1/listings?page_size=1")).send().await.unwrap().json().await.unwrap();
    let id = page["items"][0]["id"].as_str().expect("a demo listing").to_owned();
    let detail: serde_json::Value =
        client.get(server.url(&format!("/api/v1/listings/{id}"))).send().await.unwrap().json().await.unwrap();
    let photo = &detail["photos"][0];
    assert_eq!(photo["status"], "ready", "{detail}");
    for name in ["thumb", "medium", "large", "medium_jpeg"] {
        let url = photo["urls"][name].as_str().unwrap();
        assert!(url.starts_with(&format!("http://127.0.0.1:{}/media/", server.port)), "{url}");
        let r = client.get(url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
    }
}

#[tokio::test]
async fn every_log_line_of_a_request_carries_its_request_id() {
    let mut server = Server::start(&[]);
    let client = reqwest::Client::new();
    let r = client.get(server.url("/api/v1/cities")).header("x-request-id", "req-log-42").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let access = server.wait_for("req-log-42", Duration::from_secs(10));
    let line: serde_json::Value = serde_json::from_str(&access).expect("logs are JSON lines");
    // The shape Cloud Logging and CloudWatch read: severity, message, timestamp, target.
    assert_eq!(line["message"], "request completed", "{line}");
    assert_eq!(line["severity"], "INFO", "{line}");
    assert_eq!(line["target"], "sp_http::middleware", "{line}");
    assert!(chrono::DateTime::parse_from_rfc3339(line["timestamp"].as_str().unwrap()).is_ok(), "{line}");
    assert_eq!(line["route"], "/api/v1/cities", "{line}");
    let id = line["request_id"].as_str().expect("the request id").to_owned();
    server.signal("-INT");
    let (status, lines) = tokio::task::spawn_blocking(move || server.wait_exit()).await.unwrap();
    assert!(status.success());
    // Every JSON line logged inside the request names that request's id.
    let in_request: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["client_request_id"] == "req-log-42")
        .collect();
    assert!(!in_request.is_empty());
    for v in &in_request {
        assert_eq!(v["request_id"], id.as_str(), "{v}");
    }
}

#[tokio::test]
async fn serve_uses_postgres_when_database_url_says_so() {
    use sea_orm::{ConnectionTrait, Database};
    let admin_url = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into());
    let admin = Database::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is not reachable at {admin_url} ({e}); run `make services`"));
    let name = format!("sp_test_cli_{}", uuid::Uuid::new_v4().simple());
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);

    let server = Server::start(&[("DATABASE_URL", url.as_str()), ("STORAGE_URL", "memory://")]);
    let client = reqwest::Client::new();
    let health: serde_json::Value = client.get(server.url("/healthz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "up", "{health}");
    assert_eq!(client.get(server.url("/api/v1/cities")).send().await.unwrap().status(), 200);
    server.signal("-TERM");
    let (status, _) = tokio::task::spawn_blocking(move || server.wait_exit()).await.unwrap();
    assert!(status.success());

    // The schema landed in PostgreSQL, not in a SQLite file.
    let db = Database::connect(url.as_str()).await.unwrap();
    let applied = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS n FROM seaql_migrations",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert!(applied >= 1);
    db.close().await.unwrap();
    admin.execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await.unwrap();
}

#[test]
fn migrate_status_up_down_fresh_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let vars = [("DATABASE_URL", "sqlite://./var/m.db?mode=rwc")];
    let status = |args: &[&str]| {
        let out = cmd(dir.path(), &vars).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(status(&["migrate", "status"]).contains("Pending"));
    assert!(status(&["migrate", "up"]).lines().all(|l| l.starts_with("Applied")));
    let after_down = status(&["migrate", "down"]);
    assert!(after_down.lines().last().unwrap().starts_with("Pending"), "{after_down}");
    // `fresh` turns SQLite's foreign keys off for its DROPs: on one connection, or a DROP
    // that lands on another fails now and then. A few rounds make that show.
    for _ in 0..4 {
        assert!(status(&["migrate", "fresh"]).lines().all(|l| l.starts_with("Applied")));
    }
}

#[test]
fn fresh_is_refused_outside_dev_without_force() {
    let key = "k".repeat(40);
    let out = run(
        &[
            ("APP_ENV", "staging"),
            ("DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/postgres"),
            ("STORAGE_URL", "s3://b"),
            ("MEDIA_BASE_URL", "https://cdn.example"),
            ("SECRET_KEY", &key),
            ("PUBLIC_BASE_URL", "https://staging.example"),
            ("SMTP_URL", "smtps://smtp.example:465"),
        ],
        &["migrate", "fresh"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
}

#[test]
fn admin_create_reads_the_password_from_the_environment_and_validates_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = ("DATABASE_URL", "sqlite://./var/a.db?mode=rwc");
    let out = cmd(dir.path(), &[db, ("ADMIN_PASSWORD", "a long admin passphrase")])
        .args(["admin", "create", "--email", "Ops@Example.com", "--name", "Ops"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("admin created: ops@example.com"), "{text}");
    assert!(!text.contains("passphrase"));

    // Again: the e-mail is taken. A weak password is refused with the reason.
    let again = cmd(dir.path(), &[db, ("ADMIN_PASSWORD", "a long admin passphrase")])
        .args(["admin", "create", "--email", "ops@example.com", "--name", "Ops"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    let weak = cmd(dir.path(), &[db, ("ADMIN_PASSWORD", "short")])
        .args(["admin", "create", "--email", "other@example.com", "--name", "Other"])
        .output()
        .unwrap();
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"), "{}", String::from_utf8_lossy(&weak.stderr));
}

/// With `OTEL_EXPORTER_OTLP_ENDPOINT` the binary exports its spans over OTLP/gRPC: a
/// listener standing in for the collector sees the HTTP/2 connection preface (the
/// batch exporter runs on the runtime; without it, it would panic and send nothing).
#[test]
fn spans_are_exported_over_otlp_grpc_when_an_endpoint_is_set() {
    use std::io::Read;
    let collector = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", collector.local_addr().unwrap());
    let server = Server::start(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint), ("OTEL_TRACES_SAMPLER_ARG", "1")]);
    assert!(!http_get(&server.url("/api/v1/cities")).is_empty());
    collector.set_nonblocking(true).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut conn = loop {
        match collector.accept() {
            Ok((c, _)) => break c,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(std::time::Instant::now() < deadline, "no export to the collector within 30 s");
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("{e}"),
        }
    };
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut preface = [0u8; 24];
    conn.read_exact(&mut preface).unwrap();
    assert_eq!(&preface, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "gRPC speaks HTTP/2");
}
