//! Finding spans in the ring buffer, for the middleware tests.

#![allow(dead_code)] // each test file uses its own subset

use lantern::buffer::Trace;
use lantern::record::{SpanKind, SpanRecord, Value};

/// The one span of `trace` with this name and kind.
pub fn only(trace: &Trace, name: &str, kind: SpanKind) -> SpanRecord {
    let found: Vec<_> = trace.spans.iter().filter(|s| s.name == name && s.kind == kind).collect();
    assert_eq!(found.len(), 1, "one {kind:?} span {name}: {:?}", trace.spans);
    (**found[0]).clone()
}

/// A string attribute of `span`.
pub fn str_attr<'a>(span: &'a SpanRecord, key: &str) -> Option<&'a str> {
    span.attribute(key).and_then(Value::as_str)
}

/// The trace the one span named `name` is in.
pub fn trace_of(buffer: &lantern::buffer::Buffer, name: &str) -> Trace {
    let snap = buffer.snapshot();
    let spans = snap.spans_named(name, 10);
    assert_eq!(spans.len(), 1, "one span named {name}");
    snap.trace(spans[0].trace_id).unwrap()
}
