//! The console's forms as plain data: what was typed, checked where the browser can tell, and
//! turned into the API's JSON bodies. The relay checks everything again; these checks only catch
//! what would make the JSON itself wrong (a classroom id that is not a number).

use super::model::FieldError;
use super::week::Day;
use serde_json::{json, Value};

fn error(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_string(),
        message: message.to_string(),
    }
}

/// `2, 3 4，5` → `[2, 3, 4, 5]` (commas, Chinese commas or spaces).
pub fn parse_ids(text: &str) -> Option<Vec<u64>> {
    text.split([',', '，', ' ', '、'])
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().ok())
        .collect()
}

fn id(field: &str, text: &str, errors: &mut Vec<FieldError>) -> u64 {
    text.trim().parse().unwrap_or_else(|_| {
        errors.push(error(field, "请填写数字编号"));
        0
    })
}

fn ids(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Vec<u64> {
    parse_ids(text).unwrap_or_else(|| {
        errors.push(error(field, "请填写以逗号分隔的数字编号"));
        Vec::new()
    })
}

/// The fields shared by a single lesson and a weekly series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LessonForm {
    pub title: String,
    pub subject: String,
    pub teacher: String,
    pub master_classroom: String,
    pub classrooms: String,
    pub start: String,
    pub end: String,
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

    /// `POST /api/lessons` on `date`.
    pub fn single(&self, date: &str) -> Result<Value, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut body = self.body(&mut errors);
        body["date"] = json!(date.trim());
        errors.is_empty().then_some(body).ok_or(errors)
    }

    /// `POST /api/series` in `term` on `weekday` (1 = Monday).
    pub fn series(&self, term: &str, weekday: &str) -> Result<Value, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut body = self.body(&mut errors);
        body["term"] = json!(id("term", term, &mut errors));
        match weekday.trim().parse::<u8>() {
            Ok(w @ 1..=7) => body["weekday"] = json!(w),
            _ => errors.push(error("weekday", "请选择星期一到星期日")),
        }
        errors.is_empty().then_some(body).ok_or(errors)
    }
}

/// `2030-10-01..2030-10-07` per line (or `2030-10-01 2030-10-07`, or one day alone).
pub fn parse_holidays(text: &str) -> Result<Vec<(Day, Day)>, FieldError> {
    let bad = || error("holidays", "每行一个假期，如 2030-10-01..2030-10-07");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (a, b) = line
                .split_once("..")
                .or_else(|| line.split_once(' '))
                .or_else(|| line.split_once('～'))
                .unwrap_or((line, line));
            match (Day::parse(a), Day::parse(b)) {
                (Some(a), Some(b)) if a <= b => Ok((a, b)),
                _ => Err(bad()),
            }
        })
        .collect()
}

/// `POST /api/terms`.
pub fn term_body(
    name: &str,
    first: &str,
    last: &str,
    holidays: &str,
) -> Result<Value, Vec<FieldError>> {
    let holidays = parse_holidays(holidays).map_err(|e| vec![e])?;
    let holidays: Vec<Value> = holidays
        .into_iter()
        .map(|(a, b)| json!({"first": a.iso(), "last": b.iso()}))
        .collect();
    Ok(json!({"name": name, "first": first.trim(), "last": last.trim(), "holidays": holidays}))
}

/// How far a change to a lesson of a series reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// `PATCH /api/lessons/{id}`.
    OnlyThis,
    /// `PATCH /api/series/{id}` from this lesson's date in the series.
    ThisAndFollowing,
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

/// `POST /api/accounts` from the form: the role's kind from the select and its school, teacher or
/// classroom number from the field beside it.
pub fn account_body(
    login: &str,
    name: &str,
    password: &str,
    kind: &str,
    of: &str,
) -> Result<Value, Vec<FieldError>> {
    let mut errors = Vec::new();
    let role = match kind {
        "bureau_admin" => json!({"kind": kind}),
        "school_admin" => json!({"kind": kind, "school": id("role", of, &mut errors)}),
        "teacher" => json!({"kind": kind, "teacher": id("role", of, &mut errors)}),
        "classroom_device" => json!({"kind": kind, "classroom": id("role", of, &mut errors)}),
        _ => {
            errors.push(error("role", "请选择账号类型"));
            Value::Null
        }
    };
    if errors.is_empty() {
        Ok(json!({"login": login.trim(), "name": name.trim(), "password": password, "role": role}))
    } else {
        Err(errors)
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
        }
    }

    #[test]
    fn id_lists_accept_chinese_commas() {
        assert_eq!(parse_ids("2, 3，4 5、6"), Some(vec![2, 3, 4, 5, 6]));
        assert_eq!(parse_ids(""), Some(vec![]));
        assert_eq!(parse_ids("2, x"), None);
    }

    #[test]
    fn a_series_body_has_every_field() {
        let body = form().series("4", "2").unwrap();
        assert_eq!(body["term"], 4);
        assert_eq!(body["weekday"], 2);
        assert_eq!(body["classrooms"], json!([2, 3]));
        assert_eq!(body["start"], "10:00");
        let single = form().single("2030-09-10").unwrap();
        assert_eq!(single["date"], "2030-09-10");
        assert!(single.get("term").is_none());
    }

    #[test]
    fn bad_numbers_name_their_fields() {
        let mut f = form();
        f.classrooms = "二".into();
        f.teacher = "".into();
        let errors = f.series("x", "9").unwrap_err();
        let names: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["teacher", "classrooms", "term", "weekday"]);
    }

    #[test]
    fn holidays_per_line() {
        let body = term_body(
            "秋季学期",
            "2030-09-02",
            "2030-11-30",
            "2030-10-01..2030-10-07\n\n2030-11-11",
        )
        .unwrap();
        assert_eq!(
            body["holidays"],
            json!([{"first": "2030-10-01", "last": "2030-10-07"},
                   {"first": "2030-11-11", "last": "2030-11-11"}])
        );
        assert!(term_body("t", "a", "b", "2030-10-07..2030-10-01").is_err());
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
    fn an_account_form_names_its_role() {
        let body = account_body(" li ", "李老师", "a long password", "teacher", "7").unwrap();
        assert_eq!(
            body,
            json!({"login": "li", "name": "李老师", "password": "a long password",
                   "role": {"kind": "teacher", "teacher": 7}})
        );
        let bureau = account_body("z", "张", "pw", "bureau_admin", "").unwrap();
        assert_eq!(bureau["role"], json!({"kind": "bureau_admin"}));
        let errs = account_body("d", "电脑", "pw", "classroom_device", "五年级").unwrap_err();
        assert_eq!(errs[0].field, "role");
    }
}
