//! Join tokens: `v1.<claims>.<signature>`, both parts base64url without padding.
//!
//! The claims (postcard) name the lesson, the role and a validity window. The relay signs
//! `v1.<claims>` with HMAC-SHA256 and checks the signature and the window on every connection;
//! this module only lays the token out, so the browser can read which lesson a link is for.

use crate::ids::{LessonId, Role};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use thiserror::Error;

const PREFIX: &str = "v1.";

/// What a join token grants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub lesson: LessonId,
    pub role: Role,
    /// Unix seconds before which the token is not valid.
    pub not_before: u64,
    /// Unix seconds from which the token is no longer valid.
    pub expires: u64,
    /// The join link this token belongs to, if it was issued as one (the relay can revoke it).
    pub link: Option<u64>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is not a v1 join token")]
    Format,
    #[error("the token's signature does not match")]
    BadSignature,
    #[error("the token expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token is for lesson {token} but this is lesson {wanted}")]
    WrongLesson { token: LessonId, wanted: LessonId },
}

/// A token split into the bytes that were signed, its claims and its signature. Not verified.
pub struct Parsed<'a> {
    pub signed: &'a [u8],
    pub claims: Claims,
    pub signature: Vec<u8>,
}

impl Claims {
    /// Lays out a token, signing `v1.<claims>` with `sign`.
    pub fn to_token(&self, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
        let body = postcard::to_allocvec(self).unwrap_or_default();
        let signed = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(body));
        let sig = sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// Whether `now` (unix seconds) lies inside the validity window.
    pub fn check_time(&self, now: u64) -> Result<(), TokenError> {
        if now < self.not_before {
            Err(TokenError::NotYetValid)
        } else if now >= self.expires {
            Err(TokenError::Expired)
        } else {
            Ok(())
        }
    }
}

/// Splits a token without checking its signature.
pub fn parse(token: &str) -> Result<Parsed<'_>, TokenError> {
    if token.len() > crate::protocol::MAX_TOKEN_BYTES || !token.starts_with(PREFIX) {
        return Err(TokenError::Format);
    }
    let dot = token.rfind('.').ok_or(TokenError::Format)?;
    if dot < PREFIX.len() {
        return Err(TokenError::Format);
    }
    let body = URL_SAFE_NO_PAD
        .decode(&token[PREFIX.len()..dot])
        .map_err(|_| TokenError::Format)?;
    let signature = URL_SAFE_NO_PAD
        .decode(&token[dot + 1..])
        .map_err(|_| TokenError::Format)?;
    let (claims, rest) =
        postcard::take_from_bytes::<Claims>(&body).map_err(|_| TokenError::Format)?;
    if !rest.is_empty() {
        return Err(TokenError::Format);
    }
    Ok(Parsed {
        signed: &token.as_bytes()[..dot],
        claims,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ClassroomId;

    fn claims() -> Claims {
        Claims {
            lesson: LessonId(4),
            role: Role::Classroom(ClassroomId(2)),
            not_before: 10,
            expires: 20,
            link: None,
        }
    }

    #[test]
    fn token_roundtrips() {
        let t = claims().to_token(|b| b.iter().rev().copied().collect());
        let p = parse(&t).unwrap();
        assert_eq!(p.claims, claims());
        assert_eq!(
            p.signature,
            p.signed.iter().rev().copied().collect::<Vec<_>>()
        );
    }

    #[test]
    fn time_window() {
        assert_eq!(claims().check_time(9), Err(TokenError::NotYetValid));
        assert_eq!(claims().check_time(10), Ok(()));
        assert_eq!(claims().check_time(20), Err(TokenError::Expired));
    }

    #[test]
    fn junk_is_a_format_error() {
        for t in ["", "v1.", "v1..", "v2.AAAA.BBBB", "v1.!!!.AA", "v1.AAAA"] {
            assert!(parse(t).is_err(), "{t}");
        }
    }
}
