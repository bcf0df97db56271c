//! `--load N`: a background task that posts N messages a second to
//! chat-api, one in five a `/giphy` request, so the debug pages, the
//! service graph and the metrics fill.
//!
//! Its client is plain hyper, not traced: each message's trace starts at
//! chat-api's server span. Posts run on their own tasks; past 20 seconds'
//! worth under way, ticks are skipped and counted rather than piled up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

const USERS: [&str; 4] = ["ann", "bob", "cyd", "dee"];
const TOPICS: [&str; 4] = ["cats", "dogs", "otters", "tracing"];
const WORDS: [&str; 6] = ["hello", "anyone here?", "lunch?", "the build is green", "deploying", "looks good"];

/// What the load generator did so far.
#[derive(Debug, Default)]
pub struct LoadStats {
    /// Posts answered 202.
    pub ok: AtomicU64,
    /// Posts that failed or were answered otherwise.
    pub failed: AtomicU64,
    /// Ticks skipped because too many posts were under way.
    pub skipped: AtomicU64,
}

/// Starts posting `per_second` messages a second to chat-api at `api`,
/// until the task is aborted. Needs a tokio runtime.
pub fn spawn(api: SocketAddr, per_second: f64) -> (JoinHandle<()>, Arc<LoadStats>) {
    let stats = Arc::new(LoadStats::default());
    let task = tokio::spawn(generate(api, per_second, stats.clone()));
    (task, stats)
}

async fn generate(api: SocketAddr, per_second: f64, stats: Arc<LoadStats>) {
    if !(per_second.is_finite() && per_second > 0.0) {
        return;
    }
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let in_flight = Arc::new(Semaphore::new((per_second * 20.0).ceil().clamp(1.0, 10_000.0) as usize));
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            stats.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let text = if fastrand::u8(0..5) == 0 {
            format!("/giphy {}", TOPICS[fastrand::usize(..TOPICS.len())])
        } else {
            WORDS[fastrand::usize(..WORDS.len())].to_owned()
        };
        let body = serde_json::json!({ "user": USERS[fastrand::usize(..USERS.len())], "text": text }).to_string();
        let (client, stats) = (client.clone(), stats.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let request = http::Request::post(format!("http://{api}/messages"))
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from(body)));
            let Ok(request) = request else { return };
            let ok = match client.request(request).await {
                Ok(response) => {
                    let ok = response.status() == http::StatusCode::ACCEPTED;
                    let _ = response.into_body().collect().await;
                    ok
                }
                Err(_) => false,
            };
            let counter = if ok { &stats.ok } else { &stats.failed };
            counter.fetch_add(1, Ordering::Relaxed);
        });
    }
}
