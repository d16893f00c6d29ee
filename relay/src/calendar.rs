//! iCalendar (RFC 5545) feeds of a teacher's or a classroom's lessons. Pure formatting; the API
//! chooses the lessons.

use crate::store::timetable::LessonRow;
use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, EventLike, Property};

/// One calendar with an event per lesson. Times are UTC (`Z`), so every calendar app shows them in
/// its own zone. The `icalendar` crate escapes text values and folds lines at 75 octets.
pub fn feed(name: &str, lessons: &[LessonRow], stamp: i64) -> String {
    let mut calendar = Calendar::empty();
    let name = text(name);
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//tongpin//lessons//ZH"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("X-WR-CALNAME", name.as_str()),
        ("X-WR-TIMEZONE", "Asia/Shanghai"),
    ] {
        calendar.append_property(Property::new(key, value));
    }
    for l in lessons {
        let summary = if l.subject.is_empty() {
            l.title.clone()
        } else {
            format!("{} · {}", l.subject, l.title)
        };
        let rooms: Vec<String> = l.classrooms.iter().map(|c| c.to_string()).collect();
        let description = format!(
            "主讲教室 {}；接收教室 {}",
            l.master_classroom,
            rooms.join("、")
        );
        calendar.push(
            icalendar::Event::new()
                .uid(&format!("lesson-{}@tongpin", l.id))
                .timestamp(utc(stamp))
                .starts(utc(l.starts_at))
                .ends(utc(l.ends_at))
                .summary(&text(&summary))
                .description(&text(&description))
                .done(),
        );
    }
    calendar.to_string()
}

/// A unix time as UTC; out of range (never for a stored lesson) is the epoch.
fn utc(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or_default()
}

/// A text value without carriage returns or other control characters (newlines stay; the crate
/// escapes them, with backslashes, semicolons and commas).
fn text(s: &str) -> String {
    s.chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::{ClassroomId, LessonId, TeacherId};

    fn lesson() -> LessonRow {
        LessonRow {
            id: LessonId(7),
            title: "分数, 加减; 复习\\".into(),
            subject: "数学".into(),
            teacher: TeacherId(1),
            master_classroom: ClassroomId(1),
            classrooms: vec![ClassroomId(2), ClassroomId(3)],
            starts_at: 1_788_220_800,
            ends_at: 1_788_223_500,
            series: None,
            occurrence: None,
        }
    }

    #[test]
    fn a_feed_is_valid_icalendar() {
        let text = feed("王老师的课表", &[lesson()], 1_788_000_000);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(text.contains("DTSTART:20260901T000000Z\r\n"));
        assert!(text.contains("DTEND:20260901T004500Z\r\n"));
        assert!(text.contains("UID:lesson-7@tongpin\r\n"));
        assert!(text.contains("SUMMARY:数学 · 分数\\, 加减\\; 复习\\\\\r\n"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "line longer than 75 octets: {line}");
        }
    }

    #[test]
    fn long_lines_fold_between_characters() {
        let mut long = lesson();
        long.subject = String::new();
        long.title = "课".repeat(60);
        let out = feed("课表", &[long], 1_788_000_000);
        assert!(out.split("\r\n").all(|l| l.len() <= 75));
        let unfolded = out.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("\r\nSUMMARY:{}\r\n", "课".repeat(60))));
    }

    /// A title with commas, semicolons, backslashes, newlines and CJK text comes back unchanged
    /// through an iCalendar parser; a carriage return is dropped.
    #[test]
    fn titles_round_trip_through_a_parser() {
        let mut tricky = lesson();
        tricky.subject = String::new();
        tricky.title = "语文, 第一课; \"春\"\\下\n第二行\r\n第三行：完".into();
        let text = feed("王老师, 的; 课表", &[tricky], 1_788_000_000);
        let parsed: Calendar = text.parse().expect("the feed parses");
        assert_eq!(
            parsed.property_value("X-WR-CALNAME"),
            Some("王老师, 的; 课表")
        );
        let events: Vec<_> = parsed.events().collect();
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].get_summary(),
            Some("语文, 第一课; \"春\"\\下\n第二行\n第三行：完")
        );
        assert_eq!(events[0].get_uid(), Some("lesson-7@tongpin"));
        assert_eq!(
            events[0].get_description(),
            Some("主讲教室 1；接收教室 2、3")
        );
        assert_eq!(events[0].get_start(), Some(utc(1_788_220_800).into()),);
    }
}
