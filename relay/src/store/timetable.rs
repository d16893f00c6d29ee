//! Lessons as the timetable sees them, terms and series, in SQLite.

use super::{Store, StoreError};
use shared::ids::{ClassroomId, LessonId, SchoolId, SeriesId, TeacherId};
use shared::schedule::{Booking, Date, Plan, Slot, Term, Time, Weekday, WeeklyRule};
use sqlx::Row;
use std::collections::HashMap;

/// Which lessons to list; every part given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LessonFilter {
    /// A classroom of this school takes part.
    pub school: Option<SchoolId>,
    /// A classroom of a school in this county (旗縣) takes part.
    pub county: Option<String>,
    /// This classroom takes part, as master or remote.
    pub classroom: Option<ClassroomId>,
    pub teacher: Option<TeacherId>,
}

/// A lesson to store.
#[derive(Clone, Debug)]
pub struct NewLesson {
    pub title: String,
    pub subject: String,
    pub teacher: TeacherId,
    pub master: ClassroomId,
    /// The remote classrooms.
    pub remotes: Vec<ClassroomId>,
    pub slot: Slot,
    pub series: Option<(SeriesId, Date)>,
}

/// A stored lesson.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Lesson)]
pub struct LessonRow {
    #[schema(value_type = u64)]
    pub id: LessonId,
    pub title: String,
    pub subject: String,
    #[schema(value_type = u64)]
    pub teacher: TeacherId,
    #[schema(value_type = u64)]
    pub master_classroom: ClassroomId,
    #[schema(value_type = Vec<u64>)]
    pub classrooms: Vec<ClassroomId>,
    /// Unix seconds.
    pub starts_at: i64,
    /// Unix seconds.
    pub ends_at: i64,
    /// The series it belongs to, or null.
    #[schema(value_type = Option<u64>, required = true)]
    pub series: Option<SeriesId>,
    /// For a lesson of a series: the date its weekly rule gave it (`YYYY-MM-DD`), even if it was
    /// moved to another day.
    pub occurrence: Option<String>,
}

impl LessonRow {
    pub fn booking(&self) -> Booking {
        let mut classrooms = vec![self.master_classroom];
        classrooms.extend(self.classrooms.iter().copied());
        Booking {
            lesson: self.id,
            slot: Slot {
                start: self.starts_at,
                end: self.ends_at,
            },
            teacher: self.teacher,
            classrooms,
        }
    }
}

/// A stored weekly series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesRow {
    pub id: SeriesId,
    pub term: i64,
    pub rule: WeeklyRule,
    pub from: Date,
    pub until: Option<Date>,
}

fn hm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Parses `HH:MM`.
pub fn parse_time(s: &str) -> Option<Time> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
}

/// 1 = Monday ... 7 = Sunday.
pub fn weekday_of(n: i64) -> Option<Weekday> {
    Some(match n {
        1 => Weekday::Monday,
        2 => Weekday::Tuesday,
        3 => Weekday::Wednesday,
        4 => Weekday::Thursday,
        5 => Weekday::Friday,
        6 => Weekday::Saturday,
        7 => Weekday::Sunday,
        _ => return None,
    })
}

pub fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = shared::schedule::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

impl Store {
    /// Every lesson (for loading the in-memory timetable).
    pub async fn lessons(&self) -> Result<Vec<LessonRow>, StoreError> {
        self.lessons_where("1 = 1", None, None).await
    }

    /// Lessons overlapping `[from, to)` (unix seconds).
    pub async fn lessons_between(&self, from: i64, to: i64) -> Result<Vec<LessonRow>, StoreError> {
        self.lessons_matching(from, to, &LessonFilter::default())
            .await
    }

    /// Lessons overlapping `[from, to)` (unix seconds) that match every part of `filter`.
    pub async fn lessons_matching(
        &self,
        from: i64,
        to: i64,
        filter: &LessonFilter,
    ) -> Result<Vec<LessonRow>, StoreError> {
        // No lesson is longer than `MAX_HOURS`, so only lessons starting from that long before
        // `from` can overlap: the index on `starts_at` is scanned over the span only.
        let mut sql = format!(
            "l.starts_at < ?2 AND l.starts_at > ?1 - {} AND l.ends_at > ?1",
            shared::schedule::slot::MAX_HOURS * 3600
        );
        // A lesson takes part in a set of classrooms as master or as remote. (Written as two
        // IN lists, SQLite answers it from the master and classroom indexes; a correlated EXISTS
        // per lesson in the span measured 15 times slower for a county.)
        let taking_part = |classrooms: &str| {
            format!(
                " AND (l.master_classroom_id IN ({classrooms})
                   OR l.id IN (SELECT lc2.lesson_id FROM lesson_classrooms lc2 WHERE lc2.classroom_id IN ({classrooms})))"
            )
        };
        if let Some(school) = filter.school {
            sql += &taking_part(&format!(
                "SELECT id FROM classrooms WHERE school_id = {}",
                school.0 as i64
            ));
        }
        if filter.county.is_some() {
            sql += &taking_part(
                "SELECT c3.id FROM classrooms c3 JOIN schools s3 ON s3.id = c3.school_id WHERE s3.county = ?3",
            );
        }
        if let Some(classroom) = filter.classroom {
            sql += &taking_part(&(classroom.0 as i64).to_string());
        }
        if let Some(teacher) = filter.teacher {
            sql += &format!(" AND l.teacher_id = {}", teacher.0 as i64);
        }
        self.lessons_where(&sql, Some((from, to)), filter.county.as_deref())
            .await
    }

    async fn lessons_where(
        &self,
        filter: &str,
        span: Option<(i64, i64)>,
        text: Option<&str>,
    ) -> Result<Vec<LessonRow>, StoreError> {
        let sql = format!(
            "SELECT l.id, l.title, l.subject, l.teacher_id, l.master_classroom_id, l.starts_at, l.ends_at, l.series_id, l.occurrence_day,
                    (SELECT group_concat(lc.classroom_id) FROM lesson_classrooms lc WHERE lc.lesson_id = l.id) AS remotes
             FROM lessons l
             WHERE {filter} ORDER BY l.starts_at, l.id"
        );
        let mut q = sqlx::query(&sql);
        if let Some((from, to)) = span {
            q = q.bind(from).bind(to);
        }
        if let Some(text) = text {
            q = q.bind(text);
        }
        let rows = q.fetch_all(self.pool()).await?;
        Ok(rows
            .iter()
            .map(|r| LessonRow {
                id: LessonId(r.get::<i64, _>("id") as u64),
                title: r.get("title"),
                subject: r.get("subject"),
                teacher: TeacherId(r.get::<i64, _>("teacher_id") as u64),
                master_classroom: ClassroomId(r.get::<i64, _>("master_classroom_id") as u64),
                classrooms: r
                    .get::<Option<String>, _>("remotes")
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|c| c.parse().ok())
                    .map(ClassroomId)
                    .collect(),
                starts_at: r.get("starts_at"),
                ends_at: r.get("ends_at"),
                series: r
                    .get::<Option<i64>, _>("series_id")
                    .map(|s| SeriesId(s as u64)),
                occurrence: r.get("occurrence_day"),
            })
            .collect())
    }

    /// Stores lessons in one transaction; returns their ids in order.
    pub async fn insert_lessons(&self, lessons: &[NewLesson]) -> Result<Vec<LessonId>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let ids = insert_lessons(&mut tx, lessons).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Stores a weekly series and its lessons (`(occurrence date, lesson)`) in one transaction.
    pub async fn insert_series(
        &self,
        term: i64,
        rule: &shared::schedule::WeeklyRule,
        from: Date,
        lessons: &[(Date, NewLesson)],
    ) -> Result<(SeriesId, Vec<LessonId>), StoreError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "INSERT INTO series (term_id, weekday, start_time, end_time, from_day) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(term)
        .bind(i64::from(rule.weekday.number_from_monday()))
        .bind(hm(rule.start))
        .bind(hm(rule.end))
        .bind(iso(from))
        .fetch_one(&mut *tx)
        .await?;
        let series = SeriesId(row.get::<i64, _>("id") as u64);
        let with_series: Vec<NewLesson> = lessons
            .iter()
            .map(|(d, l)| NewLesson {
                series: Some((series, *d)),
                ..l.clone()
            })
            .collect();
        let ids = insert_lessons(&mut tx, &with_series).await?;
        tx.commit().await?;
        Ok((series, ids))
    }

    /// Changes a lesson's time, teacher, title and remote classrooms, in one transaction.
    pub async fn update_lesson(&self, row: &LessonRow) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE lessons SET starts_at = ?, ends_at = ?, teacher_id = ?, title = ? WHERE id = ?",
        )
        .bind(row.starts_at)
        .bind(row.ends_at)
        .bind(row.teacher.0 as i64)
        .bind(&row.title)
        .bind(row.id.0 as i64)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM lesson_classrooms WHERE lesson_id = ?")
            .bind(row.id.0 as i64)
            .execute(&mut *tx)
            .await?;
        for c in &row.classrooms {
            sqlx::query("INSERT INTO lesson_classrooms (lesson_id, classroom_id) VALUES (?, ?)")
                .bind(row.id.0 as i64)
                .bind(c.0 as i64)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Cancels a lesson that has not been held: its row, classrooms and join links go.
    pub async fn delete_lesson(&self, id: LessonId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM lessons WHERE id = ?")
            .bind(id.0 as i64)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Whether any classroom has joined the lesson yet.
    pub async fn has_attendance(&self, id: LessonId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS one FROM attendance WHERE lesson_id = ? LIMIT 1")
            .bind(id.0 as i64)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    /// A stored series: its term, weekly rule, first and last day.
    pub async fn series(&self, id: SeriesId) -> Result<Option<SeriesRow>, StoreError> {
        let Some(r) = sqlx::query(
            "SELECT term_id, weekday, start_time, end_time, from_day, until_day FROM series WHERE id = ?",
        )
        .bind(id.0 as i64)
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(None);
        };
        let weekday = weekday_of(r.get::<i64, _>("weekday"));
        let start = parse_time(r.get("start_time"));
        let end = parse_time(r.get("end_time"));
        let from = parse_date(r.get("from_day"));
        let until = r.get::<Option<String>, _>("until_day");
        let (Some(weekday), Some(start), Some(end), Some(from)) = (weekday, start, end, from)
        else {
            return Ok(None);
        };
        Ok(Some(SeriesRow {
            id,
            term: r.get("term_id"),
            rule: WeeklyRule {
                weekday,
                start,
                end,
            },
            from,
            until: until.as_deref().and_then(parse_date),
        }))
    }

    /// The lessons of a series, in time order.
    pub async fn series_lessons(&self, id: SeriesId) -> Result<Vec<LessonRow>, StoreError> {
        self.lessons_where(&format!("l.series_id = {}", id.0 as i64), None, None)
            .await
    }

    /// "This and the following ones": `old` now ends the day before `new.from`; `new` is stored
    /// and the plan's moves, new lessons (like `template`) and cancellations applied, all in one
    /// transaction. Returns the new series' id and the ids of its new lessons.
    pub async fn split_series(
        &self,
        old: SeriesId,
        new: &SeriesRow,
        plan: &Plan,
        template: &NewLesson,
    ) -> Result<(SeriesId, Vec<LessonId>), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE series SET until_day = ? WHERE id = ?")
            .bind(new.from.previous_day().map(iso))
            .bind(old.0 as i64)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(
            "INSERT INTO series (term_id, weekday, start_time, end_time, from_day, until_day)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(new.term)
        .bind(i64::from(new.rule.weekday.number_from_monday()))
        .bind(hm(new.rule.start))
        .bind(hm(new.rule.end))
        .bind(iso(new.from))
        .bind(new.until.map(iso))
        .fetch_one(&mut *tx)
        .await?;
        let series = SeriesId(row.get::<i64, _>("id") as u64);
        // Every lesson the plan names must still be there (else nothing is changed).
        let gone = |lesson: &LessonId| StoreError::Corrupt(*lesson, "changed meanwhile".into());
        for (lesson, o) in &plan.moves {
            let done = sqlx::query(
                "UPDATE lessons SET starts_at = ?, ends_at = ?, series_id = ?, occurrence_day = ? WHERE id = ?",
            )
            .bind(o.slot.start)
            .bind(o.slot.end)
            .bind(series.0 as i64)
            .bind(iso(o.date))
            .bind(lesson.0 as i64)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(gone(lesson));
            }
        }
        for lesson in &plan.deletes {
            let done = sqlx::query("DELETE FROM lessons WHERE id = ?")
                .bind(lesson.0 as i64)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                return Err(gone(lesson));
            }
        }
        let inserts: Vec<NewLesson> = plan
            .inserts
            .iter()
            .map(|o| NewLesson {
                slot: o.slot,
                series: Some((series, o.date)),
                ..template.clone()
            })
            .collect();
        let ids = insert_lessons(&mut tx, &inserts).await?;
        tx.commit().await?;
        Ok((series, ids))
    }

    /// The lessons with these ids, in time order (unknown ids are left out).
    pub async fn lessons_by_ids(&self, ids: &[LessonId]) -> Result<Vec<LessonRow>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let list: Vec<String> = chunk.iter().map(|id| (id.0 as i64).to_string()).collect();
            let filter = format!("l.id IN ({})", list.join(","));
            out.extend(self.lessons_where(&filter, None, None).await?);
        }
        out.sort_by_key(|l| (l.starts_at, l.id));
        Ok(out)
    }

    pub async fn lesson_row(&self, id: LessonId) -> Result<Option<LessonRow>, StoreError> {
        Ok(self
            .lessons_where(&format!("l.id = {}", id.0 as i64), None, None)
            .await?
            .pop())
    }

    /// The school of each classroom asked about (unknown ones are missing from the map).
    pub async fn classroom_schools(
        &self,
        ids: &[ClassroomId],
    ) -> Result<HashMap<ClassroomId, SchoolId>, StoreError> {
        let mut out = HashMap::new();
        for id in ids {
            let row = sqlx::query("SELECT school_id FROM classrooms WHERE id = ?")
                .bind(id.0 as i64)
                .fetch_optional(self.pool())
                .await?;
            if let Some(r) = row {
                out.insert(*id, SchoolId(r.get::<i64, _>("school_id") as u64));
            }
        }
        Ok(out)
    }

    pub async fn teacher_exists(&self, id: TeacherId) -> Result<bool, StoreError> {
        Ok(self.teacher_school(id).await?.is_some())
    }

    /// The school of a teacher (`None`: no such teacher).
    pub async fn teacher_school(&self, id: TeacherId) -> Result<Option<SchoolId>, StoreError> {
        let row = sqlx::query("SELECT school_id FROM teachers WHERE id = ?")
            .bind(id.0 as i64)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| SchoolId(r.get::<i64, _>("school_id") as u64)))
    }

    /// The school of a classroom (`None`: no such classroom).
    pub async fn classroom_school(&self, id: ClassroomId) -> Result<Option<SchoolId>, StoreError> {
        Ok(self.classroom_schools(&[id]).await?.get(&id).copied())
    }

    pub async fn create_term(&self, term: &Term) -> Result<i64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "INSERT INTO terms (name, first_day, last_day) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(&term.name)
        .bind(iso(term.first))
        .bind(iso(term.last))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.get("id");
        for (a, b) in &term.holidays {
            sqlx::query("INSERT INTO holidays (term_id, first_day, last_day) VALUES (?, ?, ?)")
                .bind(id)
                .bind(iso(*a))
                .bind(iso(*b))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Adds a holiday to a term (a snow day, a closure) and cancels the lessons of the term's
    /// series held in it (`[from, to)` unix seconds) that have not started by `now` and that no
    /// classroom joined, in one transaction. Returns the cancelled lessons.
    pub async fn add_holiday(
        &self,
        term: i64,
        (first, last): (Date, Date),
        (from, to): (i64, i64),
        now: i64,
    ) -> Result<Vec<LessonId>, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("INSERT INTO holidays (term_id, first_day, last_day) VALUES (?, ?, ?)")
            .bind(term)
            .bind(iso(first))
            .bind(iso(last))
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query(
            "SELECT l.id FROM lessons l JOIN series s ON s.id = l.series_id
             WHERE s.term_id = ? AND l.starts_at >= ? AND l.starts_at < ? AND l.starts_at > ?
               AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.lesson_id = l.id)",
        )
        .bind(term)
        .bind(from)
        .bind(to)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let ids: Vec<LessonId> = rows
            .iter()
            .map(|r| LessonId(r.get::<i64, _>("id") as u64))
            .collect();
        for id in &ids {
            sqlx::query("DELETE FROM lessons WHERE id = ?")
                .bind(id.0 as i64)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Every term with its id, newest first.
    pub async fn terms(&self) -> Result<Vec<(i64, Term)>, StoreError> {
        let ids: Vec<i64> = sqlx::query("SELECT id FROM terms ORDER BY first_day DESC, id DESC")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| r.get("id"))
            .collect();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(t) = self.term(id).await? {
                out.push((id, t));
            }
        }
        Ok(out)
    }

    /// Teachers: id, name, school.
    pub async fn teachers(&self) -> Result<Vec<(TeacherId, String, SchoolId)>, StoreError> {
        let rows = sqlx::query("SELECT id, name, school_id FROM teachers ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    TeacherId(r.get::<i64, _>("id") as u64),
                    r.get("name"),
                    SchoolId(r.get::<i64, _>("school_id") as u64),
                )
            })
            .collect())
    }

    pub async fn term(&self, id: i64) -> Result<Option<Term>, StoreError> {
        let Some(row) = sqlx::query("SELECT name, first_day, last_day FROM terms WHERE id = ?")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let holidays = sqlx::query(
            "SELECT first_day, last_day FROM holidays WHERE term_id = ? ORDER BY first_day",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .filter_map(|r| {
            Some((
                parse_date(r.get("first_day"))?,
                parse_date(r.get("last_day"))?,
            ))
        })
        .collect();
        let (Some(first), Some(last)) = (
            parse_date(row.get("first_day")),
            parse_date(row.get("last_day")),
        ) else {
            return Ok(None);
        };
        Ok(Some(Term {
            name: row.get("name"),
            first,
            last,
            holidays,
        }))
    }
}

async fn insert_lessons(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    lessons: &[NewLesson],
) -> Result<Vec<LessonId>, StoreError> {
    let mut ids = Vec::with_capacity(lessons.len());
    for l in lessons {
        let row = sqlx::query(
            "INSERT INTO lessons (title, subject, teacher_id, master_classroom_id, starts_at, ends_at, series_id, occurrence_day)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&l.title)
        .bind(&l.subject)
        .bind(l.teacher.0 as i64)
        .bind(l.master.0 as i64)
        .bind(l.slot.start)
        .bind(l.slot.end)
        .bind(l.series.map(|(s, _)| s.0 as i64))
        .bind(l.series.map(|(_, d)| iso(d)))
        .fetch_one(&mut **tx)
        .await?;
        let id: i64 = row.get("id");
        for c in &l.remotes {
            sqlx::query("INSERT INTO lesson_classrooms (lesson_id, classroom_id) VALUES (?, ?)")
                .bind(id)
                .bind(c.0 as i64)
                .execute(&mut **tx)
                .await?;
        }
        ids.push(LessonId(id as u64));
    }
    Ok(ids)
}
