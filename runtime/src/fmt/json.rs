//! The JSON format: one object a line.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::ids::event_ids;
use crate::record::Severity;

/// A `tracing_subscriber::fmt` event formatter that writes each event as
/// one JSON object on a line, with the OpenTelemetry log data model's
/// names:
///
/// ```text
/// {"timestamp":"2025-06-01T12:00:00.000000Z","severity_text":"INFO","severity_number":9,"target":"checkout","body":"paid","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","trace_flags":"01","attributes":{"items":3},"baggage":{"customer":"42"}}
/// ```
///
/// - `trace_id`, `span_id` (hex) and `trace_flags` (two hex digits, as in
///   `traceparent`) only inside a span Lantern knows;
/// - `attributes`: the event's fields other than the message; integers,
///   floats and booleans as JSON values, everything else as strings
///   (`Debug`); a non-finite float as a string;
/// - `baggage`: the entries of the span's baggage whose keys are in the
///   allowlist ([`Json::baggage`]), only when there is one.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// let console = tracing_subscriber::fmt::layer().event_format(lantern::fmt::json().baggage(["customer"]));
/// let subscriber = tracing_subscriber::registry().with(lantern::layer()).with(console);
/// # drop(subscriber);
/// ```
#[derive(Clone, Debug)]
pub struct Json {
    baggage: Arc<[String]>,
}

/// The JSON format; see [`Json`].
///
/// ```
/// let format = lantern::fmt::json();
/// # drop(format);
/// ```
pub fn json() -> Json {
    crate::layer::stash::wanted();
    Json { baggage: Arc::from(Vec::new()) }
}

impl Json {
    /// The baggage keys each line shows (default none). [`crate::init`]
    /// gives it the log allowlist ([`crate::Builder::log_baggage`], else the
    /// metrics one).
    ///
    /// ```
    /// let format = lantern::fmt::json().baggage(["customer", "tenant"]);
    /// # drop(format);
    /// ```
    pub fn baggage<K: Into<String>>(self, keys: impl IntoIterator<Item = K>) -> Self {
        crate::layer::stash::wanted();
        Json { baggage: keys.into_iter().map(Into::into).collect() }
    }
}

impl<S, N> FormatEvent<S, N> for Json
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut w: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let severity = Severity::from(meta.level());
        let mut time = String::with_capacity(32);
        SystemTime.format_time(&mut Writer::new(&mut time))?;
        w.write_str("{\"timestamp\":")?;
        string(&mut w, &time)?;
        write!(w, ",\"severity_text\":\"{}\",\"severity_number\":{}", severity.as_str(), severity.number())?;
        w.write_str(",\"target\":")?;
        string(&mut w, meta.target())?;
        let mut fields = JsonFields { body: None, attributes: String::new() };
        event.record(&mut fields);
        w.write_str(",\"body\":")?;
        string(&mut w, fields.body.as_deref().unwrap_or(""))?;
        let mut baggage = String::new();
        let ids = event_ids(ctx, event, |b| {
            for key in self.baggage.iter() {
                if let Some(value) = b.get(key) {
                    baggage.push(if baggage.is_empty() { '{' } else { ',' });
                    let _ = string(&mut baggage, key).and_then(|_| baggage.write_char(':'));
                    let _ = string(&mut baggage, value);
                }
            }
        });
        if let Some(ids) = ids {
            write!(
                w,
                ",\"trace_id\":\"{}\",\"span_id\":\"{}\",\"trace_flags\":\"{:02x}\"",
                ids.trace_id,
                ids.span_id,
                ids.flags.to_u8()
            )?;
        }
        if !fields.attributes.is_empty() {
            write!(w, ",\"attributes\":{}}}", fields.attributes)?;
        }
        if !baggage.is_empty() {
            write!(w, ",\"baggage\":{baggage}}}")?;
        }
        w.write_str("}\n")
    }
}

/// The body, and the other fields as the members of a JSON object (its
/// opening brace included, its closing one not).
struct JsonFields {
    body: Option<String>,
    attributes: String,
}

impl JsonFields {
    /// Starts the member for `field`; false for a field left out.
    fn key(&mut self, field: &Field) -> bool {
        let name = field.name();
        if name.starts_with("log.") {
            return false;
        }
        self.attributes.push(if self.attributes.is_empty() { '{' } else { ',' });
        let _ = string(&mut self.attributes, name);
        self.attributes.push(':');
        true
    }
}

impl Visit for JsonFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if !value.is_finite() {
            return self.record_debug(field, &value);
        }
        if self.key(field) {
            let _ = write!(self.attributes, "{value}");
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.key(field) {
            let _ = write!(self.attributes, "{value}");
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.key(field) {
            let _ = write!(self.attributes, "{value}");
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.key(field) {
            let _ = write!(self.attributes, "{value}");
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.body = Some(value.to_owned());
        } else if self.key(field) {
            let _ = string(&mut self.attributes, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.body = Some(format!("{value:?}"));
        } else if self.key(field) {
            let _ = string(&mut self.attributes, &format!("{value:?}"));
        }
    }
}

/// `s` as a JSON string: quoted, with `"`, `\` and control characters escaped.
pub(crate) fn string(out: &mut impl fmt::Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => "",
            _ => continue,
        };
        out.write_str(&s[start..i])?;
        if escape.is_empty() {
            write!(out, "\\u{:04x}", c as u32)?;
        } else {
            out.write_str(escape)?;
        }
        start = i + c.len_utf8();
    }
    out.write_str(&s[start..])?;
    out.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::string;

    #[test]
    fn strings_are_escaped_as_json_wants() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\nd\u{1}e\u{2028}é").unwrap();
        assert_eq!(out, r#""a\"b\\c\nd\u0001e\u2028é""#);
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1}e\u{2028}é");
    }
}
