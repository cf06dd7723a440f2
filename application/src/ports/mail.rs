use async_trait::async_trait;
use domain::Email;

/// One e-mail to send, with a plain-text and an HTML alternative (rendered by
/// `crate::mail`).
#[derive(Clone, PartialEq, Eq)]
pub struct MailMessage {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Recipients and bodies are personal data: `Debug` shows neither.
impl std::fmt::Debug for MailMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailMessage").field("to", &self.to).field("subject", &self.subject).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The server refused this recipient or message for good (do not retry).
    #[error("message rejected: {0}")]
    Rejected(String),
    /// The server could not be reached or failed; retry later.
    #[error("mail transport failure")]
    Unavailable(#[source] anyhow::Error),
}

/// Sending e-mail. Called by the worker tier's job handlers (e.g. `enquiry.notify_owner`),
/// never inside a request. Adapters: SMTP and a dev folder of `.eml` files (`sp-mail`).
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// Sends one message. Errors: `Rejected` (permanent), `Unavailable` (retry).
    async fn send(&self, message: &MailMessage) -> Result<(), MailError>;
}
