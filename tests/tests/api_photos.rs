//! Photos through the API, as the "done when" reads: a 5 MB phone JPEG with GPS
//! EXIF and orientation 6 becomes three WebP variants and a JPEG fallback with absolute
//! URLs, correctly rotated, without any EXIF/XMP block; bombs, truncated files, SVGs
//! named .jpg and oversized uploads are refused and leave nothing behind. It runs on memory, a local folder, the fake
//! S3 and the fake GCS.

use std::time::{Duration, Instant};

use serde_json::Value;
use sp_tests::images::{has_metadata, is_red, jpeg, noisy, phone_jpeg, pixel, png_claiming, svg};
use sp_tests::{TestApp, TestDb, complete_listing, spawn_app_with};

async fn photos(app: &TestApp, listing: &str) -> usize {
    app.deps.photos.list(domain::listing::ListingId(listing.parse().unwrap())).await.unwrap().len()
}

async fn objects(app: &TestApp) -> usize {
    app.deps.blobs.list("listings").await.unwrap().len()
}

/// The journey on one storage backend (`extra` names it).
async fn journey(extra: &[(&str, &str)]) {
    let app = spawn_app_with(TestDb::postgres().await, extra).await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let r = owner.post("/api/v1/listings", &complete_listing()).await;
    assert_eq!(r.status(), 201);
    let listing: Value = r.json().await.unwrap();
    let id = listing["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/listings/{id}/photos");
    // Complete, but no photo yet: not publishable, and the problem says why.
    let r = owner.transition(&id, "publish").await;
    assert_eq!(r.status(), 409);
    let problem: Value = r.json().await.unwrap();
    assert!(problem["type"].as_str().unwrap().ends_with("listing-incomplete"), "{problem}");
    assert_eq!(problem["errors"][0]["field"], "photos", "{problem}");

    // A phone photo: 3264 × 2448 as stored, orientation 6 (shown portrait), GPS in EXIF.
    let original = phone_jpeg(3264, 2448, 6, 92);
    assert!((3_000_000..15_000_000).contains(&original.len()), "a phone-sized JPEG: {} bytes", original.len());
    let r = owner.upload(&path, "IMG_0042.HEIC.jpg", original.clone()).await;
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let accepted: Value = r.json().await.unwrap();
    assert_eq!(accepted["status"], "pending");
    assert!(accepted["urls"].is_null());
    let photo_id = accepted["id"].as_str().unwrap().to_owned();

    let deadline = Instant::now() + Duration::from_secs(90);
    let ready = loop {
        let list: Value = owner.get(&path).await.json().await.unwrap();
        let p = list["items"][0].clone();
        if p["status"] == "ready" {
            break p;
        }
        assert_ne!(p["status"], "rejected", "{p}");
        assert!(Instant::now() < deadline, "not ready within 90 s: {p}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((ready["width"].as_u64(), ready["height"].as_u64()), (Some(2448), Some(3264)), "rotated");
    let expected = [
        ("thumb", "image/webp", 300, 400),
        ("medium", "image/webp", 768, 1024),
        ("large", "image/webp", 1536, 2048),
        ("medium_jpeg", "image/jpeg", 768, 1024),
    ];
    for (name, content_type, w, h) in expected {
        let url = ready["urls"][name].as_str().unwrap_or_else(|| panic!("{name} in {ready}"));
        assert!(url.starts_with("http://") || url.starts_with("https://"), "absolute: {url}");
        let got = reqwest::get(url).await.unwrap();
        assert_eq!(got.status(), 200, "{url}");
        assert_eq!(got.headers()["content-type"], content_type, "{name}");
        let cc = got.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        assert_eq!(cc, "public, max-age=31536000, immutable", "{name}");
        let bytes = got.bytes().await.unwrap();
        assert!(!has_metadata(&bytes), "{name} carries no EXIF, GPS or XMP");
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (w, h), "{name}");
        assert!(is_red(pixel(&bytes, w - 3, 3)), "{name}: the stored top-left corner is now top right");
        assert!(!is_red(pixel(&bytes, 3, 3)), "{name}");
    }
    // Now it publishes, and the public sees the ready photo without the original's link.
    assert_eq!(owner.transition(&id, "publish").await.status(), 200);
    let public: Value = reqwest::get(app.url(&path)).await.unwrap().json().await.unwrap();
    assert_eq!(public["items"][0]["status"], "ready");
    assert!(public["items"][0]["original_url"].is_null() && public["items"][0]["urls"]["large"].is_string());
    let detail: Value = reqwest::get(app.url(&format!("/api/v1/listings/{id}"))).await.unwrap().json().await.unwrap();
    assert_eq!(detail["photos"].as_array().unwrap().len(), 1, "the listing carries its gallery");
    assert_eq!(detail["photos"][0]["urls"], ready["urls"]);
    assert!(detail["photos"][0]["original_url"].is_null());

    // The original: a signed link for the owner only.
    let signed = ready["original_url"].as_str().unwrap().to_owned();
    let got = reqwest::get(&signed).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().len(), original.len());
    let unsigned = signed.split('?').next().unwrap();
    assert_ne!(reqwest::get(unsigned).await.unwrap().status(), 200, "the original is private: {unsigned}");

    // A second photo, put first, then removed again.
    let second: Value =
        owner.upload(&path, "b.png", sp_tests::images::png(&noisy(64, 48, 5))).await.json().await.unwrap();
    let second_id = second["id"].as_str().unwrap().to_owned();
    let r = owner
        .req(reqwest::Method::PUT, &format!("{path}/order"))
        .json(&serde_json::json!({"photo_ids": [second_id, photo_id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ordered: Value = r.json().await.unwrap();
    let ids: Vec<&str> = ordered["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [second_id.as_str(), photo_id.as_str()]);
    assert_eq!(ordered["items"][0]["position"], 0);
    let r = owner
        .req(reqwest::Method::PUT, &format!("{path}/order"))
        .json(&serde_json::json!({"photo_ids": [photo_id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "the order must name every photo");
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.deps.photos.find(domain::photo::PhotoId(second_id.parse().unwrap())).await.unwrap().unwrap().status
        == domain::photo::PhotoStatus::Pending
    {
        assert!(Instant::now() < deadline, "the second photo was not processed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(owner.delete(&format!("{path}/{second_id}")).await.status(), 204);

    // Refusals: each a documented 4xx, nothing kept.
    let (rows, files) = (photos(&app, &id).await, objects(&app).await);
    let cases: [(&str, Vec<u8>, u16); 4] = [
        ("bomb.png", png_claiming(20_000, 20_000), 422),
        (
            "truncated.jpg",
            {
                let j = jpeg(&noisy(800, 600, 9), 85);
                j[..j.len() / 2].to_vec()
            },
            422,
        ),
        ("photo.jpg", svg(), 415),
        (
            "huge.jpg",
            {
                let mut b = phone_jpeg(64, 64, 1, 80);
                b.resize(16 * 1024 * 1024, 0);
                b
            },
            413,
        ),
    ];
    for (name, bytes, status) in cases {
        let r = owner.upload(&path, name, bytes).await;
        assert_eq!(r.status().as_u16(), status, "{name}");
        assert_eq!(r.headers()["content-type"], "application/problem+json", "{name}");
        let problem: Value = r.json().await.unwrap();
        assert!(problem["detail"].is_string(), "{name}: {problem}");
    }
    assert_eq!(
        (photos(&app, &id).await, objects(&app).await),
        (rows, files),
        "nothing left in storage or the database"
    );

    // Others may look but not add or delete.
    let student = app.actor("student").await;
    assert_eq!(student.upload(&path, "x.jpg", jpeg(&noisy(64, 64, 1), 80)).await.status(), 403);
    assert_eq!(student.get(&path).await.status(), 200);
    assert_eq!(student.delete(&format!("{path}/{photo_id}")).await.status(), 403);

    // Delete: the row and every file.
    assert_eq!(owner.delete(&format!("{path}/{photo_id}")).await.status(), 204);
    let list: Value = owner.get(&path).await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    assert_eq!(objects(&app).await, 0, "the original and every variant are gone");
    assert_eq!(owner.delete(&format!("{path}/{photo_id}")).await.status(), 404);
}

#[tokio::test]
async fn photos_on_memory_storage() {
    journey(&[]).await;
}

#[tokio::test]
async fn photos_on_a_local_folder() {
    let dir = tempfile::tempdir().unwrap();
    let url = url::Url::from_directory_path(dir.path()).unwrap().to_string();
    journey(&[("STORAGE_URL", &url)]).await;
}

/// On the fake S3 (moto): the variants are fetched from the bucket itself, as a CDN in
/// front of it would, and the original through an S3 presigned URL.
#[tokio::test]
async fn photos_on_the_fake_s3() {
    let s3 = sp_tests::services::fake_s3("journey");
    journey(&s3.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
}

/// On fake GCS: fake-gcs-server behind the test's GCS gateway (`tests/src/gcs_gateway.rs`),
/// which takes object_store's XML uploads and guards the bucket as production does:
/// variants are read anonymously (as the CDN would), the original only through its V4
/// signed URL, and the app authenticates with a service-account key.
#[tokio::test]
async fn photos_on_the_fake_gcs() {
    let upstream = sp_tests::services::gcs_endpoint();
    sp_tests::services::require("the fake GCS JSON server (fake-gcs-server)", &upstream);
    let account = "media@student-palace-test.iam.gserviceaccount.com";
    let gateway = sp_tests::gcs_gateway::GcsGateway::start(&upstream, account).await;
    let bucket = sp_tests::services::gcs_bucket();
    let prefix = format!("journey-{}", uuid::Uuid::new_v4().simple());
    let storage = format!("gs://{bucket}/{prefix}");
    let media = format!("{}/{bucket}/{prefix}", gateway.url);
    let key = sp_tests::gcs_gateway::service_account_key(account, &gateway.url);
    journey(&[
        ("STORAGE_URL", &storage),
        ("MEDIA_BASE_URL", &media),
        ("GOOGLE_SERVICE_ACCOUNT_KEY", &key),
        ("GCS_ALLOW_HTTP", "true"),
    ])
    .await;
}
