//! Per-thread CPU time of a process, from `/proc/<pid>/task/*/stat`, split
//! by who the thread belongs to.
//!
//! `utime + stime` are in clock ticks; this assumes the Linux default of
//! 100 ticks a second (`getconf CLK_TCK`) rather than call `sysconf`, so a
//! thread's time has a resolution of 10 ms.

use std::collections::{BTreeSet, HashMap};

const TICKS_PER_SEC: f64 = 100.0;

/// Each live thread's name and CPU ticks so far, by thread id.
pub type Snapshot = HashMap<u32, (String, u64)>;

pub fn snapshot(pid: u32) -> Snapshot {
    let mut threads = Snapshot::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return threads };
    for task in tasks.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else { continue };
        let dir = task.path();
        let (Ok(stat), Ok(comm)) =
            (std::fs::read_to_string(dir.join("stat")), std::fs::read_to_string(dir.join("comm")))
        else {
            continue; // the thread ended meanwhile
        };
        // The name in `stat` is in parentheses and may hold spaces: the
        // fields after the last ')' start at field 3 (state); utime and
        // stime are fields 14 and 15.
        let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        threads.insert(tid, (comm.trim().to_owned(), ticks(11) + ticks(12)));
    }
    threads
}

/// CPU milliseconds spent between two snapshots, by owner.
#[derive(Clone, Debug, Default)]
pub struct Split {
    /// The service's own threads (tokio workers, main, the stdin watcher):
    /// where the in-line cost of instrumentation lands.
    pub app_ms: f64,
    /// Lantern's own threads (`lantern-*`: the ingest thread).
    pub lantern_ms: f64,
    /// Any other thread: the OpenTelemetry SDK's batch processor and the like.
    pub tracer_ms: f64,
    /// The names of the threads counted in `tracer_ms`.
    pub tracer_threads: BTreeSet<String>,
}

impl Split {
    pub fn total_ms(&self) -> f64 {
        self.app_ms + self.lantern_ms + self.tracer_ms
    }
}

/// What each thread spent from `before` to `after` (threads started in
/// between count from zero; threads that ended in between are lost).
pub fn split(pid: u32, before: &Snapshot, after: &Snapshot) -> Split {
    let mut split = Split::default();
    for (tid, (name, ticks)) in after {
        let start = before.get(tid).map_or(0, |(_, t)| *t);
        let ms = ticks.saturating_sub(start) as f64 * 1000.0 / TICKS_PER_SEC;
        if name.starts_with("lantern") {
            split.lantern_ms += ms;
        } else if *tid == pid || name.starts_with("tokio-") || name == "stdin-watch" {
            split.app_ms += ms;
        } else {
            split.tracer_ms += ms;
            split.tracer_threads.insert(name.clone());
        }
    }
    split
}

/// CPU ticks the whole machine has been busy (not idle or waiting on I/O)
/// since boot, from `/proc/stat`: to see what else ran during a window.
pub fn machine_busy_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(cpu) = stat.lines().next() else { return 0 };
    // cpu user nice system idle iowait irq softirq steal ...
    cpu.split_whitespace()
        .skip(1)
        .enumerate()
        .filter(|(i, _)| matches!(i, 0 | 1 | 2 | 5 | 6 | 7))
        .filter_map(|(_, v)| v.parse::<u64>().ok())
        .sum()
}

/// Ticks as milliseconds.
pub fn ticks_ms(ticks: u64) -> f64 {
    ticks as f64 * 1000.0 / TICKS_PER_SEC
}
