//! Tracing Talk, the chat demo of Yuri Shkuro's *Mastering Distributed
//! Tracing*, chapter 5, on Lantern: three services that talk through a real
//! message broker, and one trace that follows a message from the HTTP
//! request through the broker to every consumer.
//!
//! ```text
//!  POST /messages  +----------+  XADD messages   +-------------------+  XREADGROUP storage  +---------+
//! ---------------> | chat-api | ---------------> |  Redis (stream    | -------------------> | storage | HSET, RPUSH
//!  GET /messages   +----------+                  |  "messages")      |                      +---------+
//!   (LRANGE, HMGET)                              |                   |  XREADGROUP giphy    +---------+  GET /v1/gifs/search
//!                                                |                   | -------------------> |  giphy  | ------------> giphy-api
//!                                                +-------------------+ <------------------- +---------+  (a local stand-in)
//!                                                                        XADD (with image)
//! ```
//!
//! The book's brokers are Kafka and Redis; here Redis is both: the services
//! exchange messages over a Redis stream, each consumer service in a
//! consumer group of its own (`XREADGROUP`, `XACK`), and `storage` keeps the
//! messages in Redis. A message starting with `/giphy <topic>` is also
//! picked up by `giphy`, which asks a stand-in for the Giphy API (an HTTP
//! service in this process, on loopback) for an image and publishes the
//! message again with the image's URL; `storage` then stores the update.
//!
//! Tracing: every publish is a producer span (`send messages`,
//! `messaging.system = "redis"`) whose context and baggage travel in the
//! entry's fields ([`lantern::middleware::messaging`]); each consumer
//! handles an entry in a consumer span (`process messages`), the child of
//! that producer span, named after its own service. Every Redis command is
//! a client span with `db.system = "redis"`, so the service graph
//! (`/debug/graph`) shows Redis as a node beside the three services. One
//! `POST /messages` of `/giphy cats` makes one trace across `chat-api`,
//! the broker, `storage`, `giphy` and `giphy-api`.
//!
//! Bounds: a message body over [`api::MAX_BODY`] is refused (413), the
//! stream is trimmed (`MAXLEN ~`), storage keeps the last
//! [`storage::MAX_STORED`] messages, and every Redis command has a deadline
//! (a dead Redis gives 503 answers and logged retries, not a hang).
//! `examples/tracing-talk/main.rs` is the command-line program.

pub mod api;
pub(crate) mod bus;
pub mod giphy;
pub mod load;
pub mod redis_server;
pub mod storage;

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::hotrod::Shutdown;
use bus::Redis;

pub use bus::{STREAM, SYSTEM};
pub use redis_server::RedisServer;

/// One chat message, as stored and as carried in the stream's entries.
///
/// ```
/// use lantern_examples::tracing_talk::Message;
/// let m = Message { id: "m1".into(), user: "ann".into(), text: "/giphy cats".into(), image: None, ts: 1 };
/// assert_eq!(m.giphy_topic(), Some("cats"));
/// assert_eq!(Message::from_fields(&m.to_fields()), Some(m));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Its id, given by chat-api.
    pub id: String,
    /// Who wrote it.
    pub user: String,
    /// What they wrote.
    pub text: String,
    /// The image giphy found for a `/giphy <topic>` message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// When chat-api took it, in milliseconds since the Unix epoch.
    pub ts: u64,
}

impl Message {
    /// The stream entry's fields (the trace context is added beside them).
    pub fn to_fields(&self) -> HashMap<String, String> {
        let mut fields = HashMap::from([
            ("id".to_owned(), self.id.clone()),
            ("user".to_owned(), self.user.clone()),
            ("text".to_owned(), self.text.clone()),
            ("ts".to_owned(), self.ts.to_string()),
        ]);
        if let Some(image) = &self.image {
            fields.insert("image".to_owned(), image.clone());
        }
        fields
    }

    /// The message in a stream entry's fields, if they hold one.
    pub fn from_fields(fields: &HashMap<String, String>) -> Option<Message> {
        Some(Message {
            id: fields.get("id")?.clone(),
            user: fields.get("user")?.clone(),
            text: fields.get("text")?.clone(),
            image: fields.get("image").cloned(),
            ts: fields.get("ts")?.parse().ok()?,
        })
    }

    /// `cats` for `/giphy cats`; none for other messages.
    pub fn giphy_topic(&self) -> Option<&str> {
        let topic = self.text.strip_prefix("/giphy ")?.trim();
        (!topic.is_empty()).then_some(topic)
    }
}

/// Where the services listen and which Redis they use.
///
/// ```
/// let config = lantern_examples::tracing_talk::Config::new("redis://127.0.0.1:6379/");
/// assert_eq!(config.api_port, 8090);
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// The address chat-api and the Giphy stand-in listen on (127.0.0.1).
    pub host: IpAddr,
    /// chat-api's port (default 8090; 0 for any free port).
    pub api_port: u16,
    /// The Giphy stand-in's port (default 0: any free port).
    pub giphy_api_port: u16,
    /// The Redis to use, `redis://host:port/`.
    pub redis_url: String,
}

impl Config {
    /// The defaults, with the Redis at `redis_url`.
    pub fn new(redis_url: impl Into<String>) -> Config {
        Config { host: IpAddr::V4(Ipv4Addr::LOCALHOST), api_port: 8090, giphy_api_port: 0, redis_url: redis_url.into() }
    }
}

/// The services, running; [`Talk::shutdown`] stops them (so does dropping
/// it, abruptly).
#[derive(Debug)]
pub struct Talk {
    /// Where chat-api listens.
    pub api: SocketAddr,
    /// Where the Giphy stand-in listens.
    pub giphy_api: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Talk {
    /// Connects to Redis (one connection per service, and one per consumer
    /// for its blocking reads), creates the consumer groups, binds the
    /// listeners and starts the services on the current tokio runtime.
    /// Fails when Redis cannot be reached or a port is taken.
    pub async fn start(config: Config) -> io::Result<Talk> {
        let url = config.redis_url.as_str();
        let connect = |timeout: Duration| async move { Redis::connect(url, timeout).await.map_err(io::Error::other) };
        let (api_redis, storage_redis, giphy_redis) =
            (connect(bus::OP_TIMEOUT).await?, connect(bus::OP_TIMEOUT).await?, connect(bus::OP_TIMEOUT).await?);
        let reader_timeout = bus::OP_TIMEOUT * 2;
        let (storage_reader, giphy_reader) = (connect(reader_timeout).await?, connect(reader_timeout).await?);
        // Before anything is published: a group reads what comes after it.
        storage_redis.create_group("storage", storage::GROUP, "$").await.map_err(io::Error::other)?;
        giphy_redis.create_group("giphy", giphy::GROUP, "$").await.map_err(io::Error::other)?;
        let bind = |name: &'static str, port: u16| async move {
            TcpListener::bind((config.host, port))
                .await
                .map_err(|e| io::Error::new(e.kind(), format!("{name} on {}:{port}: {e}", config.host)))
        };
        let api_listener = bind("chat-api", config.api_port).await?;
        let giphy_listener = bind("giphy-api", config.giphy_api_port).await?;
        let (api, giphy_api) = (api_listener.local_addr()?, giphy_listener.local_addr()?);
        let (stop, rx) = watch::channel(false);
        let shutdown = Shutdown(rx);
        let tasks = vec![
            run("chat-api", api::serve(api_listener, api_redis, shutdown.clone())),
            run("giphy-api", giphy::serve_stand_in(giphy_listener, shutdown.clone())),
            tokio::spawn(storage::run(storage_redis, storage_reader, shutdown.clone().wait())),
            tokio::spawn(giphy::run(giphy_redis, giphy_reader, giphy_api, shutdown.wait())),
        ];
        tracing::info!(chat_api = %api, giphy_api = %giphy_api, redis = url, "Tracing Talk started");
        Ok(Talk { api, giphy_api, stop, tasks })
    }

    /// chat-api's URL.
    pub fn api_url(&self) -> String {
        format!("http://{}/", self.api)
    }

    /// Stops the servers and the consumers, letting each finish what it is
    /// doing for up to two seconds.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        crate::finish_tasks(&mut self.tasks).await;
    }
}

impl Drop for Talk {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Runs a server on its own task; an error ends it, with a log.
fn run(
    service: &'static str,
    server: impl std::future::Future<Output = Result<(), String>> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = server.await {
            tracing::error!(service, %error, "server stopped");
        }
    })
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}
