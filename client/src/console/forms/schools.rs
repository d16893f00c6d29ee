//! Schools: a new school (bureau admins), and a classroom or a teacher added to a school.

use serde_json::{json, Value};

/// The form to add a school.
#[derive(Clone, Debug, PartialEq)]
pub struct SchoolForm {
    pub name: String,
    pub county: String,
    /// `remote` or `master`.
    pub kind: String,
}

impl Default for SchoolForm {
    /// Empty, with a remote school picked (the select's first option).
    fn default() -> Self {
        SchoolForm {
            name: String::new(),
            county: String::new(),
            kind: "remote".to_string(),
        }
    }
}

impl SchoolForm {
    /// `POST /api/schools`.
    pub fn body(&self) -> Value {
        json!({"name": self.name, "county": self.county, "kind": self.kind})
    }
}

/// What is added to a school.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member {
    Classroom,
    Teacher,
}

/// The form to add a classroom or a teacher to a school.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemberForm {
    /// The school picked ("" until one is: the select shows the first).
    pub school: String,
    pub name: String,
}

impl MemberForm {
    /// `POST /api/schools/{school}/classrooms` or `…/teachers` (path and body) for the school the
    /// select shows.
    pub fn request(&self, member: Member, school: &str) -> (String, Value) {
        let what = match member {
            Member::Classroom => "classrooms",
            Member::Teacher => "teachers",
        };
        (
            format!("/api/schools/{}/{what}", school.trim()),
            json!({"name": self.name}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schools_classrooms_and_teachers() {
        let school = SchoolForm {
            name: "第一小学".into(),
            county: "四子王旗".into(),
            ..SchoolForm::default()
        };
        assert_eq!(
            school.body(),
            json!({"name": "第一小学", "county": "四子王旗", "kind": "remote"})
        );
        let member = MemberForm {
            school: String::new(),
            name: "三班".into(),
        };
        assert_eq!(
            member.request(Member::Classroom, "4"),
            (
                "/api/schools/4/classrooms".to_string(),
                json!({"name": "三班"})
            )
        );
        assert_eq!(
            member.request(Member::Teacher, "4").0,
            "/api/schools/4/teachers"
        );
    }
}
