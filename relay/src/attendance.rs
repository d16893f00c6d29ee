//! Attendance of one classroom in one lesson, from the stretches it was connected: minutes
//! present within the lesson, whether it came late or not at all, and how long it received each
//! picture of the teacher ([`LinkSeconds`]). Pure; the times are passed in.

use serde::Serialize;
use shared::link::Picture;
use shared::schedule::Slot;

/// Joining more than this many seconds after the start counts as late.
pub const LATE_AFTER_SECS: i64 = 5 * 60;

/// One stretch of being connected (unix seconds); `left: None` while still connected (or when the
/// relay stopped before it could record the leave).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stretch {
    pub joined: i64,
    pub left: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Presence {
    /// Minutes connected within the lesson (overlapping stretches counted once).
    pub minutes: i64,
    /// When the classroom first joined, if it did.
    pub first_joined: Option<i64>,
    pub late: bool,
    pub missing: bool,
}

/// The presence of a classroom in `lesson`, given its stretches; open stretches end at `now`.
pub fn presence(lesson: Slot, now: i64, stretches: &[Stretch]) -> Presence {
    let mut spans: Vec<(i64, i64)> = stretches
        .iter()
        .map(|s| {
            (
                s.joined.max(lesson.start),
                s.left.unwrap_or(now).min(lesson.end),
            )
        })
        .filter(|(a, b)| b > a)
        .collect();
    spans.sort();
    let mut seconds = 0;
    let mut covered_to = i64::MIN;
    for (a, b) in spans {
        let from = a.max(covered_to);
        if b > from {
            seconds += b - from;
        }
        covered_to = covered_to.max(b);
    }
    let first_joined = stretches.iter().map(|s| s.joined).min();
    let attended = seconds > 0;
    Presence {
        minutes: seconds / 60,
        first_joined,
        late: attended && first_joined.is_some_and(|t| t > lesson.start + LATE_AFTER_SECS),
        missing: !attended,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LESSON: Slot = Slot {
        start: 10_000,
        end: 10_000 + 45 * 60,
    };

    #[test]
    fn on_time_for_the_whole_lesson() {
        let p = presence(
            LESSON,
            99_999,
            &[Stretch {
                joined: 9_000,
                left: Some(20_000),
            }],
        );
        assert_eq!(
            p,
            Presence {
                minutes: 45,
                first_joined: Some(9_000),
                late: false,
                missing: false
            }
        );
    }

    #[test]
    fn late_with_a_dropped_link_counted_once() {
        let s = [
            Stretch {
                joined: 10_000 + 10 * 60,
                left: Some(10_000 + 20 * 60),
            },
            // The link dropped and came back; the two stretches overlap by a minute.
            Stretch {
                joined: 10_000 + 19 * 60,
                left: Some(10_000 + 30 * 60),
            },
        ];
        let p = presence(LESSON, 99_999, &s);
        assert_eq!(p.minutes, 20);
        assert!(p.late && !p.missing);
    }

    #[test]
    fn never_joined_or_only_outside_the_lesson_is_missing() {
        assert!(presence(LESSON, 99_999, &[]).missing);
        let before = [Stretch {
            joined: 1_000,
            left: Some(2_000),
        }];
        assert!(presence(LESSON, 99_999, &before).missing);
    }

    #[test]
    fn still_connected_counts_until_now() {
        let p = presence(
            LESSON,
            10_000 + 600,
            &[Stretch {
                joined: 10_000,
                left: None,
            }],
        );
        assert_eq!(p.minutes, 10);
    }
}

/// Milliseconds on each picture of the teacher and in outages, and how many outages began,
/// added up by the lesson's media ([`crate::media::link_time`]) and stored per lesson and
/// classroom.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LinkTime {
    pub high_ms: u64,
    pub middle_ms: u64,
    pub low_ms: u64,
    /// The whole picture of a teacher sending a single layer.
    pub whole_ms: u64,
    /// The sound alone: the link carried no layer of the picture.
    pub audio_only_ms: u64,
    pub outage_ms: u64,
    pub outages: u64,
}

impl LinkTime {
    pub fn is_empty(&self) -> bool {
        *self == LinkTime::default()
    }

    /// Adds `other` (saturating).
    pub fn add(&mut self, other: &LinkTime) {
        self.high_ms = self.high_ms.saturating_add(other.high_ms);
        self.middle_ms = self.middle_ms.saturating_add(other.middle_ms);
        self.low_ms = self.low_ms.saturating_add(other.low_ms);
        self.whole_ms = self.whole_ms.saturating_add(other.whole_ms);
        self.audio_only_ms = self.audio_only_ms.saturating_add(other.audio_only_ms);
        self.outage_ms = self.outage_ms.saturating_add(other.outage_ms);
        self.outages = self.outages.saturating_add(other.outages);
    }

    /// The figure that time on `picture` goes to.
    pub fn on(&mut self, picture: Picture) -> &mut u64 {
        match picture {
            Picture::Whole => &mut self.whole_ms,
            Picture::Layer(0) => &mut self.low_ms,
            Picture::Layer(1) => &mut self.middle_ms,
            Picture::Layer(_) => &mut self.high_ms,
            Picture::Paused => &mut self.audio_only_ms,
        }
    }
}

/// How long a classroom received each picture of the teacher in a lesson, and its outages
/// ([`LinkTime`]), in whole seconds as the report shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LinkSeconds {
    /// On the teacher's high layer.
    pub high_seconds: u64,
    pub middle_seconds: u64,
    pub low_seconds: u64,
    /// On the whole picture of a teacher who sends a single layer.
    pub whole_seconds: u64,
    /// The sound alone: the link carried no layer of the picture.
    pub audio_only_seconds: u64,
    /// In outages (no feedback from the classroom for 4 s or more), from when each was noticed.
    pub outage_seconds: u64,
    pub outages: u64,
}

impl From<&LinkTime> for LinkSeconds {
    fn from(t: &LinkTime) -> LinkSeconds {
        LinkSeconds {
            high_seconds: t.high_ms / 1000,
            middle_seconds: t.middle_ms / 1000,
            low_seconds: t.low_ms / 1000,
            whole_seconds: t.whole_ms / 1000,
            audio_only_seconds: t.audio_only_ms / 1000,
            outage_seconds: t.outage_ms / 1000,
            outages: t.outages,
        }
    }
}

impl LinkSeconds {
    /// The CSV's columns for these figures.
    pub const CSV_HEADER: [&'static str; 7] = [
        "high_minutes",
        "middle_minutes",
        "low_minutes",
        "whole_picture_minutes",
        "audio_only_minutes",
        "outages",
        "outage_minutes",
    ];

    /// The CSV's cells: minutes with one decimal, outages as a count.
    pub fn csv_cells(&self) -> [String; 7] {
        let minutes = |s: u64| format!("{:.1}", s as f64 / 60.0);
        [
            minutes(self.high_seconds),
            minutes(self.middle_seconds),
            minutes(self.low_seconds),
            minutes(self.whole_seconds),
            minutes(self.audio_only_seconds),
            self.outages.to_string(),
            minutes(self.outage_seconds),
        ]
    }
}

#[cfg(test)]
mod link_seconds_tests {
    use super::*;

    #[test]
    fn link_time_shows_as_seconds_and_the_csv_as_minutes() {
        let time = LinkTime {
            high_ms: 90_999,
            low_ms: 30_000,
            audio_only_ms: 6_000,
            outage_ms: 12_500,
            outages: 2,
            ..LinkTime::default()
        };
        let seconds = LinkSeconds::from(&time);
        assert_eq!(
            (
                seconds.high_seconds,
                seconds.low_seconds,
                seconds.outage_seconds
            ),
            (90, 30, 12)
        );
        assert_eq!(
            seconds.csv_cells(),
            ["1.5", "0.0", "0.5", "0.0", "0.1", "2", "0.2"].map(String::from)
        );
    }
}

/// A school's attendance over many lessons: how many of its classroom-lessons were scheduled,
/// attended, and attended late. Only lessons that have started count.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub scheduled: u32,
    pub attended: u32,
    pub late: u32,
}

impl Tally {
    pub fn add(&mut self, p: &Presence) {
        self.scheduled += 1;
        if !p.missing {
            self.attended += 1;
        }
        if p.late {
            self.late += 1;
        }
    }

    /// Attended / scheduled, in percent (100 when nothing was scheduled).
    pub fn rate(&self) -> u32 {
        (self.attended * 100)
            .checked_div(self.scheduled)
            .unwrap_or(100)
    }
}

#[cfg(test)]
mod tally_tests {
    use super::*;

    #[test]
    fn a_tally_counts_and_rates() {
        let mut t = Tally::default();
        let here = Presence {
            minutes: 40,
            first_joined: Some(1),
            late: false,
            missing: false,
        };
        let late = Presence {
            late: true,
            ..here.clone()
        };
        let away = Presence {
            minutes: 0,
            first_joined: None,
            late: false,
            missing: true,
        };
        for p in [&here, &late, &away, &here] {
            t.add(p);
        }
        assert_eq!(
            t,
            Tally {
                scheduled: 4,
                attended: 3,
                late: 1
            }
        );
        assert_eq!(t.rate(), 75);
        assert_eq!(Tally::default().rate(), 100);
    }
}

/// Attendance reports as CSV for spreadsheets, written by the `csv` crate: RFC 4180 quoting (only
/// where a field needs it), CRLF line ends.
pub mod csv_report {
    /// A header line and one line per row.
    pub fn table<R, F>(header: &[&str], rows: R) -> Result<String, csv::Error>
    where
        R: IntoIterator<Item = F>,
        F: IntoIterator,
        F::Item: AsRef<[u8]>,
    {
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        out.write_record(header)?;
        for row in rows {
            out.write_record(row)?;
        }
        let bytes = out.into_inner().map_err(|e| e.into_error())?;
        // Every field was a `str`, so the bytes are UTF-8.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A free-text cell that a spreadsheet never reads as a formula: text starting with `=`, `+`,
    /// `-` or `@` gets a leading apostrophe.
    pub fn text(s: &str) -> String {
        if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_string()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn awkward_fields_round_trip_through_a_csv_reader() {
            let names = [
                "五年级一班, 东校区",
                "the \"big\" room",
                "two\nlines",
                "crlf\r\ninside",
                "",
                " spaced ",
            ];
            let text = table(
                &["classroom", "name"],
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| [i.to_string(), n.to_string()]),
            )
            .unwrap();
            assert!(text.starts_with("classroom,name\r\n"));
            assert!(text.ends_with("\r\n"));
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            assert_eq!(reader.headers().unwrap(), vec!["classroom", "name"]);
            let back: Vec<(String, String)> = reader
                .records()
                .map(|r| {
                    let r = r.unwrap();
                    (r[0].to_string(), r[1].to_string())
                })
                .collect();
            assert_eq!(back.len(), names.len());
            for (i, (n, (index, name))) in names.iter().zip(back).enumerate() {
                assert_eq!(index, i.to_string());
                assert_eq!(&name, n);
            }
        }

        #[test]
        fn formula_looking_cells_are_guarded_and_still_round_trip() {
            let cells = ["=1+2", "+86 123", "-5", "@SUM(A1)", "a=b", "'quoted"];
            let guarded: Vec<String> = cells.iter().map(|c| text(c)).collect();
            assert_eq!(
                guarded,
                ["'=1+2", "'+86 123", "'-5", "'@SUM(A1)", "a=b", "'quoted"]
            );
            let csv_text = table(&["name"], guarded.iter().map(|g| [g])).unwrap();
            let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
            let back: Vec<String> = reader
                .records()
                .map(|r| r.unwrap()[0].to_string())
                .collect();
            assert_eq!(back, guarded);
            assert!(csv_text
                .lines()
                .skip(1)
                .all(|l| !l.starts_with(['=', '+', '-', '@'])));
        }
    }
}
