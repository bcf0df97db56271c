//! The detectors on hand-made traces: records cloned from a real one, with
//! names, ids, parents, times and statuses rearranged.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use crate::buffer::Trace;
use crate::clock::Timestamp;
use crate::ids::SpanId;
use crate::insights::patterns::{Finding, PatternConfig, PatternKind};
use crate::insights::patterns_find::find_patterns;
use crate::record::{SpanRecord, Status};

/// A span: name, id, parent id, start and end in ms.
type S = (&'static str, u64, Option<u64>, u64, u64);

fn template() -> SpanRecord {
    let guard = crate::builder::builder().http_addr(None).try_init_local();
    tracing::info_span!("template").in_scope(|| {});
    let snap = guard.buffer().snapshot();
    (*snap.spans_named("template", 1)[0]).clone()
}

fn trace_of(spans: &[S], failing: &[u64]) -> Trace {
    let template = template();
    let base = template.start;
    let at = |us: u64| base.later(Duration::from_micros(us));
    let records = spans
        .iter()
        .map(|&(name, id, parent, start, end)| {
            let mut r = template.clone();
            r.name = Cow::Borrowed(name);
            r.span_id = SpanId::from_u64(id).unwrap();
            r.parent_span_id = parent.map(|p| SpanId::from_u64(p).unwrap());
            (r.start, r.end) = (at(start * 1000), at(end * 1000));
            if failing.contains(&id) {
                r.status = Status::Error(Some("boom".into()));
            }
            Arc::new(r)
        })
        .collect();
    Trace { trace_id: template.trace_id, spans: records, dropped_spans: 0 }
}

fn found(spans: &[S], failing: &[u64], kind: PatternKind) -> Vec<Finding> {
    find_patterns(&trace_of(spans, failing), &PatternConfig::default()).into_iter().filter(|f| f.kind == kind).collect()
}

fn ids(f: &Finding) -> Vec<u64> {
    f.spans.iter().map(|s| u64::from_str_radix(&s.to_string(), 16).unwrap()).collect()
}

#[test]
fn errors_start_at_the_deepest_failing_span() {
    let spans = [("root", 1, None, 0, 10), ("a", 2, Some(1), 1, 9), ("b", 3, Some(2), 2, 8), ("c", 4, Some(1), 1, 2)];
    let f = found(&spans, &[1, 2, 3], PatternKind::ErrorSource);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(ids(&f[0]), [3]);
    assert!(f[0].message.contains("\"b\" failed (boom)") && f[0].message.contains("2 failing ancestors"), "{f:?}");
    // A failing parent whose children succeed is a source itself.
    let f = found(&spans, &[2], PatternKind::ErrorSource);
    assert_eq!(f.iter().map(ids).collect::<Vec<_>>(), [[2]]);
    assert!(found(&spans, &[], PatternKind::ErrorSource).is_empty());
}

#[test]
fn the_longest_self_time_on_the_critical_path() {
    let spans =
        [("root", 1, None, 0, 10), ("a", 2, Some(1), 0, 2), ("b", 3, Some(2), 0, 1), ("slow", 4, Some(1), 2, 9)];
    let f = found(&spans, &[], PatternKind::LongestSelfTime);
    assert_eq!(f.iter().map(ids).collect::<Vec<_>>(), [[4]]);
    assert_eq!(f[0].time, Duration::from_millis(7));
    assert!(f[0].message.contains("7.0 ms of 10.0 ms (70%)"), "{}", f[0].message);
    // Eight equal steps: none stands out.
    let even: Vec<S> = std::iter::once(("root", 1, None, 0, 16))
        .chain((0..8).map(|k| (["a", "b", "c", "d", "e", "f", "g", "h"][k as usize], k + 2, Some(1), 2 * k, 2 * k + 2)))
        .collect();
    assert!(found(&even, &[], PatternKind::LongestSelfTime).is_empty());
}

#[test]
fn missing_details_is_the_largest_uncovered_gap() {
    let spans = [("root", 1, None, 0, 20), ("a", 2, Some(1), 0, 2), ("b", 3, Some(1), 12, 14)];
    let f = found(&spans, &[], PatternKind::MissingDetails);
    assert_eq!(f.iter().map(ids).collect::<Vec<_>>(), [[1]]);
    assert_eq!(f[0].time, Duration::from_millis(10));
    assert!(f[0].message.contains("from 2.0 ms into it"), "{}", f[0].message);
    // Covered well enough: gaps of 30%.
    let spans = [("root", 1, None, 0, 20), ("a", 2, Some(1), 0, 7), ("b", 3, Some(1), 13, 20)];
    assert!(found(&spans, &[], PatternKind::MissingDetails).is_empty());
    // A leaf is opaque, not missing details.
    assert!(found(&[("root", 1, None, 0, 20)], &[], PatternKind::MissingDetails).is_empty());
}

#[test]
fn staircases_are_same_named_siblings_back_to_back() {
    let spans = [
        ("root", 1, None, 0, 10),
        ("find", 2, Some(1), 0, 1),
        ("get", 3, Some(1), 1, 3),
        ("get", 4, Some(1), 3, 5),
        ("get", 5, Some(1), 5, 7),
        ("other", 6, Some(1), 0, 10),
    ];
    let f = found(&spans, &[], PatternKind::Staircase);
    assert_eq!(f.iter().map(ids).collect::<Vec<_>>(), [[3, 4, 5]]);
    assert_eq!(f[0].time, Duration::from_millis(6));
    assert!(f[0].message.starts_with("3 \"get\" spans under \"root\""), "{}", f[0].message);
    // In parallel, different names, or far apart: no staircase.
    for spans in [
        [("root", 1, None, 0, 10), ("get", 2, Some(1), 1, 3), ("get", 3, Some(1), 2, 5), ("get", 4, Some(1), 4, 7)],
        [("root", 1, None, 0, 10), ("a", 2, Some(1), 1, 3), ("b", 3, Some(1), 3, 5), ("c", 4, Some(1), 5, 7)],
        [("root", 1, None, 0, 10), ("get", 2, Some(1), 0, 1), ("get", 3, Some(1), 4, 5), ("get", 4, Some(1), 8, 9)],
    ] {
        assert!(found(&spans, &[], PatternKind::Staircase).is_empty(), "{spans:?}");
    }
}

#[test]
fn simultaneous_finishes_skip_parents_that_end_with_their_child() {
    let spans = [
        ("root", 1, None, 0, 20),
        ("w1", 2, Some(1), 1, 10),
        ("w2", 3, Some(1), 4, 10),
        ("w3", 4, Some(1), 7, 10),
        ("lock", 5, Some(4), 8, 10),
    ];
    let f = found(&spans, &[], PatternKind::SimultaneousFinish);
    // w3 ended with its child `lock`, which speaks for it.
    assert_eq!(f.iter().map(ids).collect::<Vec<_>>(), [[2, 3, 5]]);
    // A chain ends together, but each parent only waited for its child.
    let chain = [("root", 1, None, 0, 10), ("a", 2, Some(1), 1, 10), ("b", 3, Some(2), 2, 10)];
    assert!(found(&chain, &[], PatternKind::SimultaneousFinish).is_empty());
    // Started together and ended together: parallel work, not a lock.
    let same = [("root", 1, None, 0, 20), ("a", 2, Some(1), 1, 10), ("b", 3, Some(1), 1, 10), ("c", 4, Some(1), 1, 10)];
    assert!(found(&same, &[], PatternKind::SimultaneousFinish).is_empty());
}

#[test]
fn malformed_traces_are_analysed_without_panic() {
    let spans = [
        ("root", 1, None, 0, 20),
        ("cycle_a", 3, Some(4), 3, 9),
        ("cycle_b", 4, Some(3), 4, 8),
        ("self", 6, Some(6), 5, 6),
        ("dup", 7, Some(1), 1, 2),
        ("dup", 7, Some(1), 2, 3),
        ("dup", 7, Some(7), 3, 4),
        ("backwards", 8, Some(1), 15, 10),
        ("orphan", 9, Some(99), 2, 30),
    ];
    let f = find_patterns(&trace_of(&spans, &[3, 4, 6]), &PatternConfig::default());
    // The cycle's two spans each have a failing child: neither is where
    // the error starts; the self-parented span is its own failing child.
    assert!(f.iter().all(|f| f.kind != PatternKind::ErrorSource), "{f:?}");
    assert!(find_patterns(&trace_of(&[], &[]), &PatternConfig::default()).is_empty());
}

#[test]
fn findings_are_bounded() {
    // 1000 error sources, and a staircase of 999 steps.
    let mut spans: Vec<S> = vec![("root", 1, None, 0, 5000)];
    spans.extend((0..999).map(|k| ("step", k + 2, Some(1), 5 * k, 5 * k + 5)));
    let failing: Vec<u64> = (2..1001).collect();
    let config = PatternConfig { max_per_kind: 3, max_spans_per_finding: 10, ..Default::default() };
    let f = find_patterns(&trace_of(&spans, &failing), &config);
    assert_eq!(f.iter().filter(|f| f.kind == PatternKind::ErrorSource).count(), 3);
    let stairs: Vec<_> = f.iter().filter(|f| f.kind == PatternKind::Staircase).collect();
    assert_eq!(stairs.len(), 1);
    assert_eq!(stairs[0].spans.len(), 10);
    assert!(stairs[0].message.starts_with("999 \"step\""), "{}", stairs[0].message);
    let few = find_patterns(&trace_of(&spans, &failing), &PatternConfig { max_findings: 2, ..config });
    assert_eq!(few.len(), 2);
}

#[test]
fn a_trace_of_100_000_spans() {
    let template = template();
    let base: Timestamp = template.start;
    let mut spans = Vec::with_capacity(100_000);
    for k in 0..100_000u64 {
        let mut r = template.clone();
        r.span_id = SpanId::from_u64(k + 1).unwrap();
        // A root, then 1000 batches of a parent and 99 sequential items.
        let batch = k.saturating_sub(1) / 100 * 100 + 1;
        r.parent_span_id = match k {
            0 => None,
            k if k == batch => Some(SpanId::from_u64(1).unwrap()),
            _ => Some(SpanId::from_u64(batch + 1).unwrap()),
        };
        r.name = Cow::Borrowed(if k == batch { "batch" } else { "item" });
        let (start, end) = match k {
            0 => (0, 100_000),
            k if k == batch => (k, k + 99),
            k => (k - 1, k),
        };
        (r.start, r.end) = (base.later(Duration::from_micros(start * 20)), base.later(Duration::from_micros(end * 20)));
        if k % 7 == 0 {
            r.status = Status::Error(None);
        }
        spans.push(Arc::new(r));
    }
    let trace = Trace { trace_id: template.trace_id, spans, dropped_spans: 0 };
    let started = std::time::Instant::now();
    let f = find_patterns(&trace, &PatternConfig::default());
    eprintln!("patterns of a 100 000-span trace: {:?}", started.elapsed());
    let config = PatternConfig::default();
    assert!(!f.is_empty() && f.len() <= config.max_findings);
    assert!(f.iter().all(|f| f.spans.len() <= config.max_spans_per_finding));
    assert!(f.iter().any(|f| f.kind == PatternKind::Staircase), "{f:?}");
    for kind in PatternKind::ALL {
        assert!(f.iter().filter(|f| f.kind == kind).count() <= config.max_per_kind);
    }
}
