//! What the propagation tests share: the lock around the process-wide
//! rejection counters, and header maps built from pairs.

#![allow(dead_code)] // each test file uses its own subset

use std::sync::{Mutex, MutexGuard};

/// The rejection counters ([`lantern::propagation::rejected`]) are
/// process-wide: the tests that read them take this lock, so that the other
/// tests of their file cannot move them meanwhile.
static COUNTERS: Mutex<()> = Mutex::new(());

/// Takes the counters' lock (a test that failed while holding it does not
/// poison the others).
pub fn counters() -> MutexGuard<'static, ()> {
    COUNTERS.lock().unwrap_or_else(|e| e.into_inner())
}

/// An HTTP header map with `pairs`, repeated names appended.
pub fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    for (k, v) in pairs {
        h.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
    }
    h
}
