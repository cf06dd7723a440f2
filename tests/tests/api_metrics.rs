//! `/metrics` (issue 16, first part): Prometheus text behind `METRICS_TOKEN` on the main
//! listener or on a listener of its own (`METRICS_PORT`), never open otherwise; HTTP
//! series labelled by route template (1,000 listing ids are one series), status and
//! method, a latency histogram with buckets around the objective, in-flight requests and
//! build info. One test per process (nextest): the recorder is the process's.

use sp_tests::{TestApp, TestDb, spawn_app_with};

const TOKEN: &str = "metrics-test-token-0123456789abcdef";

async fn scrape(app: &TestApp) -> String {
    let r = app.client.get(app.url("/metrics")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    r.text().await.unwrap()
}

/// The value of the series whose line starts with `name{` and carries every label.
fn value(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| labels.iter().all(|lab| l.contains(lab)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn http_series_are_labelled_by_route_template_behind_the_token() {
    let limits = format!("{}, login-ip=2/600", sp_tests::spawn::NO_LIMITS);
    let app = spawn_app_with(TestDb::postgres().await, &[("METRICS_TOKEN", TOKEN), ("RATE_LIMITS", &limits)]).await;
    for expected in [401, 401, 429] {
        let body = serde_json::json!({"email": "nobody@example.ac.uk", "password": "a wrong passphrase"});
        let r = app.client.post(app.url("/api/v1/auth/login")).json(&body).send().await.unwrap();
        assert_eq!(r.status(), expected);
    }
    for _ in 0..1000 {
        let id = uuid::Uuid::new_v4();
        assert_eq!(app.get(&format!("/api/v1/listings/{id}")).await.status(), 404);
    }
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/cities").await.status(), 200);
    }
    assert_eq!(app.get("/no/such/page").await.status(), 404);

    assert_eq!(app.get("/metrics").await.status(), 401, "no token, no metrics");
    let wrong = app.client.get(app.url("/metrics")).bearer_auth("not-the-token-at-all-000000").send().await.unwrap();
    assert_eq!(wrong.status(), 401);

    let text = scrape(&app).await;
    let detail = ["method=\"GET\"", "route=\"/api/v1/listings/{id}\"", "status=\"404\""];
    assert_eq!(value(&text, "http_requests_total", &detail), Some(1000.0), "1,000 ids, one series");
    let series =
        text.lines().filter(|l| l.starts_with("http_requests_total{") && l.contains("/api/v1/listings/")).count();
    assert_eq!(series, 1, "no id ever becomes a label:\n{text}");
    assert!(
        !text.lines().any(|l| l.contains("/api/v1/listings/") && !l.contains("/api/v1/listings/{id}")),
        "no raw paths"
    );
    let cities = ["route=\"/api/v1/cities\"", "status=\"200\""];
    assert!(value(&text, "http_requests_total", &cities).is_some_and(|v| v >= 3.0), "{text}");
    assert_eq!(value(&text, "http_requests_total", &["route=\"unmatched\"", "status=\"404\""]), Some(1.0));
    for le in ["0.025", "0.1", "1"] {
        let bucket = format!("le=\"{le}\"");
        let labels = ["route=\"/api/v1/listings/{id}\"", bucket.as_str()];
        assert!(value(&text, "http_request_duration_seconds_bucket", &labels).is_some(), "bucket {le}:\n{text}");
    }
    assert!(text.lines().any(|l| l.starts_with("http_requests_in_flight ")), "{text}");
    assert!(text.contains("build_info{"), "{text}");
    assert_eq!(
        value(&text, "rate_limit_checks_total", &["limit=\"login-ip\"", "result=\"limited\""]),
        Some(1.0),
        "{text}"
    );
    let login = ["method=\"POST\"", "route=\"/api/v1/auth/login\"", "status=\"429\""];
    assert_eq!(value(&text, "http_requests_total", &login), Some(1.0));
    // Anonymous: each unknown listing computed (a 404 is not stored), /cities computed
    // once, then twice from this instance's layer.
    assert_eq!(value(&text, "response_cache_requests_total", &["result=\"miss\""]), Some(1001.0), "{text}");
    assert!(value(&text, "response_cache_requests_total", &["result=\"local_hit\""]).is_some_and(|v| v >= 2.0));
    assert!(value(&text, "cache_gets_total", &["backend=\"memory\"", "result=\"hit\""]).is_some(), "{text}");
}

#[tokio::test]
async fn a_metrics_port_serves_them_apart_and_the_main_port_does_not() {
    let app = spawn_app_with(TestDb::postgres().await, &[("METRICS_PORT", "0")]).await;
    assert_eq!(app.get("/api/v1/cities").await.status(), 200);
    let port = app.metrics_port.expect("a metrics listener");
    assert_ne!(port, app.port);
    let r = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(value(&text, "http_requests_total", &["route=\"/api/v1/cities\""]).is_some(), "{text}");
    assert_eq!(app.get("/metrics").await.status(), 404, "not on the public listener");
}

/// Waits until the scrape has `name` with every label (the worker and the sampler run
/// after the requests return) and gives its value.
async fn eventually(app: &TestApp, name: &str, labels: &[&str]) -> f64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let text = scrape(app).await;
        if let Some(v) = value(&text, name, labels).filter(|v| *v > 0.0) {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "no {name}{labels:?} above 0 within 30 s:\n{text}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn database_storage_job_mail_and_rate_limit_series_after_a_journey() {
    let app = spawn_app_with(TestDb::postgres().await, &[("METRICS_TOKEN", TOKEN)]).await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let listing = owner.published_listing(&serde_json::json!({})).await;
    let photo = sp_tests::images::jpeg(&sp_tests::images::noisy(400, 300, 3), 80);
    let size = f64::from(u32::try_from(photo.len()).unwrap());
    let r = owner.upload(&format!("/api/v1/listings/{listing}/photos"), "a.jpg", photo).await;
    assert_eq!(r.status(), 202);
    let student = app.actor("student").await;
    student.enquire(&listing).await;
    assert_eq!(app.get("/api/v1/listings?city=leeds").await.status(), 200);

    // Statements by pool and repository operation; the pool's gauges.
    assert!(
        eventually(&app, "db_query_duration_seconds_count", &["pool=\"primary\"", "operation=\"listings.search\""])
            .await
            >= 1.0
    );
    assert!(eventually(&app, "db_query_duration_seconds_count", &["operation=\"users.insert\""]).await >= 2.0);
    let max = eventually(&app, "db_pool_max_connections", &["pool=\"primary\""]).await;
    assert!((max - 4.0).abs() < f64::EPSILON, "DATABASE_MAX_CONNECTIONS: {max}");
    let text = scrape(&app).await;
    assert!(value(&text, "db_pool_connections", &["pool=\"primary\"", "state=\"idle\""]).is_some(), "{text}");
    assert!(value(&text, "db_query_errors_total", &["pool=\"primary\""]).is_some(), "{text}");
    // Storage operations and bytes, per backend.
    assert!(
        eventually(&app, "storage_operations_total", &["backend=\"memory\"", "operation=\"put\"", "result=\"ok\""])
            .await
            >= 1.0
    );
    assert!(eventually(&app, "storage_bytes_total", &["backend=\"memory\"", "direction=\"in\""]).await >= size);
    // Jobs: runs by kind and outcome, durations; the queue's gauges; the mail they sent.
    let process = application::photos::PROCESS_PHOTO;
    assert!(
        eventually(&app, "jobs_finished_total", &[&format!("kind=\"{process}\""), "outcome=\"done\""]).await >= 1.0
    );
    assert!(eventually(&app, "job_duration_seconds_count", &[&format!("kind=\"{process}\"")]).await >= 1.0);
    assert!(eventually(&app, "mail_sent_total", &["transport=\"eml\"", "result=\"sent\""]).await >= 1.0);
    let text = scrape(&app).await;
    let notify = application::enquiries::NOTIFY_OWNER;
    assert!(value(&text, "jobs_queued", &[&format!("kind=\"{notify}\"")]).is_some(), "{text}");
    assert!(value(&text, "jobs_dead", &[&format!("kind=\"{notify}\"")]).is_some(), "{text}");
    // Unlabelled: its line is `name value`.
    assert!(text.lines().any(|l| l.starts_with("jobs_oldest_ready_age_seconds ")), "{text}");
    // Rate-limit checks, allowed and limited, per rule (at 0 until a rule is hit).
    assert!(
        value(&text, "rate_limit_checks_total", &["limit=\"global\"", "result=\"allowed\""]).is_some_and(|v| v >= 5.0),
        "{text}"
    );
    assert_eq!(
        value(&text, "rate_limit_checks_total", &["limit=\"upload-user\"", "result=\"limited\""]),
        Some(0.0),
        "{text}"
    );
}
