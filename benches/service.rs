//! `service-overhead`: what tracing costs a real service (issue 11).
//!
//! The parent process calibrates a CPU loop once, then, for each weight,
//! round and set-up (interleaved: round 1 runs every set-up, then round 2,
//! each round starting one set-up later),
//! starts a child process of itself that installs the set-up and serves
//! `GET /work` with axum on 127.0.0.1:0. The handler makes a server span
//! (or Lantern's `HttpServerLayer` does), 3 child spans around a third of
//! the work each, and 2 logs. The parent loads the child with keep-alive
//! HTTP/1.1 connections (1 s warm-up, then the measured window), records
//! each request's latency, and reads the child's per-thread CPU from
//! `/proc/<pid>/task/*/stat` at both ends of the window. Closing the child's
//! stdin makes it print what the set-up kept (spans and logs in Lantern's
//! buffer, spans and span events at the OpenTelemetry exporter) and exit.
//!
//! Weights: `light` is ~6 µs of work per request, `typical` ~200 µs, with
//! no tracing; every set-up does the same work (the same loop count K).
//!
//! ```sh
//! cargo run --release -p lantern-benches --bin service-overhead -- \
//!     [--secs 5] [--rounds 3] [--weight light|typical|both] [--setups a,b,...] \
//!     [--warmup 1] [--conns 32] [--client-threads 1] [--wait-quiet 0]
//! ```
//!
//! Set-ups: `no_tracing`, `registry_only`, `lantern_sampled`,
//! `lantern_sampled_http_layer`, `lantern_unsampled`, `tracing_opentelemetry`.
//! Linux only (`/proc`); assumes 100 clock ticks a second. Each run's line
//! says how busy the rest of the machine was; `--wait-quiet S` waits up to
//! S seconds before each set-up for it to fall under 0.1 core.

#[path = "service/child.rs"]
mod child;
#[path = "service/cpu.rs"]
mod cpu;
#[path = "service/load.rs"]
mod load;
#[path = "service/report.rs"]
mod report;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use child::Setup;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Weight {
    Light,
    Typical,
}

impl Weight {
    fn name(self) -> &'static str {
        match self {
            Weight::Light => "light",
            Weight::Typical => "typical",
        }
    }

    /// The handler's work with no tracing.
    fn target(self) -> Duration {
        match self {
            Weight::Light => Duration::from_micros(6),
            Weight::Typical => Duration::from_micros(200),
        }
    }
}

struct Args {
    weights: Vec<Weight>,
    setups: Vec<Setup>,
    rounds: usize,
    /// Before each set-up, wait up to this long for the rest of the machine
    /// to go quiet (0: do not wait).
    wait_quiet: Duration,
    settings: load::Settings,
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "service-overhead: {problem}\nusage: service-overhead [--secs N] [--warmup N] [--rounds R] \
         [--weight light|typical|both] [--setups a,b,...] [--conns N] [--client-threads N] [--wait-quiet SECS]"
    );
    std::process::exit(2)
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Args {
    let mut args = Args {
        weights: vec![Weight::Light, Weight::Typical],
        setups: Setup::ALL.to_vec(),
        rounds: 3,
        wait_quiet: Duration::ZERO,
        settings: load::Settings {
            conns: 32,
            client_threads: 1,
            warmup: Duration::from_secs(1),
            measured: Duration::from_secs(5),
        },
    };
    while let Some(flag) = argv.next() {
        let value = argv.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let number =
            || value.parse::<f64>().ok().filter(|n| *n > 0.0).unwrap_or_else(|| usage(&format!("{flag} {value}")));
        match flag.as_str() {
            "--secs" => args.settings.measured = Duration::from_secs_f64(number()),
            "--warmup" => args.settings.warmup = Duration::from_secs_f64(number()),
            "--rounds" => args.rounds = number() as usize,
            "--wait-quiet" => args.wait_quiet = Duration::from_secs_f64(number()),
            "--conns" => args.settings.conns = number() as usize,
            "--client-threads" => args.settings.client_threads = number() as usize,
            "--weight" => {
                args.weights = match value.as_str() {
                    "light" => vec![Weight::Light],
                    "typical" => vec![Weight::Typical],
                    "both" => vec![Weight::Light, Weight::Typical],
                    _ => usage(&format!("unknown weight {value}")),
                }
            }
            "--setups" => {
                args.setups = value
                    .split(',')
                    .map(|s| Setup::parse(s.trim()).unwrap_or_else(|| usage(&format!("unknown set-up {s}"))))
                    .collect()
            }
            _ => usage(&format!("unknown flag {flag}")),
        }
    }
    args
}

/// The loop count that makes `target` of work: K scaled by the median
/// time of `spin(K)` until it lands (timed as the handler runs it, in
/// short calls, rather than one long loop, which runs at another speed).
fn calibrate(target: Duration) -> u64 {
    let mut iters = 1000;
    for _ in 0..5 {
        let took = work_time(iters).as_nanos().max(1) as f64;
        iters = ((iters as f64) * target.as_nanos() as f64 / took).round().max(3.0) as u64;
    }
    iters
}

/// The median time of `spin(iters)` over many runs, to print beside K.
fn work_time(iters: u64) -> Duration {
    let mut times: Vec<Duration> = (0..201)
        .map(|i| {
            let start = Instant::now();
            std::hint::black_box(child::spin(iters, i + 1));
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Waits up to `limit` for the machine to be busy less than 0.1 core over
/// half a second (this process is idle meanwhile); says so when it was not.
fn wait_quiet(limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let before = cpu::machine_busy_ticks();
        std::thread::sleep(Duration::from_millis(500));
        if cpu::ticks_ms(cpu::machine_busy_ticks().saturating_sub(before)) < 50.0 {
            return;
        }
    }
    if !limit.is_zero() {
        eprintln!("service-overhead: the machine was still busy after {} s; running anyway", limit.as_secs_f64());
    }
}

/// Kills the child when dropped, unless it has exited already.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

impl ChildGuard {
    /// Waits up to `timeout` for the child to exit by itself.
    fn wait_for_exit(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

/// One set-up in one round.
fn run_one(setup: Setup, iters: u64, round: usize, settings: &load::Settings) -> report::Run {
    let exe = std::env::current_exe().expect("current exe");
    let child = Command::new(exe)
        .args(["--child", "--setup", setup.name(), "--work-iters", &iters.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the child");
    let mut child = ChildGuard(child);
    let pid = child.0.id();
    let stdout = child.0.stdout.take().expect("piped stdout");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let port: u16 = lines
        .recv_timeout(Duration::from_secs(10))
        .ok()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("{}: the child printed no port within 10 s", setup.name()));
    let own = std::process::id();
    let load = load::run(port, settings, || (cpu::snapshot(pid), cpu::snapshot(own), cpu::machine_busy_ticks()));
    let split = cpu::split(pid, &load.before.0, &load.after.0);
    let client = cpu::split(own, &load.before.1, &load.after.1);
    let others_ms = cpu::ticks_ms(load.after.2.saturating_sub(load.before.2)) - split.total_ms() - client.total_ms();
    drop(child.0.stdin.take()); // the child prints what it kept, and exits
    let kept = lines
        .recv_timeout(Duration::from_secs(20))
        .ok()
        .and_then(|l| serde_json::from_str::<serde_json::Value>(&l).ok());
    if !child.wait_for_exit(Duration::from_secs(5)) {
        eprintln!("{}: the child did not exit within 5 s of its stdin closing; killed", setup.name());
    }
    let field = |k: &str| kept.as_ref().and_then(|v| v[k].as_u64());
    let p = |q: f64| load.latency.value_at_quantile(q) as f64 / 1000.0;
    report::Run {
        setup,
        round,
        rps: load.requests as f64 / load.secs,
        p50_us: p(0.5),
        p99_us: p(0.99),
        requests: load.requests,
        secs: load.secs,
        cpu: split,
        client_ms: client.total_ms(),
        others_ms: others_ms.max(0.0),
        served: field("served"),
        spans: field("spans"),
        logs: field("logs"),
        lost: field("lost"),
        errors: load.errors,
    }
}

fn main() {
    let mut argv = std::env::args().skip(1).peekable();
    if argv.peek().map(String::as_str) == Some("--child") {
        let (mut setup, mut iters) = (None, None);
        while let Some(flag) = argv.next() {
            match (flag.as_str(), argv.peek()) {
                ("--setup", Some(v)) => setup = Setup::parse(v),
                ("--work-iters", Some(v)) => iters = v.parse().ok(),
                _ => continue,
            }
            argv.next();
        }
        match (setup, iters) {
            (Some(setup), Some(iters)) => child::run(setup, iters),
            _ => usage("--child needs --setup NAME --work-iters K"),
        }
    }
    let args = parse_args(argv);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let s = &args.settings;
    println!("# service-overhead\n");
    println!(
        "{cores} cores; the child serves on a tokio runtime with {cores} workers; the load: {} keep-alive HTTP/1.1 \
         connections on {} client thread(s), {} s warm-up, {} s measured, {} round(s). Each request: a server \
         span, 3 child spans, 2 logs (4 spans + 2 logs). CPU from /proc at 100 ticks/s (10 ms a thread).\n",
        s.conns,
        s.client_threads,
        s.warmup.as_secs_f64(),
        s.measured.as_secs_f64(),
        args.rounds
    );
    for &weight in &args.weights {
        let iters = calibrate(weight.target());
        println!(
            "## {}: K = {iters} iterations, {:.1} µs of work per request (target {} µs)\n",
            weight.name(),
            work_time(iters).as_secs_f64() * 1e6,
            weight.target().as_micros()
        );
        let mut runs = Vec::new();
        for round in 1..=args.rounds {
            // Each round starts one set-up later, so that none is always first.
            let n = args.setups.len();
            for setup in (0..n).map(|i| args.setups[(i + round - 1) % n]) {
                wait_quiet(args.wait_quiet);
                let run = run_one(setup, iters, round, &args.settings);
                println!("{}", run.raw_line());
                runs.push(run);
            }
        }
        println!();
        report::table(&args.setups, &runs);
    }
}
