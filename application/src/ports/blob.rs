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

/// What the store knows about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub key: BlobKey,
    pub size: u64,
}

/// Errors of the `BlobStore` port.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("no object at {0}")]
    NotFound(BlobKey),
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
    #[error("object storage failure")]
    Unexpected(#[source] anyhow::Error),
}

/// Object storage for uploads (S3, GCS, a local folder in dev, memory in tests).
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Writes `bytes` at `key`, replacing any object there.
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> Result<(), BlobError>;

    /// Reads the whole object. Errors: `NotFound` when absent.
    async fn get(&self, key: &BlobKey) -> Result<Bytes, BlobError>;

    /// Size of the object. Errors: `NotFound` when absent.
    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, BlobError>;

    /// Removes the object; deleting a missing object succeeds (idempotent).
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;

    /// Objects whose key starts with `prefix` (a whole-segment prefix such as
    /// `listings/42`), in key order.
    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, BlobError>;

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
