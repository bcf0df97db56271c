//! `chat-api`: the chat's HTTP front.
//!
//! - `POST /messages` with `{"user": "ann", "text": "/giphy cats"}` gives
//!   the message an id, puts the user in the baggage (`chat.user`), and
//!   publishes it to the stream (a producer span in chat-api's server
//!   span), and answers `202 Accepted` with
//!   [`Posted`]: the id and the trace id. A body over [`MAX_BODY`] is
//!   refused with 413, an empty text or one over [`MAX_TEXT`] with 400,
//!   and a Redis that fails or does not answer in time gives 503.
//! - `GET /messages` lists the last [`MAX_LIST`] stored messages, oldest
//!   first ([`Listed`]), read from Redis (`LRANGE`, `HMGET`).
//! - `GET /` is a small page to post from and read on.

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use super::bus::Redis;
use super::storage::{IDS, MESSAGES};
use super::{Message, now_ms};
use crate::hotrod::Shutdown;

/// The largest request body taken, in bytes.
pub const MAX_BODY: usize = 4096;
/// The longest text taken, in bytes.
pub const MAX_TEXT: usize = 2000;
/// The longest user name taken, in bytes.
pub const MAX_USER: usize = 64;
/// Messages `GET /messages` returns at most.
pub const MAX_LIST: usize = 100;

/// `POST /messages`'s body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Post {
    /// Who writes (default `anonymous`).
    #[serde(default)]
    pub user: String,
    /// What they write; `/giphy <topic>` asks for an image.
    pub text: String,
}

/// `POST /messages`'s answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Posted {
    /// The message's id.
    pub id: String,
    /// Its trace, for `/debug/traces/{trace_id}`.
    pub trace_id: String,
}

/// `GET /messages`'s answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Listed {
    /// The stored messages, oldest first.
    pub messages: Vec<Message>,
}

/// Serves chat-api on `listener` until shut down.
pub(crate) async fn serve(listener: TcpListener, redis: Redis, shutdown: Shutdown) -> Result<(), String> {
    let router = Router::new()
        .route("/", get(index))
        .route("/messages", get(list).post(post))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(redis);
    crate::hotrod::web::serve(listener, router, "chat-api", shutdown).await
}

fn error(status: StatusCode, text: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": text.into() }))).into_response()
}

async fn post(State(redis): State<Redis>, Json(post): Json<Post>) -> Response {
    let user = if post.user.trim().is_empty() { "anonymous".to_owned() } else { post.user.trim().to_owned() };
    if post.text.trim().is_empty() || post.text.len() > MAX_TEXT || user.len() > MAX_USER {
        return error(
            StatusCode::BAD_REQUEST,
            format!("text must be 1 to {MAX_TEXT} bytes, user at most {MAX_USER} bytes"),
        );
    }
    // Baggage: the user travels with the message to every consumer, and
    // to the services they call.
    if let Err(error) = lantern::context::set_baggage("chat.user", &user) {
        tracing::warn!(%error, "baggage not set");
    }
    let id = format!("{:016x}", fastrand::u64(..));
    let message = Message { id: id.clone(), user, text: post.text, image: None, ts: now_ms() };
    tracing::info!(message_id = %id, "message received");
    match redis.publish(&message).await {
        Ok(_) => {
            let trace_id = lantern::context::current().span_context().map(|cx| cx.trace_id().to_string());
            (StatusCode::ACCEPTED, Json(Posted { id, trace_id: trace_id.unwrap_or_default() })).into_response()
        }
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e),
    }
}

async fn list(State(redis): State<Redis>) -> Response {
    let mut lrange = redis::cmd("LRANGE");
    lrange.arg(IDS).arg(-(MAX_LIST as i64)).arg(-1);
    let ids: Vec<String> = match redis.run(&lrange, "LRANGE").await {
        Ok(ids) => ids,
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e),
    };
    if ids.is_empty() {
        return Json(Listed { messages: Vec::new() }).into_response();
    }
    let mut hmget = redis::cmd("HMGET");
    hmget.arg(MESSAGES).arg(&ids);
    let stored: Vec<Option<String>> = match redis.run(&hmget, "HMGET").await {
        Ok(stored) => stored,
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e),
    };
    let messages = stored.iter().flatten().filter_map(|json| serde_json::from_str(json).ok()).collect();
    Json(Listed { messages }).into_response()
}

async fn index() -> Html<&'static str> {
    Html(INDEX)
}

const INDEX: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Tracing Talk</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto">
<h1>Tracing Talk</h1>
<p>Post a message; <code>/giphy cats</code> asks the giphy service for an image.
Each post's trace is on Lantern's debug pages.</p>
<form id="f"><input id="user" placeholder="name" size="10">
<input id="text" placeholder="message" size="40" maxlength="2000"> <button>Send</button></form>
<p id="status"></p><ul id="messages"></ul>
<script>
const list = document.getElementById('messages');
async function refresh() {
  const r = await fetch('/messages');
  if (!r.ok) return;
  const { messages } = await r.json();
  list.replaceChildren(...messages.map(m => {
    const li = document.createElement('li');
    li.textContent = m.user + ': ' + m.text + (m.image ? '  [' + m.image + ']' : '');
    return li;
  }));
}
document.getElementById('f').onsubmit = async e => {
  e.preventDefault();
  const body = JSON.stringify({ user: document.getElementById('user').value,
                                text: document.getElementById('text').value });
  const r = await fetch('/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = await r.json();
  document.getElementById('status').textContent = r.ok ? 'trace ' + answer.trace_id : answer.error;
  setTimeout(refresh, 300);
};
refresh(); setInterval(refresh, 2000);
</script></body></html>"#;
