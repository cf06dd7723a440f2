//! `media reconcile`: the bucket against the photos table, a dry run that changes
//! nothing, then `--apply`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use application::photos::ReconcileMedia;
use application::ports::{BlobAttrs, BlobKey};
use serde_json::Value;
use sp_memory::FixedClock;
use sp_tests::images::phone_jpeg;
use sp_tests::{complete_listing, spawn_app};

#[tokio::test]
async fn reconcile_reports_then_fixes_orphans_and_photos_without_originals() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let listing: Value = owner.post("/api/v1/listings", &complete_listing()).await.json().await.unwrap();
    let path = format!("/api/v1/listings/{}/photos", listing["id"].as_str().unwrap());
    let mut ids = Vec::new();
    for _ in 0..3 {
        let r: Value = owner.upload(&path, "p.jpg", phone_jpeg(400, 300, 1, 80)).await.json().await.unwrap();
        ids.push(r["id"].as_str().unwrap().to_owned());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list: Value = owner.get(&path).await.json().await.unwrap();
        if list["items"].as_array().unwrap().iter().all(|p| p["status"] == "ready") {
            break;
        }
        assert!(Instant::now() < deadline, "not ready: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let photo = |i: usize| {
        let id: uuid::Uuid = ids[i].parse().unwrap();
        let deps = app.deps.clone();
        async move { deps.photos.find(domain::photo::PhotoId(id)).await.unwrap().unwrap() }
    };
    let (p0, p1) = (photo(0).await, photo(1).await);
    let blobs = app.deps.blobs.clone();
    let key = |k: String| BlobKey::parse(&k).unwrap();
    // An orphan (no row), a photo without its original, a ready photo missing a variant.
    let orphan = format!("listings/{}/{}/original", uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    blobs.put(&key(orphan.clone()), bytes::Bytes::from_static(b"x"), &BlobAttrs::private("image/jpeg")).await.unwrap();
    blobs.delete(&key(p0.original_key())).await.unwrap();
    blobs.delete(&key(p1.variant_key("thumb").unwrap())).await.unwrap();
    let objects = blobs.list("listings").await.unwrap().len();

    let mut ports = app.deps.photo_ports();
    // Now: everything is too young to report (uploads and processing may be under way).
    let young = ReconcileMedia::new(ports.clone()).execute(false).await.unwrap();
    assert!(young.is_clean(), "{young:?}");
    let applied_young = ReconcileMedia::new(ports.clone()).execute(true).await.unwrap();
    assert!(app.deps.photos.find(p0.id).await.unwrap().is_some(), "a fresh photo is never removed: {applied_young:?}");
    // Two hours later.
    ports.clock = Arc::new(FixedClock::new(chrono::Utc::now() + chrono::Duration::hours(2)));
    let dry = ReconcileMedia::new(ports.clone()).execute(false).await.unwrap();
    assert_eq!(dry.orphan_objects, std::slice::from_ref(&orphan));
    assert_eq!(dry.missing_originals, [p0.id]);
    assert_eq!(dry.missing_variants, [p1.id]);
    assert_eq!((dry.rows, dry.objects), (3, objects));
    assert!(!dry.applied && !dry.is_clean());
    assert_eq!(blobs.list("listings").await.unwrap().len(), objects, "a dry run changes nothing");
    assert!(app.deps.photos.find(p0.id).await.unwrap().is_some());

    let applied = ReconcileMedia::new(ports.clone()).execute(true).await.unwrap();
    assert!(applied.applied);
    assert!(app.deps.photos.find(p0.id).await.unwrap().is_none(), "the photo without an original is removed");
    let left: Vec<String> =
        blobs.list("listings").await.unwrap().into_iter().map(|m| m.key.as_str().to_owned()).collect();
    assert!(!left.contains(&orphan), "the orphan is deleted");
    assert!(left.iter().all(|k| !k.starts_with(&p0.prefix())), "and the removed photo's variants");
    assert_eq!(left.len(), objects - 1 - 4, "{left:?}");
    let after = ReconcileMedia::new(ports).execute(false).await.unwrap();
    assert_eq!(after.missing_variants, [p1.id], "reported, not fixed: its original is there to reprocess");
    assert!(after.orphan_objects.is_empty() && after.missing_originals.is_empty());
}
