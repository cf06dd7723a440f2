//! Bad input gets a clear 4xx problem+json and changes nothing: empty bodies, wrong
//! types, huge strings, negative numbers, invalid UTF-8, unknown enum values.

use reqwest::Method;
use serde_json::{Value, json};
use sp_tests::spawn_app;

fn bodies() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let huge = "x".repeat(200_000);
    vec![
        ("empty body", Vec::new(), "application/json"),
        ("not json", b"{title:".to_vec(), "application/json"),
        ("json array", b"[]".to_vec(), "application/json"),
        ("json null", b"null".to_vec(), "application/json"),
        ("wrong content type", b"title=x".to_vec(), "application/x-www-form-urlencoded"),
        ("invalid utf-8", vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'], "application/json"),
        ("wrong types", serde_json::to_vec(&json!({"title": 5, "bedrooms": "many", "features": "wifi"})).unwrap(), "application/json"),
        ("negative numbers", serde_json::to_vec(&json!({"bedrooms": -1, "rent_pppw_pence": -100, "deposit_pence": -1})).unwrap(), "application/json"),
        ("overflowing numbers", b"{\"rent_pppw_pence\": 99999999999999999999999}".to_vec(), "application/json"),
        ("huge strings", serde_json::to_vec(&json!({"title": huge, "description": huge})).unwrap(), "application/json"),
        ("unknown enums", serde_json::to_vec(&json!({"property_type": "castle", "epc_rating": "Z", "features": ["jacuzzi"], "role": "king", "status": "maybe"})).unwrap(), "application/json"),
        ("unknown fields", serde_json::to_vec(&json!({"owner_id": "00000000-0000-0000-0000-000000000000", "status": "published"})).unwrap(), "application/json"),
        ("control characters", serde_json::to_vec(&json!({"title": "a\u{0}b\u{7}", "message": "\u{1b}[31m", "email": "a\u{0}@b.com"})).unwrap(), "application/json"),
    ]
}

#[tokio::test]
async fn no_bad_body_produces_a_500_or_a_change() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let student = app.actor("student").await;
    let listing = owner.published_listing(&json!({})).await;
    let before: Value = owner.get(&format!("/api/v1/listings/{listing}")).await.json().await.unwrap();
    let endpoints: Vec<(Method, String, &sp_tests::Actor)> = vec![
        (Method::POST, "/api/v1/auth/register".into(), &student),
        (Method::POST, "/api/v1/auth/login".into(), &student),
        (Method::POST, "/api/v1/listings".into(), &owner),
        (Method::PATCH, format!("/api/v1/listings/{listing}"), &owner),
        (Method::POST, format!("/api/v1/listings/{listing}/enquiries"), &student),
        (Method::POST, format!("/api/v1/admin/listings/{listing}/unpublish"), &owner),
    ];
    let mut failures = Vec::new();
    for (method, path, who) in &endpoints {
        for (name, body, ct) in bodies() {
            let r = who.req(method.clone(), path).header("content-type", ct).body(body).send().await.unwrap();
            let status = r.status().as_u16();
            let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            if !(400..500).contains(&status) || ct != "application/problem+json" {
                failures.push(format!("{method} {path} with {name}: {status} {ct}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let after: Value = owner.get(&format!("/api/v1/listings/{listing}")).await.json().await.unwrap();
    assert_eq!(before, after, "nothing changed");
    let mine: Value = owner.get("/api/v1/me/listings").await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "no listing was created");
    assert!(
        app.jobs_of(application::enquiries::NOTIFY_OWNER).await.is_empty() && app.sent_mail().is_empty(),
        "no enquiry was sent"
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_paths_and_query_strings_are_4xx() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/listings/not-a-uuid",
        "/api/v1/listings/%ff%fe",
        "/api/v1/listings?city=%ff%fe",
        "/api/v1/listings?q=%ff",
        "/api/v1/listings?%ff=1",
        "/api/v1/listings?min_rent=99999999999999999999",
        "/api/v1/listings?page_size=-1",
        "/api/v1/listings?cursor=%00%00",
        &format!("/api/v1/listings?q={}", "a".repeat(5000)),
        "/api/v1/admin/audit?actor=nope",
    ] {
        let r = app.get(path).await;
        let status = r.status().as_u16();
        assert!((400..500).contains(&status), "{path}: {status}");
        assert_eq!(r.headers()["content-type"], "application/problem+json", "{path}");
    }
    app.stop().await;
}

/// Admin filters that are too long, or hold control characters, are refused: never
/// silently dropped (which answered with everything, unfiltered) and never a 500.
#[tokio::test]
async fn bad_admin_filters_are_400_not_unfiltered() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let long_email = "e".repeat(300);
    let long_id = "1".repeat(65);
    for query in [
        format!("/api/v1/admin/users?email={long_email}"),
        "/api/v1/admin/users?email=a%00b".to_owned(),
        "/api/v1/admin/users?email=".to_owned(),
        format!("/api/v1/admin/audit?target_id={long_id}"),
        "/api/v1/admin/audit?target_id=a%00b".to_owned(),
        "/api/v1/admin/audit?target_type=USER%20x".to_owned(),
        format!("/api/v1/admin/audit?target_type={}", "u".repeat(40)),
    ] {
        let r = admin.get(&query).await;
        assert_eq!(r.status(), 400, "{query}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["type"], "https://student-palace.co.uk/problems/invalid-parameter", "{query}");
    }
    let r = admin.get(&format!("/api/v1/admin/users?email={}", admin.email)).await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "a good filter filters");
    app.stop().await;
}

/// A number or boolean where the document says `type: string` is 400, never stored as
/// its text (poem-openapi's `String` would turn `false` into `"false"`).
#[tokio::test]
async fn numbers_and_booleans_are_not_strings() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let owner = app.actor("landlord").await;
    let student = app.actor("student").await;
    let admin = app.admin().await;
    let listing = owner.published_listing(&json!({})).await;
    let etag = owner.etag(&listing).await;
    let cases: Vec<(&sp_tests::Actor, Method, String, Value)> = vec![
        (
            &student,
            Method::POST,
            "/api/v1/auth/login".into(),
            json!({"email": student.email, "password": 123_456_789_012_i64}),
        ),
        (
            &student,
            Method::POST,
            "/api/v1/auth/register".into(),
            json!({"email": "x@example.com", "password": "a long enough passphrase", "display_name": true, "role": "student"}),
        ),
        (&owner, Method::POST, "/api/v1/listings".into(), json!({"title": false})),
        (&owner, Method::PATCH, format!("/api/v1/listings/{listing}"), json!({"description": 12345})),
        (
            &student,
            Method::POST,
            format!("/api/v1/listings/{listing}/enquiries"),
            json!({"message": 1_234_567_890_123_i64}),
        ),
        (&admin, Method::POST, format!("/api/v1/admin/listings/{listing}/unpublish"), json!({"reason": true})),
        (&admin, Method::POST, "/api/v1/admin/cities".into(), json!({"name": false})),
    ];
    for (who, method, path, body) in cases {
        let r = who.req(method.clone(), &path).header("if-match", &etag).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 400, "{method} {path} {body}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["type"], "https://student-palace.co.uk/problems/invalid-body", "{p}");
    }
    let mine: Value = owner.get("/api/v1/me/listings").await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "no listing was created");
    let cities: Value = admin.get("/api/v1/admin/cities").await.json().await.unwrap();
    assert!(cities["items"].as_array().unwrap().iter().all(|c| c["name"] != "false"));
    app.stop().await;
}
