//! Liveness, readiness, and the dev-only slow route.

use std::time::Duration;

use application::health::Status;
use poem::http::StatusCode;
use poem::web::{Data, Json, Query};
use poem::{IntoResponse, Response, handler};
use serde::{Deserialize, Serialize};

use crate::Services;

#[derive(Serialize)]
struct Live {
    status: &'static str,
}

/// `GET /livez`: the process is up. Touches no dependency.
#[handler]
#[allow(clippy::unused_async)] // poem handlers are async
pub async fn livez() -> Response {
    Json(Live { status: "up" }).with_header("cache-control", "no-store").into_response()
}

#[derive(Serialize)]
struct Component {
    name: &'static str,
    status: &'static str,
    required: bool,
    latency_ms: f64,
}

#[derive(Serialize)]
struct Ready {
    status: &'static str,
    components: Vec<Component>,
}

/// `GET /healthz`: readiness. 200 when every required dependency answers (`degraded`
/// when an optional one does not), 503 when a required one is down.
#[handler]
pub async fn healthz(services: Data<&Services>) -> Response {
    let report = services.readiness.execute().await;
    let body = Ready {
        status: report.status.as_str(),
        components: report
            .components
            .iter()
            .map(|c| Component {
                name: c.name,
                status: c.status.as_str(),
                required: c.required,
                latency_ms: (c.latency.as_secs_f64() * 1e6).round() / 1e3,
            })
            .collect(),
    };
    let code = if report.status == Status::Down { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    Json(body).with_status(code).with_header("cache-control", "no-store").into_response()
}

#[derive(Deserialize)]
pub struct SleepParams {
    ms: u64,
    #[serde(default)]
    stream: bool,
}

/// `GET /_dev/sleep?ms=N[&stream=true]` (dev only): a deliberately slow request, to
/// rehearse graceful shutdown and timeouts. Capped at 60 s. With `stream=true` the status
/// and headers go out at once and the body after the delay, so a client knows the request
/// is in flight as soon as it has the headers.
#[handler]
pub async fn dev_sleep(Query(p): Query<SleepParams>) -> Response {
    let ms = p.ms.min(60_000);
    let body = move || serde_json::json!({ "slept_ms": ms }).to_string();
    if p.stream {
        let stream = futures::stream::once(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, std::io::Error>(body())
        });
        return Response::builder()
            .content_type("application/json")
            .body(poem::Body::from_bytes_stream(futures::StreamExt::map(stream, |r| r.map(bytes::Bytes::from))));
    }
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Response::builder().content_type("application/json").body(body())
}
