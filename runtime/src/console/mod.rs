//! The console layer [`crate::Builder::init`] installs: a
//! `tracing_subscriber::fmt` layer with Lantern's formatters, its own
//! `EnvFilter` (a per-layer filter: it quiets the console, not the
//! capture), writing through `tracing-appender`'s lossy non-blocking
//! writer. See [`crate::fmt`] for what users see.

use std::io::{IsTerminal, Write};

use tracing::Subscriber;
use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer};

use crate::fmt::{ConsoleFormat, json, with_ids};
use crate::handle::Handle;
use crate::metrics::family::{MetricFamily, MetricKind, MetricSeries, MetricValue, OwnFamilies};

/// Lines the writer's queue holds before lines are dropped: a few MB of
/// ordinary lines, and a second or more of a busy service's output.
pub(crate) const QUEUE_LINES: usize = 16_384;

/// What the builder was told about the console.
#[derive(Default)]
pub(crate) struct ConsoleConfig {
    /// `None`: `LANTERN_LOG_FORMAT`, else pretty for a global set-up and
    /// off for a thread-local one.
    pub(crate) format: Option<ConsoleFormat>,
    /// `None`: `RUST_LOG`, else `info`.
    pub(crate) filter: Option<String>,
    /// `None`: stderr.
    pub(crate) writer: Option<Box<dyn Write + Send>>,
    /// `None`: [`QUEUE_LINES`].
    pub(crate) queue_lines: Option<usize>,
}

/// The running console: its writer thread's guard (flushes on drop) and
/// its count of dropped lines.
pub(crate) struct Running {
    dropped: ErrorCounter,
    /// A handle on the queue, to see whether it is full at shutdown.
    probe: NonBlocking,
    worker: Option<WorkerGuard>,
}

impl Running {
    pub(crate) fn dropped_lines(&self) -> u64 {
        self.dropped.dropped_lines() as u64
    }
}

impl Drop for Running {
    /// Flushes the queue: `tracing-appender`'s guard waits for the writer
    /// thread, at most about a second. When the queue is full (the writer
    /// is stuck: an empty line sent to it is dropped, and counted), the
    /// guard is left undropped instead: its shutdown message would wait
    /// 100 ms and then print a complaint on stdout, which may be the
    /// application's data. The stuck thread is left where it is.
    fn drop(&mut self) {
        let before = self.dropped.dropped_lines();
        let _ = self.probe.write(&[]);
        let worker = self.worker.take();
        if self.dropped.dropped_lines() > before {
            std::mem::forget(worker);
        }
    }
}

/// The console layer for `config`, or `None` when it is off. `local`: a
/// thread-local set-up (off unless asked). `baggage`: the keys JSON lines show.
pub(crate) fn start<S>(
    config: ConsoleConfig,
    local: bool,
    baggage: &[String],
    handle: &Handle,
) -> (Option<Box<dyn Layer<S> + Send + Sync>>, Option<Running>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let format = config.format.unwrap_or_else(|| default_format(local));
    if format == ConsoleFormat::Off {
        return (None, None);
    }
    let filter = match config.filter {
        Some(directives) => parse_filter(&directives, "the console filter"),
        None => match std::env::var("RUST_LOG") {
            Ok(directives) if !directives.trim().is_empty() => parse_filter(&directives, "RUST_LOG"),
            _ => EnvFilter::new("info"),
        },
    };
    let ansi = config.writer.is_none()
        && format == ConsoleFormat::Pretty
        && std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let writer = config.writer.unwrap_or_else(|| Box::new(std::io::stderr()));
    let (non_blocking, worker) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(config.queue_lines.unwrap_or(QUEUE_LINES).max(1))
        .thread_name("lantern-console")
        .finish(writer);
    let dropped = non_blocking.error_counter();
    let probe = non_blocking.clone();
    let fmt = tracing_subscriber::fmt::layer().with_writer(non_blocking).with_ansi(ansi);
    let layer: Box<dyn Layer<S> + Send + Sync> = match format {
        ConsoleFormat::Json => fmt.event_format(json().baggage(baggage.iter().cloned())).with_filter(filter).boxed(),
        _ => fmt.event_format(with_ids()).with_filter(filter).boxed(),
    };
    handle.metrics().add_own_families(DroppedFamily(dropped.clone()));
    (Some(layer), Some(Running { dropped, probe, worker: Some(worker) }))
}

fn default_format(local: bool) -> ConsoleFormat {
    if local {
        return ConsoleFormat::Off;
    }
    match std::env::var("LANTERN_LOG_FORMAT") {
        Ok(raw) if !raw.trim().is_empty() => raw.parse().unwrap_or_else(|e| {
            eprintln!("lantern: LANTERN_LOG_FORMAT={raw:?}: {e}; printing the pretty format");
            ConsoleFormat::Pretty
        }),
        _ => ConsoleFormat::Pretty,
    }
}

/// `directives` as an `EnvFilter`; a bad one is reported on stderr, and
/// its valid directives kept (`info` when none is).
fn parse_filter(directives: &str, what: &str) -> EnvFilter {
    EnvFilter::builder().parse(directives).unwrap_or_else(|e| {
        eprintln!("lantern: {what} {directives:?}: {e}; keeping its valid directives");
        let lossy = EnvFilter::builder().parse_lossy(directives);
        if lossy.to_string().is_empty() { EnvFilter::new("info") } else { lossy }
    })
}

/// `lantern.console.dropped`, read from the writer's counter.
struct DroppedFamily(ErrorCounter);

impl OwnFamilies for DroppedFamily {
    fn families(&self, _max_series: usize, out: &mut Vec<MetricFamily>) {
        out.push(MetricFamily {
            name: "lantern.console.dropped".to_owned(),
            kind: MetricKind::Counter,
            unit: Some(metrics::Unit::Count),
            description: Some(
                "Console log lines dropped: the writer's queue was full (a slow or stuck terminal).".to_owned(),
            ),
            series: vec![MetricSeries {
                labels: Vec::new(),
                value: MetricValue::Counter { value: self.0.dropped_lines() as u64, exemplar: None },
            }],
        });
    }
}
