//! Traces, with the SDK's in-memory exporter behind the same subscriber the binary
//! installs (`bootstrap::telemetry::init` with a tracer provider):
//! - one search request is a server span (`GET /api/v1/listings`) with the use case's
//!   span under it and the repository call's span under that;
//! - a request with a W3C `traceparent` continues that trace (same trace id, the
//!   caller's span as parent), answers with its own `traceparent`, and every log line of
//!   it carries the trace id in the fields Cloud Logging and X-Ray read;
//! - an enquiry is a request span and, later, a job span in a trace of its own, linked
//!   to the request through the job's stored trace context;
//! - spans carry no log events and no personal data.
//!
//! One test in this binary: the subscriber is process-wide.

use std::time::{Duration, Instant};

use opentelemetry::trace::{SpanId, SpanKind, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::json;
use sp_tests::log_capture::Capture;
use sp_tests::{TestDb, spawn_app_with};

/// Waits until the exporter holds a finished span satisfying `pred`.
fn span(exporter: &InMemorySpanExporter, what: &str, pred: impl Fn(&SpanData) -> bool) -> SpanData {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let spans = exporter.get_finished_spans().unwrap();
        if let Some(s) = spans.iter().find(|s| pred(s)) {
            return s.clone();
        }
        let names: Vec<_> = spans.iter().map(|s| s.name.to_string()).collect();
        assert!(Instant::now() < deadline, "no span {what} within 30 s; finished: {names:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The names of `span`'s ancestors within `all`, nearest first.
fn ancestors(all: &[SpanData], span: &SpanData) -> Vec<String> {
    let mut out = Vec::new();
    let mut parent = span.parent_span_id;
    while parent != SpanId::INVALID {
        let Some(p) = all.iter().find(|s| s.span_context.span_id() == parent) else { break };
        out.push(p.name.to_string());
        parent = p.parent_span_id;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_use_cases_queries_and_jobs_are_traced_and_logs_carry_the_trace() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
    let traces = bootstrap::telemetry::Traces::from_provider(provider);
    let capture = Capture::default();
    bootstrap::telemetry::init(
        &bootstrap::telemetry::Logging {
            format: bootstrap::config::LogFormat::Json,
            filter: "info,sqlx=warn".to_owned(),
            redact: true,
            gcp_project: Some("sp-test".to_owned()),
        },
        capture.clone(),
        Some(&traces),
    );
    let app = spawn_app_with(TestDb::postgres().await, &[("PUBLIC_CACHE_TTL_SECONDS", "0")]).await;
    app.seed_cities().await;

    // One search: server span → use case → repository.
    let r = app.client.get(app.url("/api/v1/listings?city=leeds")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let root = span(&exporter, "GET /api/v1/listings", |s| s.name == "GET /api/v1/listings");
    assert_eq!(root.span_kind, SpanKind::Server);
    assert_eq!(root.parent_span_id, SpanId::INVALID, "a new trace");
    let trace = root.span_context.trace_id();
    let query =
        span(&exporter, "db.listings.search", |s| s.name == "db.listings.search" && s.span_context.trace_id() == trace);
    let all = exporter.get_finished_spans().unwrap();
    assert_eq!(
        ancestors(&all, &query),
        ["listings.search", "GET /api/v1/listings"],
        "the repository call under the use case under the request"
    );
    let attr =
        |s: &SpanData, key: &str| s.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string());
    assert_eq!(attr(&root, "http.route").as_deref(), Some("/api/v1/listings"));
    assert_eq!(attr(&root, "http.response.status_code").as_deref(), Some("200"));

    // A caller's trace is continued; the answer names our span in it.
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let r = app
        .client
        .get(app.url("/api/v1/cities"))
        .header("traceparent", format!("00-{caller_trace}-{caller_span}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let answered = r.headers()["traceparent"].to_str().unwrap().to_owned();
    assert!(answered.starts_with(&format!("00-{caller_trace}-")), "{answered}");
    let continued = span(&exporter, "GET /api/v1/cities in the caller's trace", |s| {
        s.name == "GET /api/v1/cities" && s.span_context.trace_id() == TraceId::from_hex(caller_trace).unwrap()
    });
    assert_eq!(continued.parent_span_id, SpanId::from_hex(caller_span).unwrap());
    assert!(continued.parent_span_is_remote);
    assert!(answered.contains(&continued.span_context.span_id().to_string()), "{answered}");
    let access = capture.wait_for("traced, for /api/v1/cities", |l| {
        l["message"] == "request completed" && l["route"] == "/api/v1/cities" && l["trace_id"].is_string()
    });
    assert_eq!(access["trace_id"], caller_trace, "{access}");
    assert_eq!(access["logging.googleapis.com/trace"], format!("projects/sp-test/traces/{caller_trace}"), "{access}");
    assert_eq!(access["logging.googleapis.com/spanId"], continued.span_context.span_id().to_string(), "{access}");
    assert_eq!(access["logging.googleapis.com/trace_sampled"], true, "{access}");

    // An enquiry: the request's trace, then the job's own trace linked to it.
    let owner = app.actor("landlord").await;
    let listing = owner.published_listing(&json!({})).await;
    let student = app.actor("student").await;
    student.enquire(&listing).await;
    let request = span(&exporter, "the enquiry request", |s| s.name == "POST /api/v1/listings/{id}/enquiries");
    let kind = application::enquiries::NOTIFY_OWNER;
    let job = span(&exporter, "the notification job", |s| s.name == format!("job {kind}"));
    assert_eq!(job.span_kind, SpanKind::Consumer);
    assert_ne!(job.span_context.trace_id(), request.span_context.trace_id(), "a trace of its own");
    assert!(
        job.links.links.iter().any(|l| l.span_context.trace_id() == request.span_context.trace_id()),
        "the job links to the request that enqueued it: {:?}",
        job.links.links
    );
    let all = exporter.get_finished_spans().unwrap();
    let mail = all.iter().find(|s| s.name == "mail.send" && s.span_context.trace_id() == job.span_context.trace_id());
    assert!(mail.is_some(), "the mail it sent is in the job's trace");
    // Spans only: no log event (the access line's client address and user agent, an
    // e-mail in a warning) is copied into a trace, and no span field names a person.
    for s in exporter.get_finished_spans().unwrap() {
        assert!(s.events.events.is_empty(), "{} carries log events: {:?}", s.name, s.events.events);
        for kv in &s.attributes {
            let v = kv.value.to_string();
            assert!(!v.contains('@') && !v.contains("127.0.0.1"), "{}: {} = {v}", s.name, kv.key);
        }
    }
    traces.shutdown();
}
