//! Calendar arithmetic for the console, in Asia/Shanghai (UTC+8, no daylight saving): days,
//! weeks starting on Monday, and unix seconds shown as local dates and times.

/// Asia/Shanghai is UTC+8 all year.
pub const SHANGHAI_OFFSET_SECS: i64 = 8 * 3600;
const DAY: i64 = 86_400;

/// A calendar day, counted in days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub i64);

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

impl Day {
    /// `2026-09-01`; `None` for anything else or a date that does not exist.
    pub fn parse(s: &str) -> Option<Day> {
        let mut parts = s.trim().split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
        let day = Day(days_from_civil(y, m, d));
        (day.ymd() == (y, m, d)).then_some(day)
    }

    pub fn ymd(self) -> (i64, u32, u32) {
        civil_from_days(self.0)
    }

    /// The Shanghai day of the unix time `secs`.
    pub fn of_unix(secs: i64) -> Day {
        Day((secs + SHANGHAI_OFFSET_SECS).div_euclid(DAY))
    }

    /// 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday).
    pub fn weekday_index(self) -> usize {
        (self.0 + 3).rem_euclid(7) as usize
    }

    /// The Monday of this day's week.
    pub fn monday(self) -> Day {
        Day(self.0 - self.weekday_index() as i64)
    }

    pub fn plus(self, days: i64) -> Day {
        Day(self.0 + days)
    }

    /// `2026-09-01`, as the API wants dates.
    pub fn iso(self) -> String {
        let (y, m, d) = self.ymd();
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// `9月1日`, for column headings.
    pub fn short(self) -> String {
        let (_, m, d) = self.ymd();
        format!("{m}月{d}日")
    }
}

/// The weekday names, Monday first.
pub const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

/// `10:30`: the Shanghai wall-clock time of the unix time `secs`.
pub fn clock(secs: i64) -> String {
    let s = (secs + SHANGHAI_OFFSET_SECS).rem_euclid(DAY);
    format!("{:02}:{:02}", s / 3600, s % 3600 / 60)
}

/// `2026-09-01 10:30` in Shanghai.
pub fn date_time(secs: i64) -> String {
    format!("{} {}", Day::of_unix(secs).iso(), clock(secs))
}

/// `10:30–11:15`, or `23:50–次日00:30` for a lesson that ends on a later day.
pub fn span(starts_at: i64, ends_at: i64) -> String {
    let later = if Day::of_unix(ends_at) > Day::of_unix(starts_at) {
        "次日"
    } else {
        ""
    };
    format!("{}–{later}{}", clock(starts_at), clock(ends_at))
}

/// A week of the timetable: its Monday and the `[from, to)` query for `GET /api/lessons`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Week {
    pub monday: Day,
}

impl Week {
    pub fn containing(day: Day) -> Week {
        Week {
            monday: day.monday(),
        }
    }

    pub fn next(self) -> Week {
        Week {
            monday: self.monday.plus(7),
        }
    }

    pub fn prev(self) -> Week {
        Week {
            monday: self.monday.plus(-7),
        }
    }

    pub fn days(self) -> [Day; 7] {
        std::array::from_fn(|i| self.monday.plus(i as i64))
    }

    /// `/api/lessons?from=…&to=…` for this week.
    pub fn query(self) -> String {
        format!(
            "/api/lessons?from={}&to={}",
            self.monday.iso(),
            self.monday.plus(7).iso()
        )
    }

    /// Which column (0 = Monday) a lesson starting at `starts_at` falls in, if in this week.
    pub fn column(self, starts_at: i64) -> Option<usize> {
        let d = Day::of_unix(starts_at).0 - self.monday.0;
        (0..7).contains(&d).then_some(d as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_bad_ones_are_refused() {
        let d = Day::parse("2030-09-10").unwrap();
        assert_eq!(d.iso(), "2030-09-10");
        assert_eq!(Day::parse("1970-01-01"), Some(Day(0)));
        assert_eq!(Day::parse("2024-02-29").unwrap().iso(), "2024-02-29");
        assert_eq!(Day::parse("2023-02-29"), None);
        assert_eq!(Day::parse("2030-9-10"), None);
        assert_eq!(Day::parse("x"), None);
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2030-09-10 is a Tuesday.
        let d = Day::parse("2030-09-10").unwrap();
        assert_eq!(d.weekday_index(), 1);
        let w = Week::containing(d);
        assert_eq!(w.monday.iso(), "2030-09-09");
        assert_eq!(w.query(), "/api/lessons?from=2030-09-09&to=2030-09-16");
        assert_eq!(w.next().monday.iso(), "2030-09-16");
        assert_eq!(w.prev().monday.iso(), "2030-09-02");
        assert_eq!(w.days()[6].iso(), "2030-09-15");
        // Column headings: the weekday names follow `weekday_index`.
        assert_eq!(WEEKDAYS[d.weekday_index()], "周二");
        assert_eq!(d.short(), "9月10日");
        // A Sunday belongs to the week before.
        let sunday = Day::parse("2030-09-15").unwrap();
        assert_eq!(Week::containing(sunday), w);
    }

    #[test]
    fn unix_times_show_in_shanghai() {
        // 2026-09-01 00:30 UTC is 08:30 in Shanghai; 2026-08-31 17:00 UTC is 09-01 01:00.
        let t = 1_788_222_600; // 2026-09-01T00:30:00Z
        assert_eq!(date_time(t), "2026-09-01 08:30");
        assert_eq!(date_time(t - 7 * 3600 - 30 * 60), "2026-09-01 01:00");
        assert_eq!(clock(t - 9 * 3600), "23:30");
        assert_eq!(Day::of_unix(t - 9 * 3600).iso(), "2026-08-31");
        let w = Week::containing(Day::of_unix(t));
        assert_eq!(w.column(t), Some(1));
        assert_eq!(w.column(t + 7 * 86_400), None);
        assert_eq!(span(t, t + 45 * 60), "08:30–09:15");
        assert_eq!(span(t - 9 * 3600, t - 8 * 3600), "23:30–次日00:30");
    }
}
