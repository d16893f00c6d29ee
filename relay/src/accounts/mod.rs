//! Accounts of the people and devices that use the bureau console, and what each may do.
//! Plain types and rules; the SQL is in `store::accounts`, the HTTP in `api`.
//!
//! - [`password`]: Argon2id password hashes.
//! - [`permissions`]: the pure rules: which account may do which [`permissions::Action`].

pub mod password;
pub mod permissions;

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
