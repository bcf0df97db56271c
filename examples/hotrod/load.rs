//! `--load N`: a background task that requests N rides a second from the
//! frontend, over HTTP, for random customers, so the debug pages and the
//! metrics fill.
//!
//! Its client is plain hyper, not traced: each request's trace starts at the
//! frontend's server span, as a click in the UI does. The requests are
//! spread over four sessions (`load-1` to `load-4`), so the per-session
//! series of `route.calc.time` stay few. Requests run on their own tasks,
//! so a slow one never slows the rate; past 20 seconds' worth under way
//! (the customer database serialises queries, and too high a rate outruns
//! it), ticks are skipped and counted rather than piled up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::customer::CUSTOMERS;

/// What the load generator did so far.
#[derive(Debug, Default)]
pub struct LoadStats {
    /// Requests answered 200.
    pub ok: AtomicU64,
    /// Requests that failed or were answered otherwise.
    pub failed: AtomicU64,
    /// Ticks skipped because too many requests were under way.
    pub skipped: AtomicU64,
}

/// Starts requesting `per_second` rides a second from the frontend at
/// `frontend`, until the task is aborted. Needs a tokio runtime.
pub fn spawn(frontend: SocketAddr, per_second: f64) -> (JoinHandle<()>, Arc<LoadStats>) {
    let stats = Arc::new(LoadStats::default());
    let task = tokio::spawn(generate(frontend, per_second, stats.clone()));
    (task, stats)
}

async fn generate(frontend: SocketAddr, per_second: f64, stats: Arc<LoadStats>) {
    if !(per_second.is_finite() && per_second > 0.0) {
        return;
    }
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let in_flight = Arc::new(Semaphore::new((per_second * 20.0).ceil().clamp(1.0, 10_000.0) as usize));
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            stats.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let (customer, ..) = CUSTOMERS[fastrand::usize(..CUSTOMERS.len())];
        let url = format!("http://{frontend}/dispatch?customer={customer}&session=load-{}", fastrand::u8(1..=4));
        let (client, stats) = (client.clone(), stats.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let Ok(request) = http::Request::get(url).body(Empty::new()) else { return };
            let ok = match client.request(request).await {
                Ok(response) => {
                    let ok = response.status() == http::StatusCode::OK;
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
