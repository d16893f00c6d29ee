//! Schools and classrooms in SQLite.

use super::{Store, StoreError};
use serde::{Deserialize, Serialize};
use shared::ids::{ClassroomId, SchoolId, TeacherId};
use sqlx::Row;

/// A master school (主講) or a remote rural or pastoral school (接收).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SchoolKind {
    Master,
    Remote,
}

impl SchoolKind {
    fn column(self) -> &'static str {
        match self {
            SchoolKind::Master => "master",
            SchoolKind::Remote => "remote",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct School {
    #[schema(value_type = u64)]
    pub id: SchoolId,
    pub name: String,
    /// County or banner (旗縣).
    pub county: String,
    pub kind: SchoolKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Classroom {
    #[schema(value_type = u64)]
    pub id: ClassroomId,
    #[schema(value_type = u64)]
    pub school: SchoolId,
    pub name: String,
}

fn classroom_of(r: &sqlx::sqlite::SqliteRow) -> Classroom {
    Classroom {
        id: ClassroomId(r.get::<i64, _>("id") as u64),
        school: SchoolId(r.get::<i64, _>("school_id") as u64),
        name: r.get("name"),
    }
}

impl Store {
    pub async fn schools(&self) -> Result<Vec<School>, StoreError> {
        let rows = sqlx::query("SELECT id, name, county, kind FROM schools ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .iter()
            .map(|r| School {
                id: SchoolId(r.get::<i64, _>("id") as u64),
                name: r.get("name"),
                county: r.get("county"),
                kind: if r.get::<&str, _>("kind") == "master" {
                    SchoolKind::Master
                } else {
                    SchoolKind::Remote
                },
            })
            .collect())
    }

    pub async fn create_school(
        &self,
        name: &str,
        county: &str,
        kind: SchoolKind,
    ) -> Result<SchoolId, StoreError> {
        let row =
            sqlx::query("INSERT INTO schools (name, county, kind) VALUES (?, ?, ?) RETURNING id")
                .bind(name)
                .bind(county)
                .bind(kind.column())
                .fetch_one(self.pool())
                .await?;
        Ok(SchoolId(row.get::<i64, _>("id") as u64))
    }

    pub async fn school_exists(&self, id: SchoolId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS one FROM schools WHERE id = ?")
            .bind(id.0 as i64)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    pub async fn classrooms_of(&self, school: SchoolId) -> Result<Vec<Classroom>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, school_id, name FROM classrooms WHERE school_id = ? ORDER BY id",
        )
        .bind(school.0 as i64)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(classroom_of).collect())
    }

    pub async fn create_classroom(
        &self,
        school: SchoolId,
        name: &str,
    ) -> Result<ClassroomId, StoreError> {
        let row =
            sqlx::query("INSERT INTO classrooms (school_id, name) VALUES (?, ?) RETURNING id")
                .bind(school.0 as i64)
                .bind(name)
                .fetch_one(self.pool())
                .await?;
        Ok(ClassroomId(row.get::<i64, _>("id") as u64))
    }

    /// Every classroom of the region.
    pub async fn all_classrooms(&self) -> Result<Vec<Classroom>, StoreError> {
        let rows = sqlx::query("SELECT id, school_id, name FROM classrooms ORDER BY school_id, id")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(classroom_of).collect())
    }

    /// The classrooms of every school in a county (旗縣).
    pub async fn classrooms_in_county(&self, county: &str) -> Result<Vec<ClassroomId>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id FROM classrooms c JOIN schools s ON s.id = c.school_id WHERE s.county = ? ORDER BY c.id",
        )
        .bind(county)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| ClassroomId(r.get::<i64, _>("id") as u64))
            .collect())
    }

    pub async fn create_teacher(
        &self,
        school: SchoolId,
        name: &str,
    ) -> Result<TeacherId, StoreError> {
        let row = sqlx::query("INSERT INTO teachers (school_id, name) VALUES (?, ?) RETURNING id")
            .bind(school.0 as i64)
            .bind(name)
            .fetch_one(self.pool())
            .await?;
        Ok(TeacherId(row.get::<i64, _>("id") as u64))
    }
}
