//! Password hashing behind the `PasswordHasher` port: argon2id with the OWASP
//! parameters (m = 19 MiB, t = 2, p = 1) and a random 16-byte salt per hash, stored as a
//! PHC string. Hashing and verifying run on tokio's blocking pool, inside the caller's
//! tracing span, so they never stall the async executor.
//!
//! At most `concurrency` hashes run at once (each holds 19 MiB): a sign-in storm queues
//! for a slot for at most `wait`, then fails with `application::ports::Busy` (503 with
//! `Retry-After` over HTTP) instead of taking memory and the blocking pool without bound.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use application::ports::PasswordHasher;
use argon2::password_hash::phc::PasswordHash as Phc;
use argon2::password_hash::{self, PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use domain::{NewPassword, PasswordHash};

/// OWASP Password Storage Cheat Sheet, argon2id: 19 MiB of memory (in KiB)…
pub const M_COST_KIB: u32 = 19 * 1024;
/// …two passes…
pub const T_COST: u32 = 2;
/// …one lane.
pub const P_COST: u32 = 1;

/// How long a hash waits for a free slot before the request is answered 503.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(1);

/// What a saturated hasher tells clients to wait.
const RETRY_AFTER_SECS: u32 = 2;

/// Two concurrent hashes per core: enough to keep the cores busy, bounded in memory.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

/// argon2id with the OWASP parameters and a bound on concurrent hashes. Cheap to clone;
/// clones share the bound.
#[derive(Clone)]
pub struct Argon2Hasher {
    argon: Argon2<'static>,
    slots: Arc<tokio::sync::Semaphore>,
    concurrency: usize,
    wait: Duration,
}

impl std::fmt::Debug for Argon2Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Argon2Hasher(argon2id, m={M_COST_KIB}, t={T_COST}, p={P_COST}, concurrency={}, wait={:?})",
            self.concurrency, self.wait
        )
    }
}

impl Default for Argon2Hasher {
    fn default() -> Self {
        Self::new()
    }
}

impl Argon2Hasher {
    /// [`default_concurrency`] slots, waiting [`DEFAULT_WAIT`] for one.
    pub fn new() -> Self {
        Self::bounded(default_concurrency(), DEFAULT_WAIT)
    }

    /// At most `concurrency` (at least 1) hashes at once; a hash waits up to `wait` for
    /// a slot, then fails with `Busy`.
    pub fn bounded(concurrency: usize, wait: Duration) -> Self {
        let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("the OWASP parameters are valid");
        let concurrency = concurrency.max(1);
        Self {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            slots: Arc::new(tokio::sync::Semaphore::new(concurrency)),
            concurrency,
            wait,
        }
    }

    /// Runs `work` on the blocking pool once a slot is free (within `wait`).
    async fn in_slot<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let busy = || application::ports::Busy { what: "password hashing", retry_after_secs: RETRY_AFTER_SECS };
        let permit = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        off_executor(move || {
            let _slot = permit;
            work()
        })
        .await
    }

    fn hash_now(&self, password: &[u8]) -> anyhow::Result<PasswordHash> {
        let phc = self.argon.hash_password(password).map_err(|e| anyhow::anyhow!("argon2id hashing failed: {e}"))?;
        Ok(PasswordHash(phc.to_string()))
    }

    /// `Ok(false)` for a wrong password and for a stored hash that is not a valid PHC
    /// string of a supported algorithm (logged without the hash); `Err` only when
    /// the computation itself fails.
    fn verify_now(&self, candidate: &[u8], stored: &str) -> anyhow::Result<bool> {
        let phc = match Phc::new(stored) {
            Ok(phc) => phc,
            Err(e) => {
                tracing::warn!(error = %e, "stored password hash is not a valid PHC string; treating as no match");
                return Ok(false);
            }
        };
        match self.argon.verify_password(candidate, &phc) {
            Ok(()) => Ok(true),
            Err(password_hash::Error::PasswordInvalid) => Ok(false),
            Err(
                e @ (password_hash::Error::Algorithm
                | password_hash::Error::EncodingInvalid
                | password_hash::Error::OutputSize
                | password_hash::Error::ParamInvalid { .. }
                | password_hash::Error::ParamsInvalid
                | password_hash::Error::SaltInvalid
                | password_hash::Error::Version),
            ) => {
                tracing::warn!(error = %e, algorithm = %phc.algorithm, "stored password hash is unusable; treating as no match");
                Ok(false)
            }
            Err(e) => Err(anyhow::anyhow!("argon2 verification failed: {e}")),
        }
    }
}

/// Runs CPU-heavy work on the blocking pool, inside the current tracing span.
async fn off_executor<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work))
        .await
        .map_err(|e| anyhow::anyhow!("password hashing task failed: {e}"))?
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &NewPassword) -> anyhow::Result<PasswordHash> {
        let this = self.clone();
        let password = password.clone();
        self.in_slot(move || this.hash_now(password.expose().as_bytes())).await
    }

    async fn verify(&self, candidate: &str, hash: &PasswordHash) -> anyhow::Result<bool> {
        let this = self.clone();
        let candidate = candidate.to_owned();
        let stored = hash.0.clone();
        self.in_slot(move || this.verify_now(candidate.as_bytes(), &stored)).await
    }

    /// Computed once per process, on first use, from 16 random bytes nobody knows.
    fn dummy_hash(&self) -> PasswordHash {
        static DUMMY: OnceLock<PasswordHash> = OnceLock::new();
        DUMMY
            .get_or_init(|| {
                let secret = password_hash::generate_salt();
                self.hash_now(&secret).expect("hashing random bytes with valid parameters succeeds")
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(s: &str) -> NewPassword {
        NewPassword::parse(s).unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let h = Argon2Hasher::new();
        let hash = h.hash(&password("correct horse battery")).await.unwrap();
        assert!(h.verify("correct horse battery", &hash).await.unwrap());
        assert!(!h.verify("correct horse batterY", &hash).await.unwrap());
        assert!(!h.verify("", &hash).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_owasp_parameters() {
        let hash = Argon2Hasher::new().hash(&password("correct horse battery")).await.unwrap();
        assert!(hash.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", hash.0);
        let phc = Phc::new(&hash.0).unwrap();
        assert_eq!(phc.algorithm.as_str(), "argon2id");
        assert_eq!(phc.version, Some(0x13));
        assert_eq!(phc.params.get_decimal("m"), Some(19_456));
        assert_eq!(phc.params.get_decimal("t"), Some(2));
        assert_eq!(phc.params.get_decimal("p"), Some(1));
        assert_eq!(phc.salt.map(|s| s.len()), Some(16), "a 16-byte salt");
        assert!(!hash.0.contains("correct"), "the password is not in the hash");
    }

    #[tokio::test]
    async fn the_same_password_hashes_differently_each_time() {
        let h = Argon2Hasher::new();
        let a = h.hash(&password("correct horse battery")).await.unwrap();
        let b = h.hash(&password("correct horse battery")).await.unwrap();
        assert_ne!(a, b, "random salt");
        assert_ne!(Phc::new(&a.0).unwrap().salt, Phc::new(&b.0).unwrap().salt);
        assert!(h.verify("correct horse battery", &a).await.unwrap());
        assert!(h.verify("correct horse battery", &b).await.unwrap());
    }

    #[tokio::test]
    async fn malformed_hashes_verify_as_false() {
        let h = Argon2Hasher::new();
        let good = h.hash(&password("correct horse battery")).await.unwrap().0;
        let truncated = good[..good.len() - 10].to_owned();
        let other_algorithm = good.replacen("argon2id", "scrypt", 1);
        let bad_params = good.replacen("m=19456", "m=zz", 1);
        let bad_version = good.replacen("v=19", "v=7", 1);
        for stored in [
            "",
            "plain text",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            &truncated,
            &other_algorithm,
            &bad_params,
            &bad_version,
        ] {
            let verdict = h.verify("correct horse battery", &PasswordHash(stored.to_owned())).await;
            assert!(!verdict.unwrap(), "{stored:?} must not verify");
        }
    }

    #[tokio::test]
    async fn the_dummy_hash_is_valid_matches_nothing_and_is_computed_once() {
        let h = Argon2Hasher::new();
        let dummy = h.dummy_hash();
        assert!(dummy.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(Phc::new(&dummy.0).is_ok(), "a valid PHC string, so verifying it costs a full hash");
        for guess in ["", "password", "correct horse battery", "\u{0}"] {
            assert!(!h.verify(guess, &dummy).await.unwrap(), "{guess:?}");
        }
        assert_eq!(Argon2Hasher::new().dummy_hash(), dummy, "computed once per process");
    }

    #[tokio::test]
    async fn when_every_slot_is_taken_a_hash_waits_briefly_then_is_busy() {
        let h = Argon2Hasher::bounded(2, Duration::from_millis(50));
        let hash = h.hash(&password("correct horse battery")).await.unwrap();
        // Both slots held (as by two long hashes): the next caller gets Busy, not a queue.
        let held = h.slots.clone().acquire_many_owned(2).await.unwrap();
        let err = h.verify("correct horse battery", &hash).await.unwrap_err();
        let busy = application::ports::Busy::in_chain(&err).expect("a Busy error");
        assert_eq!(busy, application::ports::Busy { what: "password hashing", retry_after_secs: 2 });
        assert!(
            application::ports::Busy::in_chain(&h.hash(&password("another long one")).await.unwrap_err()).is_some()
        );
        // One slot frees up within the wait: the waiting caller gets it.
        let waiting = tokio::spawn({
            let h = h.clone();
            let hash = hash.clone();
            async move { h.verify("correct horse battery", &hash).await }
        });
        drop(held);
        assert!(waiting.await.unwrap().unwrap());
        assert_eq!(h.slots.available_permits(), 2, "slots are given back");
    }

    #[test]
    fn debug_says_nothing_secret() {
        assert_eq!(
            format!("{:?}", Argon2Hasher::bounded(3, Duration::from_millis(1500))),
            "Argon2Hasher(argon2id, m=19456, t=2, p=1, concurrency=3, wait=1.5s)"
        );
    }
}
