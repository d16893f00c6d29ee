//! Join tokens signed with HMAC-SHA256. The key comes from a file (hex); a missing file is created
//! with a fresh random key on first run.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use shared::ids::LessonId;
use shared::token::{self, Claims, TokenError};
use std::path::Path;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct Signer {
    key: [u8; 32],
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("reading the token key {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the token key file {0} must hold 64 hex digits")]
    Format(String),
}

impl Signer {
    pub fn new(key: [u8; 32]) -> Signer {
        Signer { key }
    }

    /// Loads the key from `path`, creating it with a random key if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Signer, KeyError> {
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim())
                    .map_err(|_| KeyError::Format(path.display().to_string()))?;
                let key: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| KeyError::Format(path.display().to_string()))?;
                Ok(Signer { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut key);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                write_private(path, &hex::encode(key)).map_err(io)?;
                Ok(Signer { key })
            }
            Err(e) => Err(io(e)),
        }
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length.
        HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length")
    }

    /// A hex MAC of `data` (for keys in URLs, such as calendar feeds).
    pub fn mac_hex(&self, data: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(data);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `hex_mac` is the MAC of `data` (constant-time).
    pub fn check_mac_hex(&self, data: &[u8], hex_mac: &str) -> bool {
        let Ok(bytes) = hex::decode(hex_mac) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(data);
        mac.verify_slice(&bytes).is_ok()
    }

    pub fn mint(&self, claims: &Claims) -> String {
        claims.to_token(|signed| {
            let mut mac = self.mac();
            mac.update(signed);
            mac.finalize().into_bytes().to_vec()
        })
    }

    /// Checks the signature, the validity window at `now` (unix seconds) and the lesson.
    pub fn verify(&self, token: &str, lesson: LessonId, now: u64) -> Result<Claims, TokenError> {
        let parsed = token::parse(token)?;
        let mut mac = self.mac();
        mac.update(parsed.signed);
        mac.verify_slice(&parsed.signature)
            .map_err(|_| TokenError::BadSignature)?;
        parsed.claims.check_time(now)?;
        if parsed.claims.lesson != lesson {
            return Err(TokenError::WrongLesson {
                token: parsed.claims.lesson,
                wanted: lesson,
            });
        }
        Ok(parsed.claims)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::Role;

    fn claims() -> Claims {
        Claims {
            lesson: LessonId(1),
            role: Role::Teacher,
            not_before: 100,
            expires: 200,
            link: None,
        }
    }

    #[test]
    fn minted_tokens_verify() {
        let s = Signer::new([7; 32]);
        assert_eq!(
            s.verify(&s.mint(&claims()), LessonId(1), 150).unwrap(),
            claims()
        );
    }

    #[test]
    fn forged_altered_expired_and_misdirected_tokens_are_refused() {
        let s = Signer::new([7; 32]);
        let other = Signer::new([8; 32]);
        let t = s.mint(&claims());
        assert_eq!(
            s.verify(&other.mint(&claims()), LessonId(1), 150),
            Err(TokenError::BadSignature)
        );
        // Change the role inside the claims but keep the signature.
        let forged = Claims {
            role: Role::Observer,
            ..claims()
        }
        .to_token(|_| vec![0; 32]);
        let sig = t.rsplit('.').next().unwrap();
        let spliced = format!("{}.{sig}", forged.rsplit_once('.').unwrap().0);
        assert_eq!(
            s.verify(&spliced, LessonId(1), 150),
            Err(TokenError::BadSignature)
        );
        assert_eq!(s.verify(&t, LessonId(1), 200), Err(TokenError::Expired));
        assert_eq!(s.verify(&t, LessonId(1), 99), Err(TokenError::NotYetValid));
        assert_eq!(
            s.verify(&t, LessonId(2), 150),
            Err(TokenError::WrongLesson {
                token: LessonId(1),
                wanted: LessonId(2)
            })
        );
        assert_eq!(
            s.verify("nonsense", LessonId(1), 150),
            Err(TokenError::Format)
        );
    }

    #[test]
    fn key_file_is_created_then_reused() {
        let dir = std::env::temp_dir().join(format!("tongpin-key-{}", std::process::id()));
        let path = dir.join("token.key");
        let a = Signer::load_or_create(&path).unwrap();
        let b = Signer::load_or_create(&path).unwrap();
        assert_eq!(a.key, b.key);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
