//! `crate = path`: the generated code takes everything it uses from `tracing`
//! through the `lantern` crate at the path given, as in a crate that wraps
//! Lantern and re-exports it to users who do not depend on `tracing`.

mod common;

use std::num::ParseIntError;
use std::sync::atomic::Ordering;

use common::capture;

/// A stand-in for a crate that wraps Lantern and re-exports it.
mod obs {
    pub use lantern;
}

#[obs::lantern::traced(crate = obs::lantern, level = "debug", fields(rows = tracing::field::Empty))]
fn query(sql: &str, c: char, p: Option<u8>) -> usize {
    tracing::Span::current().record("rows", 3_u64);
    sql.len() + c.len_utf8() + usize::from(p.unwrap_or(0))
}

#[obs::lantern::traced(crate = "obs::lantern", err(Debug), ret)]
fn parse(text: &str) -> Result<u8, ParseIntError> {
    text.parse()
}

#[test]
fn a_re_exported_tracing_is_used() {
    let seen = capture(|| {
        assert_eq!(query("SELECT 1", 'x', Some(2)), 11);
        assert_eq!(parse("7"), Ok(7));
        assert!(parse("seven").is_err());
    });
    let q = seen.span("query");
    assert_eq!(q.level, "DEBUG");
    let typed = |name: &str| (q.field(name).unwrap(), q.kind_of(name).unwrap());
    assert_eq!(typed("sql"), ("SELECT 1", "str"));
    assert_eq!(typed("c"), ("x", "debug"));
    assert_eq!(typed("p"), ("Some(2)", "debug"));
    assert_eq!(typed("rows"), ("3", "u64"));
    assert_eq!(typed("code.function"), ("query", "str"));

    let [ok, err] = seen.all("parse")[..] else { panic!("two parse spans: {:#?}", seen.spans) };
    assert_eq!((ok.field("otel.status_code"), ok.events.len()), (None, 1));
    assert_eq!(ok.events[0].field("return"), Some("7"));
    assert_eq!(err.field("otel.status_code"), Some("ERROR"));
    assert_eq!(err.field("otel.status_message"), Some("ParseIntError { kind: InvalidDigit }"));
    assert_eq!(err.events[0].level, "ERROR");
}

/// A `lantern` of its own, whose hidden `tracing` re-export is the real
/// one's items with a `span!` that counts the spans made through it.
mod counted {
    /// Spans made through `span!`.
    pub static SPANS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    pub mod __private {
        pub mod tracing {
            pub use tracing::{Instrument, Level, event, field};

            /// `tracing::span!`, counted.
            macro_rules! span {
                ($($tokens:tt)*) => {{
                    $crate::counted::SPANS.fetch_add(1, ::std::sync::atomic::Ordering::Relaxed);
                    ::tracing::span!($($tokens)*)
                }};
            }
            pub(crate) use span;
        }
    }
}

#[lantern::traced(crate = counted, level = Level::WARN, err, ret(Display))]
fn counted_sync(n: u32, c: char) -> Result<u32, String> {
    if n > 0 { Ok(n) } else { Err(format!("{n} {c}")) }
}

#[lantern::traced(crate = self::counted, skip_all)]
async fn counted_async(n: u32) -> u32 {
    tokio::task::yield_now().await;
    tracing::info!("inside");
    n + 1
}

#[test]
fn nothing_is_taken_from_elsewhere() {
    let seen = capture(|| {
        assert_eq!(counted_sync(4, 'a'), Ok(4));
        assert!(counted_sync(0, 'b').is_err());
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert_eq!(rt.block_on(counted_async(1)), 2);
    });
    assert_eq!(counted::SPANS.load(Ordering::Relaxed), 3, "every span was made through `counted::span!`");
    let [ok, err] = seen.all("counted_sync")[..] else { panic!("two spans: {:#?}", seen.spans) };
    assert_eq!((ok.level.as_str(), ok.events[0].field("return")), ("WARN", Some("4")));
    assert_eq!(err.field("otel.status_message"), Some("0 b"));
    assert_eq!(err.events[0].field("exception.message"), Some("0 b"));
    let a = seen.span("counted_async");
    assert_eq!((a.fields.len(), a.events.len()), (1, 1), "only code.function; the event is inside");
}
