//! `#[traced]` on sync functions and methods, under a plain capturing
//! subscriber (no Lantern): names, levels, targets, fields, skips, nesting,
//! `err`, `ret`, `parent`, methods and generics.

mod common;

use common::{capture, capture_at};
use lantern_macros::traced;
use tracing::Level;

#[derive(Debug)]
struct Point {
    x: i32,
}

#[traced]
#[allow(clippy::too_many_arguments)]
fn plain(n: u32, neg: i64, s: &str, owned: String, flag: bool, ratio: f64, c: char, p: Point, o: Option<u8>) -> String {
    format!("{n} {neg} {s} {owned} {flag} {ratio} {c} {p:?} {o:?}")
}

#[test]
fn the_span_is_named_after_the_fn_and_records_every_argument() {
    let seen = capture(|| {
        plain(3, -1, "ab", "cd".into(), true, 0.5, 'z', Point { x: 1 }, None);
    });
    let s = seen.span("plain");
    assert_eq!((s.level.as_str(), s.target.as_str()), ("INFO", "traced"));
    assert_eq!(s.parent, None);
    let typed = |name: &str| (s.field(name).unwrap(), s.kind_of(name).unwrap());
    assert_eq!(typed("n"), ("3", "u64"));
    assert_eq!(typed("neg"), ("-1", "i64"));
    assert_eq!(typed("s"), ("ab", "str"));
    assert_eq!(typed("owned"), ("cd", "str"));
    assert_eq!(typed("flag"), ("true", "bool"));
    assert_eq!(typed("ratio"), ("0.5", "f64"));
    assert_eq!(typed("c"), ("z", "debug"), "char is recorded with Display");
    assert_eq!(typed("p"), ("Point { x: 1 }", "debug"));
    assert_eq!(typed("o"), ("None", "debug"));
    assert_eq!(typed("code.function"), ("plain", "str"));
    assert_eq!(s.fields.len(), 10, "nothing else: {:?}", s.fields);
}

#[traced(name = "renamed", level = "debug", target = "my::target")]
fn lowercase_level() {}

#[traced(level = "WaRn")]
fn mixed_case_level() {}

#[traced(level = Level::ERROR)]
fn level_constant() {}

#[traced(level = tracing::Level::TRACE)]
fn level_path() {}

#[test]
fn name_level_and_target_can_be_set() {
    let seen = capture(|| {
        lowercase_level();
        mixed_case_level();
        level_constant();
        level_path();
    });
    let renamed = seen.span("renamed");
    assert_eq!((renamed.level.as_str(), renamed.target.as_str()), ("DEBUG", "my::target"));
    assert_eq!(renamed.field("code.function"), Some("lowercase_level"), "the fn's name, not the span's");
    assert_eq!(seen.span("mixed_case_level").level, "WARN");
    assert_eq!(seen.span("level_constant").level, "ERROR");
    assert_eq!(seen.span("level_path").level, "TRACE");
}

#[traced(skip(secret, token))]
fn skips(user: &str, secret: &str, token: u64) -> bool {
    !user.is_empty() && !secret.is_empty() && token > 0
}

#[traced(skip_all)]
fn skips_all(user: &str, secret: &str) -> usize {
    user.len() + secret.len()
}

#[traced]
fn destructured((a, b): (u8, u8), Point { x }: Point, kept: u8) -> i32 {
    i32::from(a + b + kept) + x
}

#[test]
fn skipped_and_destructured_arguments_are_not_recorded() {
    let seen = capture(|| {
        assert!(skips("ann", "hunter2", 9));
        assert_eq!(skips_all("ann", "hunter2"), 10);
        assert_eq!(destructured((1, 2), Point { x: 3 }, 4), 10);
    });
    let s = seen.span("skips");
    assert_eq!(s.field("user"), Some("ann"));
    assert_eq!((s.field("secret"), s.field("token")), (None, None));
    assert!(!s.declared.iter().any(|f| f == "secret" || f == "token"), "not even declared");
    let all = seen.span("skips_all");
    assert_eq!(all.declared, ["code.function"]);
    let d = seen.span("destructured");
    assert_eq!(d.declared, ["kept", "code.function"], "nothing for the patterns or what they bind");
}

#[traced(skip(p), fields(answer = 42, p.x, %shown, debugged = ?debugged, db.system = "pg", late = tracing::field::Empty, id = id * 10))]
fn with_fields(id: u32, shown: &str, debugged: &str, p: Point) {
    tracing::Span::current().record("late", p.x);
}

#[test]
fn fields_take_span_syntax_and_override_arguments() {
    let seen = capture(|| with_fields(7, "disp", "dbg", Point { x: 5 }));
    let s = seen.span("with_fields");
    assert_eq!(s.field("answer"), Some("42"));
    assert_eq!(s.field("p.x"), Some("5"), "a shorthand field: `p.x` = p.x");
    assert_eq!(s.kind_of("shown"), Some("debug"), "`%shown` replaces the typed argument field");
    assert_eq!(s.field("shown"), Some("disp"), "% → Display, so no quotes");
    assert_eq!(s.field("debugged"), Some("\"dbg\""), "? → Debug, so quotes");
    assert_eq!(s.field("db.system"), Some("pg"));
    assert_eq!(s.field("late"), Some("5"), "an Empty field recorded in the body");
    assert_eq!(s.field("id"), Some("70"), "the field replaces the argument");
    for name in ["id", "shown", "debugged"] {
        assert_eq!(s.declared.iter().filter(|f| *f == name).count(), 1, "{name} declared once");
    }
}

#[traced(kind = "server")]
fn server() {}

#[traced(kind = "Consumer")]
fn consumer() {}

#[traced]
fn no_kind() {}

#[test]
fn kind_is_recorded_as_otel_kind() {
    let seen = capture(|| {
        server();
        consumer();
        no_kind();
    });
    assert_eq!(seen.span("server").field("otel.kind"), Some("server"));
    assert_eq!(seen.span("consumer").field("otel.kind"), Some("consumer"), "normalised to lower case");
    assert!(!seen.span("no_kind").declared.iter().any(|f| f == "otel.kind"));
}

#[traced(skip_all)]
fn outer(x: u64) -> u64 {
    inner(x) + inner(x + 1)
}

#[traced(level = "debug")]
fn inner(x: u64) -> u64 {
    tracing::info!(x, "inside inner");
    x * 2
}

#[test]
fn nested_traced_fns_nest() {
    let seen = capture(|| assert_eq!(outer(2), 10));
    let outer = seen.span("outer");
    let inners = seen.all("inner");
    assert_eq!(inners.len(), 2);
    for inner in inners {
        assert_eq!(inner.parent, Some(outer.serial));
        assert_eq!(inner.events.len(), 1, "the event is inside the inner span");
    }
    assert!(outer.events.is_empty() && seen.orphan_events.is_empty());
}

#[derive(Debug)]
struct Failure(&'static str);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "failed: {}", self.0)
    }
}

#[traced(err)]
fn fallible(fail: bool) -> Result<u8, Failure> {
    if fail {
        return Err(Failure("early"));
    }
    Ok(1)
}

#[traced(err(Debug), target = "errs")]
fn fallible_debug() -> Result<(), Failure> {
    Err(Failure("debug"))
}

#[traced(err)]
fn question_mark(text: &str) -> Result<u16, Box<dyn std::error::Error>> {
    let n: u16 = text.parse()?;
    Ok(n * 2)
}

#[test]
fn err_marks_the_span_and_emits_an_exception_event_inside_it() {
    let seen = capture(|| {
        assert!(fallible(true).is_err());
        assert_eq!(fallible(false).unwrap(), 1);
    });
    let spans = seen.all("fallible");
    let (bad, good) = (spans[0], spans[1]);
    assert_eq!(bad.field("otel.status_code"), Some("ERROR"));
    assert_eq!(bad.field("otel.status_message"), Some("failed: early"), "the Display text");
    assert_eq!(bad.events.len(), 1, "the exception event is inside the span");
    let exception = &bad.events[0];
    assert_eq!((exception.level.as_str(), exception.target.as_str()), ("ERROR", "traced"));
    assert_eq!(exception.field("message"), Some("exception"));
    assert_eq!(exception.field("exception.message"), Some("failed: early"));
    assert!(good.declared.iter().any(|f| f == "otel.status_code"), "declared Empty up front");
    assert_eq!((good.field("otel.status_code"), good.field("otel.status_message")), (None, None));
    assert!(good.events.is_empty() && seen.orphan_events.is_empty());
}

#[test]
fn err_debug_uses_the_debug_text_and_the_target() {
    let seen = capture(|| assert!(fallible_debug().is_err()));
    let s = seen.span("fallible_debug");
    assert_eq!(s.field("otel.status_message"), Some("Failure(\"debug\")"));
    assert_eq!(s.events[0].field("exception.message"), Some("Failure(\"debug\")"));
    assert_eq!(s.events[0].target, "errs");
}

#[test]
fn question_mark_errors_are_seen_by_err() {
    let seen = capture(|| {
        assert_eq!(question_mark("21").unwrap(), 42);
        assert!(question_mark("x").is_err());
    });
    let spans = seen.all("question_mark");
    assert_eq!(spans[0].field("otel.status_code"), None);
    assert_eq!(spans[1].field("otel.status_code"), Some("ERROR"));
    assert_eq!(spans[1].field("otel.status_message"), Some("invalid digit found in string"));
}

#[traced(ret)]
fn doubled(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    n * 2
}

#[traced(ret(Display), level = "debug")]
fn greeting(name: &str) -> String {
    format!("hello {name}")
}

#[traced(ret, err)]
fn ret_and_err(n: i64) -> Result<u8, std::num::TryFromIntError> {
    let small = u8::try_from(n)?;
    Ok(small)
}

#[test]
fn ret_emits_the_returned_value_inside_the_span() {
    let seen = capture(|| {
        assert_eq!(doubled(4), 8);
        assert_eq!(doubled(0), 0);
        greeting("ann");
    });
    let spans = seen.all("doubled");
    assert_eq!(spans[0].events.len(), 1);
    assert_eq!(spans[0].events[0].field("return"), Some("8"));
    assert_eq!(spans[0].events[0].level, "INFO", "at the span's level");
    assert_eq!(spans[1].events[0].field("return"), Some("0"), "an early `return` too");
    let g = seen.span("greeting");
    assert_eq!(g.events[0].field("return"), Some("hello ann"), "Display: no quotes");
    assert_eq!(g.events[0].level, "DEBUG");
}

#[test]
fn ret_with_err_emits_the_ok_value_and_only_on_ok() {
    let seen = capture(|| {
        assert_eq!(ret_and_err(5).unwrap(), 5);
        assert!(ret_and_err(-1).is_err());
    });
    let spans = seen.all("ret_and_err");
    assert_eq!(spans[0].events.len(), 1);
    assert_eq!(spans[0].events[0].field("return"), Some("5"));
    assert_eq!(spans[1].events.len(), 1, "only the exception event");
    assert!(spans[1].events[0].field("exception.message").is_some());
    assert_eq!(spans[1].events[0].field("return"), None);
}

#[traced(err)]
fn ok_outer() -> Result<(), String> {
    let _ = hidden_failure();
    Ok(())
}

#[traced(err, level = "trace")]
fn hidden_failure() -> Result<(), String> {
    Err("inner failed".into())
}

#[test]
fn err_in_a_disabled_span_does_not_mark_the_enclosing_span() {
    let seen = capture_at(Some(Level::DEBUG), |_| ok_outer().unwrap());
    assert_eq!(seen.spans.len(), 1, "the TRACE span is disabled");
    let outer = seen.span("ok_outer");
    assert_eq!(outer.field("otel.status_code"), None, "the inner failure is not the outer span's");
    assert_eq!(outer.field("otel.status_message"), None);
    assert_eq!(outer.events[0].field("exception.message"), Some("inner failed"), "the event goes to the current span");
}

/// A duck-typed `lantern::Context`: makes spans under a given span.
struct RemoteParent(tracing::Span);

impl RemoteParent {
    fn child_span(&self, make: impl FnOnce() -> tracing::Span) -> tracing::Span {
        self.0.in_scope(make)
    }
}

#[traced(parent = remote, skip(remote), kind = "server")]
fn handle_request(remote: &RemoteParent, path: &str) -> usize {
    inner(1);
    path.len()
}

#[test]
fn parent_makes_the_span_through_child_span() {
    let seen = capture(|| {
        let remote = RemoteParent(tracing::info_span!("remote"));
        let _connection = tracing::info_span!("connection").entered();
        assert_eq!(handle_request(&remote, "/users"), 6);
    });
    let request = seen.span("handle_request");
    assert_eq!(request.parent, Some(seen.span("remote").serial), "not the current `connection` span");
    assert_eq!(request.field("path"), Some("/users"));
    assert_eq!(request.field("otel.kind"), Some("server"));
    assert_eq!(seen.span("inner").parent, Some(request.serial), "and the span is entered");
}

struct Store {
    name: String,
    items: Vec<(String, u32)>,
}

impl Store {
    #[traced]
    fn describe(&self, verbose: bool) -> String {
        if verbose { format!("{} with {} items", self.name, self.items.len()) } else { self.name.clone() }
    }

    #[traced(err, ret)]
    fn get_mut(&mut self, key: &str) -> Result<&mut u32, String> {
        let found = self.items.iter_mut().find(|(k, _)| k == key);
        found.map(|(_, v)| v).ok_or_else(|| format!("no {key}"))
    }

    #[traced(ret)]
    fn into_name(self) -> String {
        self.name
    }

    #[traced]
    #[allow(clippy::boxed_local)]
    fn boxed(self: Box<Self>, extra: u8) -> usize {
        self.items.len() + usize::from(extra)
    }
}

#[test]
fn methods_record_arguments_but_never_self() {
    let seen = capture(|| {
        let mut store = Store { name: "shop".into(), items: vec![("tea".into(), 1)] };
        assert_eq!(store.describe(true), "shop with 1 items");
        *store.get_mut("tea").unwrap() += 1;
        assert!(store.get_mut("cake").is_err());
        assert_eq!(store.items[0].1, 2);
        assert_eq!(Box::new(Store { name: "b".into(), items: vec![] }).boxed(3), 3);
        assert_eq!(store.into_name(), "shop");
    });
    let d = seen.span("describe");
    assert_eq!(d.declared, ["verbose", "code.function"]);
    let gets = seen.all("get_mut");
    assert_eq!(gets[0].field("key"), Some("tea"));
    assert_eq!(gets[0].events[0].field("return"), Some("1"), "the borrowed value, before the caller's += 1");
    assert_eq!(gets[1].field("otel.status_message"), Some("no cake"));
    assert_eq!(seen.span("into_name").events[0].field("return"), Some("\"shop\""));
    assert_eq!(seen.span("boxed").field("extra"), Some("3"));
}

#[traced]
fn generic<T, const N: usize>(values: [T; N]) -> T
where
    T: std::fmt::Debug + Clone + Default,
{
    values.first().cloned().unwrap_or_default()
}

#[traced(skip(callback), ret)]
fn with_impl_trait(
    label: impl std::fmt::Display + std::fmt::Debug,
    callback: impl Fn(u8) -> u8,
) -> impl std::fmt::Debug {
    format!("{label}:{}", callback(1))
}

#[traced(err)]
fn lifetimes<'a>(a: &'a str, _b: &str) -> Result<&'a str, String> {
    a.split(',').next().ok_or_else(|| "empty".into())
}

#[test]
fn generics_impl_trait_and_lifetimes_work() {
    let seen = capture(|| {
        assert_eq!(generic([7_u8, 8]), 7);
        assert_eq!(format!("{:?}", with_impl_trait("n", |x| x + 1)), "\"n:2\"");
        assert_eq!(lifetimes("a,b", "c").unwrap(), "a");
    });
    assert_eq!(seen.span("generic").field("values"), Some("[7, 8]"));
    let i = seen.span("with_impl_trait");
    assert_eq!(i.field("label"), Some("\"n\""), "impl Trait arguments are recorded with Debug");
    assert!(!i.declared.iter().any(|f| f == "callback"));
    assert_eq!(i.events[0].field("return"), Some("\"n:2\""));
    assert_eq!(seen.span("lifetimes").field("_b"), Some("c"));
}
