//! `BlobStore` on object_store, selected by `STORAGE_URL`:
//! `s3://bucket[/prefix]` (AWS, or any S3-compatible endpoint via `AWS_ENDPOINT_URL`),
//! `gs://bucket[/prefix]`, `file:///absolute/path`, `memory://`.

use std::sync::Arc;

use application::ports::{BlobError, BlobKey, BlobMeta, BlobStore};
use async_trait::async_trait;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutOptions, PutPayload};

/// Where objects live, parsed from `STORAGE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageLocation {
    S3 { bucket: String, prefix: String },
    Gcs { bucket: String, prefix: String },
    Local { root: std::path::PathBuf },
    Memory,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StorageUrlError {
    #[error("is not a URL ({0})")]
    NotAUrl(String),
    #[error("scheme {0:?} is not supported (use s3://, gs://, file:// or memory://)")]
    UnsupportedScheme(String),
    #[error("needs a bucket name (e.g. s3://my-bucket)")]
    MissingBucket,
    #[error("file:// needs an absolute path (e.g. file:///srv/media)")]
    RelativePath,
}

impl StorageLocation {
    pub fn parse(raw: &str) -> Result<Self, StorageUrlError> {
        let url = url::Url::parse(raw).map_err(|e| StorageUrlError::NotAUrl(e.to_string()))?;
        let bucket =
            || url.host_str().filter(|h| !h.is_empty()).map(str::to_owned).ok_or(StorageUrlError::MissingBucket);
        let prefix = url.path().trim_matches('/').to_owned();
        match url.scheme() {
            "s3" => Ok(Self::S3 { bucket: bucket()?, prefix }),
            "gs" => Ok(Self::Gcs { bucket: bucket()?, prefix }),
            "file" => {
                let root = url.to_file_path().map_err(|()| StorageUrlError::RelativePath)?;
                Ok(Self::Local { root })
            }
            "memory" => Ok(Self::Memory),
            other => Err(StorageUrlError::UnsupportedScheme(other.to_owned())),
        }
    }

    /// Whether objects survive the process and are shared between instances.
    pub fn is_durable_shared(&self) -> bool {
        matches!(self, Self::S3 { .. } | Self::Gcs { .. })
    }
}

/// Explicit settings for S3-compatible endpoints (tests, MinIO, moto). In production the
/// usual AWS environment (role credentials, `AWS_REGION`, `AWS_ENDPOINT_URL`) is used.
#[derive(Debug, Clone, Default)]
pub struct S3Overrides {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub allow_http: bool,
}

/// Backend settings that are not part of `STORAGE_URL`. Production leaves them empty and
/// relies on each SDK's usual environment (workload identity, `AWS_*`, `GOOGLE_*`).
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    pub s3: S3Overrides,
    /// A GCS service-account key JSON (tests point `gcs_base_url` in it at a fake).
    pub gcs_service_account_key: Option<String>,
    /// Plain-HTTP GCS endpoints (fakes only).
    pub gcs_allow_http: bool,
}

/// A `BlobStore` over any object_store backend.
#[derive(Clone)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    prefix: Option<Path>,
    label: &'static str,
}

impl ObjectBlobStore {
    /// Builds the store for `location`. Local folders are created when missing.
    pub fn open(location: &StorageLocation, opts: &StoreOptions) -> anyhow::Result<Self> {
        let (store, prefix, label): (Arc<dyn ObjectStore>, String, &'static str) = match location {
            StorageLocation::Memory => (Arc::new(object_store::memory::InMemory::new()), String::new(), "memory"),
            StorageLocation::Local { root } => {
                std::fs::create_dir_all(root)?;
                (Arc::new(object_store::local::LocalFileSystem::new_with_prefix(root)?), String::new(), "local")
            }
            StorageLocation::S3 { bucket, prefix } => {
                let s3 = &opts.s3;
                let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
                if let Some(e) = &s3.endpoint {
                    b = b.with_endpoint(e);
                }
                if let Some(r) = &s3.region {
                    b = b.with_region(r);
                }
                if let Some(k) = &s3.access_key_id {
                    b = b.with_access_key_id(k);
                }
                if let Some(k) = &s3.secret_access_key {
                    b = b.with_secret_access_key(k);
                }
                b = b.with_allow_http(s3.allow_http);
                (Arc::new(b.build()?), prefix.clone(), "s3")
            }
            StorageLocation::Gcs { bucket, prefix } => {
                let mut b = object_store::gcp::GoogleCloudStorageBuilder::from_env().with_bucket_name(bucket);
                if let Some(key) = &opts.gcs_service_account_key {
                    b = b.with_service_account_key(key);
                }
                if opts.gcs_allow_http {
                    b = b.with_client_options(object_store::ClientOptions::new().with_allow_http(true));
                }
                (Arc::new(b.build()?), prefix.clone(), "gcs")
            }
        };
        let prefix = if prefix.is_empty() { None } else { Some(Path::parse(prefix)?) };
        Ok(Self { store, prefix, label })
    }

    /// Wraps an already-built object_store (tests, custom credentials).
    pub fn from_store(store: Arc<dyn ObjectStore>, label: &'static str) -> Self {
        Self { store, prefix: None, label }
    }

    pub fn backend(&self) -> &'static str {
        self.label
    }

    fn path(&self, key: &str) -> Result<Path, BlobError> {
        let p = Path::parse(key).map_err(|_| BlobError::InvalidKey(key.chars().take(80).collect()))?;
        Ok(match &self.prefix {
            Some(pre) => pre.parts().chain(p.parts()).collect(),
            None => p,
        })
    }

    fn key_of(&self, path: &Path) -> Result<BlobKey, BlobError> {
        let rel: Option<String> = match &self.prefix {
            Some(pre) => {
                path.prefix_match(pre).map(|parts| parts.map(|p| p.as_ref().to_owned()).collect::<Vec<_>>().join("/"))
            }
            None => Some(path.to_string()),
        };
        BlobKey::parse(&rel.unwrap_or_default())
    }
}

fn unexpected(e: object_store::Error) -> BlobError {
    BlobError::Unexpected(anyhow::Error::new(e))
}

fn map_err(key: &BlobKey, e: object_store::Error) -> BlobError {
    match e {
        object_store::Error::NotFound { .. } => BlobError::NotFound(key.clone()),
        other => unexpected(other),
    }
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> Result<(), BlobError> {
        let mut attrs = object_store::Attributes::new();
        attrs.insert(object_store::Attribute::ContentType, content_type.to_owned().into());
        let opts = PutOptions { attributes: attrs, ..PutOptions::default() };
        let path = self.path(key.as_str())?;
        // The local filesystem store does not keep attributes; ignore them there.
        let res = if self.label == "local" || self.label == "memory" {
            self.store.put(&path, PutPayload::from_bytes(bytes)).await
        } else {
            self.store.put_opts(&path, PutPayload::from_bytes(bytes), opts).await
        };
        res.map(|_| ()).map_err(|e| map_err(key, e))
    }

    async fn get(&self, key: &BlobKey) -> Result<Bytes, BlobError> {
        let path = self.path(key.as_str())?;
        let got = self.store.get(&path).await.map_err(|e| map_err(key, e))?;
        got.bytes().await.map_err(|e| map_err(key, e))
    }

    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        let path = self.path(key.as_str())?;
        let meta = self.store.head(&path).await.map_err(|e| map_err(key, e))?;
        Ok(BlobMeta { key: key.clone(), size: meta.size })
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        let path = self.path(key.as_str())?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(unexpected(e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, BlobError> {
        let trimmed = prefix.trim_matches('/');
        let path = if trimmed.is_empty() { self.prefix.clone() } else { Some(self.path(trimmed)?) };
        let metas: Vec<_> = self.store.list(path.as_ref()).try_collect().await.map_err(unexpected)?;
        let mut out = metas
            .into_iter()
            .map(|m| Ok(BlobMeta { key: self.key_of(&m.location)?, size: m.size }))
            .collect::<Result<Vec<_>, BlobError>>()?;
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn ping(&self) -> Result<(), BlobError> {
        // A listing of a (normally empty) prefix proves credentials, network and bucket.
        let probe = self.path("_health")?;
        let _: Vec<_> = self.store.list(Some(&probe)).try_collect().await.map_err(unexpected)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_storage_urls() {
        assert_eq!(
            StorageLocation::parse("s3://media/prod").unwrap(),
            StorageLocation::S3 { bucket: "media".into(), prefix: "prod".into() }
        );
        assert_eq!(
            StorageLocation::parse("gs://media").unwrap(),
            StorageLocation::Gcs { bucket: "media".into(), prefix: String::new() }
        );
        assert_eq!(StorageLocation::parse("memory://").unwrap(), StorageLocation::Memory);
        assert_eq!(
            StorageLocation::parse("file:///srv/media").unwrap(),
            StorageLocation::Local { root: "/srv/media".into() }
        );
        assert_eq!(StorageLocation::parse("s3://").unwrap_err(), StorageUrlError::MissingBucket);
        assert!(matches!(StorageLocation::parse("ftp://x").unwrap_err(), StorageUrlError::UnsupportedScheme(_)));
        assert!(matches!(StorageLocation::parse("media").unwrap_err(), StorageUrlError::NotAUrl(_)));
    }
}
