//! `#[traced]` behaviour under a plain capturing subscriber (no Lantern):
//! names, levels, fields, skips, nesting, `err`, `ret`, methods, generics.

use std::sync::{Arc, Mutex};

use lantern_macros::traced;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

#[derive(Clone, Debug, Default)]
struct SpanSeen {
    name: String,
    level: String,
    parent: Option<String>,
    fields: Vec<(String, String)>,
    events: Vec<Vec<(String, String)>>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<SpanSeen>>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);
impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.retain(|(k, _)| k != field.name());
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.retain(|(k, _)| k != field.name());
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let span = ctx.span(id).unwrap();
        let mut seen = SpanSeen {
            name: attrs.metadata().name().to_owned(),
            level: attrs.metadata().level().to_string(),
            parent: span.parent().map(|p| p.name().to_owned()),
            ..Default::default()
        };
        attrs.record(&mut Fields(&mut seen.fields));
        span.extensions_mut().insert(seen);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).unwrap();
        let mut ext = span.extensions_mut();
        values.record(&mut Fields(&mut ext.get_mut::<SpanSeen>().unwrap().fields));
    }
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.event_span(event) {
            let mut fields = Vec::new();
            event.record(&mut Fields(&mut fields));
            span.extensions_mut().get_mut::<SpanSeen>().unwrap().events.push(fields);
        }
    }
    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let span = ctx.span(&id).unwrap();
        let seen = span.extensions_mut().remove::<SpanSeen>().unwrap();
        self.0.lock().unwrap().push(seen);
    }
}

fn capture(f: impl FnOnce()) -> Vec<SpanSeen> {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    tracing::subscriber::with_default(subscriber, f);
    capture.0.lock().unwrap().clone()
}

fn field<'a>(span: &'a SpanSeen, name: &str) -> Option<&'a str> {
    span.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[traced]
fn plain(a: u32, s: &str, owned: String, v: Vec<u8>) -> usize {
    a as usize + s.len() + owned.len() + v.len()
}

#[traced(name = "renamed", level = "debug", skip(secret), fields(extra = 7, late = tracing::field::Empty))]
fn configured(user: &str, secret: &str) -> bool {
    tracing::Span::current().record("late", "set");
    !user.is_empty() && !secret.is_empty()
}

#[traced(skip_all, kind = "server")]
fn outer(x: u64) -> u64 {
    inner(x) + 1
}

#[traced(level = tracing::Level::WARN)]
fn inner(x: u64) -> u64 {
    x * 2
}

#[traced(err)]
fn fails(fail: bool) -> Result<u8, String> {
    if fail { Err("went wrong".to_owned()) } else { Ok(1) }
}

#[traced(ret, err(Debug))]
fn returns(n: i64) -> Result<i64, std::num::TryFromIntError> {
    let small: u8 = u8::try_from(n)?;
    Ok(i64::from(small) * 2)
}

struct Service {
    name: &'static str,
}

impl Service {
    #[traced]
    fn handle(&self, id: u32) -> String {
        format!("{}:{id}", self.name)
    }

    #[traced(skip(self))]
    async fn handle_async(&self, id: u32) -> String {
        tokio::task::yield_now().await;
        child_async(id).await
    }
}

#[traced]
async fn child_async(id: u32) -> String {
    tokio::task::yield_now().await;
    id.to_string()
}

#[traced]
fn generic<T: std::fmt::Debug + Clone>(value: T) -> T {
    value.clone()
}

#[test]
fn records_arguments_typed_or_as_debug_and_the_function_name() {
    let spans = capture(|| {
        plain(3, "ab", "cd".into(), vec![1]);
    });
    let s = &spans[0];
    assert_eq!((s.name.as_str(), s.level.as_str()), ("plain", "INFO"));
    assert_eq!(field(s, "a"), Some("3"));
    assert_eq!(field(s, "s"), Some("ab"));
    assert_eq!(field(s, "owned"), Some("cd"));
    assert_eq!(field(s, "v"), Some("[1]"));
    assert_eq!(field(s, "code.function"), Some("plain"));
}

#[test]
fn name_level_skip_and_fields_are_honoured() {
    let spans = capture(|| assert!(configured("ann", "hunter2")));
    let s = &spans[0];
    assert_eq!((s.name.as_str(), s.level.as_str()), ("renamed", "DEBUG"));
    assert_eq!(field(s, "user"), Some("ann"));
    assert_eq!(field(s, "secret"), None, "skipped");
    assert_eq!(field(s, "extra"), Some("7"));
    assert_eq!(field(s, "late"), Some("set"));
}

#[test]
fn nested_functions_nest_and_kind_is_recorded() {
    let spans = capture(|| assert_eq!(outer(2), 5));
    let inner = spans.iter().find(|s| s.name == "inner").unwrap();
    let outer = spans.iter().find(|s| s.name == "outer").unwrap();
    assert_eq!(inner.parent.as_deref(), Some("outer"));
    assert_eq!(inner.level, "WARN");
    assert_eq!(field(outer, "x"), None, "skip_all");
    assert_eq!(field(outer, "otel.kind"), Some("server"));
}

#[test]
fn err_sets_the_status_and_emits_an_exception_event() {
    let spans = capture(|| {
        assert!(fails(true).is_err());
        assert!(fails(false).is_ok());
    });
    let (bad, good) = (&spans[0], &spans[1]);
    assert_eq!(field(bad, "otel.status_code"), Some("ERROR"));
    assert_eq!(field(bad, "otel.status_message"), Some("went wrong"));
    assert_eq!(bad.events.len(), 1);
    assert!(bad.events[0].contains(&("exception.message".into(), "went wrong".into())));
    assert_eq!(field(good, "otel.status_code"), None);
    assert!(good.events.is_empty());
}

#[test]
fn ret_records_the_value_and_question_mark_still_works() {
    let spans = capture(|| {
        assert_eq!(returns(4).unwrap(), 8);
        assert!(returns(-1).is_err());
    });
    assert!(spans[0].events[0].contains(&("return_value".into(), "Ok(8)".into())));
    assert!(field(&spans[1], "otel.status_message").unwrap().contains("TryFromIntError"));
}

#[test]
fn methods_generics_and_async_keep_their_parents() {
    let spans = capture(|| {
        let svc = Service { name: "svc" };
        assert_eq!(svc.handle(1), "svc:1");
        assert_eq!(generic(5_u8), 5);
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert_eq!(rt.block_on(svc.handle_async(9)), "9");
    });
    let handle = spans.iter().find(|s| s.name == "handle").unwrap();
    assert_eq!(field(handle, "id"), Some("1"));
    assert_eq!(field(handle, "self"), None, "self is never recorded");
    assert_eq!(field(spans.iter().find(|s| s.name == "generic").unwrap(), "value"), Some("5"));
    let child = spans.iter().find(|s| s.name == "child_async").unwrap();
    assert_eq!(child.parent.as_deref(), Some("handle_async"), "parent kept across .await");
}
