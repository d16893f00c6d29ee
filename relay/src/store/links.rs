//! Join links: issued per lesson and role, revocable.

use super::{Store, StoreError};
use shared::ids::{LessonId, Role};
use sqlx::Row;

/// Whether a link may still be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    Valid,
    Revoked,
    Unknown,
}

impl Store {
    /// Records a link for `lesson` and `role`, valid in `[not_before, expires)`; returns its id.
    pub async fn create_link(
        &self,
        lesson: LessonId,
        role: Role,
        not_before: u64,
        expires: u64,
    ) -> Result<u64, StoreError> {
        let (kind, classroom) = match role {
            Role::Teacher => ("teacher", None),
            Role::Classroom(id) => ("classroom", Some(id.0 as i64)),
            Role::Observer => ("observer", None),
        };
        let row = sqlx::query(
            "INSERT INTO join_links (lesson_id, role, classroom_id, not_before, expires) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(lesson.0 as i64)
        .bind(kind)
        .bind(classroom)
        .bind(not_before as i64)
        .bind(expires as i64)
        .fetch_one(self.pool())
        .await?;
        Ok(row.get::<i64, _>("id") as u64)
    }

    /// A link of `lesson` for `role` that is not revoked, if one was issued.
    pub async fn open_link(&self, lesson: LessonId, role: Role) -> Result<Option<u64>, StoreError> {
        let (kind, classroom) = match role {
            Role::Teacher => ("teacher", None),
            Role::Classroom(id) => ("classroom", Some(id.0 as i64)),
            Role::Observer => ("observer", None),
        };
        let row = sqlx::query(
            "SELECT id FROM join_links WHERE lesson_id = ? AND role = ? AND classroom_id IS ? AND revoked_at IS NULL
             ORDER BY id DESC LIMIT 1",
        )
        .bind(lesson.0 as i64)
        .bind(kind)
        .bind(classroom)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.get::<i64, _>("id") as u64))
    }

    /// Whether link `id` of `lesson` exists and is not revoked.
    pub async fn link_state(&self, id: u64, lesson: LessonId) -> Result<LinkState, StoreError> {
        let row = sqlx::query("SELECT revoked_at FROM join_links WHERE id = ? AND lesson_id = ?")
            .bind(id as i64)
            .bind(lesson.0 as i64)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            None => LinkState::Unknown,
            Some(r) if r.get::<Option<i64>, _>("revoked_at").is_some() => LinkState::Revoked,
            Some(_) => LinkState::Valid,
        })
    }

    /// Revokes a link; returns its lesson, or `None` if there is no such link.
    pub async fn revoke_link(&self, id: u64, now: i64) -> Result<Option<LessonId>, StoreError> {
        let row = sqlx::query(
            "UPDATE join_links SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING lesson_id",
        )
        .bind(now)
        .bind(id as i64)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| LessonId(r.get::<i64, _>("lesson_id") as u64)))
    }

    /// The lesson a link belongs to.
    /// Revokes every link of a lesson still in force; returns them (to close their connections).
    pub async fn revoke_lesson_links(
        &self,
        lesson: LessonId,
        now: i64,
    ) -> Result<Vec<u64>, StoreError> {
        let rows = sqlx::query(
            "UPDATE join_links SET revoked_at = ? WHERE lesson_id = ? AND revoked_at IS NULL RETURNING id",
        )
        .bind(now)
        .bind(lesson.0 as i64)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(|r| r.get::<i64, _>("id") as u64).collect())
    }

    pub async fn link_lesson(&self, id: u64) -> Result<Option<LessonId>, StoreError> {
        let row = sqlx::query("SELECT lesson_id FROM join_links WHERE id = ?")
            .bind(id as i64)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| LessonId(r.get::<i64, _>("lesson_id") as u64)))
    }
}
