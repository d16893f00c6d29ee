//! Finds the task that owns a lesson's room, starting it on first use.

use super::task::{self, Command, COMMAND_CAPACITY};
use crate::store::Store;
use shared::ids::LessonId;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::mpsc;

pub struct Rooms {
    store: Store,
    // Held only to look up or insert a sender, never across an await.
    rooms: Mutex<HashMap<LessonId, mpsc::Sender<Command>>>,
}

#[derive(Debug, thiserror::Error)]
#[error("the lesson room is not available")]
pub struct RoomGone;

impl Rooms {
    pub fn new(store: Store) -> Rooms {
        Rooms {
            store,
            rooms: Mutex::new(HashMap::new()),
        }
    }

    /// The sender of the lesson's room, starting the room task if none is running.
    pub fn room(&self, lesson: LessonId) -> mpsc::Sender<Command> {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms.retain(|_, tx| !tx.is_closed());
        rooms
            .entry(lesson)
            .or_insert_with(|| {
                let (tx, rx) = mpsc::channel(COMMAND_CAPACITY);
                tokio::spawn(task::run(lesson, self.store.clone(), rx));
                tx
            })
            .clone()
    }

    /// Sends a join to the lesson's room (restarting the room once if it just stopped).
    pub async fn join(
        &self,
        lesson: LessonId,
        cmd: Command,
    ) -> Result<mpsc::Sender<Command>, RoomGone> {
        let mut cmd = cmd;
        for _ in 0..2 {
            let tx = self.room(lesson);
            match tx.send(cmd).await {
                Ok(()) => return Ok(tx),
                Err(mpsc::error::SendError(back)) => cmd = back,
            }
        }
        Err(RoomGone)
    }

    /// Tells a running room that a join link was revoked (a room that is not running has no
    /// connections to close; new ones are refused at the door).
    pub async fn revoke(&self, lesson: LessonId, link: u64) {
        let tx = {
            let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
            rooms.get(&lesson).cloned()
        };
        if let Some(tx) = tx {
            let _ = tx.send(Command::Revoke { link }).await;
        }
    }
}
