//! A stand-in for Google Cloud Storage in front of fake-gcs-server, so the photo journey
//! runs on GCS as it would in production. It does two things the fake does not:
//!
//! - **Uploads over the XML API.** object_store writes with `PUT /{bucket}/{object}`,
//!   which fake-gcs-server refuses ("invalid uploadType"). The gateway turns it into the
//!   JSON API's media upload (`POST /upload/storage/v1/b/{bucket}/o?uploadType=media`),
//!   which keeps `Content-Type` and `Cache-Control`, and answers with the `ETag` and
//!   `x-goog-generation` headers GCS sends.
//! - **Access control.** The fake serves every object to anyone. Here, as on the real
//!   bucket behind the CDN: a request with a bearer token (the app's service account) may
//!   do anything; without one, only `GET`/`HEAD` of an object: variants (`*.webp`,
//!   `*.jpg`, the bucket policy of docs/media.md) freely, anything else (originals) only
//!   through a V4 signed URL for the configured service account that has not expired. The signature itself is not verified (that is for the staging
//!   smoke test against the real bucket); its shape, credential and expiry are.
//!
//! Everything else is passed through unchanged (reads, `HEAD`, XML listing, `DELETE`).

use std::sync::Arc;

use chrono::{NaiveDateTime, Utc};
use poem::http::{HeaderMap, Method, StatusCode};
use poem::listener::{Acceptor as _, TcpAcceptor};
use poem::{Body, Request, Response};

/// Headers forwarded from the client to the fake and back.
const REQUEST_HEADERS: &[&str] =
    &["content-type", "cache-control", "range", "if-match", "if-none-match", "if-modified-since"];
const SKIP_RESPONSE_HEADERS: &[&str] = &["content-length", "transfer-encoding", "connection", "date"];

struct Gateway {
    upstream: String,
    account: String,
    http: reqwest::Client,
}

/// The running gateway; dropping it stops it.
pub struct GcsGateway {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for GcsGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl GcsGateway {
    /// Starts a gateway on a free loopback port in front of `upstream` (fake-gcs-server's
    /// base URL), accepting signed URLs made by `account` (a service-account e-mail).
    pub async fn start(upstream: &str, account: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the GCS gateway");
        let acceptor = TcpAcceptor::from_tokio(listener).expect("a poem acceptor");
        let addr = acceptor.local_addr()[0].as_socket_addr().copied().expect("a TCP address");
        let gateway = Arc::new(Gateway {
            upstream: upstream.trim_end_matches('/').to_owned(),
            account: account.to_owned(),
            http: reqwest::Client::new(),
        });
        let endpoint = poem::endpoint::make(move |req: Request| {
            let gateway = gateway.clone();
            async move { gateway.handle(req).await }
        });
        let task = tokio::spawn(async move {
            let _ = poem::Server::new_with_acceptor(acceptor).run(endpoint).await;
        });
        Self { url: format!("http://{addr}"), task }
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn denied(status: StatusCode, code: &str) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/xml")
        .body(format!("<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code></Error>"))
}

impl Gateway {
    async fn handle(&self, mut req: Request) -> Response {
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let query = req.uri().query().unwrap_or_default().to_owned();
        let bearer = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|token| token.split('.').count() == 3);
        let headers = req.headers().clone();
        let Ok(body) = req.take_body().into_bytes().await else {
            return denied(StatusCode::BAD_REQUEST, "IncompleteBody");
        };
        let trimmed = path.trim_start_matches('/');
        let (bucket, object) =
            trimmed.split_once('/').map_or((decode(trimmed), String::new()), |(b, o)| (decode(b), decode(o)));

        if !bearer {
            if !(method == Method::GET || method == Method::HEAD) || object.is_empty() {
                return denied(StatusCode::UNAUTHORIZED, "AuthenticationRequired");
            }
            // The bucket policy of docs/media.md: variants are public, the rest signed.
            let extension = std::path::Path::new(&object).extension().and_then(|e| e.to_str());
            let public = matches!(extension, Some("webp" | "jpg"));
            if !public && let Err(code) = self.check_signed(&query) {
                return denied(StatusCode::FORBIDDEN, code);
            }
        }

        let upload = method == Method::PUT && query.is_empty() && !object.is_empty();
        let mut up = if upload {
            self.http
                .post(format!("{}/upload/storage/v1/b/{bucket}/o", self.upstream))
                .query(&[("uploadType", "media"), ("name", object.as_str())])
        } else {
            let url = if query.is_empty() {
                format!("{}{path}", self.upstream)
            } else {
                format!("{}{path}?{query}", self.upstream)
            };
            self.http.request(method.clone(), url)
        };
        for name in REQUEST_HEADERS {
            if let Some(v) = headers.get(*name) {
                up = up.header(*name, v.clone());
            }
        }
        let got = match up.body(body).send().await {
            Ok(r) => r,
            Err(e) => return denied(StatusCode::BAD_GATEWAY, &format!("Upstream: {e}")),
        };
        let status = got.status();
        let mut out_headers = HeaderMap::new();
        for (k, v) in got.headers() {
            if !SKIP_RESPONSE_HEADERS.contains(&k.as_str()) || (method == Method::HEAD && k == "content-length") {
                out_headers.append(k.clone(), v.clone());
            }
        }
        let bytes = got.bytes().await.unwrap_or_default();
        if upload && status.is_success() {
            // GCS answers an XML upload with the object's ETag and generation in headers.
            let object: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let mut r = Response::builder().status(StatusCode::OK);
            if let Some(etag) = object["etag"].as_str() {
                r = r.header("etag", format!("\"{etag}\""));
            }
            if let Some(generation) = object["generation"].as_str() {
                r = r.header("x-goog-generation", generation);
            }
            return r.body(Body::empty());
        }
        let mut r = Response::builder().status(status);
        for (k, v) in &out_headers {
            r = r.header(k.clone(), v.clone());
        }
        r.body(if method == Method::HEAD { Body::empty() } else { Body::from(bytes) })
    }

    /// A V4 signed URL for our account that is still valid (shape, not signature).
    fn check_signed(&self, query: &str) -> Result<(), &'static str> {
        let params: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let get = |k: &str| params.get(k).map(String::as_str);
        if get("X-Goog-Algorithm") != Some("GOOG4-RSA-SHA256") {
            return Err("AccessDenied");
        }
        if !get("X-Goog-Credential").is_some_and(|c| c.starts_with(&format!("{}/", self.account))) {
            return Err("AccessDenied");
        }
        let signature = get("X-Goog-Signature").unwrap_or_default();
        if signature.len() < 256 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("SignatureDoesNotMatch");
        }
        let date = get("X-Goog-Date").and_then(|d| NaiveDateTime::parse_from_str(d, "%Y%m%dT%H%M%SZ").ok());
        let expires = get("X-Goog-Expires").and_then(|e| e.parse::<i64>().ok());
        match (date, expires) {
            (Some(d), Some(e)) if d.and_utc().timestamp() + e >= Utc::now().timestamp() => Ok(()),
            (Some(_), Some(_)) => Err("ExpiredToken"),
            _ => Err("AccessDenied"),
        }
    }
}

/// A fresh RSA key for the test's service account (the fakes issue no tokens, and a
/// committed key would look like a leaked secret).
pub fn rsa_pem() -> String {
    let out = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
        .output()
        .expect("openssl (Debian package openssl) generates the test's GCS key");
    assert!(out.status.success(), "openssl genpkey: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("a PEM key")
}

/// A service-account key JSON for `account`, pointing object_store at `base_url`. Not
/// `disable_oauth`: object_store then sends a self-signed JWT as the bearer token and
/// signs URLs with the key, as it does with a real key file.
pub fn service_account_key(account: &str, base_url: &str) -> String {
    serde_json::json!({
        "type": "service_account",
        "client_email": account,
        "private_key": rsa_pem(),
        "private_key_id": "test-key",
        "gcs_base_url": base_url,
    })
    .to_string()
}
