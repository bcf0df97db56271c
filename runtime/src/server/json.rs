//! JSON for the `/debug/api/...` twins of the pages: recorded values,
//! attributes and times, shared by several pages.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value as Json_, json};

use crate::record::{KeyValue, Value};

/// Attributes as one JSON object, each value with its own JSON type.
pub(crate) fn attrs_json(attrs: &[KeyValue]) -> Json_ {
    Json_::Object(attrs.iter().map(|kv| (kv.key.to_string(), value_json(&kv.value))).collect())
}

/// A recorded value with its own JSON type.
pub(crate) fn value_json(v: &Value) -> Json_ {
    match v {
        Value::Bool(b) => json!(b),
        Value::I64(i) => json!(i),
        Value::U64(u) => json!(u),
        Value::F64(f) => json!(f),
        Value::Str(s) => json!(s.as_str()),
    }
}

/// Whole seconds since the Unix epoch; 0 before it.
pub(crate) fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Nanoseconds since the Unix epoch; 0 before it.
pub(crate) fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}
