//! `#[lantern::traced]` under Lantern: async fns, `err`, nesting.

use lantern::record::{SpanKind, Status, Value};

#[derive(Debug)]
struct OutOfStock(&'static str);

impl std::fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is out of stock", self.0)
    }
}

#[lantern::traced(err, kind = "client")]
async fn reserve(item: &'static str, qty: u32) -> Result<u32, OutOfStock> {
    tokio::task::yield_now().await;
    if item == "cake" { Err(OutOfStock(item)) } else { Ok(qty) }
}

#[lantern::traced(name = "checkout", skip_all, fields(customer = "ann"))]
async fn checkout() -> u32 {
    let a = reserve("tea", 2).await.unwrap_or(0);
    let b = reserve("cake", 1).await.unwrap_or(0);
    a + b
}

#[test]
fn async_traced_fns_nest_and_err_marks_the_span_with_an_exception_event() {
    let guard = lantern::builder().try_init_local();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(rt.block_on(checkout()), 2);

    let snap = guard.buffer().snapshot();
    let summary = &snap.traces(&Default::default())[0];
    assert_eq!(summary.root_name, "checkout");
    assert!(summary.error);
    let trace = snap.trace(summary.trace_id).unwrap();
    let root = trace.root().unwrap();
    assert_eq!(root.attribute("customer"), Some(&Value::from("ann")));
    let children: Vec<_> = trace.children(root.span_id).collect();
    assert_eq!(children.len(), 2);
    let (ok, failed) = (children[0], children[1]);
    assert_eq!(ok.name, "reserve");
    assert_eq!(ok.kind, SpanKind::Client);
    assert_eq!(ok.attribute("item"), Some(&Value::from("tea")), "a &str argument is a typed string");
    assert_eq!(ok.attribute("qty"), Some(&Value::U64(2)), "an integer argument is a typed integer");
    assert_eq!(ok.attribute("code.function"), Some(&Value::from("reserve")));
    assert_eq!(ok.status, Status::Unset);
    assert_eq!(failed.status, Status::Error(Some("cake is out of stock".into())));
    let exception =
        failed.events.iter().find(|e| e.attribute("exception.message").is_some()).expect("an exception event");
    assert_eq!(exception.severity, lantern::record::Severity::Error);
    assert_eq!(exception.attribute("exception.message"), Some(&Value::from("cake is out of stock")));
}
