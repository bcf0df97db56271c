//! Open spans: a table per thread, read on demand.
//!
//! A span that starts takes a slot in its thread's table (a mutex that only
//! that thread takes, but for the span closing on another thread and for a
//! reader) and gives it back when it closes: starting a span hands nothing
//! to the ingest thread. A reader ([`super::Snapshot::open_spans`]) copies
//! each table in turn.
//!
//! Slots are reused through each table's free list; a table takes a new slot
//! from the buffer's budget of
//! [`BufferConfig::max_open_spans`](super::BufferConfig::max_open_spans)
//! (one shared atomic, touched only when a table grows), and gives its slots
//! back when its thread has exited and its spans have closed. A span that
//! finds no slot is counted (`open_spans_untracked`) and not shown.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use super::entry::OpenSpan;

/// One thread's open spans: slots, and the free ones to reuse.
#[derive(Default)]
pub(crate) struct OpenTable {
    slots: Vec<Option<OpenSpan>>,
    free: Vec<u32>,
}

impl OpenTable {
    /// Stores `open` in a free slot, or a new one taken from `budget`.
    pub(crate) fn insert(&mut self, open: OpenSpan, budget: &AtomicUsize) -> Option<u32> {
        if let Some(slot) = self.free.pop() {
            self.slots[slot as usize] = Some(open);
            return Some(slot);
        }
        let slot = u32::try_from(self.slots.len()).ok()?;
        budget.fetch_update(Relaxed, Relaxed, |left| left.checked_sub(1)).ok()?;
        self.slots.push(Some(open));
        Some(slot)
    }

    /// Slots taken from the budget.
    pub(crate) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Whether no span is open in this table.
    pub(crate) fn is_empty(&self) -> bool {
        self.free.len() == self.slots.len()
    }

    pub(crate) fn remove(&mut self, slot: u32) {
        if let Some(entry) = self.slots.get_mut(slot as usize) {
            if entry.take().is_some() {
                self.free.push(slot);
            }
        }
    }

    /// The open spans in this table.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &OpenSpan> {
        self.slots.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> OpenSpan {
        OpenSpan {
            trace_id: crate::ids::TraceId::random(),
            span_id: crate::ids::SpanId::random(),
            name: "s".into(),
            target: "t",
            start: crate::clock::Timestamp::now(),
        }
    }

    #[test]
    fn slots_are_reused_and_the_table_is_bounded() {
        let mut table = OpenTable::default();
        let budget = AtomicUsize::new(2);
        let a = table.insert(open(), &budget).unwrap();
        let _b = table.insert(open(), &budget).unwrap();
        assert!(table.insert(open(), &budget).is_none(), "the budget is spent");
        table.remove(a);
        assert_eq!(table.iter().count(), 1);
        assert_eq!(table.insert(open(), &budget), Some(a), "a freed slot is reused, within budget");
        assert_eq!(budget.load(Relaxed), 0);
        table.remove(a);
        table.remove(a);
        assert_eq!(table.free.len(), 1, "removing twice frees once");
    }
}
