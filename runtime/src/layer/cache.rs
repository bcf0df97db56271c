//! Per-thread caches that save registry lookups on the hot path.
//!
//! A registry lookup (sharded slab get plus an extensions lock) is the most
//! expensive thing a layer does per span. Two patterns repeat constantly:
//!
//! - many children are created under the same parent, on the same thread:
//!   [`ParentCache`] keeps the context a child inherits from its last few
//!   parents, keyed by the parent's registry id;
//! - in `SampledOnly` mode an unsampled span is created and closed on the same
//!   thread: [`StatelessIds`] remembers that it has no state, so closing it
//!   needs no lookup.
//!
//! Entries are keyed by the layer and the registry id: two subscribers hand
//! out the same ids. Registry ids carry a generation, so an id is never
//! reused for another span while an entry could still be looked up. A global epoch, bumped whenever a
//! span's inheritable state changes (baggage set on an open span), makes
//! older cache entries misses.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use tracing::span::Id;

use super::state::{Inherited, Parent};

static EPOCH: AtomicU64 = AtomicU64::new(0);

/// Invalidates every thread's cached parents.
pub(crate) fn invalidate() {
    EPOCH.fetch_add(1, Relaxed);
}

const PARENTS: usize = 4;
const STATELESS: usize = 16;

struct Cached {
    layer: u64,
    id: u64,
    epoch: u64,
    /// `None`: the parent keeps no state (a non-recording trace).
    inherited: Option<Inherited>,
}

#[derive(Default)]
pub(crate) struct ParentCache {
    entries: [Option<Cached>; PARENTS],
    next: usize,
}

#[derive(Default)]
pub(crate) struct StatelessIds {
    ids: [(u64, u64); STATELESS],
    next: usize,
}

thread_local! {
    static PARENT_CACHE: RefCell<ParentCache> = RefCell::new(ParentCache::default());
    static STATELESS_IDS: RefCell<StatelessIds> = RefCell::new(StatelessIds::default());
}

/// The cached context for children of `parent`, if fresh.
pub(crate) fn cached_parent(layer: u64, parent: &Id) -> Option<Parent> {
    let epoch = EPOCH.load(Relaxed);
    PARENT_CACHE
        .try_with(|c| {
            let c = c.try_borrow().ok()?;
            let hit = c
                .entries
                .iter()
                .flatten()
                .find(|e| e.layer == layer && e.id == parent.into_u64() && e.epoch == epoch)?;
            Some(match &hit.inherited {
                Some(i) => Parent::Local(i.clone()),
                None => Parent::Stateless,
            })
        })
        .ok()
        .flatten()
}

/// Remembers what children of `parent` inherit.
pub(crate) fn remember_parent(layer: u64, parent: &Id, found: &Parent) {
    let inherited = match found {
        Parent::Local(i) => Some(i.clone()),
        Parent::Stateless => None,
        Parent::None => return,
    };
    let epoch = EPOCH.load(Relaxed);
    let _ = PARENT_CACHE.try_with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            let slot = c.next;
            c.entries[slot] = Some(Cached { layer, id: parent.into_u64(), epoch, inherited });
            c.next = (slot + 1) % PARENTS;
        }
    });
}

/// Notes that span `id` keeps no state.
pub(crate) fn remember_stateless(layer: u64, id: &Id) {
    let _ = STATELESS_IDS.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            let slot = s.next;
            s.ids[slot] = (layer, id.into_u64());
            s.next = (slot + 1) % STATELESS;
        }
    });
}

/// Whether span `id` is known to keep no state; forgets it.
pub(crate) fn take_stateless(layer: u64, id: &Id) -> bool {
    STATELESS_IDS
        .try_with(|s| {
            let Ok(mut s) = s.try_borrow_mut() else { return false };
            match s.ids.iter().position(|x| *x == (layer, id.into_u64())) {
                Some(pos) => {
                    s.ids[pos] = (0, 0);
                    true
                }
                None => false,
            }
        })
        .unwrap_or(false)
}
