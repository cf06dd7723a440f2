//! `BlobStore` on object_store, selected by `STORAGE_URL`:
//! `s3://bucket[/prefix]` (AWS, or any S3-compatible endpoint via `AWS_ENDPOINT_URL`),
//! `gs://bucket[/prefix]`, `file:///absolute/path`, `memory://`.

use std::sync::Arc;

use std::time::Duration;

use application::media_url::MediaUrls;
use application::ports::{BlobAttrs, BlobBody, BlobError, BlobKey, BlobMeta, BlobStore};
use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{Attribute, Attributes, GetOptions, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};
use tokio::io::AsyncWriteExt;

/// Streamed bodies go up in parts of this size (S3's minimum part is 5 MiB); smaller
/// bodies are one PUT.
pub const PART_SIZE: usize = 5 * 1024 * 1024;

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
/// `Debug` never shows the secret key.
#[derive(Clone, Default)]
pub struct S3Overrides {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub allow_http: bool,
}

/// Backend settings that are not part of `STORAGE_URL`. Production leaves them empty and
/// relies on each SDK's usual environment (workload identity, `AWS_*`, `GOOGLE_*`).
/// `Debug` shows no key.
#[derive(Clone, Default)]
pub struct StoreOptions {
    pub s3: S3Overrides,
    /// A GCS service-account key JSON (tests point `gcs_base_url` in it at a fake).
    pub gcs_service_account_key: Option<String>,
    /// Plain-HTTP GCS endpoints (fakes only).
    pub gcs_allow_http: bool,
    /// Sign GCS URLs locally with this service account (e-mail, PEM RSA key) instead of
    /// the default: the service-account key file's own key, or IAM `signBlob` with the
    /// workload identity's token (Cloud Run). Tests set it, since the fakes issue no tokens.
    pub gcs_signing_key: Option<(String, secrecy::SecretString)>,
    /// The app's own `/media` URLs: a local folder or memory store signs URLs for them
    /// (dev). Without it those stores answer `Unsupported` to `signed_url`.
    pub media_urls: Option<MediaUrls>,
}

impl std::fmt::Debug for S3Overrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Overrides")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "****"))
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreOptions")
            .field("s3", &self.s3)
            .field("gcs_service_account_key", &self.gcs_service_account_key.as_ref().map(|_| "****"))
            .field("gcs_allow_http", &self.gcs_allow_http)
            .field("gcs_signing_key", &self.gcs_signing_key.as_ref().map(|(email, _)| (email, "****")))
            .field("media_urls", &self.media_urls)
            .finish()
    }
}

/// A `BlobStore` over any object_store backend.
#[derive(Clone)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    prefix: Option<Path>,
    label: &'static str,
    signing: Signing,
}

/// Who signs GET URLs for this store.
#[derive(Clone)]
enum Signing {
    /// The bucket's own credentials (S3, GCS).
    Store(Arc<dyn Signer>),
    /// The app's `/media` route (local folder, memory).
    App(MediaUrls),
    None,
}

impl ObjectBlobStore {
    /// Builds the store for `location`. Local folders are created when missing.
    pub fn open(location: &StorageLocation, opts: &StoreOptions) -> anyhow::Result<Self> {
        let app_signing = || opts.media_urls.clone().map_or(Signing::None, Signing::App);
        let (store, prefix, label, signing): (Arc<dyn ObjectStore>, String, &'static str, Signing) = match location {
            StorageLocation::Memory => {
                (Arc::new(object_store::memory::InMemory::new()), String::new(), "memory", app_signing())
            }
            StorageLocation::Local { root } => {
                std::fs::create_dir_all(root)?;
                let fs = object_store::local::LocalFileSystem::new_with_prefix(root)?;
                (Arc::new(fs), String::new(), "local", app_signing())
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
                let s3 = Arc::new(b.build()?);
                (s3.clone(), prefix.clone(), "s3", Signing::Store(s3))
            }
            StorageLocation::Gcs { bucket, prefix } => {
                let mut b = object_store::gcp::GoogleCloudStorageBuilder::from_env().with_bucket_name(bucket);
                if let Some(key) = &opts.gcs_service_account_key {
                    b = b.with_service_account_key(key);
                }
                if opts.gcs_allow_http {
                    b = b.with_client_options(object_store::ClientOptions::new().with_allow_http(true));
                }
                if let Some((email, pem)) = &opts.gcs_signing_key {
                    let key = object_store::gcp::ServiceAccountKey::from_pem(
                        secrecy::ExposeSecret::expose_secret(pem).as_bytes(),
                    )?;
                    let credential =
                        object_store::gcp::GcpSigningCredential { email: email.clone(), private_key: Some(key) };
                    b = b.with_signing_credentials(Arc::new(object_store::StaticCredentialProvider::new(credential)));
                }
                let gcs = Arc::new(b.build()?);
                (gcs.clone(), prefix.clone(), "gcs", Signing::Store(gcs))
            }
        };
        let prefix = if prefix.is_empty() { None } else { Some(Path::parse(prefix)?) };
        for direction in ["in", "out"] {
            metrics::counter!("storage_bytes_total", "backend" => label, "direction" => direction).increment(0);
        }
        for operation in ["put", "get", "head", "delete", "list", "sign", "ping"] {
            for result in ["ok", "error"] {
                metrics::counter!("storage_operations_total", "backend" => label, "operation" => operation, "result" => result)
                    .increment(0);
            }
        }
        Ok(Self { store, prefix, label, signing })
    }

    /// Wraps an already-built object_store (tests, custom credentials). It cannot sign URLs.
    pub fn from_store(store: Arc<dyn ObjectStore>, label: &'static str) -> Self {
        Self { store, prefix: None, label, signing: Signing::None }
    }

    /// Whether objects keep the content type and cache control they were written with
    /// (a local folder keeps bytes only; the `/media` route derives the headers).
    pub fn keeps_attributes(&self) -> bool {
        self.label != "local"
    }

    fn attributes(&self, attrs: &BlobAttrs) -> Attributes {
        let mut out = Attributes::new();
        if self.keeps_attributes() {
            out.insert(Attribute::ContentType, attrs.content_type.clone().into());
            if let Some(cc) = &attrs.cache_control {
                out.insert(Attribute::CacheControl, cc.clone().into());
            }
        }
        out
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
    #[tracing::instrument(name = "storage.put", skip_all, fields(backend = self.label))]
    async fn put(&self, key: &BlobKey, bytes: Bytes, attrs: &BlobAttrs) -> Result<(), BlobError> {
        let size = bytes.len() as u64;
        let r = async {
            let opts = PutOptions { attributes: self.attributes(attrs), ..PutOptions::default() };
            let path = self.path(key.as_str())?;
            self.store
                .put_opts(&path, PutPayload::from_bytes(bytes), opts)
                .await
                .map(|_| ())
                .map_err(|e| map_err(key, e))
        }
        .await;
        self.counted("put", r.as_ref().map(|()| size));
        r
    }

    #[tracing::instrument(name = "storage.put_stream", skip_all, fields(backend = self.label))]
    async fn put_stream(&self, key: &BlobKey, body: BlobBody, attrs: &BlobAttrs) -> Result<u64, BlobError> {
        let r = self.put_stream_uncounted(key, body, attrs).await;
        self.counted("put", r.as_ref().copied());
        r
    }

    #[tracing::instrument(name = "storage.get", skip_all, fields(backend = self.label))]
    async fn get(&self, key: &BlobKey) -> Result<Bytes, BlobError> {
        let r = async {
            let path = self.path(key.as_str())?;
            let got = self.store.get(&path).await.map_err(|e| map_err(key, e))?;
            got.bytes().await.map_err(|e| map_err(key, e))
        }
        .await;
        self.counted("get", r.as_ref().map(|b| b.len() as u64));
        r
    }

    #[tracing::instrument(name = "storage.head", skip_all, fields(backend = self.label))]
    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        let r = self.head_uncounted(key).await;
        self.counted("head", r.as_ref().map(|_| 0));
        r
    }

    #[tracing::instrument(name = "storage.delete", skip_all, fields(backend = self.label))]
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        let r = async {
            let path = self.path(key.as_str())?;
            match self.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(unexpected(e)),
            }
        }
        .await;
        self.counted("delete", r.as_ref().map(|()| 0));
        r
    }

    #[tracing::instrument(name = "storage.list", skip_all, fields(backend = self.label))]
    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, BlobError> {
        let r = self.list_uncounted(prefix).await;
        self.counted("list", r.as_ref().map(|_| 0));
        r
    }

    #[tracing::instrument(name = "storage.signed_url", skip_all, fields(backend = self.label))]
    async fn signed_url(&self, key: &BlobKey, expires_in: Duration) -> Result<url::Url, BlobError> {
        let r = self.signed_url_uncounted(key, expires_in).await;
        if !matches!(r, Err(BlobError::Unsupported(_))) {
            self.counted("sign", r.as_ref().map(|_| 0));
        }
        r
    }

    #[tracing::instrument(name = "storage.ping", skip_all, fields(backend = self.label))]
    async fn ping(&self) -> Result<(), BlobError> {
        let r = async {
            // A listing of a (normally empty) prefix proves credentials, network and bucket.
            let probe = self.path("_health")?;
            let _: Vec<_> = self.store.list(Some(&probe)).try_collect().await.map_err(unexpected)?;
            Ok(())
        }
        .await;
        self.counted("ping", r.as_ref().map(|()| 0));
        r
    }
}

/// The operations' bodies that need more than a block.
impl ObjectBlobStore {
    async fn put_stream_uncounted(
        &self,
        key: &BlobKey,
        mut body: BlobBody,
        attrs: &BlobAttrs,
    ) -> Result<u64, BlobError> {
        let path = self.path(key.as_str())?;
        let mut writer =
            BufWriter::with_capacity(self.store.clone(), path, PART_SIZE).with_attributes(self.attributes(attrs));
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let failed = match chunk {
                Ok(bytes) => {
                    size += bytes.len() as u64;
                    match writer.put(bytes).await {
                        Ok(()) => continue,
                        Err(e) => map_err(key, e),
                    }
                }
                Err(e) => BlobError::Body(e),
            };
            // Parts already uploaded are discarded; an upload still in the buffer was never sent.
            if let Err(e) = writer.abort().await {
                tracing::warn!(error = %e, key = %key, "aborting a failed upload failed; the bucket's lifecycle rule removes its parts");
            }
            return Err(failed);
        }
        writer.shutdown().await.map_err(|e| BlobError::Unexpected(anyhow::Error::new(e)))?;
        Ok(size)
    }

    async fn head_uncounted(&self, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        let path = self.path(key.as_str())?;
        let opts = GetOptions { head: true, ..GetOptions::default() };
        let got = self.store.get_opts(&path, opts).await.map_err(|e| map_err(key, e))?;
        let attr = |a: &Attribute| got.attributes.get(a).map(|v| v.as_ref().to_owned());
        Ok(BlobMeta {
            key: key.clone(),
            size: got.meta.size,
            content_type: attr(&Attribute::ContentType),
            cache_control: attr(&Attribute::CacheControl),
            modified: Some(got.meta.last_modified),
        })
    }

    async fn list_uncounted(&self, prefix: &str) -> Result<Vec<BlobMeta>, BlobError> {
        let trimmed = prefix.trim_matches('/');
        let path = if trimmed.is_empty() { self.prefix.clone() } else { Some(self.path(trimmed)?) };
        let metas: Vec<_> = self.store.list(path.as_ref()).try_collect().await.map_err(unexpected)?;
        let mut out = metas
            .into_iter()
            .map(|m| {
                Ok(BlobMeta {
                    key: self.key_of(&m.location)?,
                    size: m.size,
                    content_type: None,
                    cache_control: None,
                    modified: Some(m.last_modified),
                })
            })
            .collect::<Result<Vec<_>, BlobError>>()?;
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn signed_url_uncounted(&self, key: &BlobKey, expires_in: Duration) -> Result<url::Url, BlobError> {
        match &self.signing {
            Signing::Store(signer) => {
                let path = self.path(key.as_str())?;
                signer.signed_url(object_store::signer::Method::GET, &path, expires_in).await.map_err(unexpected)
            }
            Signing::App(urls) => {
                let secs = i64::try_from(expires_in.as_secs()).unwrap_or(i64::MAX);
                Ok(urls.signed(key.as_str(), chrono::Utc::now().timestamp().saturating_add(secs)))
            }
            Signing::None => Err(BlobError::Unsupported("signed URLs (no signing credentials or media base URL)")),
        }
    }

    /// Counts one operation, `storage_operations_total{backend,operation,result}` (a
    /// missing object is an answer, not an error), and the bytes it moved,
    /// `storage_bytes_total{backend,direction}`.
    fn counted(&self, operation: &'static str, r: Result<u64, &BlobError>) {
        let result = match r {
            Ok(_) | Err(BlobError::NotFound(_)) => "ok",
            Err(_) => "error",
        };
        metrics::counter!("storage_operations_total", "backend" => self.label, "operation" => operation, "result" => result)
            .increment(1);
        if let Ok(n) = r
            && n > 0
        {
            let direction = if operation == "put" { "in" } else { "out" };
            metrics::counter!("storage_bytes_total", "backend" => self.label, "direction" => direction).increment(n);
        }
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
