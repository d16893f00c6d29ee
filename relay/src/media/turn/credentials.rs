//! TURN REST credentials (draft-uberti-behave-turn-rest-00): short-lived, stateless.
//!
//! The relay and the TURN server share one secret. For a page, the relay mints
//! `username = "<expiry unix seconds>:<opaque id>"` and
//! `password = base64(HMAC-SHA1(secret, username))`; the page hands both to the browser in
//! `IceServers`. The TURN server recomputes the password from the username, so it keeps no
//! account table, and refuses a username whose expiry has passed.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rtc::crypto::{HmacAlgorithm, RTCCrypto, RTCCryptoProvider};
use std::fmt;
use std::sync::Arc;

/// The longest username accepted (STUN's USERNAME limit is 513 bytes; ours is well under).
pub const MAX_USERNAME_LEN: usize = 256;

/// A username and password for one page's TURN use.
#[derive(Clone, PartialEq, Eq)]
pub struct RestCredentials {
    /// `"<expiry unix seconds>:<opaque id>"`.
    pub username: String,
    /// `base64(HMAC-SHA1(secret, username))`.
    pub password: String,
}

impl fmt::Debug for RestCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestCredentials")
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .finish()
    }
}

/// Why credentials were not minted or not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// The username is not `"<unix seconds>:<id>"`, or is too long.
    #[error("the TURN username is not \"<expiry>:<id>\"")]
    Malformed,
    /// The username's expiry is not after now.
    #[error("the TURN credentials expired")]
    Expired,
    /// The opaque id would make the username ambiguous or too long.
    #[error("the TURN credential id is empty, too long or contains ':'")]
    BadId,
    /// The crypto provider failed to compute the HMAC.
    #[error("HMAC-SHA1 failed: {0}")]
    Crypto(String),
}

/// The relay's side: mints credentials for pages with webrtc-rs's default crypto provider.
pub struct Minter {
    provider: Arc<dyn RTCCryptoProvider>,
    secret: Vec<u8>,
}

impl fmt::Debug for Minter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Minter { secret: [REDACTED] }")
    }
}

impl Minter {
    /// A minter for the TURN server's shared `secret`.
    pub fn new(secret: Vec<u8>) -> Result<Minter, CredentialError> {
        let provider =
            rtc::crypto::default_provider().map_err(|e| CredentialError::Crypto(e.to_string()))?;
        Ok(Minter { provider, secret })
    }

    /// Credentials for `id` valid until `expires_unix` (see [`mint`]).
    pub fn mint(&self, expires_unix: u64, id: &str) -> Result<RestCredentials, CredentialError> {
        mint(self.provider.crypto(), &self.secret, expires_unix, id)
    }
}

/// Mints credentials valid until `expires_unix` (seconds since the Unix epoch) for `id`
/// (e.g. a join token's subject). `id` must be non-empty, without ':' and short.
pub fn mint(
    crypto: &dyn RTCCrypto,
    secret: &[u8],
    expires_unix: u64,
    id: &str,
) -> Result<RestCredentials, CredentialError> {
    if id.is_empty() || id.contains(':') || id.len() > MAX_USERNAME_LEN - 21 {
        return Err(CredentialError::BadId);
    }
    let username = format!("{expires_unix}:{id}");
    let password = password_for(crypto, secret, &username)?;
    Ok(RestCredentials { username, password })
}

/// The password of `username` if it is well-formed and not expired at `now_unix`. The caller
/// then checks the request's MESSAGE-INTEGRITY with it (that is where a wrong password shows).
pub fn check(
    crypto: &dyn RTCCrypto,
    secret: &[u8],
    username: &str,
    now_unix: u64,
) -> Result<String, CredentialError> {
    let expires = expiry_of(username)?;
    if expires <= now_unix {
        return Err(CredentialError::Expired);
    }
    password_for(crypto, secret, username)
}

/// The expiry (unix seconds) a well-formed username carries.
pub fn expiry_of(username: &str) -> Result<u64, CredentialError> {
    if username.len() > MAX_USERNAME_LEN {
        return Err(CredentialError::Malformed);
    }
    let (expiry, id) = username.split_once(':').ok_or(CredentialError::Malformed)?;
    if id.is_empty() || expiry.is_empty() || !expiry.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CredentialError::Malformed);
    }
    expiry.parse().map_err(|_| CredentialError::Malformed)
}

fn password_for(
    crypto: &dyn RTCCrypto,
    secret: &[u8],
    username: &str,
) -> Result<String, CredentialError> {
    let mut mac = crypto
        .new_hmac(HmacAlgorithm::Sha1, secret)
        .map_err(|e| CredentialError::Crypto(e.to_string()))?;
    let mut out = [0u8; 20];
    mac.sign(&[username.as_bytes()], &mut out)
        .map_err(|e| CredentialError::Crypto(e.to_string()))?;
    Ok(STANDARD.encode(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::crypto::providers::RingProvider;

    const SECRET: &[u8] = b"north-wind";

    fn crypto() -> RingProvider {
        RingProvider::new()
    }

    #[test]
    fn minted_credentials_have_the_rest_shape() {
        let p = crypto();
        let c = mint(p.crypto(), SECRET, 1_700_000_000, "page-42").unwrap();
        assert_eq!(c.username, "1700000000:page-42");
        // base64 of a 20-byte HMAC-SHA1 is 28 characters ending in one '='.
        assert_eq!(c.password.len(), 28);
        assert!(c.password.ends_with('='));
        assert!(!format!("{c:?}").contains(&c.password));
    }

    #[test]
    fn password_matches_a_known_hmac_sha1() {
        // RFC 2202 test case 2: HMAC-SHA1("Jefe", "what do ya want for nothing?").
        let p = crypto();
        let got = password_for(p.crypto(), b"Jefe", "what do ya want for nothing?").unwrap();
        let want =
            STANDARD.encode(hex::decode("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79").unwrap());
        assert_eq!(got, want);
    }

    #[test]
    fn valid_credentials_check_until_their_expiry() {
        let p = crypto();
        let c = mint(p.crypto(), SECRET, 1000, "sub").unwrap();
        assert_eq!(
            check(p.crypto(), SECRET, &c.username, 999),
            Ok(c.password.clone())
        );
        assert_eq!(
            check(p.crypto(), SECRET, &c.username, 1000),
            Err(CredentialError::Expired)
        );
        // Another secret yields another password: the MESSAGE-INTEGRITY check will fail.
        assert_ne!(check(p.crypto(), b"other", &c.username, 10), Ok(c.password));
    }

    #[test]
    fn malformed_usernames_are_refused() {
        let p = crypto();
        for bad in [
            "",
            "nocolon",
            ":id",
            "123:",
            "-5:id",
            "+5:id",
            "99999999999999999999999:id",
        ] {
            assert_eq!(
                check(p.crypto(), SECRET, bad, 0),
                Err(CredentialError::Malformed),
                "{bad:?}"
            );
        }
        let long = format!("5:{}", "x".repeat(MAX_USERNAME_LEN));
        assert_eq!(
            check(p.crypto(), SECRET, &long, 0),
            Err(CredentialError::Malformed)
        );
    }

    #[test]
    fn the_minter_agrees_with_the_check() {
        let minter = Minter::new(SECRET.to_vec()).unwrap();
        let c = minter.mint(50, "page").unwrap();
        let p = crypto();
        assert_eq!(check(p.crypto(), SECRET, &c.username, 49), Ok(c.password));
        assert!(!format!("{minter:?}").contains("north"));
    }

    #[test]
    fn ids_that_would_confuse_the_username_are_refused() {
        let p = crypto();
        for bad in ["", "a:b", &"x".repeat(MAX_USERNAME_LEN)] {
            assert_eq!(
                mint(p.crypto(), SECRET, 5, bad),
                Err(CredentialError::BadId)
            );
        }
    }
}
