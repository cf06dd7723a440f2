//! `Mailer` adapters.
//!
//! - [`SmtpMailer`]: lettre over SMTP, from `SMTP_URL`: `smtps://user:pass@host:465`
//!   (implicit TLS), `smtp://user:pass@host:587?tls=required` (STARTTLS, refusing to go on
//!   without it), or plain `smtp://host:port` (a local relay or test server; refused
//!   outside dev by the configuration). TLS is rustls on aws-lc-rs with the platform's
//!   roots, the stack the rest of the service uses. Connections are pooled.
//! - [`EmlFolder`]: dev and demo: every message becomes an `.eml` file in a folder
//!   (`./var/outbox` by default), to open with any mail client.
//!
//! Neither logs addresses or bodies. An SMTP refusal is reported by its status code only
//! (servers echo the address in their text).

use std::path::PathBuf;
use std::time::Duration;

use application::ports::{MailError, MailMessage, Mailer};
use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

/// Whether `s` is a mailbox lettre accepts as a sender (`Name <a@b.c>` or `a@b.c`).
pub fn is_mailbox(s: &str) -> bool {
    s.parse::<Mailbox>().is_ok()
}

/// Builds the MIME message: `multipart/alternative` with the text and the HTML body.
fn mime(from: &Mailbox, m: &MailMessage) -> Result<Message, MailError> {
    let to: Mailbox =
        m.to.as_str().parse().map_err(|_| MailError::Rejected("the recipient is not an address".into()))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&m.subject)
        .message_id(None)
        .multipart(MultiPart::alternative_plain_html(m.text.clone(), m.html.clone()))
        .map_err(|e| MailError::Rejected(format!("the message cannot be built: {e}")))
}

/// SMTP with lettre.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// `url` as in the module docs; `from` like `Student Palace <no-reply@example.com>`;
    /// `timeout` bounds every SMTP command. Call it inside the tokio runtime (the pool
    /// starts a task).
    pub fn new(url: &SecretString, from: &str, timeout: Duration) -> anyhow::Result<Self> {
        let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("MAIL_FROM is not a mailbox: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|e| anyhow::anyhow!("SMTP_URL is not usable: {e}"))?
            .timeout(Some(timeout))
            .build();
        zero_series("smtp");
        Ok(Self { transport, from })
    }

    /// Connects and says hello (readiness; start-up checks).
    pub async fn ping(&self) -> anyhow::Result<()> {
        let ok = self.transport.test_connection().await?;
        anyhow::ensure!(ok, "the SMTP server did not answer NOOP");
        Ok(())
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    #[tracing::instrument(name = "mail.send", skip_all, fields(transport = "smtp"))]
    async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let mime = mime(&self.from, message)?;
        let r = match self.transport.send(mime).await {
            Ok(_) => Ok(()),
            Err(e) => Err(classify(&e)),
        };
        counted("smtp", &r);
        r
    }
}

/// `mail_sent_total{transport,result}`: `sent`, `rejected` (the recipient refused, for
/// good) or `failed` (the server or the connection: retried).
fn counted(transport: &'static str, r: &Result<(), MailError>) {
    let result = match r {
        Ok(()) => "sent",
        Err(MailError::Rejected(_)) => "rejected",
        Err(_) => "failed",
    };
    metrics::counter!("mail_sent_total", "transport" => transport, "result" => result).increment(1);
}

/// Registers the mail series at 0 (a rate over a series that appears on its first
/// failure misses that failure).
fn zero_series(transport: &'static str) {
    for result in ["sent", "rejected", "failed"] {
        metrics::counter!("mail_sent_total", "transport" => transport, "result" => result).increment(0);
    }
}

/// What an SMTP failure means for the job. A server's reply text often repeats the
/// recipient's address, so replies are reported by their code only; errors without a
/// reply (connection, TLS, timeout) keep their cause chain, which names no person.
/// Only mailbox refusals (550–553) are permanent: an authentication or policy refusal
/// (530, 535, 554) is our configuration, fixed and retried, not the recipient's fault.
fn classify(e: &lettre::transport::smtp::Error) -> MailError {
    match e.status() {
        Some(code) if e.is_permanent() && (550..=553).contains(&u16::from(code)) => {
            MailError::Rejected(format!("the SMTP server refused the recipient ({code})"))
        }
        Some(code) => MailError::Unavailable(anyhow::anyhow!(
            "the SMTP server answered {code} ({})",
            if e.is_permanent() { "refused; check the SMTP settings" } else { "try again later" }
        )),
        None if e.is_timeout() => MailError::Unavailable(anyhow::anyhow!("the SMTP server timed out")),
        None => MailError::Unavailable(anyhow::anyhow!("{e:#}").context("sending through SMTP")),
    }
}

/// Writes every message as an `.eml` file (dev).
#[derive(Debug, Clone)]
pub struct EmlFolder {
    dir: PathBuf,
    from: Mailbox,
}

impl EmlFolder {
    /// Creates `dir` when missing.
    pub fn new(dir: impl Into<PathBuf>, from: &str) -> anyhow::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        let from = from.parse().map_err(|e| anyhow::anyhow!("MAIL_FROM is not a mailbox: {e}"))?;
        zero_series("eml");
        Ok(Self { dir, from })
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

#[async_trait]
impl Mailer for EmlFolder {
    #[tracing::instrument(name = "mail.send", skip_all, fields(transport = "eml"))]
    async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let r = self.write(message).await;
        counted("eml", &r);
        r
    }
}

impl EmlFolder {
    async fn write(&self, message: &MailMessage) -> Result<(), MailError> {
        let bytes = mime(&self.from, message)?.formatted();
        let name = format!("{}-{}.eml", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"), uuid::Uuid::now_v7().simple());
        // Written aside and renamed: a reader never sees half a message.
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let unavailable =
            |e: std::io::Error| MailError::Unavailable(anyhow::Error::new(e).context("writing the .eml file"));
        tokio::fs::write(&tmp, bytes).await.map_err(unavailable)?;
        tokio::fs::rename(&tmp, self.dir.join(&name)).await.map_err(unavailable)?;
        tracing::info!(file = %name, "message written to the dev outbox");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> MailMessage {
        MailMessage {
            to: domain::Email::parse("owner@example.com").unwrap(),
            subject: "New enquiry about 5-bed & garden".into(),
            text: "Hello Sam,\nplain body".into(),
            html: "<p>Hello Sam, <b>html</b> body</p>".into(),
        }
    }

    #[tokio::test]
    async fn eml_files_hold_both_alternatives() {
        let dir = tempfile::tempdir().unwrap();
        let out = EmlFolder::new(dir.path().join("outbox"), "Student Palace <no-reply@localhost>").unwrap();
        out.send(&message()).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(out.dir()).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1, "one file, no temporary left: {files:?}");
        assert!(files[0].extension().is_some_and(|e| e == "eml"));
        let eml = std::fs::read_to_string(&files[0]).unwrap();
        assert!(eml.contains("To: owner@example.com"), "{eml}");
        assert!(eml.contains("From: \"Student Palace\" <no-reply@localhost>"), "{eml}");
        assert!(eml.contains("Subject: New enquiry about 5-bed & garden"));
        assert!(eml.contains("multipart/alternative"));
        assert!(eml.contains("Content-Type: text/plain; charset=utf-8") && eml.contains("plain body"));
        assert!(eml.contains("Content-Type: text/html; charset=utf-8") && eml.contains("<b>html</b>"));
    }

    #[tokio::test]
    async fn bad_settings_are_refused_with_the_variable_named() {
        let e = SmtpMailer::new(&SecretString::from("ftp://x"), "a@b.c", Duration::from_secs(1)).err().unwrap();
        assert!(e.to_string().contains("SMTP_URL"), "{e}");
        let e = SmtpMailer::new(&SecretString::from("smtp://127.0.0.1:2525"), "not a mailbox", Duration::from_secs(1))
            .err()
            .unwrap();
        assert!(e.to_string().contains("MAIL_FROM"), "{e}");
    }
}
