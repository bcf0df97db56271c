use std::borrow::Cow;
use std::collections::HashSet;
use std::thread::sleep;
use std::time::Instant;

use super::*;
use crate::buffer::{BufferConfig, Trace};
use crate::builder::{Guard, builder};
use crate::ids::TraceId;

/// The ids of the spans on the critical path of `trace` (see the
/// [module docs](super)); empty for an empty trace.
fn critical_path(trace: &Trace) -> HashSet<SpanId> {
    waterfall(trace, 0).critical_path.into_iter().collect()
}

fn lantern() -> Guard {
    builder().http_addr(None).try_init_local()
}

fn big_lantern() -> Guard {
    let buffer = BufferConfig {
        max_spans_per_trace: 100_000,
        max_bytes: 512 << 20,
        queue_capacity: 1 << 20,
        max_open_spans: 200_000,
        ..Default::default()
    };
    builder().http_addr(None).buffer(buffer).try_init_local()
}

fn only_trace(guard: &Guard) -> Trace {
    let snap = guard.buffer().snapshot();
    let traces = snap.traces(&Default::default());
    assert_eq!(traces.len(), 1, "{traces:?}");
    snap.trace(traces[0].trace_id).unwrap()
}

fn ms(n: u64) {
    sleep(Duration::from_millis(n));
}

/// Names of the critical spans, sorted.
fn critical_names(trace: &Trace) -> Vec<String> {
    let ids = critical_path(trace);
    let mut names: Vec<String> =
        trace.spans.iter().filter(|s| ids.contains(&s.span_id)).map(|s| s.name.to_string()).collect();
    names.sort();
    names
}

fn rows(w: &Waterfall) -> Vec<(&str, usize)> {
    w.rows.iter().map(|r| (&*r.span.name, r.depth)).collect()
}

#[test]
fn critical_path_follows_last_finishing_children() {
    let guard = lantern();
    {
        let root = tracing::info_span!("root");
        let _r = root.enter();
        let a = tracing::info_span!(parent: &root, "A"); // 0..10
        ms(2);
        let c = tracing::info_span!(parent: &root, "C"); // 2..4
        ms(2);
        drop(c);
        ms(1);
        let b = tracing::info_span!(parent: &root, "B"); // 5..30
        ms(5);
        drop(a);
        let b1 = tracing::info_span!(parent: &b, "B1"); // 10..25
        ms(15);
        drop(b1);
        ms(5);
        drop(b);
    }
    let t = only_trace(&guard);
    // B finished last; inside it B1. Back in root, A ended after B
    // started, but C ended before: C is next.
    assert_eq!(critical_names(&t), ["B", "B1", "C", "root"]);
    let w = waterfall(&t, 100);
    let critical: Vec<&str> = w.rows.iter().filter(|r| r.critical).map(|r| &*r.span.name).collect();
    assert_eq!(critical, ["root", "C", "B", "B1"]);
}

#[test]
fn critical_path_takes_sibling_ending_before_chosen_child_starts() {
    let guard = lantern();
    {
        let root = tracing::info_span!("root");
        let a = tracing::info_span!(parent: &root, "A"); // 0..10
        ms(2);
        let c = tracing::info_span!(parent: &root, "C"); // 2..4
        ms(2);
        drop(c);
        ms(6);
        drop(a);
        ms(1);
        let b = tracing::info_span!(parent: &root, "B"); // 11..30
        let b1 = tracing::info_span!(parent: &b, "B1");
        ms(5);
        drop(b1);
        ms(2);
        drop(b);
    }
    let t = only_trace(&guard);
    // A ends before B starts, so it is on the path; C ended after A
    // started, so it is not.
    assert_eq!(critical_names(&t), ["A", "B", "B1", "root"]);
}

#[test]
fn rows_are_depth_first_by_start() {
    let guard = lantern();
    {
        let root = tracing::info_span!("root");
        let _r = root.enter();
        ms(1);
        {
            let _a = tracing::info_span!("a").entered();
            tracing::info_span!("a1").in_scope(|| ms(1));
            let _a2 = tracing::info_span!("a2").entered();
            tracing::info_span!("a2x").in_scope(|| ms(1));
        }
        {
            let _b = tracing::info_span!("b").entered();
            tracing::info_span!("b1").in_scope(|| ms(1));
        }
    }
    let t = only_trace(&guard);
    let w = waterfall(&t, 100);
    assert_eq!(rows(&w), [("root", 0), ("a", 1), ("a1", 2), ("a2", 2), ("a2x", 3), ("b", 1), ("b1", 2)]);
    assert_eq!(w.omitted, 0);
    assert_eq!(w.rows[0].offset, Duration::ZERO);
    assert_eq!(w.rows[0].duration, w.rows[0].span.duration());
    assert!(w.total >= w.rows[0].duration);
    assert!(w.rows[1].offset >= Duration::from_millis(1));
    assert!(w.rows[5].offset > w.rows[1].offset);
    assert!(w.rows.iter().all(|r| !r.orphan && !r.remote_parent && !r.error));
}

#[test]
fn max_rows_truncates_and_counts_the_rest() {
    let guard = lantern();
    tracing::info_span!("root").in_scope(|| {
        for _ in 0..5 {
            tracing::info_span!("child").in_scope(|| tracing::info_span!("grandchild").in_scope(|| {}));
        }
    });
    let t = only_trace(&guard);
    let w = waterfall(&t, 4);
    assert_eq!(rows(&w), [("root", 0), ("child", 1), ("grandchild", 2), ("child", 1)]);
    assert_eq!(w.omitted, 7);
    assert_eq!(waterfall(&t, 11).omitted, 0);
    assert_eq!(waterfall(&t, 1000).rows.len(), 11);
    let none = waterfall(&t, 0);
    assert!(none.rows.is_empty());
    assert_eq!(none.omitted, 11);
    assert_eq!(none.total, waterfall(&t, 1).total);
}

#[test]
fn remote_parent_is_a_root() {
    let guard = lantern();
    let mut headers = http::HeaderMap::new();
    headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
    crate::propagation::extract(&headers)
        .child_span(|| tracing::info_span!("server"))
        .in_scope(|| tracing::info_span!("handler").in_scope(|| ms(1)));
    let t = only_trace(&guard);
    assert_eq!(t.trace_id, TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap());
    let w = waterfall(&t, 100);
    assert_eq!(rows(&w), [("server", 0), ("handler", 1)]);
    assert!(w.rows[0].remote_parent && !w.rows[0].orphan);
    assert!(!w.rows[1].remote_parent);
    assert!(w.rows.iter().all(|r| r.critical));
}

#[test]
fn a_remote_parent_held_in_the_trace_nests_and_carries_the_critical_path() {
    let guard = lantern();
    tracing::info_span!("GET /dispatch").in_scope(|| {
        let mut headers = http::HeaderMap::new();
        let client = tracing::info_span!("GET /customer", otel.kind = "client");
        client.in_scope(|| crate::propagation::inject_current(&mut headers));
        let _client = client.enter();
        crate::propagation::extract(&headers)
            .child_span(|| tracing::info_span!("server GET /customer", service.name = "customer"))
            .in_scope(|| tracing::info_span!("SQL SELECT").in_scope(|| ms(2)));
    });
    let t = only_trace(&guard);
    let w = waterfall(&t, 100);
    assert_eq!(rows(&w), [("GET /dispatch", 0), ("GET /customer", 1), ("server GET /customer", 2), ("SQL SELECT", 3)]);
    assert!(w.rows[2].remote_parent && !w.rows[2].orphan);
    assert!(w.rows.iter().all(|r| r.critical), "the path runs through the server into the query");
}

#[test]
fn error_span_is_flagged() {
    let guard = lantern();
    tracing::info_span!("root").in_scope(|| {
        tracing::info_span!("x", error = "boom").in_scope(|| {});
        tracing::info_span!("y").in_scope(|| {});
    });
    let t = only_trace(&guard);
    let w = waterfall(&t, 100);
    let errors: Vec<(&str, bool)> = w.rows.iter().map(|r| (&*r.span.name, r.error)).collect();
    assert_eq!(errors, [("root", false), ("x", true), ("y", false)]);
}

#[test]
fn empty_trace() {
    let t = Trace { trace_id: TraceId::random(), spans: Vec::new(), dropped_spans: 0 };
    let w = waterfall(&t, 10);
    assert!(w.rows.is_empty());
    assert_eq!((w.total, w.omitted), (Duration::ZERO, 0));
    assert!(critical_path(&t).is_empty());
}

// Synthetic traces: records cloned from a real one, with ids, parents
// and times rearranged.

/// `n` increasing timestamps.
fn ticks(n: usize) -> Vec<Timestamp> {
    (0..n)
        .map(|_| {
            sleep(Duration::from_micros(100));
            Timestamp::now()
        })
        .collect()
}

/// Spans `(name, id, parent id, start tick, end tick)`.
fn synthetic(spans: &[(&'static str, u64, Option<u64>, usize, usize)]) -> Trace {
    let guard = lantern();
    tracing::info_span!("template").in_scope(|| {});
    let template = only_trace(&guard).spans[0].clone();
    let t = ticks(spans.iter().map(|s| s.4.max(s.3)).max().unwrap_or(0) + 1);
    let mut records: Vec<Arc<SpanRecord>> = spans
        .iter()
        .map(|&(name, id, parent, start, end)| {
            let mut r = (*template).clone();
            r.name = Cow::Borrowed(name);
            r.span_id = SpanId::from_u64(id).unwrap();
            r.parent_span_id = parent.map(|p| SpanId::from_u64(p).unwrap());
            r.start = t[start];
            r.end = t[end];
            Arc::new(r)
        })
        .collect();
    records.sort_by_key(|r| r.start);
    Trace { trace_id: template.trace_id, spans: records, dropped_spans: 0 }
}

#[test]
fn child_ending_after_its_parent_is_clamped() {
    let t = synthetic(&[("root", 1, None, 0, 10), ("Y", 2, Some(1), 1, 9), ("X", 3, Some(1), 2, 15)]);
    // X, clamped to end at 10, finished last; Y ended after X started.
    assert_eq!(critical_names(&t), ["X", "root"]);
}

#[test]
fn child_outside_its_parent_is_not_critical() {
    let t = synthetic(&[("root", 1, None, 0, 10), ("W", 2, Some(1), 1, 9), ("Z", 3, Some(1), 12, 14)]);
    assert_eq!(critical_names(&t), ["W", "root"]);
    let w = waterfall(&t, 10);
    assert_eq!(rows(&w), [("root", 0), ("W", 1), ("Z", 1)]);
    assert_eq!(w.total, t.spans[2].end.saturating_duration_since(t.spans[0].start));
}

#[test]
fn equal_ends_take_the_later_start() {
    let t = synthetic(&[("root", 1, None, 0, 10), ("P", 2, Some(1), 1, 8), ("Q", 3, Some(1), 3, 8)]);
    assert_eq!(critical_names(&t), ["Q", "root"]);
}

#[test]
fn sequential_children_are_all_critical() {
    let t = synthetic(&[
        ("root", 1, None, 0, 10),
        ("a", 2, Some(1), 1, 3),
        ("b", 3, Some(1), 3, 5),
        ("short", 4, Some(1), 4, 4),
        ("c", 5, Some(1), 6, 9),
        ("c1", 6, Some(5), 6, 7),
        ("c2", 7, Some(5), 7, 8),
    ]);
    // `short` (zero length) ended after b started: not on the path.
    assert_eq!(critical_names(&t), ["a", "b", "c", "c1", "c2", "root"]);
}

#[test]
fn orphans_are_top_level() {
    let t = synthetic(&[("o1", 2, Some(99), 0, 5), ("o1a", 3, Some(2), 1, 4), ("o2", 4, Some(98), 2, 8)]);
    let w = waterfall(&t, 10);
    assert_eq!(rows(&w), [("o1", 0), ("o1a", 1), ("o2", 0)]);
    let orphans: Vec<bool> = w.rows.iter().map(|r| r.orphan).collect();
    assert_eq!(orphans, [true, false, true]);
    // No root: the path starts at the earliest span.
    assert_eq!(critical_names(&t), ["o1", "o1a"]);
}

#[test]
fn parent_cycles_terminate_and_show_every_span_once() {
    let t = synthetic(&[
        ("root", 1, None, 0, 20),
        ("child", 7, Some(1), 1, 2),
        ("under_cycle", 5, Some(3), 2, 3),
        ("cycle_a", 3, Some(4), 3, 9),
        ("cycle_b", 4, Some(3), 4, 8),
        ("self", 6, Some(6), 5, 6),
    ]);
    let w = waterfall(&t, 100);
    assert_eq!(rows(&w), [("root", 0), ("child", 1), ("cycle_a", 0), ("under_cycle", 1), ("cycle_b", 1), ("self", 0)]);
    assert_eq!(critical_names(&t), ["child", "root"]);

    // Only a cycle: the path starts at the earliest span and stops.
    let t = synthetic(&[("a", 1, Some(2), 0, 10), ("b", 2, Some(1), 1, 9)]);
    assert_eq!(critical_names(&t), ["a", "b"]);
    assert_eq!(rows(&waterfall(&t, 10)), [("a", 0), ("b", 1)]);
}

#[test]
fn duplicate_ids_still_give_one_row_per_span() {
    let t = synthetic(&[("root", 1, None, 0, 10), ("a", 2, Some(1), 1, 5), ("dup", 2, Some(1), 6, 9)]);
    let w = waterfall(&t, 10);
    assert_eq!(rows(&w), [("root", 0), ("a", 1), ("dup", 1)]);
}

#[test]
fn flat_trace_of_50_000_spans() {
    let guard = big_lantern();
    tracing::info_span!("root").in_scope(|| {
        for _ in 0..50_000 {
            tracing::info_span!("s").in_scope(|| {});
        }
    });
    let t = only_trace(&guard);
    assert_eq!(t.spans.len(), 50_001);
    let started = Instant::now();
    let w = waterfall(&t, 1000);
    let path = critical_path(&t);
    eprintln!("waterfall + critical path of 50 001 flat spans: {:?}", started.elapsed());
    assert_eq!(w.rows.len(), 1000);
    assert_eq!(w.omitted, 49_001);
    assert!(w.rows[1..].iter().all(|r| r.depth == 1));
    assert!(w.rows.windows(2).skip(1).all(|p| p[0].offset <= p[1].offset));
    // Sequential children: each ended no later than the next started, so
    // every one is on the path.
    assert_eq!(path.len(), 50_001);
    assert!(w.rows.iter().all(|r| r.critical));
}

#[test]
fn chain_of_20_000_spans() {
    let guard = big_lantern();
    {
        let mut chain = vec![tracing::info_span!("s")];
        for _ in 0..20_000 {
            let next = tracing::info_span!(parent: chain.last().unwrap(), "s");
            chain.push(next);
        }
        // Deepest first, so each close is shallow.
        while let Some(span) = chain.pop() {
            drop(span);
        }
    }
    let t = only_trace(&guard);
    assert_eq!(t.spans.len(), 20_001);
    let started = Instant::now();
    let w = waterfall(&t, usize::MAX);
    let path = critical_path(&t);
    eprintln!("waterfall + critical path of a 20 001-deep chain: {:?}", started.elapsed());
    assert_eq!(w.rows.len(), 20_001);
    assert_eq!(w.omitted, 0);
    assert!(w.rows.iter().enumerate().all(|(i, r)| r.depth == i && r.critical));
    assert_eq!(path.len(), 20_001);
}
