//! An exporter with nothing to send costs (almost) no CPU: its thread
//! sleeps until a batch fills, a partial batch's delay passes, the metrics
//! are due or shutdown starts, with every signal enabled and with one.
//!
//! The test reads the exporter thread's CPU time from
//! `/proc/self/task/<tid>/stat`, so it is Linux-only, and is the only test
//! in this binary: no other test's `lantern-otlp` thread runs beside it.

#![cfg(target_os = "linux")]

mod support;

use std::time::{Duration, Instant};

use lantern_otlp::{OtlpConfig, OtlpExporter, Protocol};
use support::{Receiver, eventually};

/// `sysconf(_SC_CLK_TCK)`: 100 on every Linux this runs on.
const TICKS_PER_SECOND: f64 = 100.0;

/// The ids of this process's threads named `lantern-otlp`.
fn exporter_threads() -> Vec<u32> {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    tasks
        .filter_map(|entry| {
            let tid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let name = std::fs::read_to_string(format!("/proc/self/task/{tid}/comm")).ok()?;
            (name.trim_end() == "lantern-otlp").then_some(tid)
        })
        .collect()
}

/// The CPU time (user + system) thread `tid` used so far, in clock ticks.
fn cpu_ticks(tid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).expect("the thread's stat");
    // After the name in parentheses come the fields from 3 (state) on;
    // utime and stime are fields 14 and 15.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("(comm)") + 2..].split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn an_idle_exporter_thread_sleeps() {
    let receiver = Receiver::grpc();
    for (case, others) in [("traces, logs and metrics", true), ("traces only", false)] {
        let mut cfg =
            OtlpConfig { protocol: Protocol::Grpc, endpoint: Some(receiver.endpoint()), ..Default::default() };
        cfg.batch.schedule_delay = Duration::from_millis(20);
        cfg.metric_interval = Duration::from_secs(3600);
        (cfg.logs.enabled, cfg.metrics.enabled) = (others, others);
        let before = exporter_threads();
        let exporter = OtlpExporter::new(cfg).unwrap();
        let lantern = lantern::builder().exporter(exporter.clone()).try_init_local();
        // The thread names itself once it runs: wait for that.
        let new_thread = || exporter_threads().into_iter().find(|t| !before.contains(t));
        assert!(eventually(|| new_thread().is_some()), "{case}: no new lantern-otlp thread");
        let thread = new_thread().unwrap();

        // A little traffic, sent; then nothing, for much longer than the
        // batch delay.
        tracing::info_span!("job").in_scope(|| tracing::info!("working"));
        lantern.buffer().flush();
        assert!(eventually(|| exporter.stats().traces.exported == 1), "{case}: {:?}", exporter.stats());
        assert!(!others || eventually(|| exporter.stats().logs.exported == 1), "{case}: {:?}", exporter.stats());
        std::thread::sleep(Duration::from_millis(200));

        let (start, used_before) = (Instant::now(), cpu_ticks(thread));
        std::thread::sleep(Duration::from_secs(2));
        let used = cpu_ticks(thread) - used_before;
        let wall = start.elapsed().as_secs_f64() * TICKS_PER_SECOND;
        drop(lantern);
        assert!(
            (used as f64) < wall * 0.05,
            "{case}: the idle exporter thread used {used} clock ticks of CPU in {wall:.0} ticks of wall time"
        );
    }
}
