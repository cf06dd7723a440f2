//! Cache-aside for whole public responses (`PUBLIC_CACHE_TTL_SECONDS`): the first page of
//! a search, a listing's public page, `/cities` and `/stats`, asked anonymously, are kept
//! in the `Cache` port (Redis, shared by every instance; or in-process) under a key that
//! names the public version (`application::cached::PublicVersion`), so any change to what
//! they show is seen at once, on every instance, without a purge.
//!
//! Each instance keeps what it read or computed for up to a second too (moka), and moka
//! computes a missing key once at a time per instance: a hundred visitors asking for the
//! same page at the same moment cost one database query. Without a version (the cache is
//! down), nothing is cached and every request is computed.
//!
//! Stored: status 200 only, with its `Content-Type` and (for the CDN-cacheable routes) its
//! `ETag`; everything else is passed through uncached.
//!
//! Counted in `response_cache_requests_total{result}`: `local_hit` (this instance's
//! layer, or another request's fill it waited for), `shared_hit` (the `Cache` port),
//! `miss` (computed), `bypass` (no version: the cache is down).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use application::cached::PublicVersion;
use application::ports::Cache;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use poem::Response;
use poem::http::{HeaderValue, StatusCode};

/// How long an instance reuses an entry without asking the shared cache (keys name the
/// version, so this never serves a value a change has replaced).
const LOCAL_TTL: Duration = Duration::from_secs(1);

/// A stored response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub content_type: String,
    /// The CDN validator (`middleware::HttpCaching`), for the routes that have one.
    pub etag: Option<String>,
    pub body: Bytes,
}

impl Stored {
    fn encode(&self) -> Bytes {
        let etag = self.etag.as_deref().unwrap_or("");
        let mut b = BytesMut::with_capacity(8 + self.content_type.len() + etag.len() + self.body.len());
        b.put_u16(u16::try_from(self.content_type.len()).unwrap_or(0));
        b.put_slice(self.content_type.as_bytes());
        b.put_u16(u16::try_from(etag.len()).unwrap_or(0));
        b.put_slice(etag.as_bytes());
        b.put_slice(&self.body);
        b.freeze()
    }

    fn decode(mut b: Bytes) -> Option<Self> {
        let text = |b: &mut Bytes| -> Option<String> {
            if b.remaining() < 2 {
                return None;
            }
            let n = usize::from(b.get_u16());
            if b.remaining() < n {
                return None;
            }
            String::from_utf8(b.split_to(n).to_vec()).ok()
        };
        let content_type = text(&mut b)?;
        let etag = Some(text(&mut b)?).filter(|e| !e.is_empty());
        Some(Self { content_type, etag, body: b })
    }

    /// The response (headers outside this layer are added as for any response).
    pub fn response(&self) -> Response {
        let mut r = Response::builder().status(StatusCode::OK).body(self.body.clone());
        if let Ok(v) = HeaderValue::from_str(&self.content_type) {
            r.headers_mut().insert(poem::http::header::CONTENT_TYPE, v);
        }
        r
    }
}

pub struct ResponseCache {
    cache: Arc<dyn Cache>,
    version: PublicVersion,
    ttl: Duration,
    local: moka::future::Cache<String, Arc<Stored>>,
}

impl ResponseCache {
    /// Entries live `ttl` in `cache`; the per-instance layer holds at most `local_bytes`.
    pub fn new(cache: Arc<dyn Cache>, version: PublicVersion, ttl: Duration, local_bytes: u64) -> Self {
        let local = moka::future::Cache::builder()
            .max_capacity(local_bytes)
            .weigher(|k: &String, v: &Arc<Stored>| u32::try_from(k.len() + v.body.len()).unwrap_or(u32::MAX))
            .time_to_live(LOCAL_TTL.min(ttl))
            .build();
        Self { cache, version, ttl, local }
    }

    /// The stored response for `request_key` (method, path and query), or `fill`'s
    /// response: stored when `render` makes it a [`Stored`] (a 200), else served as it
    /// is. `fill` runs at most once per call; it is `Fn` because a request that waited
    /// on another's unstorable fill runs its own afterwards.
    pub async fn get_or_fill<F, Fut, R, RFut>(&self, request_key: &str, fill: F, render: R) -> poem::Result<Served>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = poem::Result<Response>>,
        R: FnOnce(Response) -> RFut,
        RFut: Future<Output = poem::Result<Result<Stored, Response>>>,
    {
        let Some(version) = self.version.current().await else {
            metrics::counter!("response_cache_requests_total", "result" => "bypass").increment(1);
            return Ok(Served::Passed(fill().await?));
        };
        // Where the answer came from: this instance's layer unless the init says otherwise.
        let source = std::sync::atomic::AtomicU8::new(0);
        let key = format!("response:{version}:{}", digest(request_key));
        // What this request's own fill got when it was not storable (or failed).
        let passed: Mutex<Option<poem::Result<Response>>> = Mutex::new(None);
        let entry = self
            .local
            .optionally_get_with(key.clone(), async {
                if let Ok(Some(bytes)) = self.cache.get(&key).await
                    && let Some(stored) = Stored::decode(bytes)
                {
                    source.store(1, std::sync::atomic::Ordering::Relaxed);
                    return Some(Arc::new(stored));
                }
                source.store(2, std::sync::atomic::Ordering::Relaxed);
                let outcome = match fill().await {
                    Ok(resp) => render(resp).await,
                    Err(e) => Err(e),
                };
                let keep = |r| *passed.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(r);
                match outcome {
                    Ok(Ok(stored)) => {
                        if let Err(e) = self.cache.set(&key, stored.encode(), self.ttl).await {
                            tracing::debug!(error = %e, "response not stored: cache unavailable");
                        }
                        Some(Arc::new(stored))
                    }
                    Ok(Err(resp)) => {
                        keep(Ok(resp));
                        None
                    }
                    Err(e) => {
                        keep(Err(e));
                        None
                    }
                }
            })
            .await;
        let result = match source.load(std::sync::atomic::Ordering::Relaxed) {
            0 => "local_hit",
            1 => "shared_hit",
            _ => "miss",
        };
        metrics::counter!("response_cache_requests_total", "result" => result).increment(1);
        match entry {
            Some(stored) => Ok(Served::Stored(stored)),
            None => match passed.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
                Some(r) => r.map(Served::Passed),
                // Waited on another request whose answer was not storable: answer this
                // one for itself.
                None => Ok(Served::Passed(fill().await?)),
            },
        }
    }
}

/// What [`ResponseCache::get_or_fill`] served.
pub enum Served {
    Stored(Arc<Stored>),
    /// Not stored (not a 200, or no cache): as the route answered.
    Passed(Response),
}

fn digest(s: &str) -> String {
    use base64::Engine as _;
    let d = <sha2::Sha256 as sha2::Digest>::digest(s.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&d[..18])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_responses_round_trip() {
        for etag in [None, Some("W/\"abc\"".to_owned())] {
            let s = Stored { content_type: "application/json; charset=utf-8".into(), etag, body: Bytes::from("{}") };
            assert_eq!(Stored::decode(s.encode()), Some(s));
        }
        assert_eq!(Stored::decode(Bytes::from_static(b"\x00")), None, "garbage is a miss");
    }
}
