//! Memory stays bounded: pushes many spans (and a log every tenth) through
//! Lantern with its default 64 MiB ceiling, then reports resident memory.
//!
//! `cargo bench -p lantern-benches --bench memory` (10 million spans);
//! `LANTERN_SPANS=N` sets the count. Under `cargo test` it runs 10 000.

fn rss_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let default = if benching { 10_000_000 } else { 10_000 };
    let count: u64 = std::env::var("LANTERN_SPANS").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (dispatch, buffer) = lantern_benches::lantern_sampled();
    let base = rss_mib("VmRSS:");
    let start = std::time::Instant::now();
    tracing::dispatcher::with_default(&dispatch, || {
        for i in 0..count {
            let span = tracing::info_span!("s", i);
            let _entered = span.enter();
            if i % 10 == 0 {
                tracing::info!(i, "tick");
            }
        }
    });
    let elapsed = start.elapsed();
    buffer.flush();
    let stats = buffer.stats();
    let (rss, peak) = (rss_mib("VmRSS:"), rss_mib("VmHWM:"));
    let ceiling = stats.max_bytes as f64 / (1 << 20) as f64;
    let constant = 64.0;
    let mib = |b: u64| b as f64 / 1048576.0;
    println!("spans pushed:      {count} (and {} logs)", count.div_ceil(10));
    println!(
        "buffer bytes:      {} ({:.1} MiB) of max_bytes {} ({ceiling:.1} MiB)",
        stats.bytes,
        mib(stats.bytes),
        stats.max_bytes
    );
    println!("recorded:          {} spans, {} logs", stats.spans_recorded, stats.logs_recorded);
    println!("held:              {} spans, {} logs, {} traces", stats.spans, stats.logs, stats.traces);
    println!("evicted:           {} spans, {} logs", stats.spans_evicted, stats.logs_evicted);
    println!("overwritten:       {} spans, {} logs (queue full)", stats.spans_overwritten, stats.logs_overwritten);
    println!(
        "time:              {:.2} s ({:.0} ns per span, its log included)",
        elapsed.as_secs_f64(),
        elapsed.as_nanos() as f64 / count.max(1) as f64
    );
    println!("rss at start:      {base:.1} MiB");
    println!("rss now / peak:    {rss:.1} / {peak:.1} MiB");
    let ok = peak <= ceiling + constant;
    println!(
        "{}: peak rss {peak:.1} MiB <= ceiling {ceiling:.0} MiB + {constant:.0} MiB",
        if ok { "PASS" } else { "FAIL" }
    );
    if !ok {
        std::process::exit(1);
    }
}
