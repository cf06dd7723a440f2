//! `GET /media/{key}` (dev only: local folder or memory storage): `photos::ServeMedia`.
//! Variants with a year-long immutable cache, originals only with a valid signature.

use poem::web::{Data, Path, Query};
use poem::{Response, handler};
use serde::Deserialize;

use crate::Services;
use crate::problem::{Problem, ProblemKind};

#[derive(Debug, Deserialize)]
pub struct Signature {
    expires: Option<i64>,
    signature: Option<String>,
}

#[handler]
pub async fn serve(Path(key): Path<String>, Query(sig): Query<Signature>, s: Data<&Services>) -> Response {
    let signature = match (sig.expires, sig.signature.as_deref()) {
        (Some(e), Some(v)) => Some((e, v)),
        _ => None,
    };
    match s.serve_media.execute(&key, signature).await {
        Ok(o) => Response::builder()
            .content_type(o.content_type)
            .header("cache-control", o.cache_control)
            .header("x-content-type-options", "nosniff")
            .body(o.bytes),
        Err(application::photos::ServeMediaError::NotFound) => {
            poem::IntoResponse::into_response(Problem::new(ProblemKind::NotFound, "No such media."))
        }
        Err(application::photos::ServeMediaError::Unexpected(e)) => {
            tracing::error!(error = format!("{e:#}"), "serving media failed");
            poem::IntoResponse::into_response(Problem::internal(e.as_ref()))
        }
    }
}
