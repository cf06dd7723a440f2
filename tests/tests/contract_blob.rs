//! `BlobStore` contract on memory, a local folder, the fake S3 (moto) and the fake GCS.

use std::sync::Arc;

use application::ports::BlobStore;
use sp_blob::{ObjectBlobStore, S3Overrides, StorageLocation, StoreOptions};
use sp_tests::{contract, services};

#[tokio::test]
async fn memory() {
    let store = ObjectBlobStore::open(&StorageLocation::Memory, &StoreOptions::default()).unwrap();
    contract::blob::run(&store).await;
}

#[tokio::test]
async fn local_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("media");
    let store =
        ObjectBlobStore::open(&StorageLocation::Local { root: root.clone() }, &StoreOptions::default()).unwrap();
    contract::blob::run(&store).await;
    assert!(root.is_dir(), "the folder is created on open");
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

#[tokio::test]
async fn s3_fake() {
    contract::blob::run(&s3_store(&services::s3_bucket(), "")).await;
}

#[tokio::test]
async fn s3_fake_under_a_url_prefix() {
    contract::blob::run(&s3_store(&services::s3_bucket(), "env/test")).await;
}

#[tokio::test]
async fn s3_missing_bucket_fails_ping() {
    assert!(s3_store("no-such-bucket-sp", "").ping().await.is_err());
}

fn gcs_store() -> Arc<dyn BlobStore> {
    let endpoint = services::gcs_endpoint();
    services::require("the fake GCS server (fake-gcs-server)", &endpoint);
    let key = serde_json::json!({
        "gcs_base_url": endpoint,
        "disable_oauth": true,
        "client_email": "",
        "private_key": "",
        "private_key_id": ""
    })
    .to_string();
    let loc = StorageLocation::Gcs { bucket: services::gcs_bucket(), prefix: String::new() };
    let opts = StoreOptions { gcs_service_account_key: Some(key), gcs_allow_http: true, ..StoreOptions::default() };
    Arc::new(ObjectBlobStore::open(&loc, &opts).unwrap())
}

/// fake-gcs-server serves GCS's JSON API (list, read, delete) but not the XML API that
/// object_store uploads with, so only reachability and listing are covered against it
/// today; write/read-back on GCS comes with the photos issue (second fake).
#[tokio::test]
async fn gcs_fake_ping_and_list() {
    let store = gcs_store();
    store.ping().await.expect("fake GCS bucket reachable");
    assert!(store.list("contract-nothing-here").await.unwrap().is_empty());
}
