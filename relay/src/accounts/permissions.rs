//! Who may do what. Every API handler asks [`allowed`] before it touches anything; the console
//! only hides what the relay would refuse anyway.

use super::StaffRole;
use shared::ids::{SchoolId, TeacherId};

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
    /// Attendance reports over a school's classrooms.
    ViewReports(SchoolId),
    /// Make or revoke the join links of a lesson taught from this school by this teacher.
    HandOutLinks(SchoolId, TeacherId),
}

pub fn allowed(role: StaffRole, action: Action) -> bool {
    match (role, action) {
        (StaffRole::BureauAdmin, _) => true,
        (StaffRole::ClassroomDevice { .. }, _) => false,
        (_, Action::ViewSchools | Action::ViewTimetable) => true,
        (StaffRole::SchoolAdmin { school }, Action::HandOutLinks(s, _)) => school == s,
        // A teacher opens their own lessons: the teacher's link and the classrooms'.
        (StaffRole::Teacher { teacher }, Action::HandOutLinks(_, t)) => teacher == t,
        (
            StaffRole::SchoolAdmin { school },
            Action::ManageSchool(s) | Action::Schedule(s) | Action::ViewReports(s),
        ) => school == s,
        _ => false,
    }
}

/// Whether `actor` may create, list, reset or remove an account with role `target`, whose school
/// (the school admin's school, the teacher's, the device's classroom's) is `target_school`.
/// Bureau admins manage every account; a school admin the accounts of their own school (other
/// school admins, its teachers and classroom devices), never a bureau admin.
pub fn may_manage_account(
    actor: StaffRole,
    target: StaffRole,
    target_school: Option<SchoolId>,
) -> bool {
    match (actor, target) {
        (StaffRole::BureauAdmin, _) => true,
        (StaffRole::SchoolAdmin { .. }, StaffRole::BureauAdmin) => false,
        (StaffRole::SchoolAdmin { school }, _) => target_school == Some(school),
        _ => false,
    }
}

/// Which lessons an account sees: lists are cut down to these, and asking for one outside them is
/// refused (403).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every lesson of the region (bureau staff).
    Region,
    /// Lessons a classroom of this school takes part in, as master or remote (school admins).
    School(SchoolId),
    /// Lessons this teacher teaches.
    Teacher(TeacherId),
    /// None (classroom devices join through links; they read no timetable).
    Nothing,
}

pub fn scope(role: StaffRole) -> Scope {
    match role {
        StaffRole::BureauAdmin => Scope::Region,
        StaffRole::SchoolAdmin { school } => Scope::School(school),
        StaffRole::Teacher { teacher } => Scope::Teacher(teacher),
        StaffRole::ClassroomDevice { .. } => Scope::Nothing,
    }
}

impl Scope {
    /// Whether a lesson taught by `teacher` in classrooms of `schools` is in scope.
    pub fn sees(self, teacher: TeacherId, schools: &[SchoolId]) -> bool {
        match self {
            Scope::Region => true,
            Scope::School(s) => schools.contains(&s),
            Scope::Teacher(t) => t == teacher,
            Scope::Nothing => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::ClassroomId;

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

    #[test]
    fn links_are_handed_out_by_the_school_and_the_lesson_s_teacher() {
        let lesson = Action::HandOutLinks(SchoolId(1), TeacherId(7));
        let school = |s| StaffRole::SchoolAdmin {
            school: SchoolId(s),
        };
        let teacher = |t| StaffRole::Teacher {
            teacher: TeacherId(t),
        };
        assert!(allowed(StaffRole::BureauAdmin, lesson));
        assert!(allowed(school(1), lesson));
        assert!(!allowed(school(2), lesson));
        assert!(allowed(teacher(7), lesson));
        assert!(!allowed(teacher(8), lesson));
        let device = StaffRole::ClassroomDevice {
            classroom: ClassroomId(1),
        };
        assert!(!allowed(device, lesson));
    }

    #[test]
    fn each_role_sees_its_own_lessons() {
        let (t1, t2) = (TeacherId(1), TeacherId(2));
        let (s1, s2) = (SchoolId(1), SchoolId(2));
        let bureau = scope(StaffRole::BureauAdmin);
        let school = scope(StaffRole::SchoolAdmin { school: s2 });
        let teacher = scope(StaffRole::Teacher { teacher: t1 });
        let device = scope(StaffRole::ClassroomDevice {
            classroom: ClassroomId(1),
        });
        assert!(bureau.sees(t2, &[s1]));
        assert!(
            school.sees(t2, &[s1, s2]),
            "a remote classroom of the school"
        );
        assert!(!school.sees(t1, &[s1]));
        assert!(teacher.sees(t1, &[s2]));
        assert!(!teacher.sees(t2, &[s1]));
        assert!(!device.sees(t1, &[s1]));
    }

    #[test]
    fn who_manages_which_accounts() {
        let bureau = StaffRole::BureauAdmin;
        let school1 = StaffRole::SchoolAdmin {
            school: SchoolId(1),
        };
        let teacher = StaffRole::Teacher {
            teacher: TeacherId(1),
        };
        let device = StaffRole::ClassroomDevice {
            classroom: ClassroomId(1),
        };
        let (own, other) = (Some(SchoolId(1)), Some(SchoolId(2)));
        assert!(may_manage_account(bureau, bureau, None));
        assert!(may_manage_account(bureau, device, other));
        assert!(may_manage_account(school1, teacher, own));
        assert!(may_manage_account(school1, device, own));
        assert!(may_manage_account(school1, school1, own));
        assert!(!may_manage_account(school1, teacher, other));
        assert!(!may_manage_account(school1, bureau, None));
        assert!(!may_manage_account(school1, device, None), "unknown school");
        assert!(!may_manage_account(teacher, teacher, own));
        assert!(!may_manage_account(device, device, own));
    }
}
