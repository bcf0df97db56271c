//! The ring buffer: recent spans and logs, bounded, read without blocking writers.
//!
//! # Data flow
//!
//! ```text
//! application threads                      ingest thread ("lantern-ingest")
//!   span close / event                       wakes every 10 ms, or when a
//!      |  written in place into              batch is handed over while it
//!      v  this thread's batch (128)          sleeps; dozes when idle
//!   [ per-thread batch ] --full--> [ bounded   |
//!          |                         queue ]   v
//!          +--- partial batches taken ---->  Store (behind a mutex only the
//!               at every drain               ingest thread and readers take):
//!                                            traces by id, logs, byte and
//!   span start: a slot in this thread's      count ceilings
//!   open-span table, read by readers
//! ```
//!
//! On the usual path the application touches its own thread's batch and
//! open-span table (mutexes that others take only to drain or read them, or
//! to close a span that moved threads) and, once per batch, the bounded
//! queue and the stack of spare batches (waking the ingest thread only if it
//! sleeps). Records travel by value in the batches, whose memory is reused,
//! so the application allocates nothing for them. Everything that costs —
//! putting records into the store's `Arc`s, joining events to their spans,
//! deriving error status from ERROR events, the per-trace caps, eviction —
//! runs on the ingest thread, whose own `tracing` output is suppressed. A
//! reader ([`Buffer::snapshot`]) drains the queue first, so what was recorded
//! before the call is visible to it (but for a thread caught writing a
//! record for more than a millisecond, whose batch waits for the next drain).
//!
//! # Bounds
//!
//! Newest wins everywhere: the queue of full batches overwrites its oldest
//! batch (at most `queue_capacity` entries wait there, plus one batch per
//! thread), and the store evicts its oldest records until it is under both
//! [`BufferConfig`] ceilings (bytes and count). Every overwritten, evicted or
//! capped record is counted in [`BufferStats`], and so is a record that
//! reached no batch (made by a field's `Debug` while another record was being
//! written, or during thread teardown: counted with the overwritten ones).
//!
//! Outside the ceilings, and bounded: each thread's batch (up to 128 records
//! by value, about 56 KiB, while the thread is busy; shrunk when it turns
//! quiet; freed when it exits), the spare batches, the open-span tables
//! (`max_open_spans` slots in all), and the ingest thread's pools of evicted
//! records kept for reuse (at most 2048 of each kind, of at most 1 KiB each).
//!
//! # Idle
//!
//! An idle buffer costs no CPU. After 100 ms in which it filed nothing, with
//! no trace waiting to complete, the ingest thread *dozes*: it parks until
//! the next record wakes it (the first entry written into an empty batch
//! checks a flag; a futex wake only then), or for 5 s at most. While it
//! dozes, the coarse clock it ticks (`clock::coarse_millis`) stands
//! still; it moves on as the first record wakes the thread, and what reads
//! it on the application's path (exemplar rationing, the sampling page's
//! marks) tolerates that.
//!
//! A kept record is allocated by the ingest thread and, once evicted, reused
//! or freed by it (after the store's lock is released; a reader's drain frees
//! on the reader's thread), so the application threads do not free cold
//! records, and no two threads fight over one allocator arena for them.
//! (Until 2026-12 records were allocated on the application threads; freeing
//! them there cost a third of an event.)

mod completion;
mod config;
pub(crate) mod entry;
mod local;
mod open;
pub(crate) mod snapshot;
mod stats;
mod store;
pub(crate) mod tracez;
mod tracker;

pub use config::BufferConfig;
pub use entry::OpenSpan;
pub use snapshot::{LogQuery, Snapshot, Trace, TraceQuery, TraceSummary};
pub use stats::BufferStats;
pub use tracez::{LATENCY_BUCKET_BOUNDS, TracezRow, TracezSample, TracezSamples, latency_bucket};

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use crossbeam_queue::ArrayQueue;
use parking_lot::Mutex;

use entry::{Counters, Entry, ExportRecord};
use local::LocalBatch;
pub(crate) use local::OpenSlot;
pub(crate) use local::is_filing;
use store::Store;
use tracker::TailState;

use crate::tail::config::CompletionConfig;
use crate::tail::listener::{TailStats, TraceListener};
use crate::tail::policy::{TailEvaluator, TailPolicy};

pub(crate) struct Shared {
    pub(crate) config: BufferConfig,
    id: u64,
    /// Every thread's batch, for draining.
    batches: Mutex<Vec<Arc<LocalBatch>>>,
    /// Full batches handed over by their threads.
    full: ArrayQueue<Vec<Entry>>,
    /// Emptied batches, kept for reuse so that no thread regrows a batch
    /// (or faults in fresh pages) after every drain. A stack: the batch
    /// emptied last is reused first, while its memory is still in cache.
    spare: Mutex<Vec<Vec<Entry>>>,
    /// How many batches `spare` keeps.
    spare_max: usize,
    /// The ingest thread is parked (or about to be): a hand-over wakes it.
    sleeping: AtomicBool,
    /// The ingest thread parks until woken (see "Idle" above): the first
    /// entry written into an empty batch wakes it.
    dozing: AtomicBool,
    /// Entries the last drain took (read by the ingest thread only).
    drained: AtomicUsize,
    /// Open-span slots not yet taken by any thread's table.
    open_budget: Arc<AtomicUsize>,
    pub(crate) counters: Counters,
    store: Mutex<Store>,
    ingest: OnceLock<std::thread::Thread>,
    /// Who hears of completed traces; only the ingest thread takes it.
    listeners: Mutex<Vec<Option<Arc<dyn TraceListener>>>>,
    /// Tail sampling's counters as of the last ingest (without the kept
    /// operations), copied out under the store's lock so that a reader of
    /// `/metrics` gets them without it: a metrics snapshot may be taken by
    /// a thread that holds a buffer [`Snapshot`].
    tail_published: Mutex<TailStats>,
}

/// A handle to one Lantern ring buffer: cheap to clone, `Send + Sync`.
///
/// Get it from the read [`Handle`](crate::Handle) ([`crate::Handle::buffer`]),
/// from [`crate::LanternLayer::buffer`] or [`crate::Guard::buffer`], or with
/// [`Buffer::current`] from inside the subscriber that carries the layer.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let layer = lantern::layer();
/// let buffer = layer.buffer();
/// let subscriber = tracing_subscriber::registry().with(layer);
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info_span!("work").in_scope(|| tracing::info!("hello"));
/// });
/// let snap = buffer.snapshot();
/// assert_eq!(snap.traces(&Default::default())[0].root_name, "work");
/// ```
#[derive(Clone)]
pub struct Buffer {
    shared: Arc<Shared>,
}

impl Buffer {
    /// The ring buffer of the Lantern layer in the current subscriber, if
    /// any: the thread's default subscriber, else the global one.
    ///
    /// ```
    /// let _lantern = lantern::builder().try_init_local();
    /// assert!(lantern::buffer::Buffer::current().is_some());
    /// ```
    pub fn current() -> Option<Buffer> {
        tracing::dispatcher::get_default(|d| d.downcast_ref::<Buffer>().cloned())
    }

    pub(crate) fn new(config: BufferConfig) -> Buffer {
        crate::clock::Timestamp::init();
        crate::clock::tick_coarse();
        let shared = Arc::new(Shared {
            id: local::next_buffer_id(),
            batches: Mutex::new(Vec::new()),
            full: ArrayQueue::new((config.queue_capacity / local::BATCH).max(1)),
            spare: Mutex::new(Vec::new()),
            spare_max: (config.queue_capacity / local::BATCH).max(1) + SPARE_BATCHES,
            sleeping: AtomicBool::new(false),
            dozing: AtomicBool::new(false),
            drained: AtomicUsize::new(0),
            open_budget: Arc::new(AtomicUsize::new(config.max_open_spans)),
            store: Mutex::new(Store::new(config.clone())),
            config,
            counters: Counters::default(),
            ingest: OnceLock::new(),
            listeners: Mutex::new(Vec::new()),
            tail_published: Mutex::new(TailStats::default()),
        });
        let weak = Arc::downgrade(&shared);
        let spawned = std::thread::Builder::new().name("lantern-ingest".into()).spawn(move || ingest_loop(weak));
        if let Ok(handle) = spawned {
            let _ = shared.ingest.set(handle.thread().clone());
        }
        Buffer { shared }
    }

    pub(crate) fn config(&self) -> &BufferConfig {
        &self.shared.config
    }

    /// Hands an entry to the ingest thread. Never blocks on a reader: the
    /// thread appends to its own batch; a full batch is handed over whole.
    #[inline]
    pub(crate) fn push(&self, entry: Entry) {
        let is_span = matches!(entry, Entry::Span(_));
        let mut entry = Some(entry);
        if !self.append(|entries| entries.extend(entry.take())) {
            self.shared.count_lost(is_span);
        }
    }

    /// Lets `write` append one entry to this thread's batch, in place (a
    /// record filled where it lies, not built elsewhere and copied in).
    /// `write` runs with the batch locked; a record made on this thread
    /// while it runs (a field's `Debug` that closes a span) finds the batch
    /// taken and is counted as lost. False when `write` did not run (that,
    /// or thread teardown): the caller counts its record as lost.
    #[inline]
    pub(crate) fn append(&self, write: impl FnOnce(&mut Vec<Entry>)) -> bool {
        let shared = &*self.shared;
        let handed = local::with_batch(
            shared.id,
            || shared.register(),
            |batch| {
                let mut entries = batch.entries.lock();
                // Full batches were handed over after the last write, so
                // there is room: the vector never grows on this path.
                write(&mut entries);
                let first = entries.len() == 1;
                let full = (entries.len() >= shared.batch_capacity())
                    .then(|| std::mem::replace(&mut *entries, shared.empty_batch()));
                (full, first)
            },
        );
        match handed {
            Some((Some(full), _)) => shared.hand_over(full),
            // Looked at after the batch's lock is released: either the
            // ingest thread, about to doze, finds this entry in the batch,
            // or this load sees that it dozes (see `Shared::doze`).
            Some((None, true)) if shared.dozing.load(Relaxed) => shared.wake(),
            Some((None, _)) => {}
            None => return false,
        }
        true
    }

    /// Counts a log record that reached no batch.
    pub(crate) fn count_lost_log(&self) {
        self.shared.count_lost(false);
    }

    /// Shows `open` as running until the returned slot is dropped (when the
    /// span closes). `None` when this thread's table is full (counted).
    #[inline]
    pub(crate) fn open_span(&self, open: OpenSpan) -> Option<OpenSlot> {
        let shared = &*self.shared;
        let slot = local::with_batch(
            shared.id,
            || shared.register(),
            |batch| {
                let slot = batch.open.lock().insert(open, &batch.open_budget)?;
                Some(OpenSlot::new(Arc::clone(batch), slot))
            },
        )
        .flatten();
        if slot.is_none() {
            shared.counters.open_untracked.fetch_add(1, Relaxed);
        }
        slot
    }

    /// Counts text values cut to the length limit on an application thread.
    #[inline]
    pub(crate) fn count_truncated(&self, values: u32) {
        if values > 0 {
            self.shared.counters.values_truncated.fetch_add(u64::from(values), Relaxed);
        }
    }

    /// Moves everything queued so far into the store, then returns a read
    /// view. Writers are never blocked by it; the ingest thread waits while
    /// the snapshot is alive, so drop it soon.
    ///
    /// ```
    /// let buffer = lantern::layer().buffer();
    /// assert!(buffer.snapshot().logs(&Default::default()).is_empty());
    /// ```
    pub fn snapshot(&self) -> Snapshot<'_> {
        let mut store = self.shared.store.lock();
        // Evicted records are freed here, under the lock: rare (a reader).
        drop(self.shared.drain_into(&mut store));
        Snapshot::new(store, &self.shared.counters, &self.shared.batches)
    }

    /// Hands sampled spans and logs to `exporter` from now on.
    pub(crate) fn set_exporter(&self, exporter: entry::ExportFn) {
        self.shared.store.lock().exporter = Some(exporter);
    }

    /// Watches traces for completion from now on, judging those the head
    /// sampler dropped by `policy` (if any) and telling `listeners`.
    pub(crate) fn set_tail(
        &self,
        completion: CompletionConfig,
        policy: Option<TailPolicy>,
        listeners: Vec<Arc<dyn TraceListener>>,
    ) {
        let evaluator = policy.filter(TailPolicy::has_rules).map(TailEvaluator::new);
        if evaluator.is_none() && listeners.is_empty() {
            return;
        }
        let state = TailState::new(completion, evaluator, !listeners.is_empty());
        *self.shared.listeners.lock() = listeners.into_iter().map(Some).collect();
        let mut store = self.shared.store.lock();
        store.tail = Some(Box::new(state));
        self.shared.publish_tail(&store);
    }

    /// What trace completion and the tail policies did, as of the ingest
    /// thread's last round: a copy it publishes, read without the store's
    /// lock (so a reader holding a [`Snapshot`] can read it too).
    pub(crate) fn tail_stats(&self) -> TailStats {
        self.shared.tail_published.lock().clone()
    }

    /// Moves everything queued so far into the store.
    ///
    /// ```
    /// lantern::layer().buffer().flush();
    /// ```
    pub fn flush(&self) {
        let evicted = {
            let mut store = self.shared.store.lock();
            self.shared.drain_into(&mut store)
        };
        drop(evicted);
    }

    /// The counters: recorded, overwritten, evicted, capped.
    ///
    /// ```
    /// let stats = lantern::layer().buffer().stats();
    /// assert_eq!(stats.spans_recorded, 0);
    /// ```
    pub fn stats(&self) -> BufferStats {
        self.snapshot().stats()
    }
}

impl std::fmt::Debug for Buffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buffer").field("config", &self.shared.config).finish_non_exhaustive()
    }
}

impl Shared {
    /// A batch (and open-span table) for the calling thread.
    fn register(&self) -> Arc<LocalBatch> {
        let batch = Arc::new(LocalBatch {
            entries: Mutex::new(Vec::new()),
            open: Mutex::new(Default::default()),
            open_budget: Arc::clone(&self.open_budget),
            alive: AtomicBool::new(true),
            owner_gone: AtomicBool::new(false),
        });
        self.batches.lock().push(Arc::clone(&batch));
        batch
    }

    fn batch_capacity(&self) -> usize {
        self.config.queue_capacity.clamp(1, local::BATCH)
    }

    fn empty_batch(&self) -> Vec<Entry> {
        self.spare.lock().pop().unwrap_or_else(|| Vec::with_capacity(self.batch_capacity()))
    }

    /// Counts a record lost before it reached a batch.
    pub(crate) fn count_lost(&self, is_span: bool) {
        let c = &self.counters;
        if is_span { &c.overwritten_spans } else { &c.overwritten_logs }.fetch_add(1, Relaxed);
    }

    fn hand_over(&self, batch: Vec<Entry>) {
        if let Some(lost) = self.full.force_push(batch) {
            for entry in &lost {
                let c = &self.counters;
                let counter = match entry {
                    Entry::Span(_) => &c.overwritten_spans,
                    Entry::Log(_) => &c.overwritten_logs,
                };
                counter.fetch_add(1, Relaxed);
            }
        }
        // A futex wake is a system call: only when the ingest thread sleeps
        // (it checks the queue after saying so, see `ingest_loop`).
        if self.sleeping.swap(false, SeqCst) {
            self.dozing.store(false, SeqCst);
            if let Some(t) = self.ingest.get() {
                t.unpark();
            }
        }
    }

    /// Wakes the dozing ingest thread (once: the first writer to see it).
    #[cold]
    fn wake(&self) {
        if self.dozing.swap(false, SeqCst) {
            self.sleeping.store(false, SeqCst);
            if let Some(t) = self.ingest.get() {
                t.unpark();
            }
        }
    }

    /// Says the ingest thread dozes; false (and it does not) when an entry
    /// was written meanwhile. A writer takes its batch's lock, writes, lets
    /// go, then reads `dozing`; here the flag is set first, then each batch
    /// is locked and looked at. So either this sees the entry, or that
    /// writer's read comes after the flag and wakes the thread.
    fn doze(&self) -> bool {
        self.dozing.store(true, SeqCst);
        let written = self.batches.lock().iter().any(|b| !b.entries.lock().is_empty());
        if written || !self.full.is_empty() {
            self.dozing.store(false, SeqCst);
            return false;
        }
        true
    }

    /// Takes every handed-over batch and every thread's partial batch, and
    /// files them. Returns the records evicted, to be dropped once the
    /// store's lock is released.
    #[must_use]
    fn drain_into(&self, store: &mut Store) -> Vec<ExportRecord> {
        let mut taken = Vec::new();
        while let Some(batch) = self.full.pop() {
            taken.push(batch);
        }
        // Small partial batches are moved out entry by entry into one
        // shared batch, so that their threads keep their vectors (no thread
        // regrows its batch after a drain).
        let mut small: Vec<Entry> = Vec::new();
        let mut batches = self.batches.lock();
        // A thread that has exited writes no more (looked at before the
        // drain: a thread may write and exit during it).
        let exited: Vec<bool> =
            batches.iter().map(|b| b.owner_gone.load(Relaxed) || Arc::strong_count(b) == 1).collect();
        for (batch, &exited) in batches.iter().zip(&exited) {
            // A thread holds its batch only while it writes one entry. A
            // thread preempted there for long, or draining from inside its
            // own write, is not waited for: its batch goes at the next drain.
            let Some(mut entries) = batch.entries.try_lock_for(Duration::from_millis(1)) else { continue };
            if exited {
                // Its memory goes now; only its open spans (still running
                // elsewhere) keep it listed.
                taken.push(std::mem::take(&mut *entries));
            } else if entries.len() >= self.batch_capacity() / 4 {
                // A busy thread: its batch is swapped for an empty one.
                let fresh = self.empty_batch();
                taken.push(std::mem::replace(&mut *entries, fresh));
            } else if !entries.is_empty() {
                // A quiet one: its few entries are moved, and it keeps its
                // vector, shrunk if it was sized for a busier time.
                if small.len() + entries.len() > self.batch_capacity() {
                    taken.push(std::mem::replace(&mut small, self.empty_batch()));
                }
                if small.capacity() == 0 {
                    small = self.empty_batch();
                }
                let len = entries.len();
                small.extend(entries.drain(..));
                if entries.capacity() > 4 * len.max(8) {
                    entries.shrink_to(2 * len.max(8));
                }
            }
        }
        if !small.is_empty() {
            taken.push(small);
        }
        self.drained.store(taken.iter().map(Vec::len).sum(), Relaxed);
        let mut exited = exited.into_iter();
        batches.retain(|b| !exited.next().unwrap_or(false) || !b.open.lock().is_empty());
        drop(batches);
        // Filing calls the exporter: whatever it does is not traced back
        // into this buffer (see `local::filing`).
        local::filing(|| store.ingest_all(&mut taken));
        let mut spare = self.spare.lock();
        for batch in taken.into_iter().rev() {
            if batch.capacity() >= self.batch_capacity() && spare.len() < self.spare_max {
                spare.push(batch);
            }
        }
        drop(spare);
        self.publish_tail(store);
        std::mem::take(&mut store.evicted)
    }

    /// Copies tail sampling's counters out for [`Buffer::tail_stats`], when
    /// they changed (the kept operations only when a trace was kept).
    fn publish_tail(&self, store: &Store) {
        let Some(tail) = store.tail.as_deref() else { return };
        let mut now = tail_counts(tail);
        let mut published = self.tail_published.lock();
        now.kept_by_operation = std::mem::take(&mut published.kept_by_operation);
        if now.kept() != published.kept() {
            now.kept_by_operation = tail.counters.kept_ops.iter().map(|(k, v)| (k.clone(), *v)).collect();
            now.kept_by_operation.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        }
        *published = now;
    }
}

/// Tail sampling's counters, without the kept operations.
fn tail_counts(tail: &TailState) -> TailStats {
    let c = &tail.counters;
    TailStats {
        enabled: true,
        watching: tail.tracker.watching() as u64,
        completed: c.completed,
        closed_by_max_age: c.closed_by_max_age,
        tracker_full: c.tracker_full,
        late_spans: c.late_spans,
        kept_by_reason: c.kept,
        over_cap: c.over_cap,
        spans_exported: c.spans_exported,
        kept_by_operation: Vec::new(),
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        for batch in self.batches.get_mut().iter() {
            batch.alive.store(false, Relaxed);
        }
        // A dozing ingest thread learns now that it has nothing left to do.
        if let Some(t) = self.ingest.get() {
            t.unpark();
        }
    }
}

/// Emptied batches kept for reuse beyond the queue's own capacity: as many
/// as can wait in the queue, plus this many, so that a thread handing a batch
/// over finds an empty one (at most ~4 MiB in all with the default queue).
const SPARE_BATCHES: usize = 8;

/// How long the ingest thread sleeps between rounds while there is work.
const ROUND: Duration = Duration::from_millis(10);
/// Idle rounds (nothing filed, no trace waiting to complete) before it dozes.
const DOZE_AFTER_ROUNDS: u32 = 10;
/// The longest doze, should a wake ever be missed.
const DOZE: Duration = Duration::from_secs(5);

fn ingest_loop(weak: Weak<Shared>) {
    // The ingest thread never traces itself.
    let _quiet = tracing::dispatcher::set_default(&tracing::Dispatch::none());
    let mut idle_rounds = 0u32;
    loop {
        crate::clock::tick_coarse();
        let Some(shared) = weak.upgrade() else { return };
        let (evicted, completed, idle) = {
            let mut store = shared.store.lock();
            let evicted = shared.drain_into(&mut store);
            let completed = local::filing(|| completion::complete_due(&mut store, crate::clock::coarse_millis()));
            shared.publish_tail(&store);
            // Read under the lock: a reader's drain would overwrite it.
            let filed = shared.drained.load(Relaxed);
            let waiting = store.tail.as_deref().is_some_and(|t| t.tracker.watching() > 0);
            (evicted, completed, filed == 0 && !waiting)
        };
        let idle = idle && completed.is_empty();
        idle_rounds = if idle { idle_rounds.saturating_add(1) } else { 0 };
        drop(evicted);
        if !completed.is_empty() {
            completion::run_listeners(&mut shared.listeners.lock(), &completed);
        }
        drop(completed);
        // Say it sleeps, then look once more: a batch handed over before
        // the flag was set is taken now; one handed over after it wakes us.
        let dozing = idle_rounds >= DOZE_AFTER_ROUNDS && shared.doze();
        shared.sleeping.store(true, SeqCst);
        if !shared.full.is_empty() {
            shared.sleeping.store(false, SeqCst);
            shared.dozing.store(false, SeqCst);
            continue;
        }
        drop(shared);
        std::thread::park_timeout(if dozing { DOZE } else { ROUND });
    }
}
