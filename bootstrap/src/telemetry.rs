//! Logging: structured JSON lines by default (one object per event, with the request's
//! span fields such as `request_id`), human-readable with `LOG_FORMAT=pretty`. Metrics:
//! the Prometheus recorder behind the `metrics` facade ([`prometheus`]).

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, fmt};

use crate::config::LogFormat;

/// Installs the global subscriber writing to `sink`. A second call is a no-op (tests).
pub fn init<W>(format: LogFormat, filter: &str, sink: W)
where
    W: for<'a> fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = Registry::default().with(filter);
    let result = match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(true)
                    .with_target(true)
                    .with_writer(sink),
            )
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().with_writer(sink)).try_init(),
    };
    drop(result);
}

/// Buckets of `http_request_duration_seconds` (seconds): they resolve 25 ms to 1 s, where
/// the latency objective lives.
const LATENCY_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process's Prometheus recorder, installed on first use (later calls share it; tests
/// build many apps in one process), with `build_info{version,git_sha}` set. A thread
/// drains the histograms every 5 s, scraped or not, so they stay bounded.
pub fn prometheus() -> metrics_exporter_prometheus::PrometheusHandle {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".into()), LATENCY_BUCKETS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full("job_duration_seconds".into()), LATENCY_BUCKETS))
                .expect("non-empty buckets")
                .install_recorder()
                .expect("the only metrics recorder of the process");
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(std::time::Duration::from_secs(5));
                        upkeep.run_upkeep();
                    }
                })
                .expect("a thread");
            metrics::gauge!(
                "build_info",
                "version" => env!("CARGO_PKG_VERSION"),
                "git_sha" => option_env!("GIT_SHA").unwrap_or("unknown")
            )
            .set(1.0);
            handle
        })
        .clone()
}
