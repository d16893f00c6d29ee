//! Reports: a school's attendance over a date range, and the calendar feed of a teacher's or a
//! classroom's timetable.

/// The form for a school's attendance report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportForm {
    /// The school picked ("" until one is: the select shows the first).
    pub school: String,
    pub from: String,
    /// The day after the last one counted.
    pub to: String,
}

impl ReportForm {
    /// `GET /api/reports/schools/{school}?from=…&to=…` for the school the select shows.
    pub fn query(&self, school: &str) -> String {
        format!(
            "/api/reports/schools/{}?from={}&to={}",
            school.trim(),
            self.from.trim(),
            self.to.trim()
        )
    }
}

/// The form for a calendar feed's address.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarForm {
    /// `teacher` or `classroom`.
    pub kind: String,
    pub id: String,
}

impl Default for CalendarForm {
    /// Empty, with a teacher's timetable picked (the select's first option).
    fn default() -> Self {
        CalendarForm {
            kind: "teacher".to_string(),
            id: String::new(),
        }
    }
}

impl CalendarForm {
    /// `GET /api/calendar-links/{kind}/{id}`.
    pub fn path(&self) -> String {
        format!("/api/calendar-links/{}/{}", self.kind, self.id.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_and_feed_addresses() {
        let report = ReportForm {
            school: String::new(),
            from: " 2030-09-01".into(),
            to: "2031-01-16".into(),
        };
        assert_eq!(
            report.query("4"),
            "/api/reports/schools/4?from=2030-09-01&to=2031-01-16"
        );
        let feed = CalendarForm {
            id: " 3 ".into(),
            ..CalendarForm::default()
        };
        assert_eq!(feed.path(), "/api/calendar-links/teacher/3");
    }
}
