//! An idle runtime costs no CPU: once nothing has been recorded for a while
//! and no trace waits to complete, Lantern's threads (ingest, insights,
//! console, the debug pages) all sleep until there is work; and the first
//! record after the pause wakes the ingest thread at once, not at its next
//! timeout.
//!
//! The test reads the threads' CPU time from `/proc/self/task/<tid>/stat`,
//! so it is Linux-only, and is the only test in this binary: no other
//! test's Lantern threads run beside it.

#![cfg(target_os = "linux")]

use std::time::{Duration, Instant};

use lantern::tail::CompletionConfig;

/// The ids and names of this process's threads whose name starts `lantern-`.
fn lantern_threads() -> Vec<(u32, String)> {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    tasks
        .filter_map(|entry| {
            let tid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let name = std::fs::read_to_string(format!("/proc/self/task/{tid}/comm")).ok()?;
            name.starts_with("lantern-").then(|| (tid, name.trim_end().to_owned()))
        })
        .collect()
}

/// The CPU time (user + system) thread `tid` used so far, in clock ticks
/// (1/100 s).
fn cpu_ticks(tid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    // After the name in parentheses come the fields from 3 (state) on;
    // utime and stime are fields 14 and 15.
    let Some(close) = stat.rfind(')') else { return 0 };
    let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
    fields.get(11).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0)
        + fields.get(12).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0)
}

fn one_trace() {
    let root = tracing::info_span!("GET /idle", otel.kind = "server");
    root.in_scope(|| {
        tracing::info_span!("SQL SELECT").in_scope(|| tracing::info!("one row"));
    });
}

fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn an_idle_runtime_sleeps_and_the_next_record_wakes_it() {
    let quick = CompletionConfig { quiet_period: Duration::from_millis(20), ..Default::default() };
    let lantern = lantern::builder()
        .service_name("idle")
        .completion(quick)
        .insights(true)
        .console_writer(std::io::sink())
        .http_addr(Some(([127, 0, 0, 1], 0).into()))
        .try_init_local();
    let handle = lantern.handle();

    one_trace();
    wait_until("the first trace completed", Duration::from_secs(10), || handle.tail().completed == 1);
    // The ingest thread dozes after 100 ms with nothing to do.
    std::thread::sleep(Duration::from_millis(500));

    let threads = lantern_threads();
    let names: Vec<&str> = threads.iter().map(|(_, n)| n.as_str()).collect();
    assert!(names.contains(&"lantern-ingest"), "{names:?}");
    let before: Vec<u64> = threads.iter().map(|&(tid, _)| cpu_ticks(tid)).collect();
    std::thread::sleep(Duration::from_secs(3));
    let used: Vec<(&str, u64)> = threads
        .iter()
        .zip(&before)
        .map(|((tid, name), b)| (name.as_str(), cpu_ticks(*tid).saturating_sub(*b)))
        .collect();
    // A thread woken 100 times a second uses several ticks in 3 s in this
    // (debug) build; a dozing one uses none (one tick of slack for the
    // kernel's accounting at tick boundaries).
    let total: u64 = used.iter().map(|(_, t)| t).sum();
    assert!(total <= 1, "idle Lantern threads used CPU over 3 s (ticks of 10 ms): {used:?}");

    // The first record after the pause wakes the ingest thread: the trace
    // completes after its 20 ms of quiet. Were it not woken, it would wait
    // for the 5 s doze to end, begun 3.5 s ago: more than the 1 s allowed.
    one_trace();
    wait_until("the second trace completed", Duration::from_secs(1), || handle.tail().completed == 2);
    let snapshot = lantern.buffer().snapshot();
    assert_eq!(snapshot.spans_named("GET /idle", 10).len(), 2);
}
