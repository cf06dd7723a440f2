//! The assembled service's common behaviour: cities, OpenAPI, errors, request ids,
//! headers, limits.

use serde_json::Value;
use sp_tests::{TestDb, spawn_app, spawn_app_with};

async fn seed(app: &sp_tests::TestApp) {
    bootstrap::demo::seed_cities(app.deps.cities.clone(), app.deps.public_version()).await.unwrap();
}

#[tokio::test]
async fn cities_lists_active_cities_with_areas() {
    let app = spawn_app().await;
    let empty: Value = app.get("/api/v1/cities").await.json().await.unwrap();
    assert_eq!(empty["items"].as_array().unwrap().len(), 0);

    seed(&app).await;
    let r = app.get("/api/v1/cities").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: Value = r.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), bootstrap::reference::UK_CITIES.len());
    let leeds = items.iter().find(|c| c["slug"] == "leeds").expect("leeds");
    assert_eq!(leeds["name"], "Leeds");
    assert!(leeds["areas"].as_array().unwrap().iter().any(|a| a == "Hyde Park"));
    let names: Vec<_> = items.iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "alphabetical");
    app.stop().await;
}

#[tokio::test]
async fn same_behaviour_on_sqlite() {
    let app = spawn_app_with(TestDb::sqlite(), &[]).await;
    seed(&app).await;
    let body: Value = app.get("/api/v1/cities").await.json().await.unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), bootstrap::reference::UK_CITIES.len());
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn openapi_and_swagger_ui_are_served() {
    let app = spawn_app().await;
    let spec: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert!(spec["paths"]["/cities"]["get"].is_object(), "{}", spec["paths"]);
    let r = app.get("/docs").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().to_lowercase().contains("swagger"));
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_are_problem_json_404() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/nope").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://student-palace.co.uk/problems/not-found");
    assert_eq!(p["status"], 404);
    assert_eq!(p["title"], "Not found");
    app.stop().await;
}

#[tokio::test]
async fn wrong_method_is_405_problem_with_allow() {
    let app = spawn_app().await;
    let r = app.client.delete(app.url("/api/v1/cities")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(r.headers()["allow"], "GET, HEAD");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://student-palace.co.uk/problems/method-not-allowed");
    assert_eq!(p["instance"], "/api/v1/cities");
    let trace = reqwest::Method::from_bytes(b"TRACE").unwrap();
    for (path, allow) in [
        ("/api/v1/cities", "GET, HEAD"),
        ("/api/v1/listings", "GET, HEAD, POST"),
        ("/api/v1/listings/0193b4a0-0000-7000-8000-000000000000", "GET, HEAD, PATCH, DELETE"),
        ("/api/v1/me/shortlist/0193b4a0-0000-7000-8000-000000000000", "PUT, DELETE"),
        ("/healthz", "GET, HEAD"),
    ] {
        let r = app.client.request(trace.clone(), app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 405, "{path}");
        assert_eq!(r.headers()["allow"], allow, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn every_problem_names_its_request_path() {
    let app = spawn_app().await;
    let p: Value = app.get("/api/v1/nope?x=1").await.json().await.unwrap();
    assert_eq!(p["instance"], "/api/v1/nope", "the path, never the query string");
    let p: Value = app.get("/api/v1/listings?page_size=0").await.json().await.unwrap();
    assert_eq!(p["instance"], "/api/v1/listings");
    assert_eq!(p["errors"][0]["field"], "page_size");
    app.stop().await;
}

#[tokio::test]
async fn a_body_without_json_content_type_is_415_problem() {
    let app = spawn_app().await;
    for content_type in [None, Some("text/plain")] {
        let mut req = app.client.post(app.url("/api/v1/auth/login")).body(r#"{"email":"a@b.cd","password":"x"}"#);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 415, "{content_type:?}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["type"], "https://student-palace.co.uk/problems/unsupported-media-type");
    }
    let spec: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    assert!(spec["paths"]["/auth/login"]["post"]["responses"]["415"].is_object(), "documented");
    app.stop().await;
}

#[tokio::test]
async fn personal_responses_are_never_cached() {
    let app = spawn_app().await;
    app.seed_cities().await;
    let landlord = app.actor("landlord").await;
    let draft = landlord.create_listing(&serde_json::json!({"title": "Private draft"})).await;
    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": landlord.email, "password": sp_tests::actors::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.headers()["cache-control"], "no-store", "sign-in");
    for path in ["/api/v1/me", "/api/v1/me/listings", "/api/v1/me/enquiries", &format!("/api/v1/listings/{draft}")] {
        let r = landlord.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn every_request_gets_the_servers_own_id() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    // Whatever the client sends (a plain id, log injection, oversize, nothing), the
    // answer carries a fresh server id: a client id is only logged beside it.
    for sent in [Some("trace-abc.123"), Some("a b\"c"), Some(&*"x".repeat(200)), None] {
        let b = app.client.get(app.url("/livez"));
        let b = match sent {
            Some(v) => b.header("x-request-id", v),
            None => b,
        };
        let r = b.send().await.unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(uuid::Uuid::parse_str(&id).map(|u| u.get_version_num()), Ok(7), "{id}");
        assert!(seen.insert(id), "ids are unique");
    }
    // Errors carry it too.
    let r = app.client.get(app.url("/missing")).header("x-request-id", "err-1").send().await.unwrap();
    assert_ne!(r.headers()["x-request-id"], "err-1");
    assert!(uuid::Uuid::parse_str(r.headers()["x-request-id"].to_str().unwrap()).is_ok());
    app.stop().await;
}

#[tokio::test]
async fn security_headers_everywhere_and_no_hsts_in_dev() {
    let app = spawn_app().await;
    for path in ["/livez", "/api/v1/cities", "/nope", "/docs", "/api/openapi.json"] {
        let r = app.get(path).await;
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["cross-origin-resource-policy"], "same-origin", "{path}");
        assert!(h["permissions-policy"].to_str().unwrap().contains("geolocation=()"), "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!h.contains_key("strict-transport-security"), "{path}: dev runs on plain http");
    }
    // Swagger UI: its two inline scripts are allowed by hash, nothing else runs.
    let r = app.get("/docs").await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src")).expect("script-src").to_owned();
    assert_eq!(script_src.matches("'sha256-").count(), 2, "{csp}");
    assert!(!script_src.contains("unsafe"), "{csp}");
    let html = r.text().await.unwrap();
    // (The bundle's own code mentions "<script" but never closes one.)
    assert_eq!(html.matches("</script>").count(), 2, "every script on the page has its hash");
    app.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_413_problem() {
    let app = spawn_app().await;
    let r = app.client.post(app.url("/api/v1/cities")).body(vec![b'x'; 2 * 1024 * 1024]).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    app.stop().await;
}

#[tokio::test]
async fn slow_requests_time_out_with_503() {
    let app = spawn_app_with(TestDb::postgres().await, &[("REQUEST_TIMEOUT_SECONDS", "1")]).await;
    let r = app.get("/_dev/sleep?ms=3000").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "5", "overload answers say when to come back");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://student-palace.co.uk/problems/timeout");
    app.stop().await;
}

#[tokio::test]
async fn graceful_stop_lets_in_flight_requests_finish() {
    let app = spawn_app().await;
    // Headers arrive at once, the body after 700 ms: once we hold the headers the
    // request is in flight on the server.
    let r = app.get("/_dev/sleep?ms=700&stream=true").await;
    assert_eq!(r.status(), 200);
    let stopping = tokio::spawn(app.stop());
    let body: Value = r.json().await.expect("the in-flight request completed after the stop began");
    assert_eq!(body["slept_ms"], 700);
    stopping.await.unwrap();
}
