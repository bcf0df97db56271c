//! Per-thread batches: the application's side of the buffer.
//!
//! Each thread appends to its own batch behind a mutex that only it takes
//! between drains, so the cache line stays on its core. A full batch is
//! handed over whole through a small bounded queue (a full queue loses its
//! oldest batch, counted). The ingest thread and readers take every thread's
//! partial batch too, so nothing waits in a batch for more than one drain.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use parking_lot::Mutex;

use super::entry::Entry;
use super::open::OpenTable;

/// Entries one thread collects before handing the batch over.
pub(crate) const BATCH: usize = 256;

pub(crate) struct LocalBatch {
    pub(crate) entries: Mutex<Vec<Entry>>,
    /// The spans this thread started that have not closed yet.
    pub(crate) open: Mutex<OpenTable>,
    /// Cleared when the buffer is gone, so threads forget it.
    pub(crate) alive: AtomicBool,
}

static NEXT_BUFFER_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) fn next_buffer_id() -> u64 {
    NEXT_BUFFER_ID.fetch_add(1, Relaxed)
}

thread_local! {
    /// This thread's batch for each live buffer it wrote to; the first is
    /// the most recently used.
    static BATCHES: RefCell<Vec<(u64, Arc<LocalBatch>)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on this thread's batch for buffer `id`, registering a new one
/// with `register` on first use. `None` during thread teardown.
#[inline]
pub(crate) fn with_batch<R>(
    id: u64,
    register: impl FnOnce() -> Arc<LocalBatch>,
    f: impl FnOnce(&Arc<LocalBatch>) -> R,
) -> Option<R> {
    BATCHES
        .try_with(|cell| {
            let mut batches = cell.try_borrow_mut().ok()?;
            // `f` never re-enters: the borrow can span the call.
            if let Some((first_id, batch)) = batches.first() {
                if *first_id == id {
                    return Some(f(batch));
                }
            }
            batches.retain(|(_, b)| b.alive.load(Relaxed));
            let batch = match batches.iter().position(|(i, _)| *i == id) {
                Some(pos) => batches.remove(pos).1,
                None => register(),
            };
            batches.insert(0, (id, batch));
            Some(f(&batches[0].1))
        })
        .ok()
        .flatten()
}
