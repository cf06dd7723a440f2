//! The contract check: schemathesis fuzzes the assembled service with the service's own
//! OpenAPI document, anonymously and signed in as each kind of user (session cookie and
//! CSRF header through the document's security schemes). It fails on any server error,
//! any response that does not match the document (status, content type, headers, body),
//! any schema-valid request refused with a 400 (422 is a documented rule refusal, see
//! `tests/contract/schemathesis.toml`), any schema-violating request accepted, a 405
//! without `Allow`, and authentication the server ignores.
//!
//! Bounded for CI: a fixed seed and example count per operation (`EXAMPLES`), one
//! worker (with two, schemathesis 4.32 has failed internally: a KeyError in its
//! generation cache). Each mode takes 20–30 s on two cores.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};
use sp_tests::actors::PASSWORD;
use sp_tests::{TestApp, services, spawn_app};

const SEED: &str = "20261201";
const EXAMPLES: &str = "25";

/// Signs in without a cookie jar and returns (session cookie value, CSRF token).
async fn credentials(app: &TestApp, email: &str) -> (String, String) {
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("sp_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let v: Value = r.json().await.unwrap();
    (cookie, v["csrf_token"].as_str().unwrap().to_owned())
}

/// A service with something to find: cities, two published listings and a draft, a
/// saved listing and an enquiry. Returns the app and the e-mails of a student, a
/// landlord and an admin.
async fn world() -> (TestApp, [String; 3]) {
    let app = spawn_app().await;
    app.seed_cities().await;
    let landlord = app.actor("landlord").await;
    let student = app.actor("student").await;
    let admin = app.admin().await;
    let a = landlord.published_listing(&json!({})).await;
    landlord.published_listing(&json!({"bedrooms": 2, "rent_pppw_pence": 9900, "deposit_pence": 40000})).await;
    landlord.create_listing(&json!({"title": "A draft in progress"})).await;
    assert_eq!(student.put(&format!("/api/v1/me/shortlist/{a}")).await.status(), 204);
    let r = student.post(&format!("/api/v1/listings/{a}/enquiries"), &json!({"message": "Is it still free?"})).await;
    assert_eq!(r.status(), 201);
    (app, [student.email, landlord.email, admin.email])
}

/// Runs schemathesis against `app`, signed in when `auth` is given; panics with its
/// report when it finds anything.
async fn fuzz(app: &TestApp, auth: Option<(String, String)>, label: &str) {
    let st = services::schemathesis();
    let dir = tempfile::tempdir().unwrap();
    let mut config = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/contract/schemathesis.toml"))
        .expect("tests/contract/schemathesis.toml");
    let mut args = vec![];
    if let Some((cookie, csrf)) = &auth {
        let _ = write!(
            config,
            "\n[auth.openapi.session]\napi_key = \"{cookie}\"\n\n[auth.openapi.csrf]\napi_key = \"{csrf}\"\n"
        );
        // Signing out would end the session the rest of the run uses (the anonymous run
        // and the black-box tests cover it).
        args.extend(["--exclude-operation-id", "logout"]);
    }
    let config_path = dir.path().join("schemathesis.toml");
    std::fs::write(&config_path, config).unwrap();
    let mut cmd = tokio::process::Command::new(&st);
    cmd.current_dir(dir.path())
        .env("NO_COLOR", "1")
        .arg("--config-file")
        .arg(&config_path)
        .arg("run")
        .arg(app.url("/api/openapi.json"))
        .args(["--url", &app.url("/api/v1")])
        .args(["--checks", "all", "--max-examples", EXAMPLES, "--seed", SEED, "--workers", "1"])
        .args(["--request-timeout", "10", "--no-shrink"])
        .args(args)
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(600), cmd.output())
        .await
        .expect("schemathesis finished within 10 minutes")
        .expect("schemathesis runs");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "schemathesis ({label}) found problems:\n{report}");
    assert!(report.contains("passed"), "schemathesis ({label}) ran no cases:\n{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_holds_for_anonymous_clients() {
    let (app, _) = world().await;
    fuzz(&app, None, "anonymous").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_holds_for_a_signed_in_student() {
    let (app, [student, _, _]) = world().await;
    let creds = credentials(&app, &student).await;
    fuzz(&app, Some(creds), "student").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_holds_for_a_signed_in_landlord() {
    let (app, [_, landlord, _]) = world().await;
    let creds = credentials(&app, &landlord).await;
    fuzz(&app, Some(creds), "landlord").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_holds_for_a_signed_in_admin() {
    let (app, [_, _, admin]) = world().await;
    let creds = credentials(&app, &admin).await;
    fuzz(&app, Some(creds), "admin").await;
    app.stop().await;
}
