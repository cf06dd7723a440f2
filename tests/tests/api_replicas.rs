//! Read replicas (`DATABASE_READ_URL`, issue 15) against a real streaming replica of the
//! test PostgreSQL (`scripts/services.sh` starts it on 5433): public reads come from the
//! replica, a client that has just written reads its own writes from the primary, the
//! response cache is filled from the primary (never with the replica's lag), and a
//! replica that dies or hangs costs reads nothing but a little time, `/healthz` saying
//! `degraded`, until it is back.
//!
//! Reads that the response cache answers (anonymous first pages) never reach the
//! replica: the signed-in `reader` below stands for the reads that do.
//!
//! The replica's replay is paused to tell which server answered (a paused replica keeps
//! answering with what it had). These tests run one at a time: a paused replica would
//! stall the others (`.config/nextest.toml`, group `replica`, across processes; `SERIAL`
//! within one, as under `cargo test`).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use sp_tests::proxy::{Mode, Proxy};
use sp_tests::{TestApp, TestDb, services, spawn_app_with};

/// One replica test at a time in this process.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn replica_server() -> url::Url {
    let url = services::replica_url();
    services::require("the PostgreSQL replica (scripts/services.sh starts it)", &url);
    url::Url::parse(&url).unwrap()
}

/// The replica's URL for `db`, optionally through `via` (a proxy's `host:port`).
fn replica_url_for(db: &TestDb, via: Option<std::net::SocketAddr>) -> String {
    let mut url = replica_server();
    if let Some(addr) = via {
        url.set_host(Some(&addr.ip().to_string())).unwrap();
        url.set_port(Some(addr.port())).unwrap();
    }
    url.set_path(&db.name().unwrap());
    url.to_string()
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> String {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index::<String>(0).unwrap()
}

/// Waits until the replica has replayed everything the primary has written so far.
async fn caught_up(primary: &DatabaseConnection, replica: &DatabaseConnection) {
    let target = scalar(primary, "SELECT pg_current_wal_lsn()::text").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let sql = format!("SELECT (pg_last_wal_replay_lsn() >= '{target}'::pg_lsn)::text");
        if scalar(replica, &sql).await == "true" {
            return;
        }
        assert!(Instant::now() < deadline, "the replica did not reach {target} within 15 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Pauses the replica's replay; resumes it when dropped (also when the test fails).
struct Paused(String);

impl Paused {
    async fn replay(replica_admin: &DatabaseConnection) -> Self {
        scalar(replica_admin, "SELECT pg_wal_replay_pause()::text").await;
        Self(replica_server().to_string())
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let url = self.0.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let db = Database::connect(&url).await.unwrap();
                scalar(&db, "SELECT pg_wal_replay_resume()::text").await;
            });
        })
        .join();
    }
}

async fn title_seen(client: &reqwest::Client, app: &TestApp, id: &str) -> String {
    let r = client.get(app.url(&format!("/api/v1/listings/{id}"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["title"].as_str().unwrap().to_owned()
}

async fn titles_in_search(client: &reqwest::Client, app: &TestApp) -> Vec<String> {
    let r = client.get(app.url("/api/v1/listings?city=leeds")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["items"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap().to_owned()).collect()
}

async fn replica_status(app: &TestApp) -> (String, String) {
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200, "the replica is optional: the instance stays ready");
    let v: Value = r.json().await.unwrap();
    let c = v["components"].as_array().unwrap().iter().find(|c| c["name"] == "replica").expect("a replica component");
    (v["status"].as_str().unwrap().to_owned(), c["status"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn public_reads_come_from_the_replica_and_writers_read_their_own_writes() {
    let _one_at_a_time = SERIAL.lock().await;
    let replica_admin = Database::connect(replica_server().as_str()).await.unwrap();
    let db = TestDb::postgres().await;
    let read_url = replica_url_for(&db, None);
    let app = spawn_app_with(db, &[("DATABASE_READ_URL", &read_url), ("READ_YOUR_WRITES_SECONDS", "2")]).await;
    let primary = app.db.connect().await;
    let replica = Database::connect(&read_url).await.unwrap();
    app.seed_cities().await;
    let landlord = app.actor("landlord").await;
    let reader = app.actor("student").await;
    let id = landlord.published_listing(&json!({"title": "Before the change"})).await;
    caught_up(&primary, &replica).await;
    let visitor = reqwest::Client::new();
    assert_eq!(title_seen(&visitor, &app, &id).await, "Before the change");
    assert_eq!(title_seen(&reader.client, &app, &id).await, "Before the change");
    assert_eq!(replica_status(&app).await, ("up".to_owned(), "up".to_owned()));

    let paused = Paused::replay(&replica_admin).await;
    let r = landlord.patch_listing(&id, &json!({"title": "After the change"})).await;
    assert_eq!(r.status(), 200);
    let fresh = r.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("sp_fresh=1"));
    assert!(fresh, "a write hands out the read-your-writes cookie");

    // The writer reads the primary; other readers the (paused) replica.
    assert_eq!(title_seen(&landlord.client, &app, &id).await, "After the change");
    assert_eq!(titles_in_search(&landlord.client, &app).await, ["After the change"]);
    // (Signing in was a write too: the reader is on the primary until that cookie lapses.)
    let deadline = Instant::now() + Duration::from_secs(10);
    while title_seen(&reader.client, &app, &id).await != "Before the change" {
        assert!(Instant::now() < deadline, "the reader did not reach the (paused) replica within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(titles_in_search(&reader.client, &app).await, ["Before the change"], "served by the replica");
    for path in ["/api/v1/cities", "/api/v1/stats"] {
        assert_eq!(reader.get(path).await.status(), 200, "{path} on the replica");
    }
    // The change replaced the public version: the cache is filled again, from the primary.
    assert_eq!(title_seen(&visitor, &app, &id).await, "After the change", "cached from the primary");
    assert_eq!(titles_in_search(&visitor, &app).await, ["After the change"]);

    // The cookie lasts READ_YOUR_WRITES_SECONDS: then the writer is back on the replica.
    let deadline = Instant::now() + Duration::from_secs(10);
    while title_seen(&landlord.client, &app, &id).await != "Before the change" {
        assert!(Instant::now() < deadline, "the writer still reads the primary 10 s later");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    drop(paused);
    caught_up(&primary, &replica).await;
    assert_eq!(title_seen(&reader.client, &app, &id).await, "After the change");
}

#[tokio::test]
async fn a_replica_that_dies_or_hangs_costs_reads_nothing_but_time() {
    let _one_at_a_time = SERIAL.lock().await;
    let db = TestDb::postgres().await;
    let replica_addr = format!("{}:{}", replica_server().host_str().unwrap(), replica_server().port().unwrap());
    let proxy = Proxy::start(&replica_addr).await;
    let read_url = replica_url_for(&db, Some(proxy.addr));
    let app = spawn_app_with(db, &[("DATABASE_READ_URL", &read_url), ("DATABASE_READ_TIMEOUT_MS", "300")]).await;
    let primary = app.db.connect().await;
    let replica = Database::connect(&replica_url_for(&app.db, None)).await.unwrap();
    app.seed_cities().await;
    let landlord = app.actor("landlord").await;
    let reader = app.actor("student").await;
    let id = landlord.published_listing(&json!({})).await;
    caught_up(&primary, &replica).await;
    let paths = [
        "/api/v1/listings?city=leeds".to_owned(),
        format!("/api/v1/listings/{id}"),
        "/api/v1/cities".into(),
        "/api/v1/stats".into(),
    ];
    for p in &paths {
        assert_eq!(reader.get(p).await.status(), 200, "{p}");
    }
    assert_eq!(replica_status(&app).await.1, "up");

    for mode in [Mode::Refuse, Mode::Hang] {
        proxy.set(mode);
        let mut slowest = Duration::ZERO;
        for round in 0..5 {
            for p in &paths {
                let started = Instant::now();
                let r = reader.get(p).await;
                assert_eq!(r.status(), StatusCode::OK, "{mode:?} round {round}: {p}");
                slowest = slowest.max(started.elapsed());
            }
        }
        // At most one timeout's worth per read, and the failed replica is then skipped.
        eprintln!("{mode:?}: slowest of 20 reads {slowest:?}");
        assert!(slowest < Duration::from_millis(1300), "{mode:?}: slowest read {slowest:?}");
        if mode == Mode::Hang {
            assert!(slowest >= Duration::from_millis(300), "the hung replica was tried (and waited for) once");
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while replica_status(&app).await != ("degraded".to_owned(), "degraded".to_owned()) {
            assert!(Instant::now() < deadline, "{mode:?}: /healthz did not say degraded within 10 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        proxy.set(Mode::Pass);
        let back = Instant::now();
        // Within the gate's wait (5 s), found by /healthz's own probe.
        let deadline = back + Duration::from_secs(10);
        while replica_status(&app).await.1 != "up" {
            assert!(Instant::now() < deadline, "{mode:?}: the replica not back within 10 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        eprintln!("{mode:?}: replica up again {:?} after it came back", back.elapsed());
    }
}
