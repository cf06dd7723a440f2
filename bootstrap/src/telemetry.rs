//! Logging: one JSON object per line by default, in the shape Google Cloud Logging and
//! CloudWatch Logs Insights both read (`severity` as Cloud Logging spells it, `message`,
//! `timestamp` RFC 3339, `target`, the event's fields and the fields of the spans it is
//! in, such as `request_id`); human-readable with `LOG_FORMAT=pretty`. Every line passes
//! through [`redact`] first unless `LOG_REDACT=false` (dev only). Traces: OpenTelemetry
//! through `tracing-opentelemetry` ([`Traces`]; OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT`
//! is set), and then every log line inside a traced span carries its ids. Metrics: the
//! Prometheus recorder behind the `metrics` facade ([`prometheus`]).

pub mod redact;

use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer as _, Registry, fmt};

use crate::config::LogFormat;

/// How the process logs (`Logging::of` a [`crate::Config`]).
#[derive(Debug, Clone)]
pub struct Logging {
    pub format: LogFormat,
    /// An `EnvFilter` directive (`RUST_LOG`).
    pub filter: String,
    /// Mask e-mail and IP addresses in every line (`LOG_REDACT`, on unless turned off in dev).
    pub redact: bool,
    /// The Google Cloud project (`GCP_PROJECT`): log lines in a trace then carry
    /// `logging.googleapis.com/trace` as `projects/<id>/traces/<trace id>`, which Cloud
    /// Logging links to Cloud Trace.
    pub gcp_project: Option<String>,
}

impl Logging {
    pub fn of(config: &crate::Config) -> Self {
        Self {
            format: config.log_format,
            filter: config.log_filter.clone(),
            redact: config.log_redact,
            gcp_project: config.gcp_project.clone(),
        }
    }
}

/// What reaches the traces: spans at info and above (ours and the libraries'), whatever
/// `RUST_LOG` says about logs, and no events. tracing-opentelemetry would copy every
/// event into its span with all its fields, unredacted (the access line's client
/// address and user agent among them); log lines go to the logs, through redaction.
fn traced(meta: &tracing::Metadata<'_>) -> bool {
    meta.is_span() && *meta.level() <= tracing::Level::INFO
}

/// Traces: the OpenTelemetry tracer provider behind the `tracing` spans (HTTP handling,
/// use cases, repository calls, storage, Redis, mail, jobs). W3C trace context is the
/// propagation format (`traceparent` in from clients, out in responses, into jobs).
#[derive(Clone)]
pub struct Traces {
    provider: SdkTracerProvider,
}

impl Traces {
    /// OTLP over gRPC to `endpoint` (a collector in front of Cloud Trace or X-Ray),
    /// sampling `ratio` of new traces; a request that arrives with a sampled parent is
    /// traced whatever the ratio (parent-based). Call inside the runtime: exports run on
    /// it (the SDK's batch thread has no reactor of its own).
    pub fn otlp(endpoint: &str, ratio: f64) -> anyhow::Result<Self> {
        use opentelemetry_otlp::WithExportConfig as _;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| anyhow::anyhow!("traces are set up inside the runtime"))?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .with_timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| anyhow::anyhow!("OTEL_EXPORTER_OTLP_ENDPOINT: {e}"))?;
        let sampler = opentelemetry_sdk::trace::Sampler::ParentBased(Box::new(
            opentelemetry_sdk::trace::Sampler::TraceIdRatioBased(ratio),
        ));
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(OnRuntime { inner: exporter, runtime })
            .with_sampler(sampler)
            .with_resource(resource())
            .build();
        Ok(Self { provider })
    }

    /// Any provider (tests: the SDK's in-memory exporter).
    pub fn from_provider(provider: SdkTracerProvider) -> Self {
        Self { provider }
    }

    /// Exports what is buffered and stops (at shutdown).
    pub fn shutdown(&self) {
        if let Err(e) = self.provider.shutdown() {
            tracing::warn!(error = %e, "flushing the traces at shutdown failed");
        }
    }
}

/// The service's resource: `service.name` and `service.version`.
pub fn resource() -> opentelemetry_sdk::Resource {
    opentelemetry_sdk::Resource::builder()
        .with_service_name("student-palace")
        .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build()
}

/// An exporter whose exports run on the tokio runtime: tonic needs its reactor, and
/// the batch processor exports from a plain thread.
#[derive(Debug)]
struct OnRuntime<E> {
    inner: E,
    runtime: tokio::runtime::Handle,
}

impl<E: opentelemetry_sdk::trace::SpanExporter> opentelemetry_sdk::trace::SpanExporter for OnRuntime<E> {
    fn export(
        &self,
        batch: Vec<opentelemetry_sdk::trace::SpanData>,
    ) -> impl std::future::Future<Output = opentelemetry_sdk::error::OTelSdkResult> + Send {
        let result = self.runtime.block_on(self.inner.export(batch));
        std::future::ready(result)
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> opentelemetry_sdk::error::OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.inner.set_resource(resource);
    }
}

/// The current span's trace ids for the log line, as Cloud Logging and X-Ray want them.
fn write_trace_fields(project: Option<&str>, writer: &mut json_subscriber::FieldWriter<'_>) {
    let cx = tracing::Span::current().context();
    let span = cx.span();
    let sc = span.span_context();
    if !sc.is_valid() {
        return;
    }
    let trace = sc.trace_id().to_string();
    if let Some(p) = project {
        let _ = writer.write_field("logging.googleapis.com/trace", format!("projects/{p}/traces/{trace}"));
    }
    let _ = writer.write_field("logging.googleapis.com/spanId", sc.span_id().to_string());
    let _ = writer.write_field("logging.googleapis.com/trace_sampled", sc.is_sampled());
    let _ = writer.write_field("trace_id", trace);
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

/// Installs the global subscriber writing to `sink`, and with `traces` the OpenTelemetry
/// layer and the W3C trace-context propagator. A second call is a no-op (tests).
pub fn init<W>(logging: &Logging, sink: W, traces: Option<&Traces>)
where
    W: for<'a> fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = || EnvFilter::try_new(&logging.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let sink = if logging.redact { BoxMakeWriter::new(redact::Redacting::new(sink)) } else { BoxMakeWriter::new(sink) };
    let otel = traces.map(|t| {
        opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
        opentelemetry::global::set_tracer_provider(t.provider.clone());
        tracing_opentelemetry::layer()
            .with_tracer(t.provider.tracer("student-palace"))
            .with_filter(tracing_subscriber::filter::filter_fn(traced))
    });
    let registry = Registry::default().with(otel);
    let result = match logging.format {
        LogFormat::Json => {
            let mut layer = json_subscriber::JsonLayer::new(sink);
            layer.add_dynamic_field("severity", |event, _| Some(severity(*event.metadata().level())));
            layer.with_timer("timestamp", fmt::time::SystemTime);
            layer.with_target("target");
            layer.with_flattened_event();
            layer.with_top_level_flattened_span_list();
            if traces.is_some() {
                let project = logging.gcp_project.clone();
                layer.add_multiple_dynamic_fields(move |_, _, writer| write_trace_fields(project.as_deref(), writer));
            }
            registry.with(layer.with_filter(filter())).try_init()
        }
        // No colour codes when redacting: `\x1b[0m203.0.113.7` hides the address from
        // the patterns (no word boundary before it).
        LogFormat::Pretty => {
            registry.with(fmt::layer().with_ansi(!logging.redact).with_writer(sink).with_filter(filter())).try_init()
        }
    };
    drop(result);
}

/// Buckets of every histogram (seconds: `http_request_duration_seconds`,
/// `db_query_duration_seconds`, `job_duration_seconds`): they resolve 25 ms to 1 s, where
/// the latency objective lives.
const LATENCY_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process's Prometheus recorder, installed on first use (later calls share it; tests
/// build many apps in one process), with `build_info{version,git_sha}` set. A thread
/// drains the histograms every 5 s, scraped or not, so they stay bounded.
pub fn prometheus() -> metrics_exporter_prometheus::PrometheusHandle {
    use metrics_exporter_prometheus::PrometheusBuilder;
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            // Every histogram (HTTP, database statements, jobs) with the same buckets.
            let handle = PrometheusBuilder::new()
                .set_buckets(LATENCY_BUCKETS)
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

/// How often the read-not-counted gauges are sampled (pools, the job queue).
const SAMPLE_EVERY: std::time::Duration = std::time::Duration::from_secs(10);
/// The longest one round of sampling may take (a hung database does not pile them up).
const SAMPLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A background task, aborted when this is dropped.
pub struct Sampler(tokio::task::JoinHandle<()>);

impl Drop for Sampler {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Samples the pool gauges of `primary` (and `replica`) and the job-queue gauges every
/// 10 s (`sp_sql::observe`), the first round at once. Call inside the runtime.
pub fn spawn_sampler(primary: sea_orm::DatabaseConnection, replica: Option<sea_orm::DatabaseConnection>) -> Sampler {
    Sampler(tokio::spawn(async move {
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let round = async {
                sp_sql::observe::sample_pool(&primary, "primary").await;
                if let Some(r) = &replica {
                    sp_sql::observe::sample_pool(r, "replica").await;
                }
                if let Err(e) =
                    sp_sql::observe::sample_jobs(&primary, crate::worker::JOB_KINDS, chrono::Utc::now()).await
                {
                    tracing::debug!(error = %e, "sampling the job queue failed");
                }
            };
            if tokio::time::timeout(SAMPLE_TIMEOUT, round).await.is_err() {
                tracing::debug!("sampling the database gauges timed out");
            }
        }
    }))
}
