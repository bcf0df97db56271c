//! Logs on the console: the pretty and JSON formats with the trace and span
//! ids, allowlisted baggage, the console's own filter (`RUST_LOG`), and a
//! stuck writer that never blocks the application.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lantern::fmt::ConsoleFormat;
use lantern::metrics::MetricsConfig;

/// An in-memory writer the test reads after the guard has flushed.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[test]
fn pretty_lines_end_with_the_full_trace_and_span_ids_of_their_span() {
    let lines = Lines::default();
    let guard = lantern::builder()
        .console(ConsoleFormat::Pretty)
        .console_filter("info") // not whatever RUST_LOG the test runs with
        .console_writer(lines.clone())
        .try_init_local();
    tracing::info!(user = "ann", "outside");
    tracing::info_span!("checkout").in_scope(|| {
        tracing::warn!(items = 3_u64, "paid");
        tracing::info_span!("charge").in_scope(|| tracing::info!("charged"));
    });
    let buffer = guard.buffer().clone();
    drop(guard); // flushes the console's queue
    let snap = buffer.snapshot();
    let trace_id = snap.traces(&Default::default())[0].trace_id;
    let trace = snap.trace(trace_id).unwrap();
    let span_id = |name: &str| trace.spans.iter().find(|s| s.name == name).unwrap().span_id;

    let text = lines.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].ends_with(" INFO console_logs: outside user=\"ann\""), "no ids outside a span: {}", lines[0]);
    assert!(!lines[0].contains("trace_id"));
    let paid = format!(" WARN console_logs: paid items=3 trace_id={trace_id} span_id={}", span_id("checkout"));
    assert!(lines[1].ends_with(&paid), "{} vs {paid}", lines[1]);
    assert!(lines[2].ends_with(&format!("charged trace_id={trace_id} span_id={}", span_id("charge"))), "{}", lines[2]);
    // The id on the line is what `/debug/traces/{id}` takes: all 32 digits.
    let printed = lines[1].split("trace_id=").nth(1).unwrap().split(' ').next().unwrap();
    assert_eq!(printed.len(), 32);
    assert_eq!(lantern::TraceId::from_hex(printed), Some(trace_id));
    // A timestamp leads each line (RFC 3339, UTC).
    assert!(lines[1].as_bytes()[4] == b'-' && lines[1].contains('T') && lines[1].contains("Z "), "{}", lines[1]);
    // No colour codes into a writer that is not a terminal.
    assert!(!text.contains('\x1b'));
}

#[test]
fn json_lines_carry_ids_fields_and_the_allowlisted_baggage() {
    let lines = Lines::default();
    let metrics = MetricsConfig { baggage_labels: vec!["customer".into()], ..Default::default() };
    let guard = lantern::builder()
        .metrics(metrics)
        .console(ConsoleFormat::Json)
        .console_filter("info")
        .console_writer(lines.clone())
        .try_init_local();
    tracing::info_span!("GET /dispatch").in_scope(|| {
        lantern::context::set_baggage("customer", "123").unwrap();
        lantern::context::set_baggage("session", "secret").unwrap();
        tracing::info!(eta_ms = 42_u64, ok = true, ratio = 0.5, driver = "T7", "dispatch \"done\"\n");
    });
    tracing::error!("outside");
    let buffer = guard.buffer().clone();
    drop(guard);
    let snap = buffer.snapshot();
    let span = snap.spans_named("GET /dispatch", 1).remove(0);

    let text = lines.text();
    let objects: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objects.len(), 2, "{text}");
    let line = &objects[0];
    assert_eq!(line["severity_text"], "INFO");
    assert_eq!(line["severity_number"], 9);
    assert_eq!(line["target"], "console_logs");
    assert_eq!(line["body"], "dispatch \"done\"\n");
    assert_eq!(line["trace_id"], span.trace_id.to_string());
    assert_eq!(line["span_id"], span.span_id.to_string());
    assert_eq!(line["trace_flags"], format!("{:02x}", span.flags.to_u8()), "two hex digits, as in traceparent");
    assert_eq!(line["attributes"], serde_json::json!({"eta_ms": 42, "ok": true, "ratio": 0.5, "driver": "T7"}));
    assert_eq!(line["baggage"], serde_json::json!({"customer": "123"}), "only allowlisted keys");
    assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));

    let outside = &objects[1];
    assert_eq!(outside["severity_text"], "ERROR");
    assert!(outside.get("trace_id").is_none() && outside.get("baggage").is_none());

    // The log record has the allowlisted baggage too (pages and export).
    let logs = snap.logs(&Default::default());
    let record = logs.iter().find(|l| l.body == "dispatch \"done\"\n").unwrap();
    assert_eq!(record.attribute("customer").and_then(|v| v.as_str()), Some("123"));
    assert!(record.attribute("session").is_none());
}

#[test]
fn log_baggage_is_its_own_allowlist_and_an_event_field_of_the_same_name_wins() {
    let lines = Lines::default();
    let guard = lantern::builder()
        .log_baggage(["tenant", "customer"])
        .console(ConsoleFormat::Json)
        .console_filter("info")
        .console_writer(lines.clone())
        .try_init_local();
    tracing::info_span!("work").in_scope(|| {
        lantern::context::set_baggage("tenant", "acme").unwrap();
        lantern::context::set_baggage("customer", "from-baggage").unwrap();
        tracing::info!(customer = "from-field", "step");
    });
    let buffer = guard.buffer().clone();
    drop(guard);
    let snap = buffer.snapshot();
    let log = snap.logs(&Default::default()).remove(0);
    assert_eq!(log.attribute("tenant").and_then(|v| v.as_str()), Some("acme"));
    assert_eq!(log.attribute("customer").and_then(|v| v.as_str()), Some("from-field"));
    let line: serde_json::Value = serde_json::from_str(lines.text().trim()).unwrap();
    assert_eq!(line["baggage"], serde_json::json!({"tenant": "acme", "customer": "from-baggage"}));
    assert_eq!(line["attributes"]["customer"], "from-field");
}

#[test]
fn the_console_filter_quiets_the_console_but_not_what_lantern_records() {
    let lines = Lines::default();
    let guard = lantern::builder()
        .console(ConsoleFormat::Pretty)
        .console_filter("warn,console_logs::noisy=off,console_logs::chatty=debug")
        .console_writer(lines.clone())
        .try_init_local();
    tracing::info_span!("request").in_scope(|| {
        tracing::info!("quiet info");
        tracing::warn!("loud warning");
        tracing::error!(target: "console_logs::noisy", "silenced error");
        tracing::debug!(target: "console_logs::chatty", "chatty debug");
    });
    let recorded = guard.buffer().snapshot().logs(&Default::default()).len();
    drop(guard);
    let text = lines.text();
    assert!(text.contains("loud warning") && text.contains("chatty debug"), "{text}");
    assert!(!text.contains("quiet info") && !text.contains("silenced error"), "{text}");
    assert_eq!(recorded, 4, "the filter is the console's own: Lantern records all four");
    // The span is INFO, hidden from the console by `warn`: its ids are still there.
    let warning = text.lines().find(|l| l.contains("loud warning")).unwrap();
    assert!(warning.contains(" trace_id=") && warning.contains(" span_id="), "{warning}");
}

#[test]
fn with_ids_composes_with_a_fmt_layer_of_your_own_even_behind_a_per_layer_filter() {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt;
    let lines = Lines::default();
    let out = lines.clone();
    let console = tracing_subscriber::fmt::layer()
        .event_format(lantern::fmt::with_ids().without_time())
        .with_ansi(false)
        .with_writer(move || out.clone())
        .with_filter(tracing_subscriber::filter::LevelFilter::WARN);
    let layer = lantern::layer();
    let buffer = layer.buffer();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer).with(console), || {
        tracing::info_span!("job").in_scope(|| {
            tracing::info!("not printed");
            tracing::warn!("printed");
        });
        tracing::warn!("outside");
    });
    buffer.flush();
    let span = buffer.snapshot().spans_named("job", 1).remove(0);
    assert_eq!(
        lines.text(),
        format!(
            " WARN console_logs: printed trace_id={} span_id={}\n WARN console_logs: outside\n",
            span.trace_id, span.span_id
        )
    );
}

#[test]
fn thread_local_set_ups_print_nothing_unless_asked() {
    let guard = lantern::builder().try_init_local();
    assert_eq!(guard.console_dropped_lines(), None);
    let off = lantern::builder().console(ConsoleFormat::Off).console_writer(Lines::default()).try_init_local();
    assert_eq!(off.console_dropped_lines(), None);
}

/// A writer stuck forever, as a terminal whose pipe nobody reads.
struct Stuck;

impl Write for Stuck {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        loop {
            std::thread::park();
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_stuck_writer_never_blocks_the_application_and_the_lost_lines_are_counted() {
    let guard =
        lantern::builder().console(ConsoleFormat::Pretty).console_filter("info").console_writer(Stuck).try_init_local();
    let started = Instant::now();
    tracing::info_span!("flood").in_scope(|| {
        for i in 0..100_000_u64 {
            tracing::info!(i, "line");
        }
    });
    let took = started.elapsed();
    assert!(took < Duration::from_secs(60), "100 000 lines took {took:?}");
    let dropped = guard.console_dropped_lines().unwrap();
    // At most the queue (16 384 lines) and the one line the writer holds got through.
    assert!(dropped >= 100_000 - 16_385, "dropped {dropped}");
    let text = guard.metrics().prometheus_text();
    assert!(text.contains(&format!("lantern_console_dropped_total {dropped}")), "{text}");
    // Shutting down does not wait for the stuck writer either.
    let started = Instant::now();
    drop(guard);
    assert!(started.elapsed() < Duration::from_secs(3), "guard drop took {:?}", started.elapsed());
}

/// `RUST_LOG` and `LANTERN_LOG_FORMAT` as a service sets them: a child
/// process (this test binary, running `child_prints_to_stderr`) with a
/// global `init()`, whose stderr the parent reads.
#[test]
fn init_prints_to_stderr_as_rust_log_and_lantern_log_format_say() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_prints_to_stderr", "--nocapture", "--test-threads=1"])
        .env("LANTERN_CONSOLE_CHILD", "1")
        .env("RUST_LOG", "warn")
        .env("LANTERN_LOG_FORMAT", "json")
        .env("LANTERN_HTTP_ADDR", "off")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<serde_json::Value> =
        stderr.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert_eq!(lines[0]["body"], "child warning");
    assert_eq!(lines[0]["trace_id"].as_str().map(str::len), Some(32));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("recorded 2 logs"), "{stdout}");
}

#[test]
fn child_prints_to_stderr() {
    if std::env::var_os("LANTERN_CONSOLE_CHILD").is_none() {
        return; // only as the child of the test above
    }
    let guard = lantern::init();
    tracing::info_span!("job").in_scope(|| {
        tracing::info!("child info");
        tracing::warn!("child warning");
    });
    println!("recorded {} logs", guard.buffer().snapshot().logs(&Default::default()).len());
}
