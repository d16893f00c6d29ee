//! Attendance: when each classroom was connected to each lesson.

use super::{Store, StoreError};
use crate::attendance::Stretch;
use shared::ids::{ClassroomId, LessonId};
use sqlx::Row;

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
