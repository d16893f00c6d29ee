//! The SQLite store (sqlx): lessons and their board ops, schools, accounts. The only module that
//! speaks SQL (`accounts` and `schools` add to [`Store`] in their own files).
//!
//! Board ops are appended in one transaction per batch and acknowledged to clients only after the
//! commit. The database runs in WAL mode with `synchronous = NORMAL`: a commit survives the relay
//! process being killed (SIGKILL); a power cut may lose the last moments (use FULL for that).

pub mod accounts;
pub mod attendance;
pub mod links;
pub mod schools;
pub mod timetable;

use crate::pages::Pages;
use shared::board::{Board, Op};
use shared::ids::{ClassroomId, LessonId, PageId};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "database URL {0:?}: only SQLite (sqlite://path) is supported so far; PostgreSQL is planned"
    )]
    UnsupportedDatabase(String),
    #[error("stored data of lesson {0} is corrupt: {1}")]
    Corrupt(LessonId, String),
    #[error(
        "the database {file} is damaged ({detail}); the relay will not start on it: restore it \
         from a backup (or move it away to start a new installation)"
    )]
    Damaged { file: String, detail: String },
}

/// A board op as stored: its sequence number, and who sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredOp {
    pub seq: u64,
    pub page: PageId,
    pub cseq: u32,
    pub op: Op,
}

/// What a room needs to know about its lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonInfo {
    pub id: LessonId,
    pub title: String,
    pub teacher: String,
    pub starts_at: i64,
    pub ends_at: i64,
    /// The remote classrooms expected, with their names (school and room).
    pub classrooms: Vec<(ClassroomId, String)>,
}

/// A lesson's board as loaded: the latest snapshot with the pages it knew, and the ops after it.
pub struct LoadedBoard {
    pub board: Board,
    pub pages: Pages,
    pub tail: Vec<StoredOp>,
}

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    /// The database had no tables when it was opened (new, or emptied).
    new: bool,
}

impl Store {
    /// Opens (creating if needed) the database at `url`, checks it (`PRAGMA quick_check`: a
    /// damaged file is refused with [`StoreError::Damaged`] naming it) and runs the migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        if !url.starts_with("sqlite:") {
            let scheme = url.split_once(':').map_or(url, |(s, _)| s);
            return Err(StoreError::UnsupportedDatabase(format!("{scheme}:…")));
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let file = options.get_filename().display().to_string();
        let damaged = |detail: String| StoreError::Damaged {
            file: file.clone(),
            detail,
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| {
                if is_damage(&e) {
                    damaged(e.to_string())
                } else {
                    e.into()
                }
            })?;
        let problems: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_all(&pool)
            .await
            .map_err(|e| damaged(e.to_string()))?;
        if problems.first().map(String::as_str) != Some("ok") {
            let detail = problems.into_iter().take(3).collect::<Vec<_>>().join("; ");
            return Err(damaged(format!("quick_check: {detail}")));
        }
        let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master")
            .fetch_one(&pool)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store {
            pool,
            new: tables == 0,
        })
    }

    /// Whether the database had no tables when opened: a new installation, or a file emptied by
    /// accident.
    pub fn was_new(&self) -> bool {
        self.new
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn lesson(&self, id: LessonId) -> Result<Option<LessonInfo>, StoreError> {
        let row = sqlx::query(
            "SELECT l.title, t.name AS teacher, l.starts_at, l.ends_at
             FROM lessons l JOIN teachers t ON t.id = l.teacher_id WHERE l.id = ?",
        )
        .bind(id.0 as i64)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let classrooms = sqlx::query(
            "SELECT c.id, s.name || ' · ' || c.name AS name
             FROM lesson_classrooms lc JOIN classrooms c ON c.id = lc.classroom_id
             JOIN schools s ON s.id = c.school_id
             WHERE lc.lesson_id = ? ORDER BY c.id",
        )
        .bind(id.0 as i64)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| {
            (
                ClassroomId(r.get::<i64, _>("id") as u64),
                r.get::<String, _>("name"),
            )
        })
        .collect();
        Ok(Some(LessonInfo {
            id,
            title: row.get("title"),
            teacher: row.get("teacher"),
            starts_at: row.get("starts_at"),
            ends_at: row.get("ends_at"),
            classrooms,
        }))
    }

    /// Appends ops in one transaction. Returns once they are committed.
    pub async fn append(&self, lesson: LessonId, ops: &[StoredOp]) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for op in ops {
            let bytes = postcard::to_allocvec(&op.op).unwrap_or_default();
            sqlx::query(
                "INSERT INTO board_ops (lesson_id, seq, page, cseq, op) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(lesson.0 as i64)
            .bind(op.seq as i64)
            .bind(op.page.0 as i64)
            .bind(i64::from(op.cseq))
            .bind(bytes)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the lesson's snapshot and drops the ops it covers.
    pub async fn save_snapshot(
        &self,
        lesson: LessonId,
        board: &Board,
        pages: &Pages,
    ) -> Result<(), StoreError> {
        let board_bytes = postcard::to_allocvec(board).unwrap_or_default();
        let page_bytes = postcard::to_allocvec(pages).unwrap_or_default();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO board_snapshots (lesson_id, seq, board, pages) VALUES (?, ?, ?, ?)
             ON CONFLICT (lesson_id) DO UPDATE SET seq = excluded.seq, board = excluded.board,
             pages = excluded.pages",
        )
        .bind(lesson.0 as i64)
        .bind(board.seq as i64)
        .bind(board_bytes)
        .bind(page_bytes)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM board_ops WHERE lesson_id = ? AND seq <= ?")
            .bind(lesson.0 as i64)
            .bind(board.seq as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Loads the latest snapshot (or an empty board) and the ops stored after it.
    pub async fn load_board(&self, lesson: LessonId) -> Result<LoadedBoard, StoreError> {
        let corrupt =
            |what: &str, e: postcard::Error| StoreError::Corrupt(lesson, format!("{what}: {e}"));
        let snap = sqlx::query("SELECT seq, board, pages FROM board_snapshots WHERE lesson_id = ?")
            .bind(lesson.0 as i64)
            .fetch_optional(&self.pool)
            .await?;
        let (board, pages) = match snap {
            Some(row) => {
                let board: Board = postcard::from_bytes(row.get::<&[u8], _>("board"))
                    .map_err(|e| corrupt("snapshot", e))?;
                let pages: Pages = postcard::from_bytes(row.get::<&[u8], _>("pages"))
                    .map_err(|e| corrupt("pages", e))?;
                if !board.is_consistent() {
                    return Err(StoreError::Corrupt(
                        lesson,
                        "the snapshot's board is inconsistent".into(),
                    ));
                }
                (board, pages)
            }
            None => (Board::new(), Pages::default()),
        };
        let rows = sqlx::query("SELECT seq, page, cseq, op FROM board_ops WHERE lesson_id = ? AND seq > ? ORDER BY seq")
            .bind(lesson.0 as i64)
            .bind(board.seq as i64)
            .fetch_all(&self.pool)
            .await?;
        let mut tail = Vec::with_capacity(rows.len());
        for row in rows {
            let op: Op =
                postcard::from_bytes(row.get::<&[u8], _>("op")).map_err(|e| corrupt("op", e))?;
            tail.push(StoredOp {
                seq: row.get::<i64, _>("seq") as u64,
                page: PageId(row.get::<i64, _>("page") as u64),
                cseq: row.get::<i64, _>("cseq") as u32,
                op,
            });
        }
        Ok(LoadedBoard { board, pages, tail })
    }
}

/// SQLite's "database disk image is malformed" (11) and "file is not a database" (26), with
/// their extended codes.
fn is_damage(e: &sqlx::Error) -> bool {
    let code = match e {
        sqlx::Error::Database(db) => db.code().and_then(|c| c.parse::<i32>().ok()),
        _ => None,
    };
    matches!(code.map(|c| c & 0xff), Some(11 | 26))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn other_databases_are_refused_by_name_without_their_credentials() {
        let err = Store::open("postgres://bureau:secret@127.0.0.1/tongpin")
            .await
            .err()
            .expect("not SQLite");
        let text = err.to_string();
        assert!(matches!(err, StoreError::UnsupportedDatabase(_)), "{text}");
        assert!(
            text.contains("postgres") && !text.contains("secret"),
            "{text}"
        );
    }
}
