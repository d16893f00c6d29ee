//! Names for the ids the API returns: which school and classroom a classroom id is, who a teacher
//! id is. Loaded once per sign-in (and after changes) from `GET /api/schools`, `/api/classrooms`
//! and `/api/teachers`; an unknown id shows as its number.

use super::model::School;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ClassroomEntry {
    pub id: u64,
    pub school: u64,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TeacherEntry {
    pub id: u64,
    pub name: String,
    pub school: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Names {
    classrooms: HashMap<u64, String>,
    teachers: HashMap<u64, String>,
}

impl Names {
    pub fn new(
        schools: &[School],
        classrooms: &[ClassroomEntry],
        teachers: &[TeacherEntry],
    ) -> Names {
        let school: HashMap<u64, &str> = schools.iter().map(|s| (s.id, s.name.as_str())).collect();
        Names {
            classrooms: classrooms
                .iter()
                .map(|c| {
                    let full = match school.get(&c.school) {
                        Some(s) => format!("{s} {}", c.name),
                        None => c.name.clone(),
                    };
                    (c.id, full)
                })
                .collect(),
            teachers: teachers.iter().map(|t| (t.id, t.name.clone())).collect(),
        }
    }

    /// "School classroom", or "教室 N" for an id not (yet) known.
    pub fn classroom(&self, id: u64) -> String {
        self.classrooms
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("教室 {id}"))
    }

    pub fn classrooms(&self, ids: &[u64]) -> String {
        ids.iter()
            .map(|c| self.classroom(*c))
            .collect::<Vec<_>>()
            .join("、")
    }

    /// Every known classroom, `(id, "school classroom")`, by id (for suggestions in forms).
    pub fn all_classrooms(&self) -> Vec<(u64, String)> {
        let mut all: Vec<(u64, String)> = self
            .classrooms
            .iter()
            .map(|(i, n)| (*i, n.clone()))
            .collect();
        all.sort();
        all
    }

    /// Every known teacher, `(id, name)`, by id.
    pub fn all_teachers(&self) -> Vec<(u64, String)> {
        let mut all: Vec<(u64, String)> =
            self.teachers.iter().map(|(i, n)| (*i, n.clone())).collect();
        all.sort();
        all
    }

    pub fn teacher(&self, id: u64) -> String {
        self.teachers
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("教师 {id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_get_their_names_and_unknown_ones_their_numbers() {
        let schools = [School {
            id: 2,
            name: "武川县哈乐镇中心小学".into(),
            county: "武川县".into(),
            kind: "remote".into(),
        }];
        let rooms = [ClassroomEntry {
            id: 5,
            school: 2,
            name: "五年级一班".into(),
        }];
        let teachers = [TeacherEntry {
            id: 1,
            name: "王老师".into(),
            school: 1,
        }];
        let names = Names::new(&schools, &rooms, &teachers);
        assert_eq!(names.classroom(5), "武川县哈乐镇中心小学 五年级一班");
        assert_eq!(
            names.classrooms(&[5, 9]),
            "武川县哈乐镇中心小学 五年级一班、教室 9"
        );
        assert_eq!(names.teacher(1), "王老师");
        assert_eq!(names.teacher(2), "教师 2");
        assert_eq!(names.all_teachers(), vec![(1, "王老师".to_string())]);
        assert_eq!(
            names.all_classrooms(),
            vec![(5, "武川县哈乐镇中心小学 五年级一班".to_string())]
        );
    }
}
