//! `Mailer` adapters against real receivers: SMTP (aiosmtpd, started by the test) and
//! the dev folder of `.eml` files. The same message, both bodies, checked on arrival.

use std::time::Duration;

use application::ports::{MailError, MailMessage, Mailer};
use secrecy::SecretString;
use sp_mail::{EmlFolder, SmtpMailer};
use sp_tests::smtp::SmtpSink;

fn message(to: &str) -> MailMessage {
    MailMessage {
        to: domain::Email::parse(to).unwrap(),
        subject: "New enquiry about Bright 5-bed & garden".into(),
        text: "Hello Sam,\n\nIs the room still free? — Alex".into(),
        html: "<p>Hello Sam,</p><p>Is the room <b>still</b> free? — Alex</p>".into(),
    }
}

/// The decoded parts of a MIME message, as (content type, body).
fn parts(raw: &str) -> Vec<(String, String)> {
    let parsed = mailparse::parse_mail(raw.as_bytes()).unwrap();
    parsed.subparts.iter().map(|p| (p.ctype.mimetype.clone(), p.get_body().unwrap().replace("\r\n", "\n"))).collect()
}

fn check(raw: &str, to: &str) {
    let parsed = mailparse::parse_mail(raw.as_bytes()).unwrap();
    let header = |name: &str| {
        use mailparse::MailHeaderMap;
        parsed.headers.get_first_value(name).unwrap_or_default()
    };
    assert_eq!(header("To"), to);
    assert_eq!(header("Subject"), "New enquiry about Bright 5-bed & garden");
    assert!(header("From").contains("no-reply@student-palace.test"));
    assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
    let parts = parts(raw);
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(parts[0].0, "text/plain");
    assert_eq!(parts[0].1.trim_end(), "Hello Sam,\n\nIs the room still free? — Alex");
    assert_eq!(parts[1].0, "text/html");
    assert_eq!(parts[1].1.trim_end(), "<p>Hello Sam,</p><p>Is the room <b>still</b> free? — Alex</p>");
}

const FROM: &str = "Student Palace <no-reply@student-palace.test>";

#[tokio::test]
async fn smtp_delivers_recipient_subject_and_both_bodies() {
    let sink = SmtpSink::start();
    let mailer = SmtpMailer::new(&SecretString::from(sink.url()), FROM, Duration::from_secs(5)).unwrap();
    mailer.ping().await.expect("the SMTP server answers");
    mailer.send(&message("owner@example.com")).await.unwrap();
    mailer.send(&message("second@example.com")).await.expect("the pooled connection is reused");
    let mut got = sink.wait_for(2);
    got.sort_by_key(|m| m.contains("second@example.com"));
    check(&got[0], "owner@example.com");
    check(&got[1], "second@example.com");
}

#[tokio::test]
async fn smtp_server_down_is_unavailable_so_the_job_retries() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = SecretString::from(format!("smtp://127.0.0.1:{port}"));
    let mailer = SmtpMailer::new(&url, FROM, Duration::from_secs(2)).unwrap();
    let err = mailer.send(&message("owner@example.com")).await.unwrap_err();
    assert!(matches!(err, MailError::Unavailable(_)), "{err:?}");
    assert!(!format!("{err:#}").contains("owner@example.com"), "no address in the error");
}

#[tokio::test]
async fn eml_folder_writes_the_same_message() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = EmlFolder::new(dir.path().join("outbox"), FROM).unwrap();
    outbox.send(&message("owner@example.com")).await.unwrap();
    let files: Vec<_> = std::fs::read_dir(outbox.dir()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    check(&std::fs::read_to_string(&files[0]).unwrap(), "owner@example.com");
}

/// A scripted SMTP server on a free port that answers `RCPT TO` with `reply` (and
/// everything else as a server that accepts would). Servers quote the address in such
/// replies; the mailer must not.
async fn scripted_server(reply: &'static str) -> u16 {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 fake.test ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let answer: &[u8] = if upper.starts_with("EHLO") {
                        b"250-fake.test\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("RCPT") {
                        reply.as_bytes()
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    if write.write_all(answer).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

async fn send_via(reply: &'static str) -> MailError {
    let port = scripted_server(reply).await;
    let url = SecretString::from(format!("smtp://127.0.0.1:{port}"));
    let mailer = SmtpMailer::new(&url, FROM, Duration::from_secs(5)).unwrap();
    mailer.send(&message("owner@example.com")).await.unwrap_err()
}

#[tokio::test]
async fn smtp_refusals_are_told_by_their_code_and_never_repeat_the_address() {
    let rejected = send_via("550 5.1.1 <owner@example.com>: Recipient address rejected\r\n").await;
    assert!(matches!(rejected, MailError::Rejected(_)), "a mailbox refusal is permanent: {rejected:?}");
    let greylisted = send_via("450 4.2.0 <owner@example.com>: Recipient greylisted\r\n").await;
    assert!(matches!(greylisted, MailError::Unavailable(_)), "4xx is retried: {greylisted:?}");
    let policy = send_via("554 5.7.1 <owner@example.com>: Relay access denied\r\n").await;
    assert!(matches!(policy, MailError::Unavailable(_)), "a policy refusal is our configuration, retried: {policy:?}");
    for e in [rejected, greylisted, policy] {
        let shown = format!("{e} {e:?}");
        let text = format!("{shown} {:#}", anyhow::Error::new(e));
        assert!(!text.contains("owner@example.com"), "no address in what is stored or logged: {text}");
    }
}
