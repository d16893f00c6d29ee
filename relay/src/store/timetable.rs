//! Lessons as the timetable sees them, terms and series, in SQLite.

use super::{Store, StoreError};
use shared::ids::{ClassroomId, LessonId, SchoolId, SeriesId, TeacherId};
use shared::schedule::{Booking, Date, Slot, Term};
use sqlx::Row;
use std::collections::HashMap;

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
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LessonRow {
    pub id: LessonId,
    pub title: String,
    pub subject: String,
    pub teacher: TeacherId,
    pub master_classroom: ClassroomId,
    pub classrooms: Vec<ClassroomId>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub series: Option<SeriesId>,
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

fn iso(d: Date) -> String {
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
        self.lessons_where("1 = 1", None).await
    }

    /// Lessons overlapping `[from, to)` (unix seconds).
    pub async fn lessons_between(&self, from: i64, to: i64) -> Result<Vec<LessonRow>, StoreError> {
        self.lessons_where("l.starts_at < ?2 AND l.ends_at > ?1", Some((from, to)))
            .await
    }

    /// Lessons overlapping `[from, to)` that a classroom of `school` takes part in.
    pub async fn lessons_of_school(
        &self,
        school: SchoolId,
        from: i64,
        to: i64,
    ) -> Result<Vec<LessonRow>, StoreError> {
        let filter = format!(
            "l.starts_at < ?2 AND l.ends_at > ?1 AND (
               l.master_classroom_id IN (SELECT id FROM classrooms WHERE school_id = {s})
               OR l.id IN (SELECT lc2.lesson_id FROM lesson_classrooms lc2 JOIN classrooms c2 ON c2.id = lc2.classroom_id
                           WHERE c2.school_id = {s}))",
            s = school.0 as i64
        );
        self.lessons_where(&filter, Some((from, to))).await
    }

    async fn lessons_where(
        &self,
        filter: &str,
        span: Option<(i64, i64)>,
    ) -> Result<Vec<LessonRow>, StoreError> {
        let sql = format!(
            "SELECT l.id, l.title, l.subject, l.teacher_id, l.master_classroom_id, l.starts_at, l.ends_at, l.series_id,
                    group_concat(lc.classroom_id) AS remotes
             FROM lessons l LEFT JOIN lesson_classrooms lc ON lc.lesson_id = l.id
             WHERE {filter} GROUP BY l.id ORDER BY l.starts_at, l.id"
        );
        let mut q = sqlx::query(&sql);
        if let Some((from, to)) = span {
            q = q.bind(from).bind(to);
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
        let hm = |t: shared::schedule::Time| format!("{:02}:{:02}", t.hour(), t.minute());
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

    pub async fn move_lesson(&self, id: LessonId, slot: Slot) -> Result<(), StoreError> {
        sqlx::query("UPDATE lessons SET starts_at = ?, ends_at = ? WHERE id = ?")
            .bind(slot.start)
            .bind(slot.end)
            .bind(id.0 as i64)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn lesson_row(&self, id: LessonId) -> Result<Option<LessonRow>, StoreError> {
        Ok(self
            .lessons_where(&format!("l.id = {}", id.0 as i64), None)
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
        let row = sqlx::query("SELECT 1 AS one FROM teachers WHERE id = ?")
            .bind(id.0 as i64)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
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
