//! Resource limits on the wire: bodies are counted as they are read on every protocol,
//! slow clients are dropped, connections are capped.

use std::time::Duration;

use serde_json::{Value, json};
use sp_tests::spawn_app;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MIB: usize = 1024 * 1024;

/// A valid registration padded with trailing whitespace (still one JSON text) to `size`
/// bytes: without a limit the service would accept it.
fn big_registration(email: &str, size: usize) -> Vec<u8> {
    let mut body = serde_json::to_vec(
        &json!({"email": email, "password": "a long enough passphrase", "display_name": "Big Body", "role": "student"}),
    )
    .unwrap();
    body.resize(size.max(body.len()), b' ');
    body
}

/// Reads what the server sends until it closes or `deadline` passes.
async fn read_all(stream: &mut TcpStream, deadline: Duration) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let _ = tokio::time::timeout(deadline, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    out.extend_from_slice(&buf[..n]);
                    // One response is enough: stop once its (small) body has arrived.
                    if out.windows(4).any(|w| w == b"\r\n\r\n") && out.ends_with(b"}") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413_and_stores_nothing() {
    let app = spawn_app().await;
    let body = big_registration("chunky@example.ac.uk", 2 * MIB);
    let mut s = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let head = "POST /api/v1/auth/register HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
    s.write_all(head.as_bytes()).await.unwrap();
    // The server may answer and stop reading before the whole body is sent.
    for chunk in body.chunks(64 * 1024) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        if s.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let answer = read_all(&mut s, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{}", &answer[..answer.len().min(300)]);
    assert!(answer.to_ascii_lowercase().contains("content-type: application/problem+json"), "{answer}");
    assert!(answer.contains("/problems/payload-too-large"), "{answer}");
    assert!(
        app.deps
            .users
            .find_by_email(&domain::user::Email::parse("chunky@example.ac.uk").unwrap())
            .await
            .unwrap()
            .is_none()
    );

    // Under the limit, chunked works.
    let body = big_registration("small-chunks@example.ac.uk", 1000);
    let stream =
        futures::stream::iter(body.chunks(100).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>());
    let r = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    app.stop().await;
}

#[tokio::test]
async fn an_h2c_body_without_length_over_the_limit_is_413_and_stores_nothing() {
    let app = spawn_app().await;
    let h2 = reqwest::Client::builder().http2_prior_knowledge().build().unwrap();
    // Sent as a stream: HTTP/2 carries no Content-Length for it.
    let body = big_registration("streamy@example.ac.uk", 8 * MIB);
    let chunks: Vec<_> = body.chunks(64 * 1024).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect();
    let r = h2
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://student-palace.co.uk/problems/payload-too-large");
    assert!(
        app.deps
            .users
            .find_by_email(&domain::user::Email::parse("streamy@example.ac.uk").unwrap())
            .await
            .unwrap()
            .is_none()
    );

    // And under the limit over h2c, the same request works.
    let body = big_registration("h2-small@example.ac.uk", 1000);
    let chunks: Vec<_> = body.chunks(100).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect();
    let r = h2
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    app.stop().await;
}

#[tokio::test]
async fn an_exhausted_database_pool_answers_503_with_retry_after() {
    use sea_orm::TransactionTrait;
    let app = sp_tests::spawn_app_with(
        sp_tests::TestDb::postgres().await,
        &[("DATABASE_MAX_CONNECTIONS", "1"), ("DATABASE_ACQUIRE_TIMEOUT_MS", "200")],
    )
    .await;
    assert_eq!(app.get("/api/v1/listings").await.status(), 200);
    // Another user of the pool holds its only connection.
    let held = app.deps.db.begin().await.unwrap();
    let r = app.get("/api/v1/listings").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "2");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://student-palace.co.uk/problems/overloaded");
    assert!(!p.to_string().contains("pool"), "the cause stays in the log: {p}");
    held.rollback().await.unwrap();
    assert_eq!(app.get("/api/v1/listings").await.status(), 200, "back as soon as a connection is free");
    app.stop().await;
}

#[tokio::test]
async fn a_sign_in_storm_is_answered_401_or_503_never_500() {
    let app = sp_tests::spawn_app_with(sp_tests::TestDb::postgres().await, &[("PASSWORD_HASH_CONCURRENCY", "1")]).await;
    let login = |i: usize| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url("/api/v1/auth/login"))
                .json(&json!({"email": format!("nobody-{i}@example.ac.uk"), "password": "a wrong passphrase"}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            let kind = r.json::<Value>().await.unwrap()["type"].as_str().unwrap().to_owned();
            (status, retry, kind)
        }
    };
    let answers = futures::future::join_all((0..60).map(login)).await;
    let refused = answers.iter().filter(|a| a.0 == 401).count();
    let busy: Vec<_> = answers.iter().filter(|a| a.0 == 503).collect();
    assert_eq!(refused + busy.len(), answers.len(), "only 401 and 503: {answers:?}");
    assert!(refused >= 1, "the slot keeps working: {answers:?}");
    assert!(!busy.is_empty(), "one slot cannot hash 60 passwords within the 1 s wait: {answers:?}");
    for (_, retry, kind) in busy {
        assert_eq!((retry.as_deref(), kind.as_str()), (Some("2"), "https://student-palace.co.uk/problems/overloaded"));
    }
    app.stop().await;
}
