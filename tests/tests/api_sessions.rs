//! Server-side sessions (`SESSION_STORE=redis`, issue 15) through the API: two instances
//! on one Redis share a session, and ending it on one ends it on both; signing in gives
//! a new session id (no fixation); sign-out everywhere, password change and suspension
//! delete the sessions from Redis; with Redis gone users are signed out, nobody is let
//! in, public reads keep working, and it all comes back by itself.

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sp_tests::actors::{Actor, PASSWORD};
use sp_tests::proxy::{Mode, Proxy};
use sp_tests::redis_server::RedisServer;
use sp_tests::{TestApp, TestDb, services, spawn_app_with};

const KEY: &str = "session-test-secret-key-0123456789abcdef-0123";
/// `APP_ENV=dev` in tests: the service's Redis keys start with this.
const PREFIX: &str = "sp:dev:";

fn shared_redis() -> String {
    let url = services::redis_url();
    services::require("Redis", &url);
    url
}

fn vars(redis_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("REDIS_URL", redis_url.to_owned()),
        ("SESSION_STORE", "redis".to_owned()),
        ("SECRET_KEY", KEY.to_owned()),
        ("REDIS_TIMEOUT_MS", "200".to_owned()),
    ]
}

async fn spawn(db: TestDb, redis_url: &str) -> TestApp {
    let v = vars(redis_url);
    let pairs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(db, &pairs).await
}

async fn redis(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.expect("a direct Redis connection")
}

/// The store keys of a user's sessions (digests of the cookies' ids).
async fn sessions_of(conn: &mut redis::aio::MultiplexedConnection, user: &str) -> Vec<String> {
    conn.smembers(format!("{PREFIX}user-sessions:{user}")).await.unwrap()
}

async fn live(conn: &mut redis::aio::MultiplexedConnection, ids: &[String]) -> usize {
    let mut n = 0;
    for id in ids {
        let exists: bool = conn.exists(format!("{PREFIX}session:{id}")).await.unwrap();
        n += usize::from(exists);
    }
    n
}

/// The session cookie a response sets (`name=value`), if any.
fn set_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("sp_session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

/// Signs in with a client that keeps no cookies, sending `cookie` if given; returns the
/// response's status and the cookie it set.
async fn login_raw(app: &TestApp, email: &str, cookie: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let mut r =
        reqwest::Client::new().post(app.url("/api/v1/auth/login")).json(&json!({"email": email, "password": PASSWORD}));
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    let r = r.send().await.unwrap();
    let (status, cookie) = (r.status(), set_cookie(&r));
    (status, cookie, r.json().await.unwrap_or(Value::Null))
}

async fn me_with(app: &TestApp, cookie: &str) -> (StatusCode, Value) {
    let r = reqwest::Client::new().get(app.url("/api/v1/me")).header("cookie", cookie).send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// Done-when of issue 15: a session made on one instance works on the other, and
/// signing out on the other ends it on both (and in Redis).
#[tokio::test]
async fn two_instances_share_a_session_and_signing_out_ends_it_on_both() {
    let url = shared_redis();
    let a = spawn(TestDb::postgres().await, &url).await;
    let b = spawn(a.db.alias(), &url).await;
    let mut conn = redis(&url).await;

    let on_a = a.actor("student").await;
    let on_b = on_a.on(&b);
    let r = on_b.get("/api/v1/me").await;
    assert_eq!(r.status(), 200, "the session made on A is known to B");
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["user"]["id"], on_a.id.as_str());
    assert_eq!(me["csrf_token"], on_a.csrf.as_str(), "the same session, not a copy");
    let ids = sessions_of(&mut conn, &on_a.id).await;
    assert_eq!(live(&mut conn, &ids).await, 1, "one live session in Redis: {ids:?}");

    assert_eq!(on_b.post_empty("/api/v1/auth/logout").await.status(), 204);
    assert_eq!(on_a.get("/api/v1/me").await.status(), 401, "signed out on B is signed out on A");
    assert_eq!(live(&mut conn, &ids).await, 0, "the session is gone from Redis");
}

/// A session id planted before sign-in (session fixation) is not the one the user gets,
/// and it no longer works afterwards, neither as the victim nor as its first owner.
#[tokio::test]
async fn signing_in_issues_a_new_session_id() {
    let url = shared_redis();
    let app = spawn(TestDb::postgres().await, &url).await;
    let attacker = app.actor("student").await;
    let victim = app.actor("student").await;
    let (status, planted, _) = login_raw(&app, &attacker.email, None).await;
    assert_eq!(status, 200);
    let planted = planted.expect("sign-in sets the session cookie");
    assert_eq!(me_with(&app, &planted).await.0, 200, "the planted cookie is a live session");

    let (status, issued, _) = login_raw(&app, &victim.email, Some(&planted)).await;
    assert_eq!(status, 200);
    let issued = issued.expect("sign-in sets a cookie");
    assert_ne!(issued, planted, "a new id at sign-in");
    let (status, me) = me_with(&app, &issued).await;
    assert_eq!((status, me["user"]["id"].as_str()), (StatusCode::OK, Some(victim.id.as_str())));
    assert_eq!(me_with(&app, &planted).await.0, 401, "the planted id was removed at sign-in");
}

#[tokio::test]
async fn sign_out_everywhere_password_change_and_suspension_delete_sessions_in_redis() {
    let url = shared_redis();
    let app = spawn(TestDb::postgres().await, &url).await;
    let mut conn = redis(&url).await;

    // Sign out everywhere.
    let phone = app.actor("student").await;
    let laptop = app.sign_in(&phone.email, "student").await;
    let before = sessions_of(&mut conn, &phone.id).await;
    assert_eq!(live(&mut conn, &before).await, 2, "{before:?}");
    assert_eq!(laptop.post_empty("/api/v1/me/sessions/revoke-all").await.status(), 204);
    assert_eq!(live(&mut conn, &before).await, 0);
    assert!(sessions_of(&mut conn, &phone.id).await.is_empty(), "the user's set is gone too");
    assert_eq!(phone.get("/api/v1/me").await.status(), 401);

    // Password change: every other session ends; this client gets a new one.
    let phone = app.sign_in(&phone.email, "student").await;
    let laptop = app.sign_in(&phone.email, "student").await;
    let before = sessions_of(&mut conn, &phone.id).await;
    assert_eq!(live(&mut conn, &before).await, 2);
    let r = laptop
        .post(
            "/api/v1/me/password",
            &json!({"current_password": PASSWORD, "new_password": "another long passphrase 42"}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    assert_eq!(live(&mut conn, &before).await, 0, "the sessions before the change are deleted");
    let after = sessions_of(&mut conn, &phone.id).await;
    assert_eq!((after.len(), live(&mut conn, &after).await), (1, 1), "only the fresh session of this client");
    assert_eq!(phone.get("/api/v1/me").await.status(), 401);
    assert_eq!(laptop.get("/api/v1/me").await.status(), 200);

    // Suspension.
    let admin = app.admin().await;
    assert_eq!(admin.post_empty(&format!("/api/v1/admin/users/{}/suspend", phone.id)).await.status(), 200);
    assert_eq!(live(&mut conn, &after).await, 0, "suspension deletes the user's sessions");
    assert_eq!(laptop.get("/api/v1/me").await.status(), 401);
    assert_eq!(admin.get("/api/v1/me").await.status(), 200, "other users keep theirs");
}

async fn assert_unavailable(r: reqwest::Response) {
    assert_eq!(r.status(), 503);
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert!(p["type"].as_str().unwrap().ends_with("/unavailable"), "{p}");
}

async fn signed_in_user(app: &TestApp) -> Actor {
    app.actor("student").await
}

/// Redis dies, then hangs: the signed-in are signed out (401), sign-in answers 503
/// `unavailable` with `Retry-After` (nobody is let in on a session that was not stored),
/// public reads answer 200; once Redis is back, sign-in works again and the sessions
/// that were stored before still do.
#[tokio::test]
async fn with_redis_gone_nobody_is_let_in_and_it_recovers() {
    let server = RedisServer::start();
    let proxy = Proxy::start(&server.addr).await;
    let app = spawn(TestDb::postgres().await, &proxy.url("redis")).await;
    app.seed_cities().await;
    let student = signed_in_user(&app).await;
    assert_eq!(student.get("/api/v1/me").await.status(), 200);

    for mode in [Mode::Refuse, Mode::Hang] {
        proxy.set(mode);
        let started = Instant::now();
        assert_eq!(student.get("/api/v1/me").await.status(), 401, "{mode:?}: signed out");
        let (status, cookie, _) = login_raw(&app, &student.email, None).await;
        assert_eq!((status, cookie), (StatusCode::SERVICE_UNAVAILABLE, None), "{mode:?}: no session handed out");
        let r = reqwest::Client::new()
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": student.email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert!(set_cookie(&r).is_none());
        assert_unavailable(r).await;
        assert_eq!(app.get("/api/v1/cities").await.status(), 200, "{mode:?}: public reads work");
        assert!(started.elapsed() < Duration::from_secs(5), "{mode:?}: bounded by REDIS_TIMEOUT_MS");
    }

    proxy.set(Mode::Pass);
    let deadline = Instant::now() + Duration::from_secs(10);
    let fresh = loop {
        let (status, cookie, _) = login_raw(&app, &student.email, None).await;
        if status == 200 {
            break cookie.expect("a session cookie");
        }
        assert!(Instant::now() < deadline, "sign-in did not recover within 10 s (last {status})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(me_with(&app, &fresh).await.0, 200);
    assert_eq!(student.get("/api/v1/me").await.status(), 200, "a stored session outlives the outage");
}
