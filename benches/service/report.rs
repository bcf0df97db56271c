//! One run's numbers, and the markdown table of a weight's runs.

use std::collections::BTreeSet;

use crate::child::Setup;
use crate::cpu::Split;

/// One set-up in one round.
pub struct Run {
    pub setup: Setup,
    pub round: usize,
    pub rps: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    /// Requests answered inside the measured window.
    pub requests: u64,
    pub secs: f64,
    /// The child's CPU in the window.
    pub cpu: Split,
    /// The load generator's (this process's) CPU in the window, ms.
    pub client_ms: f64,
    /// The rest of the machine's CPU in the window (other processes), ms.
    pub others_ms: f64,
    /// From the child's last line: requests served in all (warm-up too),
    /// and what the set-up kept of them.
    pub served: Option<u64>,
    pub spans: Option<u64>,
    pub logs: Option<u64>,
    pub lost: Option<u64>,
    pub errors: Vec<String>,
}

impl Run {
    fn per_1k_requests(&self, ms: f64) -> f64 {
        ms * 1000.0 / self.requests.max(1) as f64
    }

    /// Kept per 1000 requests the child served.
    fn per_1k_served(&self, n: Option<u64>) -> Option<f64> {
        let served = self.served.filter(|s| *s > 0)?;
        Some(n? as f64 * 1000.0 / served as f64)
    }

    pub fn raw_line(&self) -> String {
        let opt = |v: Option<u64>| v.map_or("?".to_owned(), |v| v.to_string());
        let mut line = format!(
            "- round {} {}: {:.0} req/s, p50 {:.0} µs, p99 {:.0} µs, {} requests in {:.2} s; child CPU ms app {:.0} \
             lantern {:.0} tracer {:.0} ({:.2} cores); client {:.2} cores; other processes {:.2} cores; served {}, kept {} spans {} logs, lost {}",
            self.round,
            self.setup.name(),
            self.rps,
            self.p50_us,
            self.p99_us,
            self.requests,
            self.secs,
            self.cpu.app_ms,
            self.cpu.lantern_ms,
            self.cpu.tracer_ms,
            self.cpu.total_ms() / 1000.0 / self.secs,
            self.client_ms / 1000.0 / self.secs,
            self.others_ms / 1000.0 / self.secs,
            opt(self.served),
            opt(self.spans),
            opt(self.logs),
            opt(self.lost),
        );
        if !self.cpu.tracer_threads.is_empty() {
            let names: Vec<&str> = self.cpu.tracer_threads.iter().map(String::as_str).collect();
            line += &format!(" [tracer threads: {}]", names.join(", "));
        }
        if !self.errors.is_empty() {
            line += &format!(" [{} connection error(s), first: {}]", self.errors.len(), self.errors[0]);
        }
        line
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 })
}

fn cell(value: Option<f64>, decimals: usize) -> String {
    value.map_or("?".to_owned(), |v| format!("{v:.decimals$}"))
}

/// The table: medians over rounds, one row per set-up.
pub fn table(setups: &[Setup], runs: &[Run]) {
    println!(
        "| set-up | req/s | x no_tracing (range) | p50 µs | p99 µs | CPU ms/1k req: app | lantern | tracer | total \
         | kept spans/1k | kept logs/1k | lost/1k |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut tracer_threads = BTreeSet::new();
    for &setup in setups {
        let mine: Vec<&Run> = runs.iter().filter(|r| r.setup == setup).collect();
        let col = |f: &dyn Fn(&Run) -> f64| median(mine.iter().map(|r| f(r)).collect());
        let kept = |f: &dyn Fn(&Run) -> Option<f64>| median(mine.iter().filter_map(|r| f(r)).collect());
        // Each round's ratio to that round's no_tracing.
        let ratios: Vec<f64> = mine
            .iter()
            .filter_map(|r| {
                let base = runs.iter().find(|b| b.setup == Setup::NoTracing && b.round == r.round)?;
                Some(r.rps / base.rps)
            })
            .collect();
        let ratio = match (median(ratios.clone()), ratios.iter().copied().reduce(f64::min)) {
            (Some(m), Some(lo)) => {
                let hi = ratios.iter().copied().fold(lo, f64::max);
                format!("{m:.3} ({lo:.3}–{hi:.3})")
            }
            _ => "-".to_owned(),
        };
        for r in &mine {
            tracer_threads.extend(r.cpu.tracer_threads.iter().cloned());
        }
        println!(
            "| {} | {} | {ratio} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            setup.name(),
            cell(col(&|r| r.rps), 0),
            cell(col(&|r| r.p50_us), 0),
            cell(col(&|r| r.p99_us), 0),
            cell(col(&|r| r.per_1k_requests(r.cpu.app_ms)), 1),
            cell(col(&|r| r.per_1k_requests(r.cpu.lantern_ms)), 1),
            cell(col(&|r| r.per_1k_requests(r.cpu.tracer_ms)), 1),
            cell(col(&|r| r.per_1k_requests(r.cpu.total_ms())), 1),
            cell(kept(&|r| r.per_1k_served(r.spans)), 0),
            cell(kept(&|r| r.per_1k_served(r.logs)), 0),
            kept(&|r| r.per_1k_served(r.lost)).map_or("-".to_owned(), |v| format!("{v:.0}")),
        );
    }
    println!();
    let others: Vec<f64> = runs.iter().map(|r| r.others_ms / 1000.0 / r.secs).collect();
    let busiest = others.iter().copied().fold(0.0, f64::max);
    println!(
        "Other processes on the machine during the windows: median {} cores, at most {busiest:.2} cores.\n",
        cell(median(others), 2)
    );
    if !tracer_threads.is_empty() {
        let names: Vec<&str> = tracer_threads.iter().map(String::as_str).collect();
        println!("Tracer threads (comm, 15 chars at most): {}.\n", names.join(", "));
    }
    println!(
        "Medians over rounds. CPU: the child's, in the measured window, per 1000 requests answered in it; app = tokio \
         workers and main (where in-line instrumentation runs), lantern = `lantern-*` threads, tracer = any other \
         thread. Kept: per 1000 requests the child served in all (warm-up too); a request makes 4 spans and 2 logs \
         (span events for OpenTelemetry). Lost: Lantern's overwritten queue entries (`-`: not counted).\n"
    );
}
