//! Alerts, dashboard and thresholds as code (`infra/observability/`), checked against
//! each other and against the running service:
//! - promtool accepts the rules and the Prometheus configuration, and the rules' unit
//!   tests (every rule firing and not firing) pass;
//! - every threshold in an alert is the number `thresholds.json` holds (the Terraform of
//!   the delivery issue reads the same file), every alert has a severity and a runbook
//!   that exists;
//! - every query of the Grafana dashboard and of the alerts names a series the service
//!   really exports: the assembled service (Redis, a replica, the response cache, the
//!   embedded worker) is scraped after traffic, and each name must be in the scrape.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sp_tests::{TestDb, spawn_app_with};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/observability")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn yaml(name: &str) -> serde_yaml::Value {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn thresholds() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("thresholds.json")).unwrap()).unwrap()
}

/// One rule of alerts.yml.
struct Rule {
    alert: String,
    expr: String,
    for_: Option<String>,
    labels: HashMap<String, String>,
    annotations: HashMap<String, String>,
}

/// Every rule of alerts.yml.
fn rules() -> Vec<Rule> {
    let doc = yaml("alerts.yml");
    let mut out = Vec::new();
    for group in doc["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            let text = |v: &serde_yaml::Value| v.as_str().map(str::to_owned);
            let map = |v: &serde_yaml::Value| -> HashMap<String, String> {
                v.as_mapping()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.as_str().unwrap().to_owned(), v.as_str().unwrap().to_owned()))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            out.push(Rule {
                alert: text(&rule["alert"]).unwrap(),
                expr: text(&rule["expr"]).unwrap(),
                for_: text(&rule["for"]),
                labels: map(&rule["labels"]),
                annotations: map(&rule["annotations"]),
            });
        }
    }
    out
}

fn promtool(args: &[&str]) -> String {
    let out = std::process::Command::new("promtool").args(args).current_dir(dir()).output().unwrap_or_else(|e| {
        panic!("promtool not found ({e}): run scripts/services.sh --promtool (installs Debian's prometheus package)")
    });
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

#[test]
fn promtool_accepts_the_rules_and_their_unit_tests_pass() {
    assert!(promtool(&["check", "rules", "alerts.yml"]).contains(&format!("{} rules found", rules().len())));
    promtool(&["check", "config", "prometheus.yml"]);
    assert!(promtool(&["test", "rules", "alerts.test.yml"]).contains("SUCCESS"));
}

#[test]
fn every_rule_has_a_firing_and_a_quiet_case_in_its_unit_tests() {
    let tests = yaml("alerts.test.yml");
    let mut firing = BTreeSet::new();
    let mut quiet = BTreeSet::new();
    for group in tests["tests"].as_sequence().unwrap() {
        for case in group["alert_rule_test"].as_sequence().unwrap() {
            let name = case["alertname"].as_str().unwrap().to_owned();
            if case["exp_alerts"].as_sequence().is_some_and(|a| !a.is_empty()) {
                firing.insert(name);
            } else {
                quiet.insert(name);
            }
        }
    }
    for Rule { alert, .. } in rules() {
        assert!(firing.contains(&alert), "{alert} is never tested firing in alerts.test.yml");
        assert!(quiet.contains(&alert), "{alert} is never tested quiet in alerts.test.yml");
    }
}

#[test]
fn alert_thresholds_are_the_ones_in_thresholds_json() {
    let t = thresholds();
    // The `for` of the SLO alerts, by the key that holds it.
    let durations = HashMap::from([
        ("HighLatencyP95", "latency_for"),
        ("HighErrorRate", "error_for"),
        ("DbPoolSaturated", "db_pool_for"),
        ("JobQueueStale", "job_for"),
        ("StorageErrors", "storage_for"),
        ("CacheHitRateCollapse", "cache_for"),
        ("RateLimitStorm", "rate_limit_for"),
    ]);
    let mut used = BTreeSet::new();
    for Rule { alert, expr, for_, labels, annotations } in rules() {
        assert!(matches!(labels.get("severity").map(String::as_str), Some("page" | "ticket")), "{alert}: severity");
        let runbook = annotations.get("runbook_url").unwrap_or_else(|| panic!("{alert}: no runbook_url"));
        assert!(repo().join(runbook).is_file(), "{alert}: runbook {runbook} does not exist");
        assert!(annotations.get("summary").is_some_and(|s| !s.is_empty()), "{alert}: summary");
        if let Some(key) = annotations.get("threshold") {
            used.insert(key.clone());
            let value = &t[key.as_str()];
            match value {
                Value::Number(n) => {
                    let n = n.to_string();
                    let compared = [">", "<", ">="].iter().any(|op| expr.trim_end().ends_with(&format!("{op} {n}")))
                        || expr.contains(&format!("< {n})"));
                    assert!(compared, "{alert}: the expression does not compare with {key} = {n}: {expr}");
                }
                Value::String(d) => assert_eq!(for_.as_deref(), Some(d.as_str()), "{alert}: for is not {key}"),
                other => panic!("{alert}: {key} is {other} in thresholds.json"),
            }
        }
        if let Some(key) = durations.get(alert.as_str()) {
            used.insert((*key).to_owned());
            assert_eq!(for_.as_deref(), t[*key].as_str(), "{alert}: for is not {key}");
        }
    }
    // The rest are the cloud's (Terraform): DB CPU, connections, budgets.
    for key in ["db_cpu_ratio", "db_connections_ratio", "monthly_budget_gbp", "budget_alert_ratios"] {
        assert!(!t[key].is_null(), "thresholds.json: {key}");
        used.insert(key.to_owned());
    }
    let all: BTreeSet<String> = t.as_object().unwrap().keys().filter(|k| !k.starts_with('_')).cloned().collect();
    assert_eq!(all.difference(&used).collect::<Vec<_>>(), Vec::<&String>::new(), "thresholds nothing reads");
}

/// The series names a PromQL expression reads (label matchers, ranges, strings and
/// grouping clauses removed; functions and keywords dropped).
fn series_names(expr: &str) -> BTreeSet<String> {
    const WORDS: &[&str] = &[
        "sum",
        "max",
        "min",
        "avg",
        "count",
        "rate",
        "irate",
        "increase",
        "delta",
        "histogram_quantile",
        "by",
        "without",
        "ignoring",
        "on",
        "group_left",
        "group_right",
        "and",
        "or",
        "unless",
        "vector",
        "absent",
        "bool",
        "offset",
        "clamp_min",
        "clamp_max",
        "topk",
        "bottomk",
    ];
    let no_labels = regex::Regex::new(r#"\{[^}]*\}|\[[^\]]*\]|"[^"]*""#).unwrap().replace_all(expr, " ");
    let no_groups = regex::Regex::new(r"\b(by|without|ignoring|on|group_left|group_right)\s*\([^)]*\)")
        .unwrap()
        .replace_all(&no_labels, " ");
    regex::Regex::new(r"[A-Za-z_:][A-Za-z0-9_:]*")
        .unwrap()
        .find_iter(&no_groups)
        .map(|m| m.as_str().to_owned())
        .filter(|w| !WORDS.contains(&w.as_str()))
        .collect()
}

#[test]
fn series_names_are_read_out_of_queries() {
    let names = series_names(
        r#"histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{route!~"/livez|x"}[5m]))) > 1 and max by (pool) (db_pool_connections{state="in_use"} / ignoring(state) db_pool_max_connections)"#,
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["db_pool_connections", "db_pool_max_connections", "http_request_duration_seconds_bucket"]
    );
}

/// Every series name in the scrape (`x_bucket`, `x_sum`, `x_count` of a histogram `x`).
fn exported(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_and_alert_query_names_a_series_the_service_exports() {
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("dashboard.json")).unwrap()).unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    let mut queries = 0;
    for panel in panels.iter().filter(|p| p["type"] != "row") {
        let targets = panel["targets"].as_array().unwrap_or_else(|| panic!("panel {} has no queries", panel["title"]));
        assert!(!targets.is_empty(), "panel {} has no queries", panel["title"]);
        for t in targets {
            queries += 1;
            let names = series_names(t["expr"].as_str().unwrap());
            assert!(!names.is_empty(), "panel {}: no series in {}", panel["title"], t["expr"]);
            wanted.extend(names);
        }
    }
    for Rule { expr, .. } in rules() {
        // `up` is Prometheus's own, about the scrape.
        wanted.extend(series_names(&expr).into_iter().filter(|n| n != "up"));
    }

    let redis = sp_tests::services::redis_url();
    sp_tests::services::require("Redis", &redis);
    let replica = sp_tests::services::replica_url();
    sp_tests::services::require("the PostgreSQL replica (scripts/services.sh starts it)", &replica);
    let db = TestDb::postgres().await;
    let mut read_url = url::Url::parse(&replica).unwrap();
    read_url.set_path(&db.name().unwrap());
    let read_url = read_url.to_string();
    let app = spawn_app_with(
        db,
        &[
            ("METRICS_PORT", "0"),
            ("REDIS_URL", &redis),
            ("DATABASE_READ_URL", &read_url),
            ("PUBLIC_CACHE_TTL_SECONDS", "30"),
        ],
    )
    .await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let listing = owner.published_listing(&json!({})).await;
    let student = app.actor("student").await;
    student.enquire(&listing).await;
    for path in
        ["/api/v1/listings?city=manchester", "/api/v1/listings?city=manchester", "/api/v1/stats", "/api/v1/cities"]
    {
        assert_eq!(app.client.get(app.url(path)).send().await.unwrap().status(), 200, "{path}");
    }

    // Polled: the job runs and the gauges are sampled after the requests return.
    let metrics = format!("http://127.0.0.1:{}/metrics", app.metrics_port.unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = app.client.get(&metrics).send().await.unwrap().text().await.unwrap();
        let have = exported(&text);
        let missing: Vec<&String> = wanted.iter().filter(|n| !have.contains(*n)).collect();
        if missing.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "queries name series the service does not export: {missing:?}\n{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(queries >= 20 && wanted.len() >= 20, "{queries} queries over {} series", wanted.len());
}

#[tokio::test]
async fn the_test_postgresql_keeps_statement_statistics_with_planning_times() {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let url = sp_tests::services::postgres_url();
    sp_tests::services::require("PostgreSQL", &url);
    let db = Database::connect(url.as_str()).await.unwrap();
    let one = |sql: &str| Statement::from_string(db.get_database_backend(), sql.to_owned());
    let row = db.query_one_raw(one("SHOW pg_stat_statements.track_planning")).await;
    let row =
        row.unwrap_or_else(|e| panic!("pg_stat_statements is not loaded ({e}): run scripts/services.sh")).unwrap();
    assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "on");
    let row = db
        .query_one_raw(one("SELECT count(*) FROM pg_stat_statements WHERE calls > 0 AND total_plan_time >= 0"))
        .await
        .unwrap_or_else(|e| panic!("no pg_stat_statements view ({e}): run scripts/services.sh"))
        .unwrap();
    assert!(row.try_get_by_index::<i64>(0).unwrap() > 0, "statements are recorded");
}
