//! iCalendar (RFC 5545) feeds of a teacher's or a classroom's lessons. Pure formatting; the API
//! chooses the lessons.

use crate::store::timetable::LessonRow;

/// One calendar with an event per lesson. Times are UTC (`Z`), so every calendar app shows them in
/// its own zone.
pub fn feed(name: &str, lessons: &[LessonRow], stamp: i64) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//tongpin//lessons//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        push(&mut out, line);
    }
    push(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    push(&mut out, "X-WR-TIMEZONE:Asia/Shanghai");
    for l in lessons {
        push(&mut out, "BEGIN:VEVENT");
        push(&mut out, &format!("UID:lesson-{}@tongpin", l.id));
        push(&mut out, &format!("DTSTAMP:{}", utc(stamp)));
        push(&mut out, &format!("DTSTART:{}", utc(l.starts_at)));
        push(&mut out, &format!("DTEND:{}", utc(l.ends_at)));
        let summary = if l.subject.is_empty() {
            l.title.clone()
        } else {
            format!("{} · {}", l.subject, l.title)
        };
        push(&mut out, &format!("SUMMARY:{}", escape(&summary)));
        let rooms: Vec<String> = l.classrooms.iter().map(|c| c.to_string()).collect();
        let description = format!(
            "主讲教室 {}；接收教室 {}",
            l.master_classroom,
            rooms.join("、")
        );
        push(&mut out, &format!("DESCRIPTION:{}", escape(&description)));
        push(&mut out, "END:VEVENT");
    }
    push(&mut out, "END:VCALENDAR");
    out
}

/// `YYYYMMDDTHHMMSSZ`.
fn utc(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => "19700101T000000Z".into(),
    }
}

/// Escapes a text value: backslash, semicolon, comma and newlines.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded at 75 octets (never inside a UTF-8 character), ending in CRLF.
fn push(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
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
        let mut out = String::new();
        push(&mut out, &format!("SUMMARY:{}", "课".repeat(60)));
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("SUMMARY:{}\r\n", "课".repeat(60)));
        assert!(out.split("\r\n").all(|l| l.len() <= 75));
    }
}
