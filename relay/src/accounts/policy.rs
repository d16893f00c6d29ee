//! Which passwords an account may be given: long enough, not blank, not the login with a little
//! added, and not one of the most common passwords (`relay/common-passwords.txt`, compared
//! case-insensitively). Applied wherever a password is set: account creation, a new password, and
//! the `relay account` command. Sign-in does not apply it (old passwords keep working).

use super::password::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
use std::collections::HashSet;
use std::sync::OnceLock;

/// The common-password list, one a line, `#` lines are comments.
const COMMON: &str = include_str!("../../common-passwords.txt");

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("a password may have at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("a password must not be only spaces")]
    Blank,
    #[error("a password must not be the login, nor the login with a few characters added")]
    LikeLogin,
    #[error("this password is one of the most common ones; choose another")]
    Common,
}

/// Checks a new password for the account `login`.
pub fn check(login: &str, password: &str) -> Result<(), PolicyError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PolicyError::TooLong);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PolicyError::TooShort);
    }
    if password.trim().is_empty() {
        return Err(PolicyError::Blank);
    }
    let lower = password.to_lowercase();
    let login = login.trim().to_lowercase();
    // The login adds no secret: what is left without it must be a long enough password itself.
    if !login.is_empty() && lower.contains(&login) {
        let rest = lower.replace(&login, "");
        if rest.trim().chars().count() < MIN_PASSWORD_CHARS {
            return Err(PolicyError::LikeLogin);
        }
    }
    if common().contains(lower.as_str()) {
        return Err(PolicyError::Common);
    }
    Ok(())
}

fn common() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_lowercase)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        assert_eq!(check("wang", "short"), Err(PolicyError::TooShort));
        assert_eq!(check("wang", &"x".repeat(300)), Err(PolicyError::TooLong));
        assert_eq!(check("wang", "          "), Err(PolicyError::Blank));
        assert_eq!(
            check("wang", "\t \u{3000}        "),
            Err(PolicyError::Blank)
        );
        assert_eq!(check("wang", "1234567890"), Err(PolicyError::Common));
        assert_eq!(
            check("wang", "QwertyUiop"),
            Err(PolicyError::Common),
            "any case"
        );
        assert_eq!(check("wang", "password123"), Err(PolicyError::Common));
        assert_eq!(
            check("wang.laoshi", "wang.laoshi"),
            Err(PolicyError::LikeLogin)
        );
        assert_eq!(
            check("wang.laoshi", "Wang.Laoshi2024"),
            Err(PolicyError::LikeLogin)
        );
    }

    #[test]
    fn the_projects_own_passwords_pass() {
        // The demo's admin password, the tests' and the console tests' passwords.
        for (login, password) in [
            ("admin", "tongpin-demo-admin"),
            ("bureau", "a long enough password"),
            ("teacher", "a long enough password"),
            ("device", "a new long password"),
            ("li.laoshi", "li-laoshi-password"),
            ("wang.laoshi", "wang.laoshi and a long secret"),
            ("boss", "another long password"),
            ("admin", "a long first password"),
        ] {
            assert_eq!(check(login, password), Ok(()), "{login}: {password}");
        }
    }

    #[test]
    fn the_list_is_loaded() {
        assert!(common().len() > 1000);
        assert!(common().contains("qwertyuiop"));
        assert!(!common().iter().any(|p| p.starts_with('#')));
    }
}
