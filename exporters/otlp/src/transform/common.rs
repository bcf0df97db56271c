//! Pieces shared by every signal: typed attribute values, the resource, the
//! instrumentation scope, ids and timestamps.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use lantern::export::Resource;
use lantern::record::Value;
use lantern::{SpanId, TraceId};
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource as ProtoResource;

/// A Lantern value as an OTLP `AnyValue`: bool, int, double or string.
/// Unsigned values above `i64::MAX` do not fit an OTLP int and become
/// their decimal string.
pub(crate) fn any_value(value: &Value) -> AnyValue {
    let value = match value {
        Value::Bool(b) => any_value::Value::BoolValue(*b),
        Value::I64(i) => any_value::Value::IntValue(*i),
        Value::U64(u) => match i64::try_from(*u) {
            Ok(i) => any_value::Value::IntValue(i),
            Err(_) => any_value::Value::StringValue(u.to_string()),
        },
        Value::F64(f) => any_value::Value::DoubleValue(*f),
        Value::Str(s) => any_value::Value::StringValue(s.to_string()),
        // `Value` is non-exhaustive: anything newer travels as its text.
        other => any_value::Value::StringValue(other.to_string()),
    };
    AnyValue { value: Some(value) }
}

/// A string `AnyValue`.
pub(crate) fn string_value(s: impl Into<String>) -> AnyValue {
    AnyValue { value: Some(any_value::Value::StringValue(s.into())) }
}

/// One typed attribute.
pub(crate) fn key_value(kv: &lantern::record::KeyValue) -> KeyValue {
    KeyValue { key: kv.key.to_string(), value: Some(any_value(&kv.value)), ..Default::default() }
}

/// One attribute with a string value.
pub(crate) fn string_key_value(key: impl Into<String>, value: impl Into<String>) -> KeyValue {
    KeyValue { key: key.into(), value: Some(string_value(value)), ..Default::default() }
}

/// A list of typed attributes.
pub(crate) fn attributes(attrs: &[lantern::record::KeyValue]) -> Vec<KeyValue> {
    attrs.iter().map(key_value).collect()
}

/// The resource with every attribute, typed.
pub(crate) fn resource(resource: &Resource) -> ProtoResource {
    ProtoResource { attributes: attributes(resource.attributes()), ..Default::default() }
}

/// The resource of `service`, a service hosted by this process besides its
/// own (see `SpanRecord::service`): the process's resource with
/// `service.name` replaced. An empty `service` is the process's own.
pub(crate) fn service_resource(resource: &Resource, service: &str) -> ProtoResource {
    let mut r = self::resource(resource);
    if !service.is_empty() {
        match r.attributes.iter_mut().find(|kv| kv.key == "service.name") {
            Some(kv) => kv.value = Some(string_value(service)),
            None => r.attributes.push(KeyValue {
                key: "service.name".into(),
                value: Some(string_value(service)),
                ..Default::default()
            }),
        }
    }
    r
}

/// The key [`service_resource`] groups by.
pub(crate) fn service_key(service: &Option<std::sync::Arc<str>>) -> &str {
    service.as_deref().unwrap_or("")
}

/// The instrumentation scope `name`, without version or attributes.
pub(crate) fn scope(name: &str) -> InstrumentationScope {
    InstrumentationScope { name: name.to_owned(), ..Default::default() }
}

/// Nanoseconds since the UNIX epoch, saturating at `u64::MAX`; 0 before the
/// epoch.
pub(crate) fn unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A trace id as OTLP carries it: 16 bytes, big-endian.
pub(crate) fn trace_id_bytes(id: TraceId) -> Vec<u8> {
    id.to_bytes().to_vec()
}

/// A span id as OTLP carries it: 8 bytes, big-endian.
pub(crate) fn span_id_bytes(id: SpanId) -> Vec<u8> {
    id.to_bytes().to_vec()
}

/// Groups `items` by a scope name, keeping the order in which scopes are
/// first seen and, within a scope, the order of the items.
pub(crate) fn group_by_scope<'a, T, U>(
    items: impl IntoIterator<Item = &'a T>,
    scope_of: impl Fn(&'a T) -> &'a str,
    mut convert: impl FnMut(&'a T) -> U,
) -> Vec<(&'a str, Vec<U>)>
where
    T: 'a + ?Sized,
{
    let mut groups: Vec<(&'a str, Vec<U>)> = Vec::new();
    let mut index: HashMap<&'a str, usize> = HashMap::new();
    for item in items {
        let name = scope_of(item);
        let slot = *index.entry(name).or_insert_with(|| {
            groups.push((name, Vec::new()));
            groups.len() - 1
        });
        groups[slot].1.push(convert(item));
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn kind(v: &AnyValue) -> &any_value::Value {
        v.value.as_ref().unwrap()
    }

    #[test]
    fn values_keep_their_type() {
        assert_eq!(kind(&any_value(&Value::Bool(true))), &any_value::Value::BoolValue(true));
        assert_eq!(kind(&any_value(&Value::I64(-3))), &any_value::Value::IntValue(-3));
        assert_eq!(kind(&any_value(&Value::U64(7))), &any_value::Value::IntValue(7));
        assert_eq!(kind(&any_value(&Value::F64(1.5))), &any_value::Value::DoubleValue(1.5));
        assert_eq!(kind(&any_value(&Value::from("x"))), &any_value::Value::StringValue("x".into()));
    }

    #[test]
    fn large_unsigned_values_become_strings() {
        let max = i64::MAX as u64;
        assert_eq!(kind(&any_value(&Value::U64(max))), &any_value::Value::IntValue(i64::MAX));
        assert_eq!(kind(&any_value(&Value::U64(max + 1))), &any_value::Value::StringValue((max + 1).to_string()));
        assert_eq!(kind(&any_value(&Value::U64(u64::MAX))), &any_value::Value::StringValue(u64::MAX.to_string()));
    }

    #[test]
    fn times_are_nanoseconds_since_the_epoch() {
        assert_eq!(unix_nanos(UNIX_EPOCH), 0);
        assert_eq!(unix_nanos(UNIX_EPOCH + Duration::new(2, 5)), 2_000_000_005);
        assert_eq!(unix_nanos(UNIX_EPOCH - Duration::from_secs(1)), 0);
        assert_eq!(unix_nanos(UNIX_EPOCH + Duration::from_secs(u64::MAX / 1_000_000_000 + 1)), u64::MAX);
    }

    #[test]
    fn ids_are_big_endian() {
        let t = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
        assert_eq!(trace_id_bytes(t)[..2], [0x4b, 0xf9]);
        assert_eq!(trace_id_bytes(t).len(), 16);
        let s = SpanId::from_hex("00f067aa0ba902b7").unwrap();
        assert_eq!(span_id_bytes(s), [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]);
    }

    #[test]
    fn resource_attributes_are_typed() {
        let guard = lantern::builder().service_name("svc").try_init_local();
        let r = resource(guard.handle().resource());
        let get = |k: &str| r.attributes.iter().find(|kv| kv.key == k).and_then(|kv| kv.value.clone()).unwrap();
        assert_eq!(kind(&get("service.name")), &any_value::Value::StringValue("svc".into()));
        assert!(matches!(kind(&get("process.pid")), any_value::Value::IntValue(p) if *p > 0));
        assert_eq!(r.attributes.len(), guard.handle().resource().attributes().len());
    }

    #[test]
    fn grouping_keeps_first_seen_order() {
        let items = [("b", 1), ("a", 2), ("b", 3)];
        let groups = group_by_scope(&items, |(s, _)| s, |(_, n)| *n);
        assert_eq!(groups, vec![("b", vec![1, 3]), ("a", vec![2])]);
    }
}
