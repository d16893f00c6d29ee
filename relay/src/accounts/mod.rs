//! Accounts of the people and devices that use the bureau console, and what each may do.
//! Plain types and rules; the SQL is in `store::accounts`, the HTTP in `api`.
//!
//! - [`password`]: Argon2id password hashes; [`hashing`] bounds how many run at once.
//! - [`policy`]: which passwords an account may be given.
//! - [`permissions`]: the pure rules: which account may do which [`permissions::Action`].
//! - [`throttle`]: failed sign-ins counted per login and per address; too many and they wait.

pub mod hashing;
pub mod password;
pub mod permissions;
pub mod policy;
pub mod throttle;

use serde::{Deserialize, Serialize};
use shared::ids::{ClassroomId, SchoolId, TeacherId};

/// What an account is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StaffRole {
    /// Education bureau staff: everything.
    BureauAdmin,
    /// Runs one school: its classrooms, teachers and lessons.
    SchoolAdmin { school: SchoolId },
    /// A teacher: their own lessons.
    Teacher { teacher: TeacherId },
    /// The computer in a classroom: joins its classroom's lessons, nothing else.
    ClassroomDevice { classroom: ClassroomId },
}

impl StaffRole {
    /// `bureau`, `school:<id>`, `teacher:<id>` or `device:<classroom id>` (the command line's
    /// spelling).
    pub fn parse(s: &str) -> Option<StaffRole> {
        if s == "bureau" {
            return Some(StaffRole::BureauAdmin);
        }
        let (kind, id) = s.split_once(':')?;
        let id: u64 = id.parse().ok()?;
        Some(match kind {
            "school" => StaffRole::SchoolAdmin {
                school: SchoolId(id),
            },
            "teacher" => StaffRole::Teacher {
                teacher: TeacherId(id),
            },
            "device" => StaffRole::ClassroomDevice {
                classroom: ClassroomId(id),
            },
            _ => return None,
        })
    }

    /// The value of the `role` column.
    pub fn column(self) -> &'static str {
        match self {
            StaffRole::BureauAdmin => "bureau_admin",
            StaffRole::SchoolAdmin { .. } => "school_admin",
            StaffRole::Teacher { .. } => "teacher",
            StaffRole::ClassroomDevice { .. } => "classroom_device",
        }
    }
}

/// A signed-in account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: StaffRole,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_spelled_on_the_command_line() {
        assert_eq!(StaffRole::parse("bureau"), Some(StaffRole::BureauAdmin));
        assert_eq!(
            StaffRole::parse("school:3"),
            Some(StaffRole::SchoolAdmin {
                school: SchoolId(3)
            })
        );
        assert_eq!(
            StaffRole::parse("device:12"),
            Some(StaffRole::ClassroomDevice {
                classroom: ClassroomId(12)
            })
        );
        for bad in ["", "admin", "teacher", "teacher:", "teacher:x", "planet:1"] {
            assert_eq!(StaffRole::parse(bad), None, "{bad}");
        }
    }
}
