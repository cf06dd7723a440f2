//! The `BlobStore` contract. Every run works under its own random prefix.
//!
//! Backends differ in what they can show, not in what they promise: a `Profile` says
//! which checks a backend's test server can answer (the fake GCS servers each serve part
//! of the API; see docs/media.md).

use std::time::Duration;

use application::media_url::{self, MediaUrls};
use application::ports::{BlobAttrs, BlobBody, BlobError, BlobKey, BlobStore, IMMUTABLE};
use bytes::Bytes;
use futures::StreamExt;

fn key(s: &str) -> BlobKey {
    BlobKey::parse(s).unwrap()
}

/// How a backend's signed URLs are checked.
pub enum SignedUrls {
    /// Fetch the URL without credentials: it must return the object.
    Fetch,
    /// The app's `/media` route serves them: the signature must verify for this key only.
    App(MediaUrls),
    /// The test server does not check signatures: the URL must carry this parameter
    /// (and the expiry) and name the object.
    Shape { signature_param: &'static str },
    /// No signing credentials: `Unsupported`.
    Unsupported,
}

/// What the backend's test server can show.
pub struct Profile {
    /// Objects keep their content type and cache control.
    pub keeps_attributes: bool,
    /// Multipart uploads (bodies over `sp_blob::PART_SIZE`) are served.
    pub multipart: bool,
    /// HEAD, DELETE and listing (so `ping`) are served (the XML-API fake GCS answers
    /// them 501).
    pub head_list_delete: bool,
    pub signed: SignedUrls,
}

fn body(chunks: Vec<Result<Bytes, std::io::Error>>) -> BlobBody {
    futures::stream::iter(chunks).boxed()
}

fn chunks_of(total: usize, chunk: usize) -> Vec<Bytes> {
    (0..total.div_ceil(chunk))
        .map(|i| Bytes::from(vec![u8::try_from(i % 251).unwrap(); chunk.min(total - i * chunk)]))
        .collect()
}

fn ok(chunks: &[Bytes]) -> Vec<Result<Bytes, std::io::Error>> {
    chunks.iter().cloned().map(Ok).collect()
}

fn concat(chunks: &[Bytes]) -> Vec<u8> {
    chunks.iter().flat_map(|c| c.to_vec()).collect()
}

/// Write/read-back cases (put, put_stream, get, head, overwrite, attributes, signed URLs).
pub async fn run_write_read(store: &dyn BlobStore, ns: &str, profile: &Profile) {
    if profile.head_list_delete {
        store.ping().await.expect("ping");
    }
    let k = key(&format!("{ns}/listings/1/photo-a/original"));
    assert!(matches!(store.get(&k).await, Err(BlobError::NotFound(_))));
    if profile.head_list_delete {
        assert!(matches!(store.head(&k).await, Err(BlobError::NotFound(_))));
    }

    let data = Bytes::from(vec![7u8; 70_000]);
    store.put(&k, data.clone(), &BlobAttrs::private("image/jpeg")).await.unwrap();
    assert_eq!(store.get(&k).await.unwrap(), data);
    if profile.head_list_delete {
        let meta = store.head(&k).await.unwrap();
        assert_eq!(meta.size, 70_000);
        if profile.keeps_attributes {
            assert_eq!(meta.content_type.as_deref(), Some("image/jpeg"));
            assert_eq!(meta.cache_control, None, "a private object has no cache policy of its own");
        }
    }

    store.put(&k, Bytes::from_static(b"v2"), &BlobAttrs::private("image/jpeg")).await.unwrap();
    assert_eq!(store.get(&k).await.unwrap(), Bytes::from_static(b"v2"), "put replaces");

    // A streamed body in many chunks, one PUT (under the part size).
    let v = key(&format!("{ns}/listings/1/photo-a/thumb.webp"));
    let small = chunks_of(300_000, 64 * 1024);
    let size = store.put_stream(&v, body(ok(&small)), &BlobAttrs::immutable("image/webp")).await.unwrap();
    assert_eq!(size, 300_000);
    assert_eq!(store.get(&v).await.unwrap().to_vec(), concat(&small));
    if profile.head_list_delete {
        let meta = store.head(&v).await.unwrap();
        assert_eq!(meta.size, 300_000);
        if profile.keeps_attributes {
            assert_eq!(meta.content_type.as_deref(), Some("image/webp"));
            assert_eq!(meta.cache_control.as_deref(), Some(IMMUTABLE));
        }
    }

    // A body that fails before the end leaves the key as it was.
    let broken = vec![Ok(Bytes::from(vec![1u8; 1000])), Err(std::io::Error::other("client went away"))];
    let err = store.put_stream(&k, body(broken), &BlobAttrs::private("image/jpeg")).await.unwrap_err();
    assert!(matches!(err, BlobError::Body(_)), "{err:?}");
    assert_eq!(store.get(&k).await.unwrap(), Bytes::from_static(b"v2"), "a failed stream replaces nothing");
    let fresh = key(&format!("{ns}/listings/1/photo-b/original"));
    let broken = vec![Ok(Bytes::from(vec![1u8; 1000])), Err(std::io::Error::other("too large"))];
    assert!(store.put_stream(&fresh, body(broken), &BlobAttrs::private("image/png")).await.is_err());
    assert!(matches!(store.get(&fresh).await, Err(BlobError::NotFound(_))), "a failed stream leaves no object");

    if profile.multipart {
        // Over the part size: uploaded in parts, completed at the end.
        let big = key(&format!("{ns}/listings/1/photo-c/original"));
        let chunks = chunks_of(sp_blob::PART_SIZE + 700_000, 256 * 1024);
        let size = store.put_stream(&big, body(ok(&chunks)), &BlobAttrs::private("image/jpeg")).await.unwrap();
        assert_eq!(size, (sp_blob::PART_SIZE + 700_000) as u64);
        assert_eq!(store.get(&big).await.unwrap().to_vec(), concat(&chunks));
        // Failing after parts went up: the parts are aborted, the key stays empty.
        let gone = key(&format!("{ns}/listings/1/photo-d/original"));
        let mut chunks = ok(&chunks_of(sp_blob::PART_SIZE + 300_000, 256 * 1024));
        chunks.push(Err(std::io::Error::other("limit")));
        assert!(matches!(
            store.put_stream(&gone, body(chunks), &BlobAttrs::private("image/jpeg")).await,
            Err(BlobError::Body(_))
        ));
        assert!(matches!(store.get(&gone).await, Err(BlobError::NotFound(_))));
        store.delete(&big).await.unwrap();
    }

    check_signed_urls(store, &k, profile).await;
    if profile.head_list_delete {
        store.delete(&k).await.unwrap();
        store.delete(&v).await.unwrap();
    }
}

async fn check_signed_urls(store: &dyn BlobStore, k: &BlobKey, profile: &Profile) {
    let signed = store.signed_url(k, Duration::from_secs(600)).await;
    match &profile.signed {
        SignedUrls::Fetch => {
            let url = signed.expect("signed URL");
            let got = reqwest::get(url.clone()).await.unwrap();
            assert_eq!(got.status(), 200, "{url}");
            assert_eq!(got.bytes().await.unwrap(), Bytes::from_static(b"v2"));
        }
        SignedUrls::App(urls) => {
            let url = signed.expect("signed URL");
            assert!(url.as_str().starts_with(urls.base().as_str()), "{url} is under the media base");
            let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
            let expires: i64 = q[media_url::EXPIRES_PARAM].parse().unwrap();
            let now = chrono::Utc::now().timestamp();
            assert!((now + 590..=now + 610).contains(&expires), "expires in 600 s");
            let sig = &q[media_url::SIGNATURE_PARAM];
            assert!(urls.verify(k.as_str(), expires, sig, now));
            assert!(!urls.verify(&format!("{k}x"), expires, sig, now), "only for its key");
            assert!(!urls.verify(k.as_str(), expires, sig, expires + 1), "not after it expires");
        }
        SignedUrls::Shape { signature_param } => {
            let url = signed.expect("signed URL");
            assert!(url.path().ends_with(k.as_str()), "{url} names the object");
            let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
            assert!(q.contains_key(*signature_param), "{url} carries {signature_param}");
            assert!(q.values().any(|v| v == "600"), "{url} carries the expiry");
        }
        SignedUrls::Unsupported => assert!(matches!(signed, Err(BlobError::Unsupported(_))), "{signed:?}"),
    }
}

/// Listing and deletion cases.
pub async fn run_list_delete(store: &dyn BlobStore, ns: &str) {
    let a = key(&format!("{ns}/listings/2/p1/original"));
    let b = key(&format!("{ns}/listings/2/p1/thumb"));
    let c = key(&format!("{ns}/listings/20/p9/original"));
    for k in [&a, &b, &c] {
        store.put(k, Bytes::from_static(b"data"), &BlobAttrs::private("application/octet-stream")).await.unwrap();
    }
    check_list_delete(store, ns, [a, b, c]).await;
}

/// Listing and deletion of three objects already written at `{ns}/listings/2/p1/original`,
/// `{ns}/listings/2/p1/thumb` and `{ns}/listings/20/p9/original`.
pub async fn check_list_delete(store: &dyn BlobStore, ns: &str, [a, b, c]: [BlobKey; 3]) {
    let listed: Vec<_> = store.list(&format!("{ns}/listings/2")).await.unwrap().into_iter().map(|m| m.key).collect();
    assert_eq!(listed, vec![a.clone(), b.clone()], "prefix is whole segments, in key order");
    assert!(store.list(&format!("{ns}/nothing-here")).await.unwrap().is_empty());
    assert_eq!(store.head(&c).await.unwrap().size, 4);

    store.delete(&a).await.unwrap();
    assert!(matches!(store.get(&a).await, Err(BlobError::NotFound(_))));
    store.delete(&a).await.expect("deleting a missing object succeeds");
    let left: Vec<_> = store.list(ns).await.unwrap().into_iter().map(|m| m.key).collect();
    assert!(left.contains(&b) && left.contains(&c) && !left.contains(&a));
    for k in [&b, &c] {
        store.delete(k).await.unwrap();
    }
    assert!(store.list(ns).await.unwrap().is_empty());
}

/// Every case.
pub async fn run(store: &dyn BlobStore, profile: &Profile) {
    let ns = namespace();
    run_write_read(store, &ns, profile).await;
    run_list_delete(store, &ns).await;
}

/// A fresh prefix for one run.
pub fn namespace() -> String {
    format!("contract-{}", uuid::Uuid::new_v4().simple())
}
