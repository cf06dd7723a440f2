//! Logging: structured JSON lines by default (one object per event, with the request's
//! span fields such as `request_id`), human-readable with `LOG_FORMAT=pretty`.

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
