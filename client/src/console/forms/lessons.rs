//! Lessons: scheduling a weekly series in a term or a single lesson on a date, and changing a
//! lesson (only this one, or this and the following ones of its series).

use super::{error, id, ids, parse_ids};
use crate::console::model::{FieldError, LessonRow};
use crate::console::week::{clock, Day};
use serde_json::{json, Value};

/// The scheduling form: the fields a single lesson and a weekly series share, the series' term
/// and weekday, and the single lesson's date.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonForm {
    pub title: String,
    pub subject: String,
    pub teacher: String,
    pub master_classroom: String,
    pub classrooms: String,
    pub start: String,
    pub end: String,
    pub term: String,
    /// `1` (Monday) to `7`, as the weekday select's values.
    pub weekday: String,
    pub date: String,
}

impl Default for LessonForm {
    /// Empty, with Monday picked (the select's first option).
    fn default() -> Self {
        LessonForm {
            title: String::new(),
            subject: String::new(),
            teacher: String::new(),
            master_classroom: String::new(),
            classrooms: String::new(),
            start: String::new(),
            end: String::new(),
            term: String::new(),
            weekday: "1".to_string(),
            date: String::new(),
        }
    }
}

impl LessonForm {
    fn body(&self, errors: &mut Vec<FieldError>) -> Value {
        json!({
            "title": self.title,
            "subject": self.subject,
            "teacher": id("teacher", &self.teacher, errors),
            "master_classroom": id("master_classroom", &self.master_classroom, errors),
            "classrooms": ids("classrooms", &self.classrooms, errors),
            "start": self.start.trim(),
            "end": self.end.trim(),
        })
    }

    /// `POST /api/lessons` on the form's date.
    pub fn single(&self) -> Result<Value, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut body = self.body(&mut errors);
        body["date"] = json!(self.date.trim());
        errors.is_empty().then_some(body).ok_or(errors)
    }

    /// `POST /api/series` in the form's term on its weekday.
    pub fn series(&self) -> Result<Value, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut body = self.body(&mut errors);
        body["term"] = json!(id("term", &self.term, &mut errors));
        match self.weekday.trim().parse::<u8>() {
            Ok(w @ 1..=7) => body["weekday"] = json!(w),
            _ => errors.push(error("weekday", "请选择星期一到星期日")),
        }
        errors.is_empty().then_some(body).ok_or(errors)
    }
}

/// How far a change to a lesson of a series reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// `PATCH /api/lessons/{id}`.
    OnlyThis,
    /// `PATCH /api/series/{id}` from this lesson's date in the series.
    ThisAndFollowing,
}

impl Reach {
    /// The value of the reach select's option.
    pub fn value(self) -> &'static str {
        match self {
            Reach::OnlyThis => "only",
            Reach::ThisAndFollowing => "following",
        }
    }

    /// From the reach select's value (anything else is only this lesson).
    pub fn from_value(value: &str) -> Reach {
        if value == "following" {
            Reach::ThisAndFollowing
        } else {
            Reach::OnlyThis
        }
    }
}

/// A change to a lesson as typed: a new date and period, optionally a substitute teacher and
/// other remote classrooms.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChangeForm {
    pub date: String,
    pub start: String,
    pub end: String,
    pub teacher: String,
    /// The remote classrooms typed, if they differ from the lesson's.
    pub classrooms: Option<String>,
    /// The date the form showed (the lesson's own): left as it was, a change to the rest of the
    /// series keeps the series' weekday (a lesson moved alone to another day must not carry the
    /// others along to that day).
    pub shown_date: String,
}

impl ChangeForm {
    /// The request (method, path, body) for lesson `lesson`; for "this and the following ones"
    /// the lesson's series and occurrence date are needed. The new weekday is the new date's.
    pub fn request(
        &self,
        lesson: u64,
        series: Option<(u64, &str)>,
        reach: Reach,
    ) -> Result<(String, Value), Vec<FieldError>> {
        let mut errors = Vec::new();
        let day = Day::parse(self.date.trim());
        if day.is_none() {
            errors.push(error("date", "日期格式应为 2030-09-10"));
        }
        let teacher = match self.teacher.trim() {
            "" => None,
            t => Some(id("teacher", t, &mut errors)),
        };
        let classrooms = self
            .classrooms
            .as_deref()
            .map(|text| ids("classrooms", text, &mut errors));
        match reach {
            Reach::OnlyThis => {
                if !errors.is_empty() {
                    return Err(errors);
                }
                let mut body = json!({"date": self.date.trim(), "start": self.start.trim(),
                                      "end": self.end.trim()});
                if let Some(t) = teacher {
                    body["teacher"] = json!(t);
                }
                if let Some(c) = classrooms {
                    body["classrooms"] = json!(c);
                }
                Ok((format!("/api/lessons/{lesson}"), body))
            }
            Reach::ThisAndFollowing => {
                let Some((series, from)) = series else {
                    errors.push(error("reach", "这节课不属于每周课程系列"));
                    return Err(errors);
                };
                if teacher.is_some() {
                    errors.push(error("teacher", "代课教师只能按单节课调整"));
                }
                if classrooms.is_some() {
                    errors.push(error("classrooms", "远端教室只能按单节课调整"));
                }
                match (day, errors.is_empty()) {
                    (Some(day), true) => {
                        let mut body = json!({"from": from, "start": self.start.trim(),
                                              "end": self.end.trim()});
                        if self.date.trim() != self.shown_date {
                            body["weekday"] = json!(day.weekday_index() + 1);
                        }
                        Ok((format!("/api/series/{series}"), body))
                    }
                    _ => Err(errors),
                }
            }
        }
    }
}

/// The change form of a stored lesson: shown with the lesson's date, period and remote
/// classrooms, then edited.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonEdit {
    pub date: String,
    pub start: String,
    pub end: String,
    /// A substitute teacher's id; empty keeps the lesson's teacher.
    pub teacher: String,
    pub classrooms: String,
    pub reach: Reach,
}

impl LessonEdit {
    /// The form as it first shows `row`.
    pub fn shown(row: &LessonRow) -> LessonEdit {
        LessonEdit {
            date: Day::of_unix(row.starts_at).iso(),
            start: clock(row.starts_at),
            end: clock(row.ends_at),
            teacher: String::new(),
            classrooms: row
                .classrooms
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            reach: Reach::OnlyThis,
        }
    }

    /// The request (method `PATCH`, path, body) that makes the change to `row`. The remote
    /// classrooms are sent only if they differ from the lesson's.
    pub fn request(&self, row: &LessonRow) -> Result<(String, Value), Vec<FieldError>> {
        let form = ChangeForm {
            date: self.date.clone(),
            start: self.start.clone(),
            end: self.end.clone(),
            teacher: self.teacher.clone(),
            classrooms: Some(self.classrooms.clone())
                .filter(|typed| parse_ids(typed).as_ref() != Some(&row.classrooms)),
            shown_date: Day::of_unix(row.starts_at).iso(),
        };
        let series = row.series.zip(row.occurrence.as_deref());
        form.request(row.id, series, self.reach)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> LessonForm {
        LessonForm {
            title: "数学".into(),
            subject: "数学".into(),
            teacher: "1".into(),
            master_classroom: "1".into(),
            classrooms: "2, 3".into(),
            start: "10:00".into(),
            end: "10:45".into(),
            term: "4".into(),
            weekday: "2".into(),
            date: "2030-09-10".into(),
        }
    }

    #[test]
    fn a_series_body_has_every_field() {
        let body = form().series().unwrap();
        assert_eq!(body["term"], 4);
        assert_eq!(body["weekday"], 2);
        assert_eq!(body["classrooms"], json!([2, 3]));
        assert_eq!(body["start"], "10:00");
        let single = form().single().unwrap();
        assert_eq!(single["date"], "2030-09-10");
        assert!(single.get("term").is_none());
    }

    #[test]
    fn bad_numbers_name_their_fields() {
        let mut f = form();
        f.classrooms = "二".into();
        f.teacher = "".into();
        f.term = "x".into();
        f.weekday = "9".into();
        let errors = f.series().unwrap_err();
        let names: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["teacher", "classrooms", "term", "weekday"]);
    }

    #[test]
    fn a_change_reaches_one_lesson_or_the_rest_of_its_series() {
        let form = ChangeForm {
            date: "2030-09-26".into(),
            start: "14:00".into(),
            end: "14:45".into(),
            teacher: String::new(),
            classrooms: None,
            shown_date: "2030-09-24".into(),
        };
        let (path, body) = form.request(7, None, Reach::OnlyThis).unwrap();
        assert_eq!(path, "/api/lessons/7");
        assert_eq!(
            body,
            json!({"date": "2030-09-26", "start": "14:00", "end": "14:45"})
        );
        let (path, body) = form
            .request(7, Some((3, "2030-09-24")), Reach::ThisAndFollowing)
            .unwrap();
        assert_eq!(path, "/api/series/3");
        // 26 Sep 2030 is a Thursday.
        assert_eq!(
            body,
            json!({"from": "2030-09-24", "weekday": 4, "start": "14:00", "end": "14:45"})
        );
        // The date left as shown: only the period changes, the series keeps its weekday.
        let same_day = ChangeForm {
            date: "2030-09-24".into(),
            ..form.clone()
        };
        let (_, body) = same_day
            .request(7, Some((3, "2030-09-24")), Reach::ThisAndFollowing)
            .unwrap();
        assert_eq!(
            body,
            json!({"from": "2030-09-24", "start": "14:00", "end": "14:45"})
        );
        let errs = form.request(7, None, Reach::ThisAndFollowing).unwrap_err();
        assert_eq!(errs[0].field, "reach");
        let substitute = ChangeForm {
            teacher: "2".into(),
            ..form.clone()
        };
        let (_, body) = substitute.request(7, None, Reach::OnlyThis).unwrap();
        assert_eq!(body["teacher"], 2);
        let rooms = ChangeForm {
            classrooms: Some("2、4".into()),
            ..form.clone()
        };
        let (_, body) = rooms.request(7, None, Reach::OnlyThis).unwrap();
        assert_eq!(body["classrooms"], json!([2, 4]));
        let errs = rooms
            .request(7, Some((3, "2030-09-24")), Reach::ThisAndFollowing)
            .unwrap_err();
        assert_eq!(errs[0].field, "classrooms");
        let bad = ChangeForm {
            date: "26/9".into(),
            teacher: "王".into(),
            ..form
        };
        let fields: Vec<String> = bad
            .request(7, None, Reach::OnlyThis)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["date", "teacher"]);
    }

    #[test]
    fn the_form_starts_on_monday() {
        assert_eq!(LessonForm::default().weekday, "1");
    }

    fn row(series: Option<u64>) -> LessonRow {
        LessonRow {
            id: 7,
            title: "数学".into(),
            subject: String::new(),
            teacher: 1,
            master_classroom: 1,
            classrooms: vec![2, 3],
            // 2030-09-24 10:00 to 10:45 in Shanghai.
            starts_at: 1_916_445_600,
            ends_at: 1_916_448_300,
            series,
            occurrence: series.map(|_| "2030-09-24".to_string()),
        }
    }

    #[test]
    fn a_lesson_edit_shows_the_lesson_and_sends_what_changed() {
        let r = row(Some(3));
        let shown = LessonEdit::shown(&r);
        assert_eq!(
            (
                shown.date.as_str(),
                shown.start.as_str(),
                shown.end.as_str()
            ),
            ("2030-09-24", "10:00", "10:45")
        );
        assert_eq!(shown.classrooms, "2, 3");
        // Unchanged classrooms (however typed) are not sent.
        let edit = LessonEdit {
            start: "11:00".into(),
            classrooms: "2，3".into(),
            ..shown.clone()
        };
        let (path, body) = edit.request(&r).unwrap();
        assert_eq!(path, "/api/lessons/7");
        assert_eq!(
            body,
            json!({"date": "2030-09-24", "start": "11:00", "end": "10:45"})
        );
        let rooms = LessonEdit {
            classrooms: "2, 4".into(),
            ..shown.clone()
        };
        assert_eq!(rooms.request(&r).unwrap().1["classrooms"], json!([2, 4]));
        let following = LessonEdit {
            reach: Reach::from_value("following"),
            ..shown.clone()
        };
        let (path, body) = following.request(&r).unwrap();
        assert_eq!(path, "/api/series/3");
        assert_eq!(body["from"], "2030-09-24");
        let lone = following.request(&row(None)).unwrap_err();
        assert_eq!(lone[0].field, "reach");
        assert_eq!(Reach::from_value(Reach::OnlyThis.value()), Reach::OnlyThis);
    }
}
