//! `BlobStore` contract on memory, a local folder, the fake S3 (moto) and fake GCS:
//! fake-gcs-server behind the test's GCS gateway (the whole contract but multipart), and
//! gcp-storage-emulator (GCS's own XML API: writes and reads). docs/media.md has the table.

use std::sync::Arc;

use application::media_url::MediaUrls;
use application::ports::{BlobAttrs, BlobKey, BlobStore};
use bytes::Bytes;
use sp_blob::{ObjectBlobStore, S3Overrides, StorageLocation, StoreOptions};
use sp_tests::contract::blob::{self, Profile, SignedUrls};
use sp_tests::services;

fn media_urls() -> MediaUrls {
    MediaUrls::new(&url::Url::parse("http://127.0.0.1:8080/media").unwrap(), b"contract-secret")
}

fn app_signed() -> Profile {
    Profile { keeps_attributes: true, multipart: true, head_list_delete: true, signed: SignedUrls::App(media_urls()) }
}

fn with_media_urls() -> StoreOptions {
    StoreOptions { media_urls: Some(media_urls()), ..StoreOptions::default() }
}

#[tokio::test]
async fn memory() {
    let store = ObjectBlobStore::open(&StorageLocation::Memory, &with_media_urls()).unwrap();
    blob::run(&store, &app_signed()).await;
}

#[tokio::test]
async fn memory_without_media_urls_cannot_sign() {
    let store = ObjectBlobStore::open(&StorageLocation::Memory, &StoreOptions::default()).unwrap();
    let profile = Profile { signed: SignedUrls::Unsupported, ..app_signed() };
    blob::run_write_read(&store, &blob::namespace(), &profile).await;
}

#[tokio::test]
async fn local_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("media");
    let store = ObjectBlobStore::open(&StorageLocation::Local { root: root.clone() }, &with_media_urls()).unwrap();
    assert!(!store.keeps_attributes());
    blob::run(&store, &Profile { keeps_attributes: false, ..app_signed() }).await;
    assert!(root.is_dir(), "the folder is created on open");
    let leftovers: Vec<_> = walk(&root).into_iter().filter(|p| p.is_file()).collect();
    assert!(leftovers.is_empty(), "failed and aborted uploads leave no file behind: {leftovers:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[tokio::test]
async fn local_folder_with_url_prefix_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let url = url::Url::from_directory_path(dir.path()).unwrap();
    let loc = StorageLocation::parse(url.as_str()).unwrap();
    let store = ObjectBlobStore::open(&loc, &StoreOptions::default()).unwrap();
    store.ping().await.unwrap();
}

fn s3_opts() -> StoreOptions {
    let endpoint = services::s3_endpoint();
    services::require("the fake S3 server (moto)", &endpoint);
    StoreOptions {
        s3: S3Overrides {
            endpoint: Some(endpoint),
            region: Some("us-east-1".into()),
            access_key_id: Some("test".into()),
            secret_access_key: Some("test".into()),
            allow_http: true,
        },
        ..StoreOptions::default()
    }
}

fn s3_store(bucket: &str, prefix: &str) -> ObjectBlobStore {
    let loc = StorageLocation::S3 { bucket: bucket.into(), prefix: prefix.into() };
    ObjectBlobStore::open(&loc, &s3_opts()).unwrap()
}

/// moto serves presigned GETs, so S3's signed URLs are fetched for real.
fn s3_profile() -> Profile {
    Profile { keeps_attributes: true, multipart: true, head_list_delete: true, signed: SignedUrls::Fetch }
}

#[tokio::test]
async fn s3_fake() {
    blob::run(&s3_store(&services::s3_bucket(), ""), &s3_profile()).await;
}

#[tokio::test]
async fn s3_fake_under_a_url_prefix() {
    blob::run(&s3_store(&services::s3_bucket(), "env/test"), &s3_profile()).await;
}

#[tokio::test]
async fn s3_missing_bucket_fails_ping() {
    assert!(s3_store("no-such-bucket-sp", "").ping().await.is_err());
}

fn gcs_store(endpoint: &str, bucket: String, server: &str) -> Arc<dyn BlobStore> {
    services::require(server, endpoint);
    let key = serde_json::json!({
        "gcs_base_url": endpoint,
        "disable_oauth": true,
        "client_email": "",
        "private_key": "",
        "private_key_id": ""
    })
    .to_string();
    let loc = StorageLocation::Gcs { bucket, prefix: String::new() };
    let opts = StoreOptions {
        gcs_service_account_key: Some(key),
        gcs_allow_http: true,
        gcs_signing_key: Some(("media@test.iam.gserviceaccount.com".into(), sp_tests::gcs_gateway::rsa_pem().into())),
        ..StoreOptions::default()
    };
    Arc::new(ObjectBlobStore::open(&loc, &opts).unwrap())
}

/// Writes and reads on gcp-storage-emulator (XML API). It answers HEAD, DELETE, listing
/// and multipart uploads with 501 and checks no signatures, so those cases run
/// elsewhere: head/list/delete/ping and fetched signed URLs through the gateway below,
/// signatures here as a URL shape. Bodies over the part size are covered on S3 only.
///
/// The emulator's responses lack the `ETag` and `Last-Modified` headers GCS sends and
/// object_store requires, so the test reaches it through a proxy that adds them.
#[tokio::test]
async fn gcs_fake_write_read() {
    let upstream = services::gcs_xml_endpoint();
    services::require("the fake GCS XML server (gcp-storage-emulator)", &upstream);
    let host = url::Url::parse(&upstream).unwrap();
    let upstream_addr = format!("{}:{}", host.host_str().unwrap(), host.port_or_known_default().unwrap());
    let proxy = sp_tests::proxy::Proxy::rewriting_response_head(&upstream_addr, |head| {
        let mut head = head.to_owned();
        let lower = head.to_ascii_lowercase();
        if !lower.contains("\r\netag:") {
            head.push_str("\r\nETag: \"emulator\"");
        }
        if !lower.contains("\r\nlast-modified:") {
            head.push_str("\r\nLast-Modified: Thu, 01 Jan 2026 00:00:00 GMT");
        }
        head
    })
    .await;
    let endpoint = proxy.url("http");
    let store = gcs_store(&endpoint, services::gcs_xml_bucket(), "the fake GCS XML server (gcp-storage-emulator)");
    let profile = Profile {
        keeps_attributes: false,
        multipart: false,
        head_list_delete: false,
        signed: SignedUrls::Shape { signature_param: "X-Goog-Signature" },
    };
    let ns = blob::namespace();
    blob::run_write_read(store.as_ref(), &ns, &profile).await;

    // The content type went up with the object (read back over plain HTTP).
    let k = BlobKey::parse(&format!("{ns}/typed.webp")).unwrap();
    store.put(&k, Bytes::from_static(b"webp"), &BlobAttrs::immutable("image/webp")).await.unwrap();
    let got = reqwest::get(format!("{endpoint}/{}/{k}", services::gcs_xml_bucket())).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/webp");
}

/// The whole contract on fake-gcs-server behind the test's GCS gateway
/// (`tests/src/gcs_gateway.rs`: XML uploads, bucket access control), with a
/// service-account key as production would use one: requests carry its bearer token and
/// signed URLs are fetched without credentials.
#[tokio::test]
async fn gcs_through_the_gateway() {
    let upstream = services::gcs_endpoint();
    services::require("the fake GCS JSON server (fake-gcs-server)", &upstream);
    let account = "media@student-palace-test.iam.gserviceaccount.com";
    let gateway = sp_tests::gcs_gateway::GcsGateway::start(&upstream, account).await;
    let opts = StoreOptions {
        gcs_service_account_key: Some(sp_tests::gcs_gateway::service_account_key(account, &gateway.url)),
        gcs_allow_http: true,
        ..StoreOptions::default()
    };
    let prefix = format!("contract-{}", uuid::Uuid::new_v4().simple());
    let loc = StorageLocation::Gcs { bucket: services::gcs_bucket(), prefix: prefix.clone() };
    let store = ObjectBlobStore::open(&loc, &opts).unwrap();
    let profile =
        Profile { keeps_attributes: true, multipart: false, head_list_delete: true, signed: SignedUrls::Fetch };
    blob::run(&store, &profile).await;

    // Without the service account's token the bucket only serves reads, and originals
    // only through a signed URL.
    let k = BlobKey::parse("listings/1/2/original").unwrap();
    store.put(&k, Bytes::from_static(b"private"), &BlobAttrs::private("image/jpeg")).await.unwrap();
    let object = format!("{}/{}/{}/listings/1/2/original", gateway.url, services::gcs_bucket(), prefix);
    let http = reqwest::Client::new();
    assert_eq!(http.get(&object).send().await.unwrap().status(), 403, "unsigned original");
    assert_eq!(http.put(&object).body("x").send().await.unwrap().status(), 401, "anonymous write");
    let signed = store.signed_url(&k, std::time::Duration::from_secs(60)).await.unwrap();
    assert_eq!(http.get(signed).send().await.unwrap().bytes().await.unwrap().as_ref(), b"private");
    store.delete(&k).await.unwrap();
}
