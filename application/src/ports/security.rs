use async_trait::async_trait;
use domain::{NewPassword, PasswordHash};
use uuid::Uuid;

/// Password hashing (argon2id). Implementations do the CPU-heavy work off the async
/// executor.
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync + 'static {
    /// A salted hash of the password (PHC string).
    async fn hash(&self, password: &NewPassword) -> anyhow::Result<PasswordHash>;

    /// Whether `candidate` matches. A malformed stored hash is `Ok(false)` (and logged).
    async fn verify(&self, candidate: &str, hash: &PasswordHash) -> anyhow::Result<bool>;

    /// A valid hash of a random password, to verify against when the account does not
    /// exist so that unknown e-mails take as long as wrong passwords.
    fn dummy_hash(&self) -> PasswordHash;
}

/// New identifiers (UUID v7: time-ordered, so indexes stay compact).
#[cfg_attr(any(test, feature = "testing"), mockall::automock)]
pub trait IdGen: Send + Sync + 'static {
    fn new_id(&self) -> Uuid;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7;

impl IdGen for UuidV7 {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}
