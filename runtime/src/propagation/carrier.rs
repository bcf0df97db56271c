//! Carriers: where propagation headers are read from and written to.

use std::collections::HashMap;

/// Reads propagation headers from a carrier.
///
/// ```
/// use lantern::propagation::Extractor;
/// struct One(&'static str);
/// impl Extractor for One {
///     fn get_all(&self, key: &str) -> Vec<&str> {
///         if key == "traceparent" { vec![self.0] } else { vec![] }
///     }
/// }
/// let cx = lantern::propagation::extract(&One("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
/// assert!(cx.span_context().is_some());
/// ```
pub trait Extractor {
    /// Every value of header `key` (lower-case), in order; non-text values skipped.
    fn get_all(&self, key: &str) -> Vec<&str>;
}

/// Writes propagation headers into a carrier.
///
/// ```
/// use lantern::propagation::Injector;
/// let mut v: Vec<(String, String)> = Vec::new();
/// struct Pairs<'a>(&'a mut Vec<(String, String)>);
/// impl Injector for Pairs<'_> {
///     fn set(&mut self, key: &str, value: String) {
///         self.0.push((key.to_owned(), value));
///     }
/// }
/// Pairs(&mut v).set("baggage", "a=1".into());
/// assert_eq!(v.len(), 1);
/// ```
pub trait Injector {
    /// Sets header `key` (lower-case) to `value`, replacing earlier values.
    fn set(&mut self, key: &str, value: String);
}

impl Extractor for http::HeaderMap {
    fn get_all(&self, key: &str) -> Vec<&str> {
        http::HeaderMap::get_all(self, key).iter().filter_map(|v| v.to_str().ok()).collect()
    }
}

impl Injector for http::HeaderMap {
    fn set(&mut self, key: &str, value: String) {
        // Our own values are always valid header text; skip rather than panic.
        if let (Ok(name), Ok(value)) =
            (http::header::HeaderName::from_bytes(key.as_bytes()), http::HeaderValue::from_str(&value))
        {
            self.insert(name, value);
        }
    }
}

impl Extractor for HashMap<String, String> {
    fn get_all(&self, key: &str) -> Vec<&str> {
        self.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str()).collect()
    }
}

impl Injector for HashMap<String, String> {
    fn set(&mut self, key: &str, value: String) {
        self.retain(|k, _| !k.eq_ignore_ascii_case(key));
        self.insert(key.to_owned(), value);
    }
}

/// Kafka-style headers: ordered pairs of a name and raw bytes.
impl Extractor for Vec<(String, Vec<u8>)> {
    fn get_all(&self, key: &str) -> Vec<&str> {
        self.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(key))
            .filter_map(|(_, v)| std::str::from_utf8(v).ok())
            .collect()
    }
}

impl Injector for Vec<(String, Vec<u8>)> {
    fn set(&mut self, key: &str, value: String) {
        self.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
        self.push((key.to_owned(), value.into_bytes()));
    }
}
