//! Logging: one JSON object per line by default, in the shape Google Cloud Logging and
//! CloudWatch Logs Insights both read (`severity` as Cloud Logging spells it, `message`,
//! `timestamp` RFC 3339, `target`, the event's fields and the fields of the spans it is
//! in, such as `request_id`); human-readable with `LOG_FORMAT=pretty`. Every line passes
//! through [`redact`] first unless `LOG_REDACT=false` (dev only). Metrics: the Prometheus
//! recorder behind the `metrics` facade ([`prometheus`]).

pub mod redact;

use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, fmt};

use crate::config::LogFormat;

/// How the process logs (`Logging::of` a [`crate::Config`]).
#[derive(Debug, Clone)]
pub struct Logging {
    pub format: LogFormat,
    /// An `EnvFilter` directive (`RUST_LOG`).
    pub filter: String,
    /// Mask e-mail and IP addresses in every line (`LOG_REDACT`, on unless turned off in dev).
    pub redact: bool,
}

impl Logging {
    pub fn of(config: &crate::Config) -> Self {
        Self { format: config.log_format, filter: config.log_filter.clone(), redact: config.log_redact }
    }
}

/// Cloud Logging's names for the levels (it reads `WARN` as no severity at all).
fn severity(level: tracing::Level) -> &'static str {
    match level {
        tracing::Level::ERROR => "ERROR",
        tracing::Level::WARN => "WARNING",
        tracing::Level::INFO => "INFO",
        tracing::Level::DEBUG | tracing::Level::TRACE => "DEBUG",
    }
}

/// Installs the global subscriber writing to `sink`. A second call is a no-op (tests).
pub fn init<W>(logging: &Logging, sink: W)
where
    W: for<'a> fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(&logging.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let sink = if logging.redact { BoxMakeWriter::new(redact::Redacting::new(sink)) } else { BoxMakeWriter::new(sink) };
    let registry = Registry::default().with(filter);
    let result = match logging.format {
        LogFormat::Json => {
            let mut layer = json_subscriber::JsonLayer::new(sink);
            layer.add_dynamic_field("severity", |event, _| Some(severity(*event.metadata().level())));
            layer.with_timer("timestamp", fmt::time::SystemTime);
            layer.with_target("target");
            layer.with_flattened_event();
            layer.with_top_level_flattened_span_list();
            registry.with(layer).try_init()
        }
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
