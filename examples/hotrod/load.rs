//! `--load N`: a background task that requests N rides a second from the
//! frontend, over HTTP, for random customers, so the debug pages and the
//! metrics fill.
//!
//! The requests are spread over four sessions (`load-1` to `load-4`), so
//! the per-session series of `route.calc.time` stay few. The pacing is
//! [`crate::load`]'s: too high a rate outruns the customer database, which
//! serialises queries, and the ticks past 20 seconds' worth under way are
//! skipped and counted.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use tokio::task::JoinHandle;

use super::customer::CUSTOMERS;
use crate::load::LoadStats;

/// Starts requesting `per_second` rides a second from the frontend at
/// `frontend`, until the task is aborted. Needs a tokio runtime.
pub fn spawn(frontend: SocketAddr, per_second: f64) -> (JoinHandle<()>, Arc<LoadStats>) {
    crate::load::spawn(per_second, http::StatusCode::OK, move || {
        let (customer, ..) = CUSTOMERS[fastrand::usize(..CUSTOMERS.len())];
        let url = format!("http://{frontend}/dispatch?customer={customer}&session=load-{}", fastrand::u8(1..=4));
        http::Request::get(url).body(Full::<Bytes>::default()).ok()
    })
}
