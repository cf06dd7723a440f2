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
    assert_eq!(app.get("/api/v1/listings").await.status(), 200, "a cached public page needs no connection");
    let r = app.get("/api/v1/listings?page_size=7").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "2");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "https://student-palace.co.uk/problems/overloaded");
    assert!(!p.to_string().contains("pool"), "the cause stays in the log: {p}");
    held.rollback().await.unwrap();
    assert_eq!(app.get("/api/v1/listings?page_size=7").await.status(), 200, "back as soon as a connection is free");
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

/// Whether the server closes `s` within `deadline` while the client keeps dribbling one
/// header byte every 100 ms (or sends nothing when `dribble` is false).
async fn closed_by_server(mut s: TcpStream, dribble: bool, deadline: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let watch = async {
        loop {
            if dribble && s.write_all(b"a").await.is_err() {
                return;
            }
            // EOF or reset: the server closed it. Data or a quiet 100 ms: go on.
            if let Ok(Ok(0) | Err(_)) = tokio::time::timeout(Duration::from_millis(100), s.read(&mut buf)).await {
                return;
            }
        }
    };
    tokio::time::timeout(deadline, watch).await.is_ok()
}

#[tokio::test]
async fn slow_and_silent_clients_are_disconnected() {
    let app =
        sp_tests::spawn_app_with(sp_tests::TestDb::postgres().await, &[("HEADER_READ_TIMEOUT_SECONDS", "1")]).await;
    let connect = || TcpStream::connect(("127.0.0.1", app.port));
    let mut clients = Vec::new();
    for i in 0..4 {
        let mut s = connect().await.unwrap();
        // Two slowloris clients (a request line, then a header a byte at a time), two
        // that connect and say nothing (nothing reaches the application for either).
        let dribble = i % 2 == 0;
        if dribble {
            s.write_all(b"GET /livez HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await.unwrap();
        }
        clients.push(closed_by_server(s, dribble, Duration::from_secs(10)));
    }
    let closed = futures::future::join_all(clients).await;
    assert_eq!(closed, [true; 4], "each is dropped by the 1 s header timeout, long before our 10 s deadline");
    // A normal client on a fresh connection is served.
    assert_eq!(reqwest::get(app.url("/livez")).await.unwrap().status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn connections_over_the_cap_wait_until_a_slot_frees() {
    let app = sp_tests::spawn_app_with(
        sp_tests::TestDb::postgres().await,
        &[("MAX_CONNECTIONS", "2"), ("HEADER_READ_TIMEOUT_SECONDS", "2")],
    )
    .await;
    // Both slots taken by clients that say nothing.
    let silent = [
        TcpStream::connect(("127.0.0.1", app.port)).await.unwrap(),
        TcpStream::connect(("127.0.0.1", app.port)).await.unwrap(),
    ];
    let fresh = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let request = fresh.get(app.url("/livez")).send();
    tokio::pin!(request);
    // Not served while the cap is reached (the two silent clients have 2 s)…
    assert!(tokio::time::timeout(Duration::from_millis(500), &mut request).await.is_err(), "held back by the cap");
    // …and served once the server has dropped them.
    let r = tokio::time::timeout(Duration::from_secs(10), request).await.expect("served after a slot freed").unwrap();
    assert_eq!(r.status(), 200);
    drop(silent);
    app.stop().await;
}

#[tokio::test]
async fn over_long_urls_and_headers_are_problems_with_the_usual_headers() {
    let app = spawn_app().await;
    let check = |r: &reqwest::Response, status: u16| {
        assert_eq!(r.status(), status);
        let h = r.headers();
        assert_eq!(h["content-type"], "application/problem+json");
        assert!(h.contains_key("x-request-id"), "{h:?}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["cache-control"], "no-store");
    };
    let r = app.get(&format!("/api/v1/listings?q={}", "a".repeat(9 * 1024))).await;
    check(&r, 414);
    assert_eq!(r.json::<Value>().await.unwrap()["type"], "https://student-palace.co.uk/problems/uri-too-long");

    let r = app.client.get(app.url("/api/v1/cities")).header("x-padding", "b".repeat(20 * 1024)).send().await.unwrap();
    check(&r, 431);
    assert_eq!(r.json::<Value>().await.unwrap()["type"], "https://student-palace.co.uk/problems/headers-too-large");

    // Over the server's hard cap (64 KiB) the answer is hyper's own, before the
    // application runs: a bare 431 (documented in docs/api.md).
    let r = app.client.get(app.url("/api/v1/cities")).header("x-padding", "c".repeat(80 * 1024)).send().await.unwrap();
    assert_eq!(r.status(), 431);

    // A NUL byte in the search text is refused like in every other text field.
    let r = app.get("/api/v1/listings?q=abc%00def").await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["type"], "https://student-palace.co.uk/problems/invalid-parameter");
    app.stop().await;
}
