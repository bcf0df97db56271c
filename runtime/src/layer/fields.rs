//! Field visitors: `tracing` fields to typed attributes, and the special
//! `otel.*` and `error` fields that set a span's kind, name and status, and
//! `service.name`, which sets the service a span and its descendants
//! belong to.
//!
//! Text is bounded as it is recorded: a string, `Debug` or `Display` value
//! longer than [`BufferConfig::max_attribute_value_bytes`] is cut there (at a
//! character boundary) and the cut is counted. A `Debug` value is formatted
//! into a bounded writer that stops the formatting at the limit, so a huge
//! value costs no more than the limit to record.
//!
//! [`BufferConfig::max_attribute_value_bytes`]: crate::buffer::BufferConfig::max_attribute_value_bytes

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};

use compact_str::CompactString;

use crate::baggage::Baggage;
use crate::record::{Attributes, KeyValue, LogRecord, SpanKind, SpanRecord, Status, Value};
use crate::sampling::debug::{DEBUG_ID_ATTRIBUTE, DebugRequest, debug_id};
use crate::text::{Text, cut};

/// Implements `Visit` by turning each field into a typed [`Value`] and
/// handing it to the visitor's `value` method.
macro_rules! visit_as_values {
    ($visitor:ty) => {
        impl Visit for $visitor {
            fn record_f64(&mut self, field: &Field, value: f64) {
                self.value(field, Value::F64(value));
            }
            fn record_i64(&mut self, field: &Field, value: i64) {
                self.value(field, Value::I64(value));
            }
            fn record_u64(&mut self, field: &Field, value: u64) {
                self.value(field, Value::U64(value));
            }
            fn record_i128(&mut self, field: &Field, value: i128) {
                let v = i64::try_from(value).map_or_else(|_| Value::Str(value.to_string().into()), Value::I64);
                self.value(field, v);
            }
            fn record_u128(&mut self, field: &Field, value: u128) {
                let v = u64::try_from(value).map_or_else(|_| Value::Str(value.to_string().into()), Value::U64);
                self.value(field, v);
            }
            fn record_bool(&mut self, field: &Field, value: bool) {
                self.value(field, Value::Bool(value));
            }
            fn record_str(&mut self, field: &Field, value: &str) {
                let value = self.limit.text(value);
                self.value(field, value);
            }
            fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
                let value = self.limit.formatted(|w| write!(w, "{value}"));
                self.value(field, value);
            }
            fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
                let value = self.limit.formatted(|w| write!(w, "{value:?}"));
                self.value(field, value);
            }
        }
    };
}

visit_as_values!(SpanFieldVisitor<'_>);
visit_as_values!(LogFieldVisitor<'_>);

/// Adds or replaces `key` in `attrs`, honouring the per-record cap.
fn set_attribute(
    attrs: &mut Attributes,
    dropped: &mut u32,
    cap: usize,
    key: &'static str,
    value: Value,
    replace: bool,
) {
    if let Some(kv) = attrs.iter_mut().find(|kv| replace && kv.key == key) {
        kv.value = value;
    } else if attrs.len() < cap {
        attrs.push(KeyValue { key: Cow::Borrowed(key), value });
    } else {
        *dropped = dropped.saturating_add(1);
    }
}

/// The length limit of text values, and how many values it cut.
pub(crate) struct ValueLimit {
    max_bytes: usize,
    /// Values cut so far.
    pub(crate) truncated: u32,
}

impl ValueLimit {
    pub(crate) fn new(max_bytes: usize) -> ValueLimit {
        ValueLimit { max_bytes, truncated: 0 }
    }

    /// `s`, cut to the limit.
    fn text(&mut self, s: &str) -> Value {
        if s.len() > self.max_bytes {
            self.truncated = self.truncated.saturating_add(1);
        }
        Value::Str(Text::new(cut(s, self.max_bytes)))
    }

    /// What `write` formats, stopped at the limit.
    fn formatted(&mut self, write: impl FnOnce(&mut Bounded) -> fmt::Result) -> Value {
        let mut out = Bounded { text: Text::builder(), max_bytes: self.max_bytes, full: false };
        // An error here is the writer saying it is full (or the value's own
        // formatting failing): keep what was written either way.
        let _ = write(&mut out);
        if out.full {
            self.truncated = self.truncated.saturating_add(1);
        }
        Value::Str(Text::from_compact(out.text))
    }
}

/// A `fmt::Write` that keeps at most `max_bytes` and then fails, which
/// stops the formatting of the value in progress. Its text stays inline (no
/// allocation) while it is 24 bytes or fewer.
pub(crate) struct Bounded {
    text: CompactString,
    max_bytes: usize,
    full: bool,
}

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.max_bytes - self.text.len();
        if s.len() <= room {
            self.text.push_str(s);
            return Ok(());
        }
        self.text.push_str(cut(s, room));
        self.full = true;
        Err(fmt::Error)
    }
}

/// Records span fields into a [`SpanRecord`].
pub(crate) struct SpanFieldVisitor<'a> {
    pub(crate) record: &'a mut SpanRecord,
    pub(crate) max_attributes: usize,
    pub(crate) limit: ValueLimit,
    /// False for a new span: a callsite's field names are unique, so there
    /// is nothing to replace.
    pub(crate) replace: bool,
    /// At the creation of a root: its `lantern.debug` and
    /// `lantern.debug_id` fields, read apart from the attributes so that a
    /// low `max_attributes` neither turns forcing off nor drops the id.
    pub(crate) debug: Option<&'a mut DebugRequest>,
}

impl SpanFieldVisitor<'_> {
    fn value(&mut self, field: &Field, value: Value) {
        let name = field.name();
        if name.as_bytes().first() == Some(&b'o') && name.starts_with("otel.") {
            if self.special(name, &value) {
                return;
            }
        } else if name == "service.name" {
            // Not an attribute: the service this span and its descendants
            // belong to (see `SpanRecord::service`).
            let text = match value {
                Value::Str(s) => s,
                other => Text::from(other.to_string()),
            };
            if !text.is_empty() {
                self.record.service = Some(std::sync::Arc::from(text.as_str()));
            }
            return;
        } else if name == "lantern.debug" {
            // Still kept as an attribute below.
            if let Some(debug) = self.debug.as_deref_mut() {
                debug.forced |= value == Value::Bool(true);
            }
        } else if name == DEBUG_ID_ATTRIBUTE {
            if let Some(debug) = self.debug.as_deref_mut() {
                // Added to the attributes once the trace has started.
                debug.id = match &value {
                    Value::Str(s) => debug_id(s),
                    other => debug_id(&other.to_string()),
                };
                return;
            }
        } else if name == "error" {
            match &value {
                Value::Bool(false) => {}
                Value::Bool(true) => self.record.status = Status::Error(None),
                other => self.record.status = Status::Error(Some(Cow::Owned(other.to_string()))),
            }
            return;
        }
        let rec = &mut *self.record;
        set_attribute(&mut rec.attributes, &mut rec.dropped_attributes, self.max_attributes, name, value, self.replace);
    }

    /// Handles `otel.kind`, `otel.name`, `otel.status_code`, `otel.status_message`.
    fn special(&mut self, name: &str, value: &Value) -> bool {
        let text = value.to_string();
        match name {
            "otel.kind" => {
                if let Some(kind) = SpanKind::parse(&text) {
                    self.record.kind = kind;
                }
            }
            "otel.name" => self.record.name = Cow::Owned(text),
            "otel.status_code" => {
                self.record.status = match text.to_ascii_uppercase().as_str() {
                    "ERROR" => match std::mem::take(&mut self.record.status) {
                        Status::Error(msg) => Status::Error(msg),
                        _ => Status::Error(None),
                    },
                    "OK" => Status::Ok,
                    _ => Status::Unset,
                }
            }
            "otel.status_message" => {
                self.record.status = Status::Error(Some(Cow::Owned(text)));
            }
            _ => return false,
        }
        true
    }
}

/// Records event fields into a [`LogRecord`]: `message` becomes the body;
/// the `log` crate's `log.*` bookkeeping fields are skipped.
pub(crate) struct LogFieldVisitor<'a> {
    pub(crate) record: &'a mut LogRecord,
    pub(crate) max_attributes: usize,
    pub(crate) limit: ValueLimit,
    pub(crate) dropped: u32,
}

impl LogFieldVisitor<'_> {
    /// Adds the entries of `baggage` whose keys are in `keys` as attributes
    /// named by the key, after the event's fields: a field of the same name
    /// wins, the attribute cap holds, values are cut to the value limit.
    pub(crate) fn baggage(&mut self, baggage: &Baggage, keys: &[String]) {
        if baggage.is_empty() {
            return;
        }
        for key in keys {
            let Some(value) = baggage.get(key) else { continue };
            let attrs = &mut self.record.attributes;
            if attrs.iter().any(|kv| kv.key == key.as_str()) {
                continue;
            }
            if attrs.len() < self.max_attributes {
                let value = self.limit.text(value);
                attrs.push(KeyValue { key: Cow::Owned(key.clone()), value });
            } else {
                self.dropped = self.dropped.saturating_add(1);
            }
        }
    }

    fn value(&mut self, field: &Field, value: Value) {
        let name = field.name();
        if name == "message" {
            self.record.body = match value {
                Value::Str(s) => s,
                other => Text::from(other.to_string()),
            };
            return;
        }
        if name.starts_with("log.") {
            return;
        }
        set_attribute(&mut self.record.attributes, &mut self.dropped, self.max_attributes, name, value, false);
    }
}
