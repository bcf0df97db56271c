//! The local adaptive sampler, `Adaptive`: simulated traffic of several
//! shapes on a manual clock (no sleeps), then real spans under `ParentBased`.
//!
//! Trace ids come from a low-discrepancy sequence (the golden ratio's Weyl
//! sequence in the 56 random bits), so that the trace id rule samples a
//! fraction `p` of each operation's roots almost exactly and the counts below
//! do not depend on luck.

use std::sync::Arc;
use std::time::Duration;

use lantern::TraceId;
use lantern::sampling::{
    Adaptive, DEFAULT_MAX_OPERATIONS, ManualClock, ParentBased, Sampler, SamplingDecision, SamplingParams,
    test_params_named,
};

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);

/// A sampler with a manual clock, fed roots step by step.
struct Sim {
    sampler: Adaptive,
    clock: ManualClock,
    /// The index of the last trace id.
    last_id: u64,
}

impl Sim {
    /// `Adaptive::new(target)` with an interval of one second, as `tune`
    /// configures it further.
    fn new(target: f64, tune: impl FnOnce(Adaptive) -> Adaptive) -> Self {
        let clock = ManualClock::new();
        let sampler = tune(Adaptive::new(target).with_interval(SECOND)).with_manual_clock(&clock);
        Sim { sampler, clock, last_id: 0 }
    }

    fn id(&mut self) -> TraceId {
        self.last_id += 1;
        let random = self.last_id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 8;
        TraceId::from_u128((1 << 64) | u128::from(random)).unwrap()
    }

    /// For `for_`, every `step`: advances the clock, then starts `n` roots of
    /// each `(name, n)` in `load`. How many of each were sampled.
    fn run(&mut self, load: &[(&str, usize)], step: Duration, for_: Duration) -> Vec<usize> {
        let mut sampled = vec![0; load.len()];
        for _ in 0..for_.as_nanos() / step.as_nanos() {
            self.clock.advance(step);
            for (k, &(name, n)) in load.iter().enumerate() {
                for _ in 0..n {
                    let id = self.id();
                    sampled[k] += usize::from(self.sampler.should_sample(&params(name, id)).is_sampled());
                }
            }
        }
        sampled
    }

    /// `per_second` roots of `name` (a multiple of 100) for `for_`, in steps of 10 ms.
    fn steady(&mut self, name: &str, per_second: usize, for_: Duration) -> usize {
        self.run(&[(name, per_second / 100)], 10 * MS, for_)[0]
    }

    fn p(&self, name: &str) -> f64 {
        self.sampler.probability(name)
    }
}

fn params(name: &str, id: TraceId) -> SamplingParams<'_> {
    test_params_named(name, id, lantern::sampling::test_metadata())
}

fn assert_near(actual: f64, expected: f64, what: &str) {
    let (lo, hi) = (expected * 0.9, expected * 1.1);
    assert!((lo..=hi).contains(&actual), "{what}: {actual}, expected {expected} ±10%");
}

#[test]
fn steady_traffic_is_sampled_at_the_target() {
    let mut sim = Sim::new(1.0, |s| s);
    assert_eq!(sim.sampler.description(), "Adaptive{target=1/s, operations=0}");
    // 2000 roots a second: the initial 0.001 samples two a second; the first
    // update halves it.
    sim.steady("GET /cart", 2000, 30 * SECOND);
    assert_near(sim.p("GET /cart"), 0.0005, "the probability");
    let kept = sim.steady("GET /cart", 2000, 60 * SECOND);
    assert_near(kept as f64, 60.0, "1 a second over 60 s");
    assert_eq!(sim.sampler.probabilities(), [("GET /cart".to_string(), sim.p("GET /cart"))]);
    assert_eq!(sim.sampler.description(), "Adaptive{target=1/s, operations=1}");
}

#[test]
fn a_tenfold_spike_is_cut_within_an_interval() {
    let mut sim = Sim::new(1.0, |s| s);
    sim.steady("GET /cart", 1000, 30 * SECOND);
    assert_near(sim.p("GET /cart"), 0.001, "before");
    // 10 000 a second: the first interval samples ten times the target, the
    // update cuts the probability tenfold at once.
    let first = sim.steady("GET /cart", 10_000, SECOND);
    assert!(first <= 12, "one interval at the old probability: {first}");
    sim.steady("GET /cart", 10_000, SECOND);
    assert_near(sim.p("GET /cart"), 0.0001, "after one update");
    let kept = sim.steady("GET /cart", 10_000, 30 * SECOND);
    assert_near(kept as f64, 30.0, "1 a second over 30 s of the spike");
}

#[test]
fn a_new_operation_gets_the_lower_bound_then_the_target() {
    // One trace every 5 s at least, for every operation.
    let mut sim = Sim::new(1.0, |s| s.with_lower_bound(0.2));
    sim.steady("GET /cart", 1000, 10 * SECOND);
    let busy = [("GET /cart", 10), ("POST /refund", 1)];
    // The new operation's first root: sampled by its full lower-bound bucket.
    let first = sim.run(&busy, 10 * MS, 10 * MS);
    assert_eq!(first[1], 1, "the first root of a new operation is sampled");
    assert_eq!(sim.p("POST /refund"), 0.001, "it starts at the initial probability");
    // 100 a second climbs from 0.001 to 0.01, +50% a step; meanwhile the
    // lower bound samples it at least once every 5 s.
    for window in 0..3 {
        let kept = sim.run(&busy, 10 * MS, 5 * SECOND);
        assert!(kept[1] >= 1, "window {window}: {kept:?}");
    }
    sim.run(&busy, 10 * MS, 10 * SECOND);
    assert_near(sim.p("POST /refund"), 0.01, "converged");
    let kept = sim.run(&busy, 10 * MS, 60 * SECOND);
    // The probability's 60 ±10%, and the lower bound may fill the longer
    // gaps between those: at most 13 more in 60 s (a token every 5 s, and
    // a burst of one).
    for (k, name) in ["the busy operation", "the new operation"].into_iter().enumerate() {
        assert!((54..=66 + 13).contains(&kept[k]), "{name}: 1 a second, {kept:?}");
    }
}

#[test]
fn past_the_cap_names_share_the_default_operation() {
    let mut sim = Sim::new(1.0, |s| s);
    let names: Vec<String> = (0..2500).map(|i| format!("op{i}")).collect();
    let load: Vec<(&str, usize)> = names.iter().map(|n| (n.as_str(), 1)).collect();
    // Each name 20 times a second: 0.001 climbs to 0.05 in ten steps.
    sim.run(&load, 50 * MS, 15 * SECOND);
    let probabilities = sim.sampler.probabilities();
    assert_eq!(probabilities.len(), DEFAULT_MAX_OPERATIONS);
    assert_eq!(sim.sampler.description(), "Adaptive{target=1/s, operations=2000}");
    for (name, p) in &probabilities {
        assert_near(*p, 0.05, name);
    }
    // The first 2000 names seen are tracked; the 500 others are one default
    // operation of 10 000 roots a second.
    assert!(probabilities.iter().all(|(n, _)| n.trim_start_matches("op").parse::<usize>().unwrap() < 2000));
    assert_near(sim.p("op2400"), 0.0001, "the shared default");
    assert_near(sim.p("never seen"), 0.0001, "also the default: the table is full");
    let kept = sim.run(&load, 50 * MS, 10 * SECOND);
    assert_near(kept[..2000].iter().sum::<usize>() as f64, 20_000.0, "the tracked operations, 1 a second each");
    // Ten expected of 100 000 roots: too few for ±10%, the probability above
    // is the precise check.
    let default = kept[2000..].iter().sum::<usize>();
    assert!((3..=20).contains(&default), "the default operation, about 1 a second: {default}");
}

#[test]
fn an_increase_is_damped_to_half_a_step() {
    let mut sim = Sim::new(1.0, |s| s);
    // Ends just after an update, so that the next interval is all new traffic.
    sim.steady("GET /cart", 1000, 10 * SECOND + 10 * MS);
    let mut p = sim.p("GET /cart");
    assert_near(p, 0.001, "before");
    // A tenfold drop: the wanted probability is 0.01 at once, but it climbs
    // +50% a step: 0.0015, 0.00225, ... and stops at 0.01.
    let mut steps = Vec::new();
    for _ in 0..10 {
        sim.steady("GET /cart", 100, SECOND);
        let next = sim.p("GET /cart");
        assert!(next <= p * 1.5 * (1.0 + 1e-9), "{p} -> {next}");
        steps.push(next);
        p = next;
    }
    assert_near(steps[0], 0.0015, "the first step");
    assert!(steps[4] < 0.01, "still climbing after five steps: {steps:?}");
    assert_near(p, 0.01, "settled");
    assert_near(sim.steady("GET /cart", 100, 30 * SECOND) as f64, 30.0, "1 a second again");
}

#[test]
fn the_per_service_ceiling_bounds_all_operations_together() {
    let mut sim = Sim::new(1.0, |s| s.with_max_total_per_second(2.0).with_initial_probability(1.0));
    let load = [("a", 10), ("b", 10), ("c", 10)];
    let kept = sim.run(&load, 10 * MS, 30 * SECOND);
    let total: usize = kept.iter().sum();
    assert!(total <= 62, "2 a second (+ a burst of 2): {kept:?}");
    assert!(total >= 54, "the ceiling is reached: {kept:?}");
}

/// Lets a test read the sampler it gave the subscriber.
struct Shared(Arc<Adaptive>);

impl Sampler for Shared {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        self.0.should_sample(params)
    }
    fn description(&self) -> String {
        self.0.description()
    }
}

#[test]
fn under_parent_based_real_roots_adapt_and_children_follow() {
    let clock = ManualClock::new();
    let adaptive = Arc::new(Adaptive::new(1.0).with_interval(SECOND).with_manual_clock(&clock));
    let sampler = ParentBased::new(Shared(adaptive.clone()));
    assert_eq!(sampler.description(), "ParentBased{root=Adaptive{target=1/s, operations=0}}");
    let guard = lantern::builder().sampler(sampler).try_init_local();
    let mut roots = Vec::new();
    for _ in 0..300 {
        clock.advance(10 * MS);
        roots.push(tracing::info_span!("root", otel.name = "job").in_scope(|| {
            let cx = lantern::context::current().span_context().unwrap().clone();
            let child = tracing::info_span!("child")
                .in_scope(|| lantern::context::current().span_context().unwrap().is_sampled());
            assert_eq!(child, cx.is_sampled(), "a child inherits its root's decision");
            (cx.trace_id(), cx.is_sampled())
        }));
    }
    assert!(roots[0].1, "the first root: the lower bound");
    // 100 roots a second against a target of 1: up from 0.001, +50% a step.
    let p = adaptive.probabilities();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].0, "job");
    assert!((p[0].1 - 0.001 * 1.5 * 1.5).abs() < 1e-12, "two updates: {p:?}");
    let snap = guard.buffer().snapshot();
    for &(trace_id, sampled) in &roots {
        let trace = snap.trace(trace_id).expect("recorded");
        assert!(trace.spans.iter().all(|s| s.is_sampled() == sampled));
    }
    let job = guard.handle().sampling().roots().into_iter().find(|r| r.name == "job").unwrap();
    assert_eq!(job.seen, 300);
    assert_eq!(job.sampled as usize, roots.iter().filter(|r| r.1).count());
}
