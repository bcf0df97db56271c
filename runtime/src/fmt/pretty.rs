//! The compact human format: one line an event, the ids at its end.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::ids::event_ids;

/// A `tracing_subscriber::fmt` event formatter that ends each line with the
/// trace and span ids of the span the event happened in, read from
/// [`LanternLayer`](crate::LanternLayer)'s state:
///
/// ```text
/// 2025-06-01T12:00:00.000000Z  INFO checkout: paid items=3 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7
/// ```
///
/// The trace id is printed whole (32 hex digits): paste it into
/// `/debug/traces/{id}` or a search for the trace elsewhere. Outside a span,
/// or without a `LanternLayer` in the subscriber, the line has no ids.
/// Make one with [`with_ids`].
///
/// The fields print as `key=value` (text in quotes, as `tracing` prints
/// it); the message first, without a key. Events from the `log` crate show
/// their own level and target, and none of the `log.*` fields. With ANSI
/// colours when the layer asks for them (`fmt::layer().with_ansi(true)`).
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let subscriber = tracing_subscriber::registry()
///     .with(lantern::layer())
///     .with(tracing_subscriber::fmt::layer().event_format(lantern::fmt::with_ids()));
/// # drop(subscriber);
/// ```
#[derive(Clone, Debug)]
pub struct WithIds {
    time: bool,
}

/// The compact human format with the ids; see [`WithIds`].
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tracing_subscriber::layer::SubscriberExt;
///
/// #[derive(Clone, Default)]
/// struct Lines(Arc<Mutex<Vec<u8>>>);
/// impl std::io::Write for Lines {
///     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().extend_from_slice(b); Ok(b.len()) }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// }
///
/// let lines = Lines::default();
/// let out = lines.clone();
/// let console = tracing_subscriber::fmt::layer()
///     .event_format(lantern::fmt::with_ids().without_time())
///     .with_ansi(false)
///     .with_writer(move || out.clone());
/// let subscriber = tracing_subscriber::registry().with(lantern::layer()).with(console);
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info_span!("checkout").in_scope(|| tracing::info!(target: "shop", items = 3, "paid"));
/// });
/// let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
/// assert!(text.starts_with(" INFO shop: paid items=3 trace_id="), "{text}");
/// ```
pub fn with_ids() -> WithIds {
    crate::layer::stash::wanted();
    WithIds { time: true }
}

impl WithIds {
    /// Leaves the timestamp out (for a platform that stamps lines itself,
    /// or output compared in tests).
    ///
    /// ```
    /// let format = lantern::fmt::with_ids().without_time();
    /// # drop(format);
    /// ```
    pub fn without_time(self) -> Self {
        WithIds { time: false }
    }
}

impl<S, N> FormatEvent<S, N> for WithIds
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut w: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let ansi = w.has_ansi_escapes();
        if self.time {
            paint(&mut w, ansi, DIM, |w| SystemTime.format_time(w))?;
            w.write_char(' ')?;
        }
        let level = meta.level();
        let colour = match *level {
            Level::ERROR => "\x1b[31m",
            Level::WARN => "\x1b[33m",
            Level::INFO => "\x1b[32m",
            Level::DEBUG => "\x1b[34m",
            Level::TRACE => "\x1b[35m",
        };
        paint(&mut w, ansi, colour, |w| write!(w, "{level:>5}"))?;
        paint(&mut w, ansi, DIM, |w| write!(w, " {}:", meta.target()))?;
        let mut fields = PrettyFields { w: w.by_ref(), result: Ok(()) };
        event.record(&mut fields);
        fields.result?;
        if let Some(ids) = event_ids(ctx, event, |_| {}) {
            paint(&mut w, ansi, DIM, |w| write!(w, " trace_id={} span_id={}", ids.trace_id, ids.span_id))?;
        }
        writeln!(w)
    }
}

const DIM: &str = "\x1b[2m";

/// Writes what `f` writes, in `colour` when `ansi`.
fn paint(w: &mut Writer<'_>, ansi: bool, colour: &str, f: impl FnOnce(&mut Writer<'_>) -> fmt::Result) -> fmt::Result {
    if ansi {
        w.write_str(colour)?;
    }
    f(w)?;
    if ansi {
        w.write_str("\x1b[0m")?;
    }
    Ok(())
}

/// The message, then ` key=value` for each other field.
struct PrettyFields<'w> {
    w: Writer<'w>,
    result: fmt::Result,
}

impl Visit for PrettyFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_err() {
            return;
        }
        let name = field.name();
        self.result = match name {
            "message" => write!(self.w, " {value:?}"),
            _ if name.starts_with("log.") => Ok(()),
            _ => write!(self.w, " {name}={value:?}"),
        };
    }
}
