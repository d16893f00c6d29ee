//! Stateless NONCEs: the server keeps no table of nonces it handed out.
//!
//! A nonce is `<issued, 16 hex digits><HMAC-SHA256(key, issued || 5-tuple), first 8 bytes hex>`,
//! `issued` being whole seconds since the server started. It is valid only for the 5-tuple it was
//! issued to and stale after the nonce lifetime (then 438 Stale Nonce and a fresh one). Keeping
//! no state means unauthenticated requests cost no memory, and nothing needs expiring.

use super::config::FiveTuple;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const ISSUED_HEX: usize = 16;
const TAG_LEN: usize = 8;

/// The length of every nonce this server issues.
pub const NONCE_LEN: usize = ISSUED_HEX + 2 * TAG_LEN;

/// Issues and checks nonces under one random key.
pub struct Nonces {
    key: [u8; 32],
    lifetime_secs: u64,
}

impl Nonces {
    /// Nonces keyed with `key`, fresh for `lifetime_secs`.
    pub fn new(key: [u8; 32], lifetime_secs: u64) -> Nonces {
        Nonces { key, lifetime_secs }
    }

    /// A nonce for `tuple` issued at `now_secs` (seconds since the server started).
    pub fn issue(&self, tuple: &FiveTuple, now_secs: u64) -> String {
        let tag = self.tag(tuple, now_secs);
        format!("{now_secs:016x}{}", hex::encode(&tag[..TAG_LEN]))
    }

    /// Whether `nonce` was issued by this server to `tuple` and is still fresh at `now_secs`.
    pub fn is_fresh(&self, nonce: &str, tuple: &FiveTuple, now_secs: u64) -> bool {
        if nonce.len() != NONCE_LEN || !nonce.is_ascii() {
            return false;
        }
        let (issued_hex, tag_hex) = nonce.split_at(ISSUED_HEX);
        let Ok(issued) = u64::from_str_radix(issued_hex, 16) else {
            return false;
        };
        let Ok(tag) = hex::decode(tag_hex) else {
            return false;
        };
        if issued > now_secs || now_secs - issued >= self.lifetime_secs {
            return false;
        }
        self.mac(tuple, issued).verify_truncated_left(&tag).is_ok()
    }

    fn mac(&self, tuple: &FiveTuple, issued: u64) -> HmacSha256 {
        // HMAC accepts keys of any length; a 32-byte key cannot fail.
        let mut mac = match HmacSha256::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(&issued.to_be_bytes());
        mac.update(format!("{:?}|{}|{}", tuple.transport, tuple.client, tuple.server).as_bytes());
        mac
    }

    fn tag(&self, tuple: &FiveTuple, issued: u64) -> Vec<u8> {
        self.mac(tuple, issued).finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::turn::config::Transport;

    fn tuple(port: u16) -> FiveTuple {
        FiveTuple {
            transport: Transport::Udp,
            client: ([192, 0, 2, 1], port).into(),
            server: ([192, 0, 2, 9], 3478).into(),
        }
    }

    #[test]
    fn a_nonce_is_fresh_for_its_tuple_until_its_lifetime() {
        let n = Nonces::new([7; 32], 600);
        let nonce = n.issue(&tuple(1), 100);
        assert_eq!(nonce.len(), NONCE_LEN);
        assert!(n.is_fresh(&nonce, &tuple(1), 100));
        assert!(n.is_fresh(&nonce, &tuple(1), 699));
        assert!(!n.is_fresh(&nonce, &tuple(1), 700));
        assert!(!n.is_fresh(&nonce, &tuple(2), 100));
        assert!(!n.is_fresh(&nonce, &tuple(1), 99));
    }

    #[test]
    fn forged_or_foreign_nonces_are_refused() {
        let n = Nonces::new([7; 32], 600);
        let other = Nonces::new([8; 32], 600);
        assert!(!n.is_fresh(&other.issue(&tuple(1), 5), &tuple(1), 5));
        let mut forged = n.issue(&tuple(1), 5);
        forged.replace_range(0..16, &format!("{:016x}", 6));
        assert!(!n.is_fresh(&forged, &tuple(1), 6));
        for junk in ["", "zz", "é", &"g".repeat(NONCE_LEN)] {
            assert!(!n.is_fresh(junk, &tuple(1), 5));
        }
    }
}
