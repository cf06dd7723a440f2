//! The log is safe to ship. This captures the process's real log output (JSON lines,
//! redaction on, as every environment runs it) through register, login, a failed login,
//! a photo upload on the fake S3 (the owner's view carries a presigned URL), an enquiry
//! and the mail job that sends it over SMTP, then asserts that no e-mail address, IP
//! address, password, session cookie, CSRF token or signed URL appears anywhere in it,
//! and that the access lines say what the on-call engineer needs: route template,
//! status, user id, user agent, masked client address.
//!
//! One test in this binary: the subscriber is process-wide.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sp_tests::actors::PASSWORD;
use sp_tests::images::{jpeg, noisy};
use sp_tests::log_capture::Capture;
use sp_tests::smtp::SmtpSink;
use sp_tests::{TestDb, spawn_app_with};

const UA: &str = "student-palace-log-test/1.0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_of_a_whole_journey_holds_no_personal_data_or_secrets() {
    let capture = Capture::default();
    bootstrap::telemetry::init(
        &bootstrap::telemetry::Logging {
            format: bootstrap::config::LogFormat::Json,
            // Debug where our code and the mail and storage clients log most.
            filter: "info,sqlx=warn,sp_http=debug,sp_worker=debug,sp_mail=debug,sp_blob=debug,sp_sql=debug,application=debug,bootstrap=debug,lettre=debug"
                .to_owned(),
            redact: true,
            gcp_project: None,
        },
        capture.clone(),
        None,
    );

    let smtp = SmtpSink::start();
    let smtp_url = smtp.url();
    let mut settings = sp_tests::services::fake_s3("logs");
    settings.push(("SMTP_URL", smtp_url));
    let app =
        spawn_app_with(TestDb::postgres().await, &settings.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>())
            .await;
    app.seed_cities().await;

    // Register and sign in by hand, to hold the session cookie's value.
    let browser = reqwest::Client::builder().user_agent(UA).build().unwrap();
    let email = format!("log.owner-{}@example.ac.uk", uuid::Uuid::new_v4().simple());
    let r = browser
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"email": email, "password": PASSWORD, "display_name": "Log Owner", "role": "landlord"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let wrong = "not-the-passphrase-at-all";
    let r = browser
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": wrong}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = browser
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let cookie_value = cookie.split_once('=').unwrap().1.to_owned();
    let signed_in: Value = r.json().await.unwrap();
    let owner_id = signed_in["user"]["id"].as_str().unwrap().to_owned();
    let owner_csrf = signed_in["csrf_token"].as_str().unwrap().to_owned();

    // A listing with a real photo: processed by the worker, stored on the fake S3.
    let owner = app.sign_in(&email, "landlord").await;
    let listing = owner.published_listing(&json!({})).await;
    let photos = format!("/api/v1/listings/{listing}/photos");
    let r = owner.upload(&photos, "front.jpg", jpeg(&noisy(800, 600, 7), 85)).await;
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let signed_url = loop {
        let list: Value = owner.get(&photos).await.json().await.unwrap();
        let ready =
            list["items"].as_array().unwrap().iter().find(|p| p["status"] == "ready" && p["original_url"].is_string());
        if let Some(p) = ready {
            break p["original_url"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "the upload was not processed within 60 s: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(signed_url.contains("X-Amz-Signature="), "a presigned URL: {signed_url}");

    // A student's enquiry, mailed to the owner by the worker over SMTP.
    let student = app.actor("student").await;
    let r = student
        .post(
            &format!("/api/v1/listings/{listing}/enquiries"),
            &json!({"message": "Is it still available from September?"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let mail = smtp.wait_for(1);
    assert!(mail[0].contains(&email), "the enquiry went to the owner");
    capture.wait_for("for the finished mail job", |v| {
        v["message"] == "job done" && v["kind"] == application::enquiries::NOTIFY_OWNER
    });

    // The access lines say what happened, and to whom, without saying who in person.
    let login = capture.wait_for("for the failed login", |v| {
        v["message"] == "request completed" && v["route"] == "/api/v1/auth/login" && v["status"] == 401
    });
    assert_eq!(login["method"], "POST", "{login}");
    assert_eq!(login["user_agent"], UA, "{login}");
    assert_eq!(login["client_ip"], "127.0.0.x", "the client's address, masked: {login}");
    assert_eq!(login["severity"], "INFO", "{login}");
    assert!(login["request_id"].is_string() && login["latency_ms"].is_number(), "{login}");
    let upload =
        capture.wait_for("for the upload", |v| v["route"] == "/api/v1/listings/{id}/photos" && v["status"] == 202);
    assert_eq!(upload["user_id"], owner_id.as_str(), "the signed-in user's id: {upload}");
    assert!(upload["bytes"].is_number(), "{upload}");

    // Code that logs an address by mistake (here, on purpose) has it masked all the same.
    tracing::warn!(to = %email, peer = "203.0.113.7", "a careless line about {email}");
    let careless = capture.wait_for("for the careless line", |v| v["peer"] == "203.0.113.x");
    assert!(careless["to"].as_str().unwrap().starts_with("l***@e***."), "{careless}");

    let text = capture.text();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        for key in ["severity", "timestamp", "target"] {
            assert!(v[key].is_string(), "{key} missing: {line}");
        }
        let ours = ["sp_", "application", "bootstrap"].iter().any(|t| v["target"].as_str().unwrap().starts_with(t));
        assert!(!ours || v["message"].is_string(), "our events have a message: {line}");
    }
    let email_pattern = regex::Regex::new(r"(?i)[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)+").unwrap();
    let ipv4 = regex::Regex::new(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b").unwrap();
    let secrets = [
        ("the owner's e-mail", email.as_str()),
        ("the student's e-mail", student.email.as_str()),
        ("the password", PASSWORD),
        ("the wrong password", wrong),
        ("the session cookie", cookie_value.as_str()),
        ("the owner's CSRF token", owner_csrf.as_str()),
        ("the CSRF token", owner.csrf.as_str()),
        ("the student's CSRF token", student.csrf.as_str()),
        ("the signed URL", signed_url.as_str()),
        ("a URL signature", "X-Amz-Signature"),
        ("a URL credential", "X-Amz-Credential"),
        ("the enquiry's text", "still available from September"),
    ];
    for (what, secret) in secrets {
        assert!(!text.contains(secret), "{what} is in the log:\n{text}");
    }
    assert!(email_pattern.find(&text).is_none(), "an e-mail address is in the log: {:?}", email_pattern.find(&text));
    assert!(ipv4.find(&text).is_none(), "an IP address is in the log: {:?}", ipv4.find(&text));
    assert!(text.lines().count() > 20, "the journey logged: {} lines", text.lines().count());
}
