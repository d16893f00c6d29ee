//! Terms: a new term (name, first and last day, holidays) and a holiday added to a term later.

use super::error;
use crate::console::model::FieldError;
use crate::console::week::Day;
use serde_json::{json, Value};

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

/// The form to create a term.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TermForm {
    pub name: String,
    pub first: String,
    pub last: String,
    /// One holiday per line.
    pub holidays: String,
}

impl TermForm {
    /// `POST /api/terms`.
    pub fn body(&self) -> Result<Value, Vec<FieldError>> {
        let holidays = parse_holidays(&self.holidays).map_err(|e| vec![e])?;
        let holidays: Vec<Value> = holidays
            .into_iter()
            .map(|(a, b)| json!({"first": a.iso(), "last": b.iso()}))
            .collect();
        Ok(
            json!({"name": self.name, "first": self.first.trim(), "last": self.last.trim(),
                  "holidays": holidays}),
        )
    }
}

/// The form to close days of a term later (a snow day); the relay cancels the series lessons in
/// them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HolidayForm {
    /// The term picked ("" until one is: the select shows the first).
    pub term: String,
    pub first: String,
    pub last: String,
}

impl HolidayForm {
    /// `POST /api/terms/{term}/holidays` (path and body) for the term the select shows.
    pub fn request(&self, term: &str) -> (String, Value) {
        (
            format!("/api/terms/{}/holidays", term.trim()),
            json!({"first": self.first.trim(), "last": self.last.trim()}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holidays_per_line() {
        let form = TermForm {
            name: "秋季学期".into(),
            first: "2030-09-02".into(),
            last: "2030-11-30".into(),
            holidays: "2030-10-01..2030-10-07\n\n2030-11-11".into(),
        };
        let body = form.body().unwrap();
        assert_eq!(
            body["holidays"],
            json!([{"first": "2030-10-01", "last": "2030-10-07"},
                   {"first": "2030-11-11", "last": "2030-11-11"}])
        );
        let backwards = TermForm {
            holidays: "2030-10-07..2030-10-01".into(),
            ..form
        };
        assert!(backwards.body().is_err());
    }

    #[test]
    fn a_holiday_goes_to_the_term_shown() {
        let form = HolidayForm {
            term: String::new(),
            first: " 2030-12-02".into(),
            last: "2030-12-03 ".into(),
        };
        let (path, body) = form.request("4");
        assert_eq!(path, "/api/terms/4/holidays");
        assert_eq!(body, json!({"first": "2030-12-02", "last": "2030-12-03"}));
    }
}
