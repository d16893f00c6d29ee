//! Attendance: when each classroom was connected to each lesson, and how long it received each
//! picture of the teacher.

use super::{Store, StoreError};
use crate::attendance::{LinkTime, Stretch};
use shared::ids::{ClassroomId, LessonId};
use sqlx::Row;
use std::collections::BTreeMap;

impl Store {
    /// Records classrooms coming (`true`) and going (`false`) at unix seconds.
    pub async fn record_attendance(
        &self,
        lesson: LessonId,
        events: &[(ClassroomId, bool, i64)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for (classroom, present, at) in events {
            if *present {
                sqlx::query(
                    "INSERT INTO attendance (lesson_id, classroom_id, joined_at) VALUES (?, ?, ?)",
                )
                .bind(lesson.0 as i64)
                .bind(classroom.0 as i64)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query(
                    "UPDATE attendance SET left_at = ? WHERE rowid = (SELECT rowid FROM attendance
                     WHERE lesson_id = ? AND classroom_id = ? AND left_at IS NULL ORDER BY joined_at DESC LIMIT 1)",
                )
                .bind(at)
                .bind(lesson.0 as i64)
                .bind(classroom.0 as i64)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The stretches each classroom was connected to the lesson.
    pub async fn attendance(
        &self,
        lesson: LessonId,
    ) -> Result<Vec<(ClassroomId, Stretch)>, StoreError> {
        let rows = sqlx::query("SELECT classroom_id, joined_at, left_at FROM attendance WHERE lesson_id = ? ORDER BY joined_at")
            .bind(lesson.0 as i64)
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let stretch = Stretch {
                    joined: r.get("joined_at"),
                    left: r.get("left_at"),
                };
                (ClassroomId(r.get::<i64, _>("classroom_id") as u64), stretch)
            })
            .collect())
    }
}

impl Store {
    /// Adds each classroom's time on each picture in `lesson` to what is stored.
    pub async fn add_link_time(
        &self,
        lesson: LessonId,
        batch: &[(ClassroomId, LinkTime)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for (classroom, t) in batch {
            sqlx::query(
                "INSERT INTO link_time (lesson_id, classroom_id, high_ms, middle_ms, low_ms, whole_ms,
                     audio_only_ms, outage_ms, outages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (lesson_id, classroom_id) DO UPDATE SET
                     high_ms = high_ms + excluded.high_ms,
                     middle_ms = middle_ms + excluded.middle_ms,
                     low_ms = low_ms + excluded.low_ms,
                     whole_ms = whole_ms + excluded.whole_ms,
                     audio_only_ms = audio_only_ms + excluded.audio_only_ms,
                     outage_ms = outage_ms + excluded.outage_ms,
                     outages = outages + excluded.outages",
            )
            .bind(lesson.0 as i64)
            .bind(classroom.0 as i64)
            .bind(sql_int(t.high_ms))
            .bind(sql_int(t.middle_ms))
            .bind(sql_int(t.low_ms))
            .bind(sql_int(t.whole_ms))
            .bind(sql_int(t.audio_only_ms))
            .bind(sql_int(t.outage_ms))
            .bind(sql_int(t.outages))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Each classroom's time on each picture in `lesson` (classrooms with none are absent).
    pub async fn link_time(
        &self,
        lesson: LessonId,
    ) -> Result<BTreeMap<ClassroomId, LinkTime>, StoreError> {
        let rows = sqlx::query(
            "SELECT classroom_id, high_ms, middle_ms, low_ms, whole_ms, audio_only_ms, outage_ms,
                 outages FROM link_time WHERE lesson_id = ?",
        )
        .bind(lesson.0 as i64)
        .fetch_all(self.pool())
        .await?;
        let of = |r: &sqlx::sqlite::SqliteRow, c: &str| r.get::<i64, _>(c).max(0) as u64;
        Ok(rows
            .iter()
            .map(|r| {
                let time = LinkTime {
                    high_ms: of(r, "high_ms"),
                    middle_ms: of(r, "middle_ms"),
                    low_ms: of(r, "low_ms"),
                    whole_ms: of(r, "whole_ms"),
                    audio_only_ms: of(r, "audio_only_ms"),
                    outage_ms: of(r, "outage_ms"),
                    outages: of(r, "outages"),
                };
                (ClassroomId(r.get::<i64, _>("classroom_id") as u64), time)
            })
            .collect())
    }
}

/// SQLite's integers are signed: a figure past `i64::MAX` is stored as that.
fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
