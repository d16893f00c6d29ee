//! Accounts and sign-in sessions in SQLite.

use super::{Store, StoreError};
use crate::accounts::{Account, StaffRole};
use shared::ids::{ClassroomId, SchoolId, TeacherId};
use sqlx::Row;

fn role_of(row: &sqlx::sqlite::SqliteRow) -> Option<StaffRole> {
    let id = |col: &str| row.get::<Option<i64>, _>(col).map(|v| v as u64);
    Some(match row.get::<&str, _>("role") {
        "bureau_admin" => StaffRole::BureauAdmin,
        "school_admin" => StaffRole::SchoolAdmin {
            school: SchoolId(id("school_id")?),
        },
        "teacher" => StaffRole::Teacher {
            teacher: TeacherId(id("teacher_id")?),
        },
        "classroom_device" => StaffRole::ClassroomDevice {
            classroom: ClassroomId(id("classroom_id")?),
        },
        _ => return None,
    })
}

fn account_of(row: &sqlx::sqlite::SqliteRow) -> Option<Account> {
    Some(Account {
        id: row.get("id"),
        login: row.get("login"),
        name: row.get("name"),
        role: role_of(row)?,
    })
}

const ACCOUNT_COLUMNS: &str =
    "a.id, a.login, a.name, a.role, a.school_id, a.teacher_id, a.classroom_id";

impl Store {
    /// Creates an account, or updates the one with this login (name, password, role).
    pub async fn upsert_account(
        &self,
        login: &str,
        name: &str,
        password_hash: &str,
        role: StaffRole,
    ) -> Result<i64, StoreError> {
        let (school, teacher, classroom) = match role {
            StaffRole::BureauAdmin => (None, None, None),
            StaffRole::SchoolAdmin { school } => (Some(school.0 as i64), None, None),
            StaffRole::Teacher { teacher } => (None, Some(teacher.0 as i64), None),
            StaffRole::ClassroomDevice { classroom } => (None, None, Some(classroom.0 as i64)),
        };
        let row = sqlx::query(
            "INSERT INTO accounts (login, name, password_hash, role, school_id, teacher_id, classroom_id)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (login) DO UPDATE SET name = excluded.name, password_hash = excluded.password_hash,
               role = excluded.role, school_id = excluded.school_id, teacher_id = excluded.teacher_id,
               classroom_id = excluded.classroom_id
             RETURNING id",
        )
        .bind(login)
        .bind(name)
        .bind(password_hash)
        .bind(role.column())
        .bind(school)
        .bind(teacher)
        .bind(classroom)
        .fetch_one(self.pool())
        .await?;
        Ok(row.get("id"))
    }

    /// The account with this login and its password hash.
    pub async fn account_by_login(
        &self,
        login: &str,
    ) -> Result<Option<(Account, String)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS}, a.password_hash FROM accounts a WHERE a.login = ?"
        ))
        .bind(login)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.and_then(|r| Some((account_of(&r)?, r.get("password_hash")))))
    }

    pub async fn create_web_session(
        &self,
        token_hash: &[u8],
        account: i64,
        csrf: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO web_sessions (token_hash, account_id, csrf, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(account)
            .bind(csrf)
            .bind(expires_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The account and CSRF token of an unexpired session.
    pub async fn web_session(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> Result<Option<(Account, String)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS}, s.csrf FROM web_sessions s JOIN accounts a ON a.id = s.account_id
             WHERE s.token_hash = ? AND s.expires_at > ?"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.and_then(|r| Some((account_of(&r)?, r.get("csrf")))))
    }

    pub async fn delete_web_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM web_sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Drops expired sessions.
    pub async fn purge_web_sessions(&self, now: i64) -> Result<u64, StoreError> {
        let r = sqlx::query("DELETE FROM web_sessions WHERE expires_at <= ?")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected())
    }
}
