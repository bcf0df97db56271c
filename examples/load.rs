//! A paced load generator for the demos' `--load N`: one request every
//! 1/N s, each on its own task so a slow one never slows the rate; past 20
//! seconds' worth under way, ticks are skipped and counted rather than piled
//! up. Its client is plain hyper, not traced: each request's trace starts at
//! the server's span, as a click in a UI does.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// What a load generator did so far; shown as `7 ok, 0 failed, 1 skipped`.
#[derive(Debug, Default)]
pub struct LoadStats {
    /// Requests answered with the expected status.
    pub ok: AtomicU64,
    /// Requests that failed or were answered otherwise.
    pub failed: AtomicU64,
    /// Ticks skipped because too many requests were under way.
    pub skipped: AtomicU64,
}

impl fmt::Display for LoadStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [ok, failed, skipped] = [&self.ok, &self.failed, &self.skipped].map(|c| c.load(Ordering::Relaxed));
        write!(f, "{ok} ok, {failed} failed, {skipped} skipped")
    }
}

/// Sends `per_second` requests a second, each made by `next` (`None`
/// skips the tick) and counted ok when answered `expected`, until the task
/// is aborted. Needs a tokio runtime.
pub fn spawn(
    per_second: f64,
    expected: http::StatusCode,
    next: impl FnMut() -> Option<http::Request<Full<Bytes>>> + Send + 'static,
) -> (JoinHandle<()>, Arc<LoadStats>) {
    let stats = Arc::new(LoadStats::default());
    let task = tokio::spawn(generate(per_second, expected, next, stats.clone()));
    (task, stats)
}

async fn generate(
    per_second: f64,
    expected: http::StatusCode,
    mut next: impl FnMut() -> Option<http::Request<Full<Bytes>>>,
    stats: Arc<LoadStats>,
) {
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
        let Some(request) = next() else { continue };
        let (client, stats) = (client.clone(), stats.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let ok = match client.request(request).await {
                Ok(response) => {
                    let ok = response.status() == expected;
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
