use async_trait::async_trait;
use bytes::Bytes;

/// An object key: relative, `/`-separated, no empty, `.` or `..` segments, no leading
/// slash, printable ASCII only, at most 512 bytes. Keys are chosen by the application
/// (random ids), never taken from a client's file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    pub fn parse(raw: &str) -> Result<Self, BlobError> {
        let ok = !raw.is_empty()
            && raw.len() <= 512
            && raw.bytes().all(|b| b.is_ascii_graphic())
            && raw.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..");
        if ok { Ok(Self(raw.to_owned())) } else { Err(BlobError::InvalidKey(raw.chars().take(80).collect())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the store knows about an object. `content_type` and `cache_control` are what
/// was stored with it; backends without object attributes (a local folder) report `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub key: BlobKey,
    pub size: u64,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    /// When the object was last written (every backend reports it).
    pub modified: Option<chrono::DateTime<chrono::Utc>>,
}

/// HTTP attributes stored with an object and served with it (by the bucket or the CDN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobAttrs {
    pub content_type: String,
    pub cache_control: Option<String>,
}

impl BlobAttrs {
    /// A private object of this type (originals): no cache header of its own.
    pub fn private(content_type: &str) -> Self {
        Self { content_type: content_type.to_owned(), cache_control: None }
    }

    /// A public, content-addressed object (photo variants): cached for a year, never
    /// revalidated. Its key never names different bytes.
    pub fn immutable(content_type: &str) -> Self {
        Self { content_type: content_type.to_owned(), cache_control: Some(IMMUTABLE.to_owned()) }
    }
}

/// The cache policy of everything published under a key that is never reused.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A body read piece by piece (an upload as it arrives). An `Err` item aborts the write.
pub type BlobBody = futures::stream::BoxStream<'static, Result<Bytes, std::io::Error>>;

/// Errors of the `BlobStore` port.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("no object at {0}")]
    NotFound(BlobKey),
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
    /// The body stream of a `put_stream` failed (the client went away, a size limit
    /// fired). Nothing was stored at the key; the source is the stream's error.
    #[error("the object body could not be read")]
    Body(#[source] std::io::Error),
    /// This store cannot do what was asked (e.g. sign URLs without signing credentials).
    #[error("not supported by this store: {0}")]
    Unsupported(&'static str),
    #[error("object storage failure")]
    Unexpected(#[source] anyhow::Error),
}

/// Object storage for uploads (S3, GCS, a local folder in dev, memory in tests).
///
/// Every write is all-or-nothing: after an error, the key holds what it held before
/// (or nothing). Reads see a whole object.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Writes `bytes` at `key`, replacing any object there.
    async fn put(&self, key: &BlobKey, bytes: Bytes, attrs: &BlobAttrs) -> Result<(), BlobError>;

    /// Writes the object as `body` yields it, without holding it whole in memory (large
    /// bodies go up in parts), replacing any object there. Returns the size written.
    /// Errors: `Body` when the stream fails (nothing is left at the key, parts are
    /// aborted), `Unexpected` when the store does.
    async fn put_stream(&self, key: &BlobKey, body: BlobBody, attrs: &BlobAttrs) -> Result<u64, BlobError>;

    /// Reads the whole object. Errors: `NotFound` when absent.
    async fn get(&self, key: &BlobKey) -> Result<Bytes, BlobError>;

    /// Size and attributes of the object. Errors: `NotFound` when absent.
    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, BlobError>;

    /// Removes the object; deleting a missing object succeeds (idempotent).
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;

    /// Objects whose key starts with `prefix` (a whole-segment prefix such as
    /// `listings/42`), in key order. Attributes are not filled in (`None`).
    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, BlobError>;

    /// An absolute URL that lets whoever holds it GET the object until `expires_in` has
    /// passed, without credentials (private originals shown to their owner). S3 and GCS
    /// sign with the store's credentials; a local folder or memory store signs URLs to the
    /// app's own `/media` route (see `media_url`). Does not check that the object exists.
    /// Errors: `Unsupported` when the store has no signing credentials.
    async fn signed_url(&self, key: &BlobKey, expires_in: std::time::Duration) -> Result<url::Url, BlobError>;

    /// Proves the store is reachable and the bucket exists (readiness).
    async fn ping(&self) -> Result<(), BlobError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_refuse_traversal_and_oddities() {
        for k in ["", "/a", "a//b", "a/../b", "./a", "a b", "a/", "é"] {
            assert!(BlobKey::parse(k).is_err(), "{k:?}");
        }
        assert!(BlobKey::parse("listings/1/2/original").is_ok());
        assert!(BlobKey::parse(&"a".repeat(513)).is_err());
    }
}
