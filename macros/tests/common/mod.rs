//! A capturing `tracing_subscriber::Layer` for the `#[traced]` tests: every
//! closed span with its name, level, target, parent, fields and events.

#![allow(dead_code, missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A field's text and how it was recorded: "u64", "i64", "f64", "bool",
/// "str" or "debug" (`Debug`/`Display` wrappers, anything else).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub text: String,
    pub kind: &'static str,
}

#[derive(Clone, Debug, Default)]
pub struct EventSeen {
    pub level: String,
    pub target: String,
    pub fields: Vec<(String, Value)>,
}

impl EventSeen {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.text.as_str())
    }
}

#[derive(Clone, Debug, Default)]
pub struct SpanSeen {
    /// Unique per capture (registry ids are reused once a span closes).
    pub serial: u64,
    pub name: String,
    pub level: String,
    pub target: String,
    pub parent: Option<u64>,
    /// Every field the span declares, recorded or not.
    pub declared: Vec<String>,
    pub fields: Vec<(String, Value)>,
    pub events: Vec<EventSeen>,
}

impl SpanSeen {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.text.as_str())
    }

    pub fn kind_of(&self, name: &str) -> Option<&'static str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.kind)
    }
}

#[derive(Clone, Default)]
pub struct Capture {
    spans: Arc<Mutex<Vec<SpanSeen>>>,
    orphan_events: Arc<Mutex<Vec<EventSeen>>>,
    serial: Arc<AtomicU64>,
    /// The most verbose level enabled; `None`: all.
    max_level: Option<Level>,
}

struct Fields<'a>(&'a mut Vec<(String, Value)>);

impl Fields<'_> {
    fn put(&mut self, field: &Field, text: String, kind: &'static str) {
        self.0.retain(|(k, _)| k != field.name());
        self.0.push((field.name().to_owned(), Value { text, kind }));
    }
}

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, format!("{value:?}"), "debug");
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_owned(), "str");
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.to_string(), "u64");
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.to_string(), "i64");
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.to_string(), "f64");
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.to_string(), "bool");
    }
}

fn event_seen(event: &Event<'_>) -> EventSeen {
    let mut seen = EventSeen {
        level: event.metadata().level().to_string(),
        target: event.metadata().target().to_owned(),
        fields: Vec::new(),
    };
    event.record(&mut Fields(&mut seen.fields));
    seen
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Capture {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // Ask `enabled` every time: tests with different filters run at once.
        Interest::sometimes()
    }
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        self.max_level.is_none_or(|max| *metadata.level() <= max)
    }
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let span = ctx.span(id).expect("a new span");
        let meta = attrs.metadata();
        let mut seen = SpanSeen {
            serial: self.serial.fetch_add(1, Ordering::Relaxed),
            name: meta.name().to_owned(),
            level: meta.level().to_string(),
            target: meta.target().to_owned(),
            parent: span.parent().map(|p| p.extensions().get::<SpanSeen>().expect("parent seen").serial),
            declared: meta.fields().iter().map(|f| f.name().to_owned()).collect(),
            ..Default::default()
        };
        attrs.record(&mut Fields(&mut seen.fields));
        span.extensions_mut().insert(seen);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).expect("a recorded span");
        let mut ext = span.extensions_mut();
        values.record(&mut Fields(&mut ext.get_mut::<SpanSeen>().expect("seen").fields));
    }
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let seen = event_seen(event);
        match ctx.event_span(event) {
            Some(span) => span.extensions_mut().get_mut::<SpanSeen>().expect("seen").events.push(seen),
            None => self.orphan_events.lock().unwrap().push(seen),
        }
    }
    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let span = ctx.span(&id).expect("a closed span");
        let seen = span.extensions_mut().remove::<SpanSeen>().expect("seen");
        self.spans.lock().unwrap().push(seen);
    }
}

/// What a test run under [`capture`] saw.
pub struct Seen {
    pub spans: Vec<SpanSeen>,
    pub orphan_events: Vec<EventSeen>,
}

impl Seen {
    /// The one closed span with this name.
    pub fn span(&self, name: &str) -> &SpanSeen {
        let found: Vec<_> = self.spans.iter().filter(|s| s.name == name).collect();
        assert_eq!(found.len(), 1, "exactly one span named {name:?} in {:#?}", self.spans);
        found[0]
    }

    pub fn all(&self, name: &str) -> Vec<&SpanSeen> {
        self.spans.iter().filter(|s| s.name == name).collect()
    }

    pub fn by_serial(&self, serial: u64) -> &SpanSeen {
        self.spans.iter().find(|s| s.serial == serial).expect("a span with that serial")
    }
}

/// Runs `f` with a capturing subscriber as the thread's default, passing it
/// the dispatcher (for futures polled on other threads).
pub fn capture_at(max_level: Option<Level>, f: impl FnOnce(&tracing::Dispatch)) -> Seen {
    let capture = Capture { max_level, ..Default::default() };
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(capture.clone()));
    tracing::dispatcher::with_default(&dispatch, || f(&dispatch));
    drop(dispatch);
    let spans = capture.spans.lock().unwrap().clone();
    let orphan_events = capture.orphan_events.lock().unwrap().clone();
    Seen { spans, orphan_events }
}

pub fn capture(f: impl FnOnce()) -> Seen {
    capture_at(None, |_| f())
}
