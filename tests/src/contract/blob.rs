//! The `BlobStore` contract. Every run works under its own random prefix.

use application::ports::{BlobError, BlobKey, BlobStore};
use bytes::Bytes;

fn key(s: &str) -> BlobKey {
    BlobKey::parse(s).unwrap()
}

/// Write/read-back cases (put, get, head, overwrite).
pub async fn run_write_read(store: &dyn BlobStore, ns: &str) {
    store.ping().await.expect("ping");
    let k = key(&format!("{ns}/listings/1/photo-a/original"));
    assert!(matches!(store.get(&k).await, Err(BlobError::NotFound(_))));
    assert!(matches!(store.head(&k).await, Err(BlobError::NotFound(_))));

    let data = Bytes::from(vec![7u8; 70_000]);
    store.put(&k, data.clone(), "image/jpeg").await.unwrap();
    assert_eq!(store.get(&k).await.unwrap(), data);
    assert_eq!(store.head(&k).await.unwrap().size, 70_000);

    store.put(&k, Bytes::from_static(b"v2"), "image/jpeg").await.unwrap();
    assert_eq!(store.get(&k).await.unwrap(), Bytes::from_static(b"v2"), "put replaces");
}

/// Listing and deletion cases.
pub async fn run_list_delete(store: &dyn BlobStore, ns: &str) {
    let a = key(&format!("{ns}/listings/2/p1/original"));
    let b = key(&format!("{ns}/listings/2/p1/thumb"));
    let c = key(&format!("{ns}/listings/20/p9/original"));
    for k in [&a, &b, &c] {
        store.put(k, Bytes::from_static(b"data"), "application/octet-stream").await.unwrap();
    }
    let listed: Vec<_> = store.list(&format!("{ns}/listings/2")).await.unwrap().into_iter().map(|m| m.key).collect();
    assert_eq!(listed, vec![a.clone(), b.clone()], "prefix is whole segments, in key order");
    assert!(store.list(&format!("{ns}/nothing-here")).await.unwrap().is_empty());

    store.delete(&a).await.unwrap();
    assert!(matches!(store.get(&a).await, Err(BlobError::NotFound(_))));
    store.delete(&a).await.expect("deleting a missing object succeeds");
    let left: Vec<_> = store.list(ns).await.unwrap().into_iter().map(|m| m.key).collect();
    assert!(left.contains(&b) && left.contains(&c) && !left.contains(&a));
    for k in [&b, &c] {
        store.delete(k).await.unwrap();
    }
}

/// Every case.
pub async fn run(store: &dyn BlobStore) {
    let ns = format!("contract-{}", uuid::Uuid::new_v4().simple());
    run_write_read(store, &ns).await;
    run_list_delete(store, &ns).await;
}
