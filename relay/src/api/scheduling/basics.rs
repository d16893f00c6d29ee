//! A lesson's checked basics (title, subject, teacher, master and remote classrooms) and its time
//! slot, read from a request's fields with every problem named.

use crate::api::error::{check_name, field, ApiError, FieldError};
use crate::state::AppState;
use crate::store::timetable::{parse_date, parse_time, NewLesson};
use serde::Deserialize;
use shared::ids::{ClassroomId, LessonId, SchoolId, TeacherId};
use shared::schedule::{Booking, Slot};
use std::collections::BTreeSet;

/// A lesson has at most this many remote classrooms.
const MAX_REMOTES: usize = 200;

/// What a lesson needs besides its time, checked: people and rooms exist, names are sane.
pub struct LessonBasics {
    pub title: String,
    pub subject: String,
    pub teacher: TeacherId,
    pub master: ClassroomId,
    pub remotes: Vec<ClassroomId>,
    pub master_school: SchoolId,
}

/// A lesson's basics as a request gives them (ids as numbers): flattened into the bodies that
/// create a lesson or a series.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct BasicsFields {
    pub title: String,
    #[serde(default)]
    pub subject: String,
    pub teacher: u64,
    pub master_classroom: u64,
    pub classrooms: Vec<u64>,
}

/// The remote classrooms: without the master, each once, in order.
pub fn remotes_of(classrooms: Vec<u64>, master: ClassroomId) -> Vec<ClassroomId> {
    classrooms
        .into_iter()
        .map(ClassroomId)
        .filter(|c| *c != master)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Whether a lesson may have this many remote classrooms.
pub fn remotes_fit(remotes: &[ClassroomId]) -> bool {
    !remotes.is_empty() && remotes.len() <= MAX_REMOTES
}

/// Checks `f`, adding a [`FieldError`] to `errors` for each problem; `None` if there was one.
pub async fn check_basics(
    state: &AppState,
    f: BasicsFields,
    errors: &mut Vec<FieldError>,
) -> Result<Option<LessonBasics>, ApiError> {
    check_name("title", &f.title, 100, errors);
    if !f.subject.is_empty() {
        check_name("subject", &f.subject, 30, errors);
    }
    let master = ClassroomId(f.master_classroom);
    let remotes = remotes_of(f.classrooms, master);
    if !remotes_fit(&remotes) {
        errors.push(field("classrooms", "between 1 and 200 remote classrooms"));
    }
    let teacher = TeacherId(f.teacher);
    if !state.store().teacher_exists(teacher).await? {
        errors.push(field("teacher", "no such teacher"));
    }
    let mut all = remotes.clone();
    all.push(master);
    let schools = state.store().classroom_schools(&all).await?;
    if !schools.contains_key(&master) {
        errors.push(field("master_classroom", "no such classroom"));
    }
    if remotes.iter().any(|c| !schools.contains_key(c)) {
        errors.push(field("classrooms", "a classroom does not exist"));
    }
    Ok(schools
        .get(&master)
        .copied()
        .filter(|_| errors.is_empty())
        .map(|master_school| LessonBasics {
            title: f.title,
            subject: f.subject,
            teacher,
            master,
            remotes,
            master_school,
        }))
}

/// The slot of `date` from `start` to `end`, or the problems with them added to `errors`.
pub fn slot_of(date: &str, start: &str, end: &str, errors: &mut Vec<FieldError>) -> Option<Slot> {
    let d = parse_date(date);
    let s = parse_time(start);
    let e = parse_time(end);
    if d.is_none() {
        errors.push(field("date", "a date like 2026-09-01"));
    }
    if s.is_none() {
        errors.push(field("start", "a time like 08:00"));
    }
    if e.is_none() {
        errors.push(field("end", "a time like 08:45"));
    }
    match Slot::on(d?, s?, e?) {
        Ok(slot) => Some(slot),
        Err(err) => {
            errors.push(field("end", &err.to_string()));
            None
        }
    }
}

impl LessonBasics {
    /// The lesson to store at `slot`.
    pub fn lesson_at(&self, slot: Slot) -> NewLesson {
        NewLesson {
            title: self.title.clone(),
            subject: self.subject.clone(),
            teacher: self.teacher,
            master: self.master,
            remotes: self.remotes.clone(),
            slot,
            series: None,
        }
    }

    /// What the lesson occupies at `slot`, for the timetable's clash checks.
    pub fn booking(&self, lesson: LessonId, slot: Slot) -> Booking {
        let mut classrooms = vec![self.master];
        classrooms.extend(self.remotes.iter().copied());
        Booking {
            lesson,
            slot,
            teacher: self.teacher,
            classrooms,
        }
    }
}
