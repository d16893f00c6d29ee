//! Clash checks against a region's timetable: 2,000 classrooms, each in 40 lessons a week, over a
//! 20-week term (500 master classrooms each teaching 3 remote classrooms: 400,000 lessons).
//!
//! Run: `cargo bench -p shared --features testkit --bench schedule`

use shared::ids::{ClassroomId, LessonId, TeacherId};
use shared::schedule::{Booking, Slot, Timetable};
use shared::testkit::Rng;
use std::time::Instant;

const MASTERS: u64 = 500;
const WEEKS: i64 = 20;
const DAY: i64 = 86_400;
/// 8 periods a day, 5 days: a master classroom teaches 40 periods a week.
const PERIODS: [(i64, i64); 8] = [
    (8 * 3600, 8 * 3600 + 45 * 60),
    (9 * 3600, 9 * 3600 + 45 * 60),
    (10 * 3600, 10 * 3600 + 45 * 60),
    (11 * 3600, 11 * 3600 + 45 * 60),
    (14 * 3600, 14 * 3600 + 45 * 60),
    (15 * 3600, 15 * 3600 + 45 * 60),
    (16 * 3600, 16 * 3600 + 45 * 60),
    (17 * 3600, 17 * 3600 + 45 * 60),
];
const TERM_START: i64 = 1_788_192_000; // 2026-09-01 00:00 Asia/Shanghai

fn booking(lesson: u64, master: u64, day: i64, period: usize) -> Booking {
    let (s, e) = PERIODS[period];
    let base = TERM_START + day * DAY;
    Booking {
        lesson: LessonId(lesson),
        slot: Slot {
            start: base + s,
            end: base + e,
        },
        // Each master classroom has one teacher per period slot of the day.
        teacher: TeacherId(master * 8 + period as u64),
        classrooms: vec![
            ClassroomId(master),
            ClassroomId(MASTERS + master * 3),
            ClassroomId(MASTERS + master * 3 + 1),
            ClassroomId(MASTERS + master * 3 + 2),
        ],
    }
}

fn pct(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let built = Instant::now();
    let mut t = Timetable::new();
    let mut id = 0;
    for week in 0..WEEKS {
        for weekday in 0..5 {
            let day = week * 7 + weekday;
            for master in 0..MASTERS {
                for period in 0..PERIODS.len() {
                    id += 1;
                    t.insert_unchecked(booking(id, master, day, period));
                }
            }
        }
    }
    println!(
        "timetable: {} lessons, {} classrooms, built in {:.1} s",
        t.len(),
        MASTERS * 4,
        built.elapsed().as_secs_f64()
    );

    // New lessons at random times for random classrooms and teachers: about half clash.
    let mut rng = Rng::new(9);
    let mut times = Vec::new();
    let mut clashing = 0;
    for i in 0..20_000u64 {
        let master = rng.below(MASTERS);
        let day = rng.below(WEEKS as u64 * 7) as i64;
        let start = TERM_START + day * DAY + 7 * 3600 + rng.below(12 * 3600) as i64;
        let candidate = Booking {
            lesson: LessonId(10_000_000 + i),
            slot: Slot {
                start,
                end: start + 45 * 60,
            },
            teacher: TeacherId(rng.below(MASTERS * 8)),
            classrooms: vec![
                ClassroomId(master),
                ClassroomId(MASTERS + rng.below(MASTERS * 3)),
            ],
        };
        let at = Instant::now();
        let clashes = t.clashes(&candidate);
        times.push(at.elapsed().as_secs_f64() * 1e6);
        clashing += usize::from(!clashes.is_empty());
    }
    println!(
        "clash check of a new lesson: p50 {:.2} µs, p99 {:.2} µs, max {:.2} µs ({} of {} clashed)",
        pct(&mut times, 0.5),
        pct(&mut times, 0.99),
        pct(&mut times, 1.0),
        clashing,
        times.len()
    );

    // A week's grid for a county: 100 classrooms' lessons in one week.
    let mut grid_times = Vec::new();
    for _ in 0..50 {
        let week = rng.below(WEEKS as u64) as i64;
        let within = Slot {
            start: TERM_START + week * 7 * DAY,
            end: TERM_START + (week + 1) * 7 * DAY,
        };
        let first = rng.below(MASTERS * 4 - 100);
        let at = Instant::now();
        let mut n = 0;
        for c in first..first + 100 {
            n += t
                .lessons_of(
                    shared::schedule::Resource::Classroom(ClassroomId(c)),
                    within,
                )
                .len();
        }
        grid_times.push(at.elapsed().as_secs_f64() * 1e3);
        assert!(n > 0);
    }
    println!(
        "a county's week grid (100 classrooms): p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut grid_times, 0.5),
        pct(&mut grid_times, 0.99)
    );
}
