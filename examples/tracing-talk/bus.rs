//! Redis, as the three services use it: every command a client span
//! (`db.system = "redis"`) with a deadline, messages published to a stream
//! with a producer span whose context and baggage travel in the entry's
//! fields, and consumer groups read with `XREADGROUP` whose entries are
//! handled in consumer spans, children of their producer's span.
//!
//! A dead or slow Redis is an error after [`OP_TIMEOUT`], never a hang: the
//! HTTP handlers answer 503 and the consumers retry after a growing pause.
//! A broken connection is made again by the next command, so the services
//! recover when Redis comes back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use lantern::middleware::messaging::{
    batch_consumer_span, consumer_span, extract_message, inject_message, producer_span,
};
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamReadReply};
use redis::{AsyncConnectionConfig, FromRedisValue, Value};
use tokio::sync::Mutex;
use tracing::Instrument as _;
use tracing::field::Empty;

use super::Message;

/// The stream every chat message goes through.
pub const STREAM: &str = "messages";
/// `messaging.system` of the producer and consumer spans.
pub const SYSTEM: &str = "redis";
/// The deadline of one Redis command (and of connecting).
pub(crate) const OP_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a consumer may take over one message before it gives up on it
/// (a stuck call must not stop the consumer).
const HANDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one `XREADGROUP` waits for entries (`BLOCK`).
const READ_BLOCK: Duration = Duration::from_millis(500);
/// Entries one `XREADGROUP` takes at most (`COUNT`).
const READ_COUNT: usize = 16;
/// The stream is trimmed to about this many entries on every `XADD`.
const STREAM_MAXLEN: usize = 10_000;
/// The pause after a failed read before the next one; it doubles with
/// every failure in a row, up to [`MAX_RETRY_PAUSE`].
const RETRY_PAUSE: Duration = Duration::from_millis(250);
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(5);

/// A connection to Redis shared by a service's tasks (commands are
/// pipelined on it), made again on the next command after it broke: a
/// Redis that restarts is used again once it is back.
#[derive(Clone)]
pub(crate) struct Redis {
    client: redis::Client,
    config: AsyncConnectionConfig,
    conn: Arc<Mutex<Option<MultiplexedConnection>>>,
    address: Arc<str>,
    port: u16,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redis({}:{})", self.address, self.port)
    }
}

impl Redis {
    /// Connects to `url`, with `timeout` for each reply.
    pub(crate) async fn connect(url: &str, timeout: Duration) -> Result<Redis, String> {
        let client = redis::Client::open(url).map_err(|e| format!("bad Redis URL {url:?}: {e}"))?;
        let (address, port) = match client.get_connection_info().addr() {
            redis::ConnectionAddr::Tcp(host, port) => (host.as_str().into(), *port),
            other => (other.to_string().into(), 0),
        };
        let config =
            AsyncConnectionConfig::new().set_connection_timeout(Some(OP_TIMEOUT)).set_response_timeout(Some(timeout));
        let redis = Redis { client, config, conn: Arc::new(Mutex::new(None)), address, port };
        redis.connection().await?;
        Ok(redis)
    }

    /// The connection, made first if there is none (within [`OP_TIMEOUT`]).
    async fn connection(&self) -> Result<MultiplexedConnection, String> {
        let made = async {
            let mut slot = self.conn.lock().await;
            if let Some(conn) = &*slot {
                return Ok(conn.clone());
            }
            let conn = self.client.get_multiplexed_async_connection_with_config(&self.config).await?;
            *slot = Some(conn.clone());
            Ok::<_, redis::RedisError>(conn)
        };
        let unreachable = |e: &dyn std::fmt::Display| format!("Redis at {}:{}: {e}", self.address, self.port);
        match tokio::time::timeout(OP_TIMEOUT, made).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(unreachable(&e)),
            Err(_) => Err(unreachable(&"no connection within the deadline")),
        }
    }

    /// Runs `cmd` on the connection within `timeout`; a broken connection
    /// is dropped, to be made again by the next command.
    async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd, timeout: Duration) -> Result<T, String> {
        let mut conn = self.connection().await?;
        let broken = match tokio::time::timeout(timeout, cmd.query_async::<T>(&mut conn)).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) if e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error() => e.to_string(),
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => format!("no answer within {timeout:?}"),
        };
        *self.conn.lock().await = None;
        Err(broken)
    }

    /// Runs `cmd` in a client span named after the command (`XADD`), within
    /// [`OP_TIMEOUT`]; an error or a timeout sets the span's error status.
    pub(crate) async fn run<T: FromRedisValue>(&self, cmd: &redis::Cmd, name: &'static str) -> Result<T, String> {
        self.run_within(cmd, name, OP_TIMEOUT).await
    }

    async fn run_within<T: FromRedisValue>(
        &self,
        cmd: &redis::Cmd,
        name: &'static str,
        timeout: Duration,
    ) -> Result<T, String> {
        let span = tracing::info_span!(
            "redis",
            otel.name = name,
            otel.kind = "client",
            db.system = "redis",
            db.operation.name = name,
            server.address = &*self.address,
            server.port = self.port,
            otel.status_code = Empty,
            otel.status_message = Empty,
        );
        let result = self.query(cmd, timeout).instrument(span.clone()).await.map_err(|e| format!("Redis {name}: {e}"));
        if let Err(error) = &result {
            span.record("otel.status_code", "ERROR");
            span.record("otel.status_message", error.as_str());
        }
        result
    }

    /// Publishes `message` to [`STREAM`] in a producer span (`send
    /// messages`, child of the current span), its context and baggage in
    /// the entry's fields. Returns the entry's id.
    pub(crate) async fn publish(&self, message: &Message) -> Result<String, String> {
        let span = producer_span(SYSTEM, STREAM, Some(&message.id));
        async {
            let mut fields = message.to_fields();
            inject_message(&mut fields);
            let mut cmd = redis::cmd("XADD");
            cmd.arg(STREAM).arg("MAXLEN").arg("~").arg(STREAM_MAXLEN).arg("*");
            for (key, value) in &fields {
                cmd.arg(key).arg(value);
            }
            let result = self.run::<String>(&cmd, "XADD").await;
            if let Err(error) = &result {
                tracing::error!(%error, "message not published");
            }
            result
        }
        .instrument(span)
        .await
    }

    /// Creates `service`'s consumer group `group` on [`STREAM`] (and the
    /// stream), reading the entries after `from` (`$`: from now on, `0`:
    /// all); an existing group is fine.
    pub(crate) async fn create_group(&self, service: &'static str, group: &str, from: &str) -> Result<(), String> {
        let mut cmd = redis::cmd("XGROUP");
        cmd.arg("CREATE").arg(STREAM).arg(group).arg(from).arg("MKSTREAM");
        let span = tracing::info_span!("create consumer group", service.name = service, group);
        match self.run::<Value>(&cmd, "XGROUP CREATE").instrument(span).await {
            Err(e) if e.contains("BUSYGROUP") => Ok(()),
            other => other.map(drop),
        }
    }
}

/// What a consumer does with one message, inside its consumer span.
pub(crate) trait Handler: Send + Sync + 'static {
    /// Handles `message`; an error marks the consumer span.
    fn handle(&self, message: Message) -> impl Future<Output = Result<(), String>> + Send;
}

/// Reads [`STREAM`] as `consumer` of `group` until `stop` completes: each
/// entry handled by `handler` in a consumer span of `service` (the child of
/// the entry's producer span), then acknowledged. A read that fails is
/// retried after a pause; an entry that cannot be parsed is acknowledged
/// and skipped (a log says so).
pub(crate) async fn consume(
    redis: Redis,
    reader: Redis,
    service: &'static str,
    group: &'static str,
    handler: impl Handler,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut pause = RETRY_PAUSE;
    loop {
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg("GROUP").arg(group).arg(service).arg("COUNT").arg(READ_COUNT);
        cmd.arg("BLOCK").arg(READ_BLOCK.as_millis() as u64).arg("STREAMS").arg(STREAM).arg(">");
        let reply = tokio::select! {
            _ = &mut stop => return,
            reply = reader.query::<Option<StreamReadReply>>(&cmd, READ_BLOCK + OP_TIMEOUT) => reply,
        };
        let entries: Vec<StreamId> = match reply {
            Ok(reply) => reply.map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect()).unwrap_or_default(),
            Err(error) => {
                // A Redis that restarted empty has lost the group: what
                // its stream holds came after the restart.
                if error.contains("NOGROUP") {
                    let _ = redis.create_group(service, group, "0").await;
                }
                tracing::warn!(service, %error, retry_in = ?pause, "XREADGROUP failed");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_RETRY_PAUSE);
                continue;
            }
        };
        pause = RETRY_PAUSE;
        if entries.len() < 2 {
            for entry in entries {
                process(&redis, service, group, &handler, entry).await;
            }
            continue;
        }
        // A read that brought several messages: one batch span, linked to
        // every message's producer (a trace of its own); each message is
        // still handled in a consumer span that continues its producer's
        // trace.
        let parents: Vec<lantern::Context> = entries.iter().map(|e| extract_message(&text_fields(e))).collect();
        let batch = batch_consumer_span(&parents, SYSTEM, STREAM, entries.len());
        batch.record("service.name", service);
        async {
            for entry in entries {
                process(&redis, service, group, &handler, entry).await;
            }
        }
        .instrument(batch)
        .await;
    }
}

/// An entry's fields that are text (the trace context among them).
fn text_fields(entry: &StreamId) -> HashMap<String, String> {
    entry.map.iter().filter_map(|(k, v)| Some((k.clone(), String::from_redis_value(v.clone()).ok()?))).collect()
}

/// One entry: its consumer span, the handler, the `XACK`.
async fn process(redis: &Redis, service: &'static str, group: &'static str, handler: &impl Handler, entry: StreamId) {
    let fields = text_fields(&entry);
    let parent = extract_message(&fields);
    let message = Message::from_fields(&fields);
    let id = message.as_ref().map_or(entry.id.as_str(), |m| m.id.as_str());
    let span = consumer_span(&parent, SYSTEM, STREAM, Some(id));
    span.record("service.name", service);
    async {
        match message {
            Some(message) => {
                // An ERROR event marks the consumer span as failed.
                let handled = tokio::time::timeout(HANDLE_TIMEOUT, handler.handle(message)).await;
                match handled.unwrap_or_else(|_| Err(format!("not handled within {HANDLE_TIMEOUT:?}"))) {
                    Ok(()) => {}
                    Err(error) => tracing::error!(%error, "message not handled"),
                }
            }
            None => tracing::warn!(entry = entry.id, "not a chat message; skipped"),
        }
        let mut ack = redis::cmd("XACK");
        ack.arg(STREAM).arg(group).arg(&entry.id);
        let _ = redis.run::<Value>(&ack, "XACK").await;
    }
    .instrument(span)
    .await
}
