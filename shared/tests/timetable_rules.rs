//! The timetable's rules: a classroom or teacher is never in two overlapping lessons; a refused
//! booking names every clashing lesson at once; series book all or nothing.

use proptest::prelude::*;
use shared::ids::{ClassroomId, LessonId, SeriesId, TeacherId};
use shared::schedule::{
    Booking, Clash, Exception, Resource, Series, Slot, Term, Timetable, WeeklyRule,
};
use time::macros::{date, time};
use time::Weekday;

fn lesson(id: u64, start: i64, end: i64, teacher: u64, classrooms: &[u64]) -> Booking {
    Booking {
        lesson: LessonId(id),
        slot: Slot::new(start, end).unwrap(),
        teacher: TeacherId(teacher),
        classrooms: classrooms.iter().map(|c| ClassroomId(*c)).collect(),
    }
}

#[test]
fn back_to_back_lessons_are_fine_overlap_by_a_second_is_not() {
    let mut t = Timetable::new();
    t.book(lesson(1, 1000, 2000, 1, &[10, 11])).unwrap();
    t.book(lesson(2, 2000, 3000, 1, &[10, 11])).unwrap();
    t.book(lesson(3, 0, 1000, 1, &[10])).unwrap();
    let err = t.book(lesson(4, 2999, 3500, 2, &[11])).unwrap_err();
    assert_eq!(
        err,
        vec![Clash {
            lesson: LessonId(2),
            slot: Slot {
                start: 2000,
                end: 3000
            },
            on: Resource::Classroom(ClassroomId(11))
        }]
    );
    assert_eq!(t.len(), 3, "a refused booking changes nothing");
}

#[test]
fn every_clash_is_named_at_once() {
    let mut t = Timetable::new();
    t.book(lesson(1, 0, 100, 1, &[10])).unwrap();
    t.book(lesson(2, 100, 200, 2, &[11])).unwrap();
    t.book(lesson(3, 200, 300, 3, &[12])).unwrap();
    // Teacher 1 is busy in lesson 1, classroom 11 in lesson 2, classroom 12 in lesson 3.
    let err = t.book(lesson(9, 50, 250, 1, &[11, 12])).unwrap_err();
    let named: Vec<(u64, Resource)> = err.iter().map(|c| (c.lesson.0, c.on)).collect();
    assert_eq!(
        named,
        vec![
            (1, Resource::Teacher(TeacherId(1))),
            (2, Resource::Classroom(ClassroomId(11))),
            (3, Resource::Classroom(ClassroomId(12))),
        ]
    );
}

#[test]
fn moving_a_lesson_does_not_clash_with_itself() {
    let mut t = Timetable::new();
    t.book(lesson(1, 0, 100, 1, &[10])).unwrap();
    t.book(lesson(1, 50, 150, 1, &[10])).unwrap();
    assert_eq!(
        t.get(LessonId(1)).unwrap().slot,
        Slot {
            start: 50,
            end: 150
        }
    );
    assert_eq!(
        t.lessons_of(
            Resource::Classroom(ClassroomId(10)),
            Slot {
                start: 0,
                end: 1000
            }
        ),
        vec![LessonId(1)]
    );
    t.book(lesson(2, 0, 50, 1, &[10])).unwrap();
}

fn term() -> Term {
    Term::new(
        "秋季",
        date!(2026 - 09 - 01),
        date!(2026 - 10 - 31),
        vec![(date!(2026 - 10 - 01), date!(2026 - 10 - 07))],
    )
    .unwrap()
}

fn series_bookings(
    series: &Series,
    term: &Term,
    first_id: u64,
    teacher: u64,
    classrooms: &[u64],
) -> Vec<Booking> {
    series
        .occurrences(term)
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, o)| {
            lesson(
                first_id + i as u64,
                o.slot.start,
                o.slot.end,
                teacher,
                classrooms,
            )
        })
        .collect()
}

#[test]
fn a_series_books_all_or_nothing_and_names_every_clash() {
    let term = term();
    let mut t = Timetable::new();
    let tuesday = WeeklyRule {
        weekday: Weekday::Tuesday,
        start: time!(10:00),
        end: time!(10:45),
    };
    // Two single lessons in the way, on two different Tuesdays.
    let in_the_way = |id, d| {
        let s = Slot::on(d, time!(10:30), time!(11:15)).unwrap();
        lesson(id, s.start, s.end, 7, &[20])
    };
    t.book(in_the_way(100, date!(2026 - 09 - 08))).unwrap();
    t.book(in_the_way(101, date!(2026 - 10 - 20))).unwrap();
    let series = Series::new(SeriesId(1), tuesday, term.first).unwrap();
    let err = t
        .book_all(series_bookings(&series, &term, 1, 1, &[20, 21]))
        .unwrap_err();
    let clashing: Vec<u64> = err.iter().map(|c| c.lesson.0).collect();
    assert_eq!(clashing, vec![100, 101]);
    assert_eq!(t.len(), 2, "nothing of the series was booked");

    // Moving the first clashing occurrence and cancelling the second makes it fit.
    let mut series = series;
    let moved = Exception::Moved {
        date: date!(2026 - 09 - 08),
        start: time!(14:00),
        end: time!(14:45),
    };
    series
        .change_one(&term, date!(2026 - 09 - 08), moved)
        .unwrap();
    series
        .change_one(&term, date!(2026 - 10 - 20), Exception::Cancelled)
        .unwrap();
    t.book_all(series_bookings(&series, &term, 1, 1, &[20, 21]))
        .unwrap();
    assert_eq!(t.len(), 2 + 7);
}

#[test]
fn a_lesson_in_the_holiday_week_does_not_meet_the_series() {
    let term = term();
    let mut t = Timetable::new();
    let tuesday = WeeklyRule {
        weekday: Weekday::Tuesday,
        start: time!(10:00),
        end: time!(10:45),
    };
    let series = Series::new(SeriesId(1), tuesday, term.first).unwrap();
    t.book_all(series_bookings(&series, &term, 1, 1, &[20]))
        .unwrap();
    // National Day: the series has no lesson on 6 October, so a make-up class may use the room.
    let s = Slot::on(date!(2026 - 10 - 06), time!(10:00), time!(10:45)).unwrap();
    t.book(lesson(500, s.start, s.end, 2, &[20])).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Random bookings and moves: the timetable never holds two overlapping lessons on one
    /// resource, and its clash list equals a brute-force comparison with every booked lesson.
    #[test]
    fn never_double_booked_and_clashes_match_brute_force(
        ops in proptest::collection::vec((0u64..40, 0i64..2000, 1i64..300, 0u64..6, proptest::collection::vec(0u64..8, 1..4)), 1..120)
    ) {
        let mut t = Timetable::new();
        for (id, start, len, teacher, rooms) in ops {
            let b = lesson(id, start, start + len, teacher, &rooms);
            let mut brute: Vec<u64> = Vec::new();
            for other in (0..40).filter_map(|i| t.get(LessonId(i))) {
                if other.lesson == b.lesson || !other.slot.overlaps(b.slot) {
                    continue;
                }
                let shares = other.teacher == b.teacher || other.classrooms.iter().any(|c| b.classrooms.contains(c));
                if shares {
                    brute.push(other.lesson.0);
                }
            }
            brute.sort();
            let mut found: Vec<u64> = t.clashes(&b).iter().map(|c| c.lesson.0).collect();
            found.sort();
            found.dedup();
            prop_assert_eq!(&found, &brute);
            let _ = t.book(b);
            // The invariant.
            let all: Vec<Booking> = (0..40).filter_map(|i| t.get(LessonId(i)).cloned()).collect();
            for a in &all {
                for b in &all {
                    if a.lesson < b.lesson && a.slot.overlaps(b.slot) {
                        let shared = a.teacher == b.teacher || a.classrooms.iter().any(|c| b.classrooms.contains(c));
                        prop_assert!(!shared, "{:?} and {:?} overlap", a, b);
                    }
                }
            }
        }
    }
}
