//! Long-term credential authentication (RFC 8489 §9.2) with TURN REST passwords: which answer a
//! request gets before any TURN method runs.

use super::config::{ConfigError, FiveTuple};
use super::credentials;
use super::nonce::Nonces;
use super::wire::{self, Seal};
use rtc::crypto::{RTCCrypto, RTCCryptoProvider};
use rtc::stun::attributes::*;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Who sent an authenticated request, and the key its answer is sealed with.
pub struct Authenticated {
    /// The REST username (`"<expiry>:<id>"`).
    pub username: String,
    /// The long-term key MD5(username:realm:password).
    pub key: Vec<u8>,
}

/// The realm, the REST secret, the nonces and the clock mapping they need.
pub struct Authenticator {
    realm: String,
    secret: Vec<u8>,
    provider: Arc<dyn RTCCryptoProvider>,
    nonces: Nonces,
    started: Instant,
    unix_at_start: u64,
}

impl Authenticator {
    /// Uses webrtc-rs's default crypto provider (HMAC-SHA1, MD5, randomness for the nonce key).
    /// `now` and `unix_now` are the same moment on the monotonic and the wall clock.
    pub fn new(
        realm: String,
        secret: Vec<u8>,
        nonce_lifetime: Duration,
        now: Instant,
        unix_now: u64,
    ) -> Result<Authenticator, ConfigError> {
        let provider =
            rtc::crypto::default_provider().map_err(|e| ConfigError::Crypto(e.to_string()))?;
        let mut key = [0u8; 32];
        provider
            .random()
            .fill(&mut key)
            .map_err(|e| ConfigError::Crypto(e.to_string()))?;
        Ok(Authenticator {
            realm,
            secret,
            provider,
            nonces: Nonces::new(key, nonce_lifetime.as_secs().max(1)),
            started: now,
            unix_at_start: unix_now,
        })
    }

    /// The crypto the answers are sealed with.
    pub fn crypto(&self) -> &dyn RTCCrypto {
        self.provider.crypto()
    }

    fn secs_since_start(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.started).as_secs()
    }

    fn unix(&self, now: Instant) -> u64 {
        self.unix_at_start
            .saturating_add(self.secs_since_start(now))
    }

    /// The request's sender, or the answer to send instead (401, 438 or 400; `None` if it
    /// could not be encoded).
    pub fn authenticate(
        &self,
        now: Instant,
        from: FiveTuple,
        m: &mut Message,
    ) -> Result<Authenticated, Option<Vec<u8>>> {
        if !m.contains(ATTR_MESSAGE_INTEGRITY) {
            return Err(self.challenge(now, from, m, 401));
        }
        let (Some(username), Some(realm), Some(nonce)) = (
            wire::text(m, ATTR_USERNAME),
            wire::text(m, ATTR_REALM),
            wire::text(m, ATTR_NONCE),
        ) else {
            return Err(wire::response(
                m,
                CLASS_ERROR_RESPONSE,
                vec![wire::error_code(400, "Bad Request")],
                Seal::Plain,
            ));
        };
        if !self
            .nonces
            .is_fresh(&nonce, &from, self.secs_since_start(now))
        {
            return Err(self.challenge(now, from, m, 438));
        }
        if realm != self.realm {
            return Err(self.challenge(now, from, m, 401));
        }
        let Ok(password) =
            credentials::check(self.crypto(), &self.secret, &username, self.unix(now))
        else {
            return Err(self.challenge(now, from, m, 401));
        };
        let Ok(key) = MessageIntegrity::long_term_integrity_key(
            username.clone(),
            realm,
            password,
            self.crypto(),
        ) else {
            return Err(self.challenge(now, from, m, 401));
        };
        if !wire::integrity_ok(m, &key, self.crypto()) {
            return Err(self.challenge(now, from, m, 401));
        }
        Ok(Authenticated { username, key })
    }

    /// 401 / 438 with REALM and a fresh NONCE, without MESSAGE-INTEGRITY.
    fn challenge(&self, now: Instant, from: FiveTuple, m: &Message, code: u16) -> Option<Vec<u8>> {
        let reason = if code == 438 {
            "Stale Nonce"
        } else {
            "Unauthorized"
        };
        let nonce = self.nonces.issue(&from, self.secs_since_start(now));
        wire::response(
            m,
            CLASS_ERROR_RESPONSE,
            vec![
                wire::error_code(code, reason),
                wire::text_attr(ATTR_REALM, &self.realm),
                wire::text_attr(ATTR_NONCE, &nonce),
            ],
            Seal::Plain,
        )
    }
}
