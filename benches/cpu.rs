//! CPU per record, all threads counted: the application thread's CPU time
//! and the whole process's (the application thread plus Lantern's ingest
//! thread, or the OpenTelemetry batch thread), per operation, after a
//! warm-up that fills Lantern's ring so that it evicts.
//!
//! The criterion benches time the application thread only; work handed to
//! another thread is free there but not on a loaded 2-core machine. This
//! prints both, and what each subscriber kept.
//!
//! `cargo bench -p lantern-benches --bench cpu` (2 million operations a
//! case; `LANTERN_OPS=N` sets it). Under `cargo test` it runs 20 000.

use std::time::Instant;

use lantern_benches as setup;
use tracing::Dispatch;

/// CPU time of `clock`, in ns.
fn cpu_ns(clock: libc::clockid_t) -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock ids are the
    // process and thread CPU clocks, which Linux always has.
    #[allow(unsafe_code)]
    unsafe {
        libc::clock_gettime(clock, &mut ts)
    };
    ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
}

/// `n` child spans with two fields, a fresh parent every 1000.
fn spans(n: u64) {
    setup::fresh_parents(
        n,
        1000,
        || tracing::info_span!("parent").entered(),
        || drop(tracing::info_span!("child", a = 1_u64, b = "x").entered()),
    );
}

/// `n` events with a field and a formatted message, a fresh span every 100.
fn events(n: u64) {
    setup::fresh_parents(n, 100, || tracing::info_span!("request").entered(), || tracing::info!(n = 1, "hello {}", 42));
}

/// Runs `work` under `dispatch` and prints ns per op: application thread,
/// whole process, wall.
fn run(name: &str, ops: u64, dispatch: &Dispatch, work: fn(u64), done: impl FnOnce()) {
    tracing::dispatcher::with_default(dispatch, || work(ops / 2));
    let (thread, process, wall) =
        (cpu_ns(libc::CLOCK_THREAD_CPUTIME_ID), cpu_ns(libc::CLOCK_PROCESS_CPUTIME_ID), Instant::now());
    tracing::dispatcher::with_default(dispatch, || work(ops));
    let per_op = |ns: f64| ns / ops as f64;
    let app = per_op(cpu_ns(libc::CLOCK_THREAD_CPUTIME_ID) - thread);
    // Whatever the other threads still have queued is finished first.
    done();
    let all = per_op(cpu_ns(libc::CLOCK_PROCESS_CPUTIME_ID) - process);
    let wall = per_op(wall.elapsed().as_nanos() as f64);
    println!("| {name} | {app:.0} | {all:.0} | {wall:.0} |");
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let default = if benching { 2_000_000 } else { 20_000 };
    let ops: u64 = std::env::var("LANTERN_OPS").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    println!("{ops} operations a case, after {} of warm-up\n", ops / 2);
    println!("| case | app thread ns/op | process ns/op | wall ns/op |");
    println!("|---|---:|---:|---:|");
    type Work = (&'static str, fn(u64));
    let works: [Work; 2] = [("span", spans), ("event", events)];
    for (what, work) in works {
        let floor = format!("{what}: registry + empty layer (floor)");
        run(&floor, ops, &setup::floor(), work, || {});
        setup::report_ran(&floor);
        let (lantern, buffer) = setup::lantern_sampled();
        run(&format!("{what}: lantern sampled"), ops, &lantern, work, || buffer.flush());
        setup::report_lantern(&format!("{what}: lantern sampled"), &buffer);
        if what == "span" {
            let (tracked, handle) = setup::lantern_sampled_tracked();
            let case = "span: lantern sampled + completion tracker";
            // Traces complete on the ingest thread's next round after they
            // are filed: it is given that round (20 ms of wall time).
            run(case, ops, &tracked, work, || {
                handle.buffer().flush();
                std::thread::sleep(std::time::Duration::from_millis(20));
            });
            setup::report_lantern(case, handle.buffer());
            setup::report_tail(case, &handle);
            let (unsampled, buffer) = setup::lantern_unsampled_buffer();
            run("span: lantern unsampled (SampledOnly)", ops, &unsampled, work, || buffer.flush());
            setup::report_lantern("span: lantern unsampled (SampledOnly)", &buffer);
        }
        let (otel, provider) = setup::tracing_opentelemetry();
        run(&format!("{what}: tracing-opentelemetry"), ops, &otel, work, || {
            let _ = provider.force_flush();
        });
        setup::report_otel(&format!("{what}: tracing-opentelemetry"), &provider);
        let _ = provider.shutdown();
    }
}
