//! What `/debug/sampling` and `/debug/api/sampling` show, gathered once:
//! per root operation, the decisions counted ([`SamplingStats`]), what the
//! sampler says of it ([`SamplerState`]: probability, target, lower bound,
//! history) and the traces tail sampling kept; the sampler-wide state (the
//! remote fetch); tail sampling's counters. And the JSON twin.
//!
//! An operation is a name the stats count (at most
//! [`MAX_ROOT_NAMES`](crate::sampling::MAX_ROOT_NAMES)) or one the sampler
//! reports (at most [`SamplerState::MAX_OPERATIONS`]); the busiest
//! `max_rows` of them are kept.

use std::collections::HashMap;
use std::time::SystemTime;

use serde_json::{Value as Json_, json};

use super::json::unix_seconds;
use crate::handle::Handle;
use crate::sampling::{OperationState, RecordingMode, RootDecisions, SamplerState, SamplingStats};
use crate::tail::{KeepReason, TailStats};

/// The reasons a trace is kept, in the order pages show them.
pub(crate) const KEEP_REASONS: [KeepReason; 4] =
    [KeepReason::Error, KeepReason::Slow, KeepReason::Rule, KeepReason::Slowest];

/// One root operation.
pub(crate) struct Row {
    pub(crate) decisions: RootDecisions,
    /// What the sampler reports of it, if it does.
    pub(crate) operation: Option<OperationState>,
    /// The probability a root of this name gets: the operation's, else the
    /// sampler's default, if it has one; none when it follows its caller.
    pub(crate) probability: Option<f64>,
    /// Every root of this name had a remote parent whose decision it took
    /// (`ParentBased`), and the sampler tracks no state of its own for it:
    /// its probability is its callers'.
    pub(crate) follows_caller: bool,
    pub(crate) tail_kept: u64,
}

impl Row {
    /// The probability at past moments, then now: what the chart draws.
    pub(crate) fn history(&self, now: SystemTime) -> Vec<(SystemTime, f64)> {
        let past = self.operation.iter().flat_map(|op| op.history.iter().copied());
        past.chain(self.probability.map(|p| (now, p))).collect()
    }
}

/// Everything both twins show.
pub(crate) struct SamplingView {
    pub(crate) stats: SamplingStats,
    pub(crate) state: SamplerState,
    /// The busiest operations, most decisions first.
    pub(crate) rows: Vec<Row>,
    /// Operations before the cut to `max_rows`.
    pub(crate) operations: usize,
    pub(crate) max_rows: usize,
    pub(crate) overflow: RootDecisions,
    pub(crate) total: RootDecisions,
    pub(crate) tail: TailStats,
    pub(crate) now: SystemTime,
}

impl SamplingView {
    pub(crate) fn collect(handle: &Handle, max_rows: usize) -> SamplingView {
        let stats = handle.sampling().clone();
        let state = stats.sampler_state(SamplerState::MAX_OPERATIONS);
        let tail = handle.tail();
        let kept: HashMap<&str, u64> = tail.kept_by_operation.iter().map(|(n, k)| (n.as_str(), *k)).collect();
        let mut rows: HashMap<String, Row> = HashMap::new();
        let row = |decisions: RootDecisions| {
            let follows_caller =
                state.follows_remote_parent && decisions.seen > 0 && decisions.remote_parent == decisions.seen;
            let probability = if follows_caller { None } else { state.probability };
            Row { decisions, operation: None, probability, follows_caller, tail_kept: 0 }
        };
        for r in stats.roots() {
            rows.insert(r.name.clone(), row(r));
        }
        for op in state.operations() {
            let entry = rows.entry(op.name.clone()).or_insert_with(|| row(RootDecisions::none(&op.name)));
            entry.probability = Some(op.probability);
            entry.follows_caller = false;
            entry.operation = Some(op.clone());
        }
        let mut rows: Vec<Row> = rows.into_values().collect();
        for r in &mut rows {
            r.tail_kept = kept.get(r.decisions.name.as_str()).copied().unwrap_or(0);
        }
        let operations = rows.len();
        rows.sort_by(|a, b| {
            b.decisions.seen.cmp(&a.decisions.seen).then_with(|| a.decisions.name.cmp(&b.decisions.name))
        });
        rows.truncate(max_rows);
        let overflow = stats.overflow();
        let mut total = overflow.clone();
        total.name = "(all)".to_owned();
        for r in stats.roots() {
            total.seen = total.seen.saturating_add(r.seen);
            total.sampled = total.sampled.saturating_add(r.sampled);
            total.forced = total.forced.saturating_add(r.forced);
        }
        SamplingView { stats, state, rows, operations, max_rows, overflow, total, tail, now: SystemTime::now() }
    }

    pub(crate) fn json(&self) -> Json_ {
        let mut rows: Vec<&Row> = self.rows.iter().collect();
        rows.sort_by(|a, b| a.decisions.name.cmp(&b.decisions.name));
        let roots: Vec<Json_> = rows.iter().map(|r| self.row_json(r)).collect();
        json!({
            "sampler": self.stats.description(),
            "recording_mode": mode_name(self.stats.recording_mode()),
            "max_names": self.stats.max_names(),
            "probability": self.state.probability,
            "roots": roots,
            "operations": self.operations,
            "max_operations": self.max_rows,
            "operations_omitted_by_sampler": self.state.omitted(),
            "overflow": counts_json(&self.overflow),
            "total": counts_json(&self.total),
            "forced": { "honoured": self.stats.forced(), "over_cap": self.stats.forced_over_cap() },
            "remote": self.remote_json(),
            "tail": tail_json(&self.tail),
        })
    }

    fn row_json(&self, r: &Row) -> Json_ {
        let d = &r.decisions;
        let op = r.operation.as_ref();
        let history: Vec<Json_> = r.history(self.now).into_iter().map(|(t, p)| json!([unix_seconds(t), p])).collect();
        json!({
            "name": d.name, "seen": d.seen, "sampled": d.sampled, "ratio": d.ratio(), "forced": d.forced,
            "rate_per_second": d.per_second(),
            "probability": r.probability,
            "follows_caller": r.follows_caller,
            "target_per_second": op.and_then(|o| o.target_per_second),
            "lower_bound_per_second": op.and_then(|o| o.lower_bound_per_second),
            "measured_per_second": op.and_then(|o| o.measured_per_second),
            "tail_kept": r.tail_kept,
            "history": history,
        })
    }

    #[cfg(feature = "remote-sampling")]
    fn remote_json(&self) -> Json_ {
        let Some(s) = &self.state.remote else { return Json_::Null };
        json!({
            "source": s.source, "strategy": s.strategy, "applied": s.applied,
            "fetches_ok": s.fetches_ok, "fetch_failures": s.fetch_failures,
            "last_fetch_unix_seconds": s.last_fetch.map(unix_seconds),
            "last_result": if s.last_result.is_ok() { "ok" } else { "error" },
            "last_error": s.last_result.as_ref().err(),
        })
    }

    #[cfg(not(feature = "remote-sampling"))]
    fn remote_json(&self) -> Json_ {
        Json_::Null
    }
}

pub(crate) fn mode_name(mode: RecordingMode) -> &'static str {
    match mode {
        RecordingMode::All => "all",
        RecordingMode::SampledOnly => "sampled_only",
    }
}

fn counts_json(d: &RootDecisions) -> Json_ {
    json!({ "seen": d.seen, "sampled": d.sampled, "ratio": d.ratio(), "forced": d.forced })
}

fn tail_json(t: &TailStats) -> Json_ {
    let kept: serde_json::Map<String, Json_> =
        KEEP_REASONS.iter().map(|&r| (r.as_str().to_owned(), json!(t.kept_for(r)))).collect();
    json!({
        "enabled": t.enabled, "watching": t.watching, "completed": t.completed,
        "closed_by_max_age": t.closed_by_max_age, "tracker_full": t.tracker_full, "late_spans": t.late_spans,
        "over_cap": t.over_cap, "spans_exported": t.spans_exported, "kept": kept,
    })
}
