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

/// The school, teacher and classroom columns of a role.
fn role_columns(role: StaffRole) -> (Option<i64>, Option<i64>, Option<i64>) {
    match role {
        StaffRole::BureauAdmin => (None, None, None),
        StaffRole::SchoolAdmin { school } => (Some(school.0 as i64), None, None),
        StaffRole::Teacher { teacher } => (None, Some(teacher.0 as i64), None),
        StaffRole::ClassroomDevice { classroom } => (None, None, Some(classroom.0 as i64)),
    }
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
        let on_conflict = "DO UPDATE SET name = excluded.name, password_hash = excluded.password_hash,
               role = excluded.role, school_id = excluded.school_id, teacher_id = excluded.teacher_id,
               classroom_id = excluded.classroom_id";
        self.insert_account(login, name, password_hash, role, on_conflict)
            .await?
            .ok_or(StoreError::Db(sqlx::Error::RowNotFound))
    }

    /// Creates an account; `None` if the login is taken (even by a create at the same moment:
    /// nothing is overwritten).
    pub async fn create_account(
        &self,
        login: &str,
        name: &str,
        password_hash: &str,
        role: StaffRole,
    ) -> Result<Option<i64>, StoreError> {
        self.insert_account(login, name, password_hash, role, "DO NOTHING")
            .await
    }

    async fn insert_account(
        &self,
        login: &str,
        name: &str,
        password_hash: &str,
        role: StaffRole,
        on_conflict: &str,
    ) -> Result<Option<i64>, StoreError> {
        let (school, teacher, classroom) = role_columns(role);
        let row = sqlx::query(&format!(
            "INSERT INTO accounts (login, name, password_hash, role, school_id, teacher_id, classroom_id)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (login) {on_conflict} RETURNING id"
        ))
        .bind(login)
        .bind(name)
        .bind(password_hash)
        .bind(role.column())
        .bind(school)
        .bind(teacher)
        .bind(classroom)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.get("id")))
    }

    /// Accounts with the school each belongs to (none for bureau admins), by login; only those of
    /// `school` if given.
    pub async fn accounts(
        &self,
        school: Option<SchoolId>,
    ) -> Result<Vec<(Account, Option<SchoolId>)>, StoreError> {
        self.accounts_where(school, None).await
    }

    /// One account with the school it belongs to.
    pub async fn account_with_school(
        &self,
        id: i64,
    ) -> Result<Option<(Account, Option<SchoolId>)>, StoreError> {
        Ok(self.accounts_where(None, Some(id)).await?.pop())
    }

    async fn accounts_where(
        &self,
        school: Option<SchoolId>,
        id: Option<i64>,
    ) -> Result<Vec<(Account, Option<SchoolId>)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS}, COALESCE(a.school_id, t.school_id, c.school_id) AS of_school
             FROM accounts a
             LEFT JOIN teachers t ON t.id = a.teacher_id
             LEFT JOIN classrooms c ON c.id = a.classroom_id
             WHERE (?1 IS NULL OR COALESCE(a.school_id, t.school_id, c.school_id) = ?1)
               AND (?2 IS NULL OR a.id = ?2)
             ORDER BY a.login"
        ))
        .bind(school.map(|s| s.0 as i64))
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let of = r
                    .get::<Option<i64>, _>("of_school")
                    .map(|s| SchoolId(s as u64));
                Some((account_of(r)?, of))
            })
            .collect())
    }

    /// Removes an account; its sign-in sessions go with it. Whether it existed.
    pub async fn delete_account(&self, id: i64) -> Result<bool, StoreError> {
        let r = sqlx::query("DELETE FROM accounts WHERE id = ?")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Sets a new password and signs the account out everywhere.
    pub async fn set_password(&self, id: i64, password_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE accounts SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM web_sessions WHERE account_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
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
