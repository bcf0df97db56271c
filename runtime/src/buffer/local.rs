//! Per-thread batches: the application's side of the buffer.
//!
//! Each thread appends to its own batch behind a mutex that only it takes
//! between drains, so the cache line stays on its core. A full batch is
//! handed over whole through a small bounded queue (a full queue loses its
//! oldest batch, counted). The ingest thread and readers take every thread's
//! partial batch too, so nothing waits in a batch for more than one drain.
//!
//! A batch holds records by value (a few hundred bytes each): a thread that
//! has filled one keeps up to [`BATCH`] records' worth of memory (about 56
//! KiB) while it stays busy; a thread that turns quiet has its vector shrunk
//! at a drain, and a thread that exits has it freed at the next drain.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};

use parking_lot::Mutex;

use super::entry::Entry;
use super::open::OpenTable;

/// Entries one thread collects before handing the batch over.
pub(crate) const BATCH: usize = 128;

pub(crate) struct LocalBatch {
    pub(crate) entries: Mutex<Vec<Entry>>,
    /// The spans this thread started that have not closed yet.
    pub(crate) open: Mutex<OpenTable>,
    /// The buffer's open-span slots left, shared by every thread's table.
    pub(crate) open_budget: Arc<AtomicUsize>,
    /// Cleared when the buffer is gone, so threads forget it.
    pub(crate) alive: AtomicBool,
    /// Set when the thread has exited: it writes no more.
    pub(crate) owner_gone: AtomicBool,
}

impl Drop for LocalBatch {
    fn drop(&mut self) {
        // The table's slots go back to the buffer's budget.
        self.open_budget.fetch_add(self.open.get_mut().slot_count(), Relaxed);
    }
}

/// This thread's batches; marks them as orphaned when the thread exits.
struct ThreadBatches(Vec<(u64, Arc<LocalBatch>)>);

impl Drop for ThreadBatches {
    fn drop(&mut self) {
        for (_, batch) in &self.0 {
            batch.owner_gone.store(true, Relaxed);
        }
    }
}

static NEXT_BUFFER_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// Set while this thread files records (and calls an exporter).
    static FILING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` as filing: the layer records nothing made on this thread
/// meanwhile (an exporter's own spans and events), so nothing filed is
/// traced back into the buffer. A flag, not a dispatcher switch: switching
/// the dispatcher from inside a subscriber callback (a `Debug` impl that
/// flushes) would panic in `tracing-core`.
pub(crate) fn filing<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            let _ = FILING.try_with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(FILING.try_with(|c| c.replace(true)).unwrap_or(false));
    f()
}

/// Whether this thread is filing (see [`filing`]).
#[inline]
pub(crate) fn is_filing() -> bool {
    FILING.try_with(std::cell::Cell::get).unwrap_or(false)
}

pub(crate) fn next_buffer_id() -> u64 {
    NEXT_BUFFER_ID.fetch_add(1, Relaxed)
}

thread_local! {
    /// This thread's batch for each live buffer it wrote to; the first is
    /// the most recently used.
    static BATCHES: RefCell<ThreadBatches> = const { RefCell::new(ThreadBatches(Vec::new())) };
}

/// Runs `f` on this thread's batch for buffer `id`, registering a new one
/// with `register` on first use. `None` (and `f` not run) during thread
/// teardown, or when `f` is already running on this thread (a record made
/// while another is being written, e.g. by a field's `Debug`): the caller
/// counts the record as lost.
#[inline]
pub(crate) fn with_batch<R>(
    id: u64,
    register: impl FnOnce() -> Arc<LocalBatch>,
    f: impl FnOnce(&Arc<LocalBatch>) -> R,
) -> Option<R> {
    BATCHES
        .try_with(|cell| {
            let mut batches = cell.try_borrow_mut().ok()?;
            let batches = &mut batches.0;
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

/// A span's slot in its starting thread's table; dropping it frees the slot,
/// on whichever thread the span closes.
pub(crate) struct OpenSlot {
    table: Arc<LocalBatch>,
    slot: u32,
}

impl OpenSlot {
    pub(crate) fn new(table: Arc<LocalBatch>, slot: u32) -> OpenSlot {
        OpenSlot { table, slot }
    }
}

impl Drop for OpenSlot {
    fn drop(&mut self) {
        self.table.open.lock().remove(self.slot);
    }
}
