//! HotROD, the ride-sharing demo of *Mastering Distributed Tracing* (ch. 2):
//! four services (frontend, customer, driver over gRPC, route) in one
//! process on one tokio runtime, traced by Lantern. See
//! `examples/hotrod/mod.rs` for how the pieces fit.
//!
//! ```text
//! cargo run --release --example hotrod                 # UI on :8080, debug pages on :9464
//! cargo run --release --example hotrod -- --load 2     # plus 2 rides a second
//! cargo run --release --example hotrod -- --ports-from-zero --latency-scale 0.2
//! cargo run --release --example hotrod -- --load 20 --sampler adaptive:1 --tail errors,slow:300ms
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 cargo run --release --example hotrod
//! ```
//!
//! It prints the UI's URL, the debug pages' URL and what to try, then serves
//! until Ctrl-C. `LANTERN_HTTP_ADDR` moves the debug pages, as for every
//! Lantern program. With `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, spans, logs and metrics are
//! also exported over OTLP, one resource per service.
//!
//! The services' logs go to stderr, each line ending with the trace and
//! span ids of the request it belongs to, and the customer and session
//! from the baggage on JSON lines (`LANTERN_LOG_FORMAT=json`):
//!
//! ```text
//! 2025-06-01T12:00:00.123456Z  INFO lantern_examples::hotrod::customer: loading customer customer_id=123 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7
//! ```
//!
//! Paste the trace id into `http://127.0.0.1:9464/debug/traces/<trace_id>`.

use std::io::Write as _;
use std::process::ExitCode;

use std::time::Duration;

use lantern::sampling::{Adaptive, ParentBased, RemoteSampler, TraceIdRatio};
use lantern::tail::TailPolicy;
use lantern_examples::hotrod::{self, Config, Hotrod};

const USAGE: &str = "\
HotROD: the ride-sharing demo of Mastering Distributed Tracing, on Lantern

usage: cargo run --release --example hotrod -- [options]

  --load N             request N rides a second (random customers) in the background; default 0
  --frontend-port P    the UI and /dispatch (HTTP); default 8080
  --customer-port P    the customer service (HTTP); default 8081
  --driver-port P      the driver service (gRPC); default 8082
  --route-port P       the route service (HTTP); default 8083
  --ports-from-zero    every service on a free port the system picks
  --latency-scale F    multiply the simulated latencies by F (0.1: ten times faster); default 1
  --sampler S          the head sampler: adaptive:N (N traces a second per operation, recomputed
                       every 5 s), remote:URL (Jaeger remote strategies, polled every 10 s),
                       ratio:P, or always (the default); parent-based
  --tail RULES         tail sampling of what the head sampler dropped, e.g. errors,slow:300ms
                       (also slow:NAME=2s, slowest:1%, match:KEY=VALUE, rate:N)

The book's chapter 2 fixes (find each bottleneck on the debug pages first):
  --fix-db-query-delay[=D]       the customer's SQL query takes D on average (default: a quarter
                                 of the usual, 50 ms at scale 1) instead of 200 ms
  --fix-disable-db-conn-mutex    queries no longer take turns on one database connection
  --fix-route-worker-pool-size N the frontend computes routes with N workers instead of 3
  -h, --help           this text

LANTERN_HTTP_ADDR moves Lantern's debug pages (default 127.0.0.1:9464);
OTEL_EXPORTER_OTLP_ENDPOINT also exports over OTLP. The logs go to stderr with
their trace ids: RUST_LOG filters them (default info), LANTERN_LOG_FORMAT=json
prints JSON lines (off: none).";

struct Args {
    config: Config,
    load: f64,
    sampler: SamplerArg,
    tail: Option<TailPolicy>,
}

/// `--sampler`.
#[derive(Debug, PartialEq)]
enum SamplerArg {
    Always,
    Ratio(f64),
    Adaptive(f64),
    Remote(String),
}

impl SamplerArg {
    fn parse(text: &str) -> Result<SamplerArg, String> {
        let bad = || format!("--sampler: {text:?} is not adaptive:N, remote:URL, ratio:P or always");
        let number = |n: &str| n.parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0).ok_or_else(bad);
        match text.split_once(':') {
            None if text == "always" => Ok(SamplerArg::Always),
            Some(("adaptive", n)) => Ok(SamplerArg::Adaptive(number(n)?)),
            Some(("ratio", p)) => Ok(SamplerArg::Ratio(number(p)?.min(1.0))),
            Some(("remote", url)) if !url.is_empty() => Ok(SamplerArg::Remote(url.to_owned())),
            _ => Err(bad()),
        }
    }

    /// Sets the sampler on `builder`, parent-based.
    fn apply(&self, builder: lantern::Builder) -> Result<lantern::Builder, String> {
        let (every_5s, every_10s) = (Duration::from_secs(5), Duration::from_secs(10));
        Ok(match self {
            SamplerArg::Always => builder,
            SamplerArg::Ratio(p) => builder.sampler(ParentBased::new(TraceIdRatio::new(*p))),
            SamplerArg::Adaptive(n) => builder.sampler(ParentBased::new(Adaptive::new(*n).with_interval(every_5s))),
            SamplerArg::Remote(url) => {
                let remote = RemoteSampler::new(url, "hotrod", every_10s, TraceIdRatio::new(0.001))
                    .map_err(|e| format!("--sampler remote:{url}: {e}"))?;
                builder.sampler(ParentBased::new(remote))
            }
        })
    }
}

/// `50ms`, `0.1s`, `800us`: a duration of at most an hour.
fn duration(text: &str) -> Option<Duration> {
    let (number, unit) = text.split_at(text.find(|c: char| c.is_ascii_alphabetic())?);
    let seconds = number.parse::<f64>().ok()?
        * match unit {
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            _ => return None,
        };
    (seconds.is_finite() && (0.0..=3600.0).contains(&seconds)).then(|| Duration::from_secs_f64(seconds))
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut config = Config::default();
    let mut load = 0.0;
    let mut sampler = SamplerArg::Always;
    let mut tail = None;
    let mut db_delay: Option<Option<Duration>> = None;
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| inline.clone().or_else(|| args.next()).ok_or(format!("{name} needs {what}"));
        let port = |text: String| text.parse::<u16>().map_err(|_| format!("{name}: {text:?} is not a port"));
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--load" => {
                let text = value("a rate")?;
                load = text
                    .parse()
                    .ok()
                    .filter(|n: &f64| n.is_finite() && *n >= 0.0)
                    .ok_or(format!("--load: {text:?} is not a rate (requests a second, 0 or more)"))?;
            }
            "--frontend-port" => config.frontend_port = port(value("a port")?)?,
            "--customer-port" => config.customer_port = port(value("a port")?)?,
            "--driver-port" => config.driver_port = port(value("a port")?)?,
            "--route-port" => config.route_port = port(value("a port")?)?,
            "--ports-from-zero" => {
                config = Config { latencies: config.latencies, debug_pages: config.debug_pages, ..Config::ephemeral() }
            }
            "--latency-scale" => {
                let text = value("a factor")?;
                let factor: f64 = text
                    .parse()
                    .ok()
                    .filter(|f: &f64| f.is_finite() && *f >= 0.0)
                    .ok_or(format!("--latency-scale: {text:?} is not a factor"))?;
                config.latencies = hotrod::Latencies::default().scaled(factor);
            }
            "--sampler" => sampler = SamplerArg::parse(&value("a sampler")?)?,
            "--tail" => tail = Some(TailPolicy::parse(&value("tail rules")?).map_err(|e| format!("--tail: {e}"))?),
            "--fix-db-query-delay" => {
                let delay = match inline {
                    None => None,
                    Some(text) => Some(
                        duration(&text)
                            .ok_or(format!("--fix-db-query-delay: {text:?} is not a duration (50ms, 0.1s)"))?,
                    ),
                };
                db_delay = Some(delay);
            }
            "--fix-disable-db-conn-mutex" => config.db_connection_mutex = false,
            "--fix-route-worker-pool-size" => {
                let text = value("a number of workers")?;
                config.route_workers = text
                    .parse()
                    .ok()
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or(format!("--fix-route-worker-pool-size: {text:?} is not 1 to 10000 workers"))?;
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    // After --latency-scale, whichever came first: the fix sets the query's
    // mean, and its jitter a quarter of that.
    if let Some(delay) = db_delay {
        let mean = delay.unwrap_or(config.latencies.mysql / 4);
        config.latencies.mysql = mean;
        config.latencies.mysql_jitter = mean / 4;
    }
    Ok(Some(Args { config, load, sampler, tail }))
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("hotrod: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let otlp = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| !v.trim().is_empty()));
    let exporter = if otlp {
        match lantern_otlp::OtlpExporter::from_env() {
            Ok(exporter) => Some(exporter),
            Err(e) => {
                eprintln!("hotrod: bad OTLP configuration: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    let mut builder = lantern::builder()
        .service_name("hotrod")
        .max_level(tracing::Level::INFO) // the services' spans, not h2's and tower's own
        // Also the baggage keys the logs carry (customer, session).
        .metrics(hotrod::metrics_config())
        // The service graph, trace features and the other analyses
        // (/debug/insights), with HotROD's own feature: rides per customer.
        .insights(true)
        .feature_extractor(hotrod::features::RidesPerCustomer);
    if let Some(exporter) = &exporter {
        builder = builder.exporter(exporter.clone());
    }
    builder = match args.sampler.apply(builder) {
        Ok(builder) => builder,
        Err(e) => {
            eprintln!("hotrod: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(policy) = args.tail.clone() {
        builder = builder.tail_sampling(policy);
    }
    let lantern = builder.init();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hotrod: no tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut config = args.config;
    let debug = lantern.http_addr().map(|addr| format!("http://{addr}"));
    config.debug_pages = debug.clone();
    let code = rt.block_on(async {
        let hotrod = match Hotrod::start(config).await {
            Ok(hotrod) => hotrod,
            Err(e) => {
                eprintln!("hotrod: cannot listen: {e} (another HotROD running? try --ports-from-zero)");
                return ExitCode::FAILURE;
            }
        };
        println!("hotrod: UI: {}", hotrod.ui_url());
        println!(
            "hotrod: services: frontend {} (HTTP), customer {} (HTTP), driver {} (gRPC), route {} (HTTP)",
            hotrod.frontend, hotrod.customer, hotrod.driver, hotrod.route
        );
        match &debug {
            Some(base) => {
                println!("hotrod: debug pages: {base}/debug");
                println!("hotrod: recent traces: {base}/debug/traces");
                println!(
                    "hotrod: service graph: {base}/debug/graph (trends: {base}/debug/insights, {base}/debug/quality)"
                );
                println!("hotrod: metrics: {base}/debug/metrics (Prometheus text: {base}/metrics)");
                println!(
                    "hotrod: sampling: {base}/debug/sampling ({:?}{})",
                    args.sampler,
                    if args.tail.is_some() { ", tail" } else { "" }
                );
            }
            None => println!("hotrod: Lantern's debug pages are off (LANTERN_HTTP_ADDR=off, or the port was taken)"),
        }
        if let Some(exporter) = &exporter {
            let endpoint = exporter.config().signal_endpoint(lantern_otlp::Signal::Traces).unwrap_or_default();
            println!("hotrod: exporting over OTLP to {endpoint}, one resource per service");
        }
        println!(
            "hotrod: try: click a customer in the UI, or curl 'http://{}/dispatch?customer=123' and open \
             its trace_id at {}/debug/traces/<trace_id>",
            hotrod.frontend,
            debug.as_deref().unwrap_or("<debug pages>")
        );
        let load = (args.load > 0.0).then(|| hotrod::load::spawn(hotrod.frontend, args.load));
        if load.is_some() {
            println!("hotrod: requesting {} rides a second in the background", args.load);
        }
        println!("hotrod: Ctrl-C to stop");
        let _ = std::io::stdout().flush();
        let _ = tokio::signal::ctrl_c().await;
        if let Some((task, stats)) = load {
            task.abort();
            println!("hotrod: load: {stats}");
        }
        hotrod.shutdown().await;
        ExitCode::SUCCESS
    });
    drop(rt);
    drop(lantern); // flushes, and exports what is left
    println!("hotrod: stopped");
    code
}

#[cfg(test)]
mod tests {
    use super::parse;
    use std::time::Duration;

    fn args(line: &str) -> Result<Option<super::Args>, String> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn options_parse() {
        let a = args("--load 2.5 --frontend-port 9000 --route-port=9003").unwrap().unwrap();
        assert_eq!(
            (a.load, a.config.frontend_port, a.config.customer_port, a.config.route_port),
            (2.5, 9000, 8081, 9003)
        );
        let a = args("--latency-scale 0.5 --ports-from-zero").unwrap().unwrap();
        assert_eq!([a.config.frontend_port, a.config.customer_port, a.config.driver_port, a.config.route_port], [0; 4]);
        assert_eq!(a.config.latencies, lantern_examples::hotrod::Latencies::default().scaled(0.5), "kept");
        assert!(args("--help").unwrap().is_none());
        assert!(args("--load").is_err());
        assert!(args("--load -1").is_err());
        assert!(args("--driver-port 70000").is_err());
        assert!(args("--bogus").is_err());
    }

    #[test]
    fn samplers_and_tail_rules_parse() {
        use super::SamplerArg;
        let a = args("--sampler adaptive:2 --tail errors,slow:300ms").unwrap().unwrap();
        assert_eq!(a.sampler, SamplerArg::Adaptive(2.0));
        assert_eq!(a.tail, Some(lantern::tail::TailPolicy::parse("errors,slow:300ms").unwrap()));
        let a = args("--sampler=remote:http://127.0.0.1:5778/sampling").unwrap().unwrap();
        assert_eq!(a.sampler, SamplerArg::Remote("http://127.0.0.1:5778/sampling".into()));
        assert_eq!(args("--sampler ratio:0.25").unwrap().unwrap().sampler, SamplerArg::Ratio(0.25));
        let a = args("--fix-db-query-delay --fix-disable-db-conn-mutex --fix-route-worker-pool-size 100").unwrap();
        let a = a.unwrap();
        assert_eq!(a.config.latencies.mysql, Duration::from_millis(50), "a quarter of 200 ms");
        assert!(!a.config.db_connection_mutex);
        assert_eq!(a.config.route_workers, 100);
        let a = args("--fix-db-query-delay=20ms --latency-scale 0.1").unwrap().unwrap();
        assert_eq!(a.config.latencies.mysql, Duration::from_millis(20), "set after the scale");
        assert_eq!(a.config.latencies.mysql_jitter, Duration::from_millis(5));
        let a = args("--latency-scale 0.1 --fix-db-query-delay").unwrap().unwrap();
        assert_eq!(a.config.latencies.mysql, Duration::from_millis(5), "a quarter of the scaled 20 ms");
        let defaults = args("").unwrap().unwrap();
        assert!(defaults.config.db_connection_mutex && defaults.config.route_workers == 3);
        for bad in [
            "--fix-db-query-delay=soon",
            "--fix-db-query-delay=2h",
            "--fix-route-worker-pool-size 0",
            "--fix-route-worker-pool-size",
            "--sampler adaptive:x",
            "--sampler remote:",
            "--sampler sometimes",
            "--tail slow:soon",
        ] {
            assert!(args(bad).is_err(), "{bad}");
        }
        assert!(SamplerArg::Remote("https://x".into()).apply(lantern::builder()).is_err(), "HTTP only");
    }
}
