use bytes::Bytes;

use super::PhotoPorts;
use crate::ports::{BlobError, BlobKey, IMMUTABLE, ImageFormat};

#[derive(Debug, thiserror::Error)]
pub enum ServeMediaError {
    /// No such object, or a private one without a valid signature (never told apart).
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

/// One stored object with the headers it is served with.
#[derive(Debug, Clone)]
pub struct MediaObject {
    pub bytes: Bytes,
    pub content_type: String,
    pub cache_control: String,
}

/// `GET /media/{key}` in dev (local folder or memory storage; in staging/prod the bucket
/// behind the CDN serves `MEDIA_BASE_URL`): photo variants are public and immutable;
/// originals only with a valid signature (`?expires=…&signature=…`, made by
/// `BlobStore::signed_url`), and never cached.
#[derive(Clone)]
pub struct ServeMedia {
    p: PhotoPorts,
}

impl ServeMedia {
    pub fn new(p: PhotoPorts) -> Self {
        Self { p }
    }

    pub async fn execute(&self, key: &str, signature: Option<(i64, &str)>) -> Result<MediaObject, ServeMediaError> {
        let key = BlobKey::parse(key).map_err(|_| ServeMediaError::NotFound)?;
        let private = key.as_str().ends_with("/original");
        if private {
            let now = self.p.clock.now().timestamp();
            let ok = signature.is_some_and(|(expires, sig)| self.p.media.verify(key.as_str(), expires, sig, now));
            if !ok {
                return Err(ServeMediaError::NotFound);
            }
        }
        let bytes = match self.p.blobs.get(&key).await {
            Ok(b) => b,
            Err(BlobError::NotFound(_)) => return Err(ServeMediaError::NotFound),
            Err(e) => return Err(ServeMediaError::Unexpected(e.into())),
        };
        // A local folder keeps no attributes: the type comes from the bytes.
        let content_type = ImageFormat::sniff(&bytes[..bytes.len().min(512)])
            .map_or("application/octet-stream", ImageFormat::content_type)
            .to_owned();
        let cache_control = if private { "private, no-store" } else { IMMUTABLE }.to_owned();
        Ok(MediaObject { bytes, content_type, cache_control })
    }
}
