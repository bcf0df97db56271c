//! Sending one request until it is taken, refused for good, or out of time.
//!
//! Only retryable failures are retried (gRPC UNAVAILABLE and the like, HTTP
//! 429/502/503/504, connection errors, timeouts), with exponential backoff
//! and jitter; a `Retry-After` or `RetryInfo` from the receiver replaces the
//! computed delay. Nothing is retried past the batch's deadline.

use std::time::Duration;

use tokio::time::Instant;

use super::stats::{Counters, Loss};
use crate::transport::{Client, ExportRequest};

/// The backoff schedule.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Backoff {
    pub(crate) initial: Duration,
    pub(crate) max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { initial: Duration::from_millis(100), max: Duration::from_secs(5) }
    }
}

impl Backoff {
    /// The wait before attempt `n + 1` (n >= 1): doubling, capped, with
    /// jitter between half and all of it.
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        let exp = self.initial.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max);
        capped.mul_f64(0.5 + fastrand::f64() / 2.0)
    }
}

/// Sends `request` (of `items` items), retrying until `deadline`, and counts
/// the outcome. Returns whether the request was taken.
pub(crate) async fn send(
    client: &Client,
    request: &ExportRequest,
    items: u64,
    counters: &Counters,
    backoff: Backoff,
    batch_deadline: Instant,
    shutdown: &Shutdown<'_>,
) -> bool {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        // Shutdown may start during the attempt: its deadline then wins.
        let result = shutdown.run_until(client.send(request), batch_deadline).await;
        let error = match result {
            Some(Ok(accepted)) => {
                counters.exported(items.saturating_sub(accepted.rejected));
                if accepted.rejected > 0 {
                    counters.lost(Loss::Rejected, accepted.rejected.min(items));
                    counters.note_error(format!(
                        "partial success: {} rejected{}",
                        accepted.rejected,
                        accepted.message.map(|m| format!(": {m}")).unwrap_or_default()
                    ));
                }
                return true;
            }
            Some(Err(e)) => e,
            None => {
                counters.lost(Loss::RetriesExhausted, items);
                counters.failed("export timeout reached".into());
                return false;
            }
        };
        if !error.retryable {
            counters.lost(Loss::PermanentError, items);
            counters.failed(error.message);
            return false;
        }
        let wait = error.retry_after.unwrap_or_else(|| backoff.delay(attempt));
        // Listening before the deadline is read: a shutdown that starts
        // after the read ends the wait.
        let started = shutdown.started.notified();
        let mut started = std::pin::pin!(started);
        started.as_mut().enable();
        let stopping = shutdown.deadline();
        let deadline = stopping.map_or(batch_deadline, |d| d.min(batch_deadline));
        if Instant::now() + wait >= deadline {
            counters.lost(Loss::RetriesExhausted, items);
            counters.failed(format!("gave up after {attempt} attempts: {}", error.message));
            return false;
        }
        counters.retried();
        counters.note_error(error.message);
        if stopping.is_some() {
            tokio::time::sleep(wait).await;
        } else {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = started => {}
            }
        }
    }
}

/// What the retry loop needs to know of a shutdown.
pub(crate) struct Shutdown<'a> {
    pub(crate) deadline: &'a parking_lot::Mutex<Option<std::time::Instant>>,
    pub(crate) started: &'a tokio::sync::Notify,
}

impl Shutdown<'_> {
    fn deadline(&self) -> Option<Instant> {
        self.deadline.lock().map(Instant::from_std)
    }

    /// Runs `future` until `batch_deadline`, or the shutdown's deadline if
    /// earlier, including a shutdown that starts while it runs; `None` if
    /// the deadline came first.
    async fn run_until<F: std::future::Future>(&self, future: F, batch_deadline: Instant) -> Option<F::Output> {
        let mut future = std::pin::pin!(future);
        loop {
            // Listening before the deadline is read: a shutdown that starts
            // after the read wakes this, to read it again.
            let started = self.started.notified();
            let mut started = std::pin::pin!(started);
            started.as_mut().enable();
            let stopping = self.deadline();
            let deadline = stopping.map_or(batch_deadline, |d| d.min(batch_deadline));
            tokio::select! {
                result = tokio::time::timeout_at(deadline, future.as_mut()) => return result.ok(),
                _ = started, if stopping.is_none() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_jitter() {
        let b = Backoff { initial: Duration::from_millis(100), max: Duration::from_secs(1) };
        for _ in 0..100 {
            let d1 = b.delay(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100), "{d1:?}");
            let d3 = b.delay(3);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400), "{d3:?}");
            let d40 = b.delay(40);
            assert!(d40 >= Duration::from_millis(500) && d40 <= Duration::from_secs(1), "{d40:?}");
        }
    }
}
