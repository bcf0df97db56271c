//! `--load N`: a background task that posts N messages a second to
//! chat-api, one in five a `/giphy` request, so the debug pages, the
//! service graph and the metrics fill.
//!
//! The pacing is [`crate::load`]'s: each message's trace starts at
//! chat-api's server span.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use tokio::task::JoinHandle;

use crate::load::LoadStats;

const USERS: [&str; 4] = ["ann", "bob", "cyd", "dee"];
const TOPICS: [&str; 4] = ["cats", "dogs", "otters", "tracing"];
const WORDS: [&str; 6] = ["hello", "anyone here?", "lunch?", "the build is green", "deploying", "looks good"];

/// Starts posting `per_second` messages a second to chat-api at `api`,
/// until the task is aborted. Needs a tokio runtime.
pub fn spawn(api: SocketAddr, per_second: f64) -> (JoinHandle<()>, Arc<LoadStats>) {
    crate::load::spawn(per_second, http::StatusCode::ACCEPTED, move || {
        let text = if fastrand::u8(0..5) == 0 {
            format!("/giphy {}", TOPICS[fastrand::usize(..TOPICS.len())])
        } else {
            WORDS[fastrand::usize(..WORDS.len())].to_owned()
        };
        let body = serde_json::json!({ "user": USERS[fastrand::usize(..USERS.len())], "text": text }).to_string();
        http::Request::post(format!("http://{api}/messages"))
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .ok()
    })
}
