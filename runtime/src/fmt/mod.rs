//! Logs on the console, with the trace and span ids of the span each line
//! was written in.
//!
//! [`crate::init`] prints every event to stderr, one line each, and ends
//! the lines written inside a span with its ids:
//!
//! ```text
//! 2025-06-01T12:00:00.000000Z  INFO hotrod::customer: Loading customer customer_id=123 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7
//! ```
//!
//! The trace id is the whole one, 32 hex digits: a line on the console leads
//! to its trace at `http://127.0.0.1:9464/debug/traces/4bf92f3577b34da6a3ce929d0e0e4736`.
//!
//! # Choosing what is printed
//!
//! | setting | what |
//! |---|---|
//! | `RUST_LOG` | which events print, as `tracing_subscriber::EnvFilter` reads it (default `info`); [`crate::Builder::console_filter`] wins |
//! | `LANTERN_LOG_FORMAT` | `pretty` (default), `json` or `off`; [`crate::Builder::console`] wins |
//!
//! `RUST_LOG` filters the console only: Lantern still records every event
//! up to [`crate::Builder::max_level`], so `RUST_LOG=warn` keeps a quiet
//! terminal while the debug pages, the log counts and the exporter see the
//! INFO and DEBUG events of the traces they show. (A global filter would
//! have made the traces lose their logs whenever the terminal was quieted.)
//!
//! A set-up for tests, [`crate::Builder::try_init_local`], prints nothing
//! unless the builder asks ([`crate::Builder::console`]): tests would
//! otherwise print every event of every test. [`crate::Builder::init`] and
//! [`crate::Builder::try_init`] print by default.
//!
//! # Never blocking the application
//!
//! Lines go through `tracing-appender`'s non-blocking writer: the
//! application's thread formats the line and hands it to a bounded queue
//! (16 384 lines); the thread `lantern-console` writes them out. A slow or
//! stuck terminal (a full pipe nobody reads) fills the queue, and then lines
//! are dropped, never waited for. The drops are counted:
//! [`crate::Guard::console_dropped_lines`] and the metric
//! `lantern.console.dropped` (`lantern_console_dropped_total` on
//! `/metrics`). The [`crate::Guard`] flushes the queue when it drops (waiting
//! at most about a second for a stuck writer).
//!
//! # Formats
//!
//! - [`WithIds`] (`pretty`): compact and human, the ids last, colours on a
//!   terminal (unless `NO_COLOR` is set);
//! - [`Json`] (`json`): one object a line with `timestamp`, `severity_text`,
//!   `severity_number`, `target`, `body`, `trace_id`, `span_id`,
//!   `trace_flags`, `attributes` (the event's fields) and `baggage` (the
//!   span's allowlisted baggage: [`crate::Builder::log_baggage`], else
//!   `MetricsConfig::baggage_labels`).
//!
//! Both are `tracing_subscriber::fmt` event formatters, for a subscriber you
//! compose yourself: the ids come from the [`crate::LanternLayer`] in the
//! same subscriber.
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt;
//! use tracing_subscriber::fmt;
//! let subscriber = tracing_subscriber::registry()
//!     .with(lantern::layer())
//!     .with(fmt::layer().event_format(lantern::fmt::with_ids()));
//! # drop(subscriber);
//! ```
//!
//! The module is `lantern::fmt`, after `tracing_subscriber::fmt`; it
//! shadows nothing, but code that does `use std::fmt;` should name this one
//! in full (`lantern::fmt::with_ids()`).

mod ids;
mod json;
mod pretty;

pub use json::{Json, json};
pub use pretty::{WithIds, with_ids};

/// What [`crate::init`] prints on the console; see the [module docs](self).
///
/// ```
/// use lantern::fmt::ConsoleFormat;
/// assert_eq!("json".parse::<ConsoleFormat>(), Ok(ConsoleFormat::Json));
/// assert!("yaml".parse::<ConsoleFormat>().is_err());
/// let builder = lantern::builder().console(ConsoleFormat::Off);
/// # drop(builder);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleFormat {
    /// Compact lines for people ([`WithIds`]).
    Pretty,
    /// One JSON object a line ([`Json`]).
    Json,
    /// Nothing on the console.
    Off,
}

impl std::str::FromStr for ConsoleFormat {
    type Err = UnknownFormat;

    /// `pretty`, `json` or `off`, in any case, spaces around ignored.
    fn from_str(s: &str) -> Result<Self, UnknownFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pretty" => Ok(ConsoleFormat::Pretty),
            "json" => Ok(ConsoleFormat::Json),
            "off" | "none" => Ok(ConsoleFormat::Off),
            _ => Err(UnknownFormat),
        }
    }
}

/// A console format name that is none of `pretty`, `json`, `off`.
///
/// ```
/// let err = "yaml".parse::<lantern::fmt::ConsoleFormat>().unwrap_err();
/// assert_eq!(err.to_string(), "not a console format: expected pretty, json or off");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownFormat;

impl std::fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a console format: expected pretty, json or off")
    }
}

impl std::error::Error for UnknownFormat {}
