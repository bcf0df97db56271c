//! `storage`: reads every message from the stream (consumer group
//! [`GROUP`]) and keeps it in Redis: the message as JSON in the hash
//! [`MESSAGES`] under its id, and the ids in order in the list [`IDS`].
//! A message published again (giphy's update, with its image) replaces the
//! stored one. Only the last [`MAX_STORED`] messages are kept.

use redis::Value;

use super::Message;
use super::bus::{self, Handler, Redis};

/// storage's consumer group.
pub const GROUP: &str = "storage";
/// The hash of stored messages, id to JSON.
pub const MESSAGES: &str = "chat:messages";
/// The list of stored ids, oldest first.
pub const IDS: &str = "chat:ids";
/// Messages kept at most; older ones are removed.
pub const MAX_STORED: usize = 1000;

struct Store(Redis);

impl Handler for Store {
    async fn handle(&self, message: Message) -> Result<(), String> {
        let json = serde_json::to_string(&message).map_err(|e| e.to_string())?;
        let mut hset = redis::cmd("HSET");
        hset.arg(MESSAGES).arg(&message.id).arg(&json);
        let added: i64 = self.0.run(&hset, "HSET").await?;
        if added == 0 {
            tracing::info!(message_id = %message.id, image = message.image.as_deref(), "message updated");
            return Ok(());
        }
        let mut rpush = redis::cmd("RPUSH");
        rpush.arg(IDS).arg(&message.id);
        let stored: usize = self.0.run(&rpush, "RPUSH").await?;
        tracing::info!(message_id = %message.id, stored, "message stored");
        if stored > MAX_STORED {
            let mut lpop = redis::cmd("LPOP");
            lpop.arg(IDS).arg(stored - MAX_STORED);
            let old: Vec<String> = self.0.run(&lpop, "LPOP").await?;
            if !old.is_empty() {
                let mut hdel = redis::cmd("HDEL");
                hdel.arg(MESSAGES).arg(&old);
                self.0.run::<Value>(&hdel, "HDEL").await?;
            }
        }
        Ok(())
    }
}

/// Consumes the stream until `stop` completes.
pub(crate) async fn run(redis: Redis, reader: Redis, stop: impl Future<Output = ()>) {
    bus::consume(redis.clone(), reader, "storage", GROUP, Store(redis), stop).await;
}
