//! Who may do what. Every API handler asks [`allowed`] before it touches anything; the console
//! only hides what the relay would refuse anyway.

use super::StaffRole;
use shared::ids::SchoolId;

/// Something an account wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// See the region's schools and classrooms.
    ViewSchools,
    /// Add a school.
    CreateSchool,
    /// Add or change classrooms of a school.
    ManageSchool(SchoolId),
    /// Create terms and their holidays.
    ManageTerms,
    /// See lessons and terms.
    ViewTimetable,
    /// Create or move lessons taught from a master classroom of this school.
    Schedule(SchoolId),
}

pub fn allowed(role: StaffRole, action: Action) -> bool {
    match (role, action) {
        (StaffRole::BureauAdmin, _) => true,
        (StaffRole::ClassroomDevice { .. }, _) => false,
        (_, Action::ViewSchools | Action::ViewTimetable) => true,
        (StaffRole::SchoolAdmin { school }, Action::ManageSchool(s) | Action::Schedule(s)) => {
            school == s
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::{ClassroomId, TeacherId};

    #[test]
    fn the_matrix() {
        let roles = [
            StaffRole::BureauAdmin,
            StaffRole::SchoolAdmin {
                school: SchoolId(1),
            },
            StaffRole::Teacher {
                teacher: TeacherId(1),
            },
            StaffRole::ClassroomDevice {
                classroom: ClassroomId(1),
            },
        ];
        let actions = [
            Action::ViewSchools,
            Action::CreateSchool,
            Action::ManageSchool(SchoolId(1)),
            Action::ManageSchool(SchoolId(2)),
        ];
        let expected = [
            [true, true, true, true],
            [true, false, true, false],
            [true, false, false, false],
            [false, false, false, false],
        ];
        for (r, role) in roles.iter().enumerate() {
            for (a, action) in actions.iter().enumerate() {
                assert_eq!(
                    allowed(*role, *action),
                    expected[r][a],
                    "{role:?} {action:?}"
                );
            }
        }
    }
}
