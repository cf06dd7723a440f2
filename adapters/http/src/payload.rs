//! [`JsonOut`]: a JSON response written straight from the value with serde.
//!
//! poem-openapi's `Json<T>` first turns the value into a `serde_json::Value` tree (a map
//! allocation per object, a copy of every string) and then writes the tree. For the
//! search page, 20 listings with their descriptions, that tree was the service's largest
//! cost per request (`docs/performance.md`). `JsonOut<T>` documents the same schema (T's
//! poem-openapi type) and writes the same JSON: the types it carries derive both
//! `poem_openapi::Object` and `serde::Serialize`, and a test per type checks that the two
//! give equal documents.

use poem::http::header::CONTENT_TYPE;
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::Serialize;

use crate::error::ApiError;

/// A 200 JSON response serialised with serde (see the module docs).
#[derive(Debug)]
pub struct JsonOut<T>(pub T);

impl<T: Type> Payload for JsonOut<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + Serialize + Send> IntoResponse for JsonOut<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => Response::builder().header(CONTENT_TYPE, Self::CONTENT_TYPE).body(body),
            // Only a map with non-string keys or a failing custom `Serialize` can get
            // here; the DTOs have neither. Logged, and the client gets the usual 500.
            Err(e) => ApiError::internal(&e).into_response(),
        }
    }
}

impl<T: Type + Serialize + Send> ApiResponse for JsonOut<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType { content_type: Self::CONTENT_TYPE, schema: Self::schema_ref() }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}
