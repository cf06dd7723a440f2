//! URLs of stored media.
//!
//! Public objects (photo variants) are served from `MEDIA_BASE_URL` (the CDN in front of
//! the bucket; the app's own `/media` route in dev) at `{base}/{key}`. Private objects
//! (originals) are served only through signed URLs: on S3 and GCS the store signs them;
//! on a local folder or memory store this signer does, for the app's `/media` route,
//! which checks the signature before it serves anything. The signature is an HMAC-SHA256
//! over the key and the expiry, keyed by a key derived from `SECRET_KEY`.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use url::Url;

type HmacSha256 = Hmac<Sha256>;

/// Query parameters of a signed `/media` URL.
pub const EXPIRES_PARAM: &str = "expires";
pub const SIGNATURE_PARAM: &str = "signature";

/// Builds and checks URLs under one media base.
#[derive(Clone)]
pub struct MediaUrls {
    base: Url,
    key: Vec<u8>,
}

impl std::fmt::Debug for MediaUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaUrls").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

impl MediaUrls {
    /// `base` is absolute (`https://cdn.example/` or `http://127.0.0.1:8080/media/`); a
    /// missing trailing slash is added so keys append below it. `secret` is the service's
    /// secret key; the signing key is derived from it for this purpose only.
    pub fn new(base: &Url, secret: &[u8]) -> Self {
        let mut base = base.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(b"student-palace media url v1");
        Self { base, key: mac.finalize().into_bytes().to_vec() }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The public URL of `key`.
    pub fn public(&self, key: &str) -> Url {
        self.base.join(key).expect("object keys are relative URL paths")
    }

    /// A URL for `key` valid until `expires_at` (Unix seconds).
    pub fn signed(&self, key: &str, expires_at: i64) -> Url {
        let mut url = self.public(key);
        url.query_pairs_mut()
            .append_pair(EXPIRES_PARAM, &expires_at.to_string())
            .append_pair(SIGNATURE_PARAM, &self.signature(key, expires_at));
        url
    }

    /// Whether `signature` was made by `signed` for this key and expiry, and `now` (Unix
    /// seconds) is not past the expiry. Compares in constant time.
    pub fn verify(&self, key: &str, expires_at: i64, signature: &str, now: i64) -> bool {
        if now > expires_at {
            return false;
        }
        let Ok(given) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        self.mac(key, expires_at).verify_slice(&given).is_ok()
    }

    fn mac(&self, key: &str, expires_at: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(key.as_bytes());
        mac.update(b"\n");
        mac.update(expires_at.to_string().as_bytes());
        mac
    }

    fn signature(&self, key: &str, expires_at: i64) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.mac(key, expires_at).finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> MediaUrls {
        MediaUrls::new(&Url::parse("http://127.0.0.1:8080/media").unwrap(), b"secret-key")
    }

    #[test]
    fn public_urls_append_the_key_under_the_base() {
        assert_eq!(
            urls().public("listings/1/2/thumb.webp").as_str(),
            "http://127.0.0.1:8080/media/listings/1/2/thumb.webp"
        );
        let cdn = MediaUrls::new(&Url::parse("https://cdn.student-palace.co.uk/").unwrap(), b"k");
        assert_eq!(cdn.public("a/b").as_str(), "https://cdn.student-palace.co.uk/a/b");
    }

    #[test]
    fn signed_urls_verify_until_they_expire_and_only_for_their_key() {
        let u = urls();
        let url = u.signed("listings/1/2/original", 1_000);
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        let sig = &q[SIGNATURE_PARAM];
        assert_eq!(q[EXPIRES_PARAM], "1000");
        assert!(u.verify("listings/1/2/original", 1_000, sig, 999));
        assert!(u.verify("listings/1/2/original", 1_000, sig, 1_000));
        assert!(!u.verify("listings/1/2/original", 1_000, sig, 1_001), "expired");
        assert!(!u.verify("listings/1/3/original", 1_000, sig, 999), "other key");
        assert!(!u.verify("listings/1/2/original", 2_000, sig, 999), "extended expiry");
        assert!(!u.verify("listings/1/2/original", 1_000, "not base64!", 999));
        let other = MediaUrls::new(&Url::parse("http://127.0.0.1:8080/media").unwrap(), b"other-secret");
        assert!(!other.verify("listings/1/2/original", 1_000, sig, 999), "other secret");
    }
}
