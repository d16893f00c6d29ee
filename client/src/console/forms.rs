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
}
