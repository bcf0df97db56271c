//! Carriers: where propagation headers are read from and written to.
//!
//! Header names are always passed in lower case (`traceparent`, `tracestate`,
//! `baggage`); the provided carriers match them case-insensitively.

use std::collections::HashMap;
use std::hash::BuildHasher;

/// Reads propagation headers from a carrier.
///
/// Provided for `http::HeaderMap`, `HashMap<String, String>` and Kafka-style
/// `Vec<(String, Vec<u8>)>`. Implementing it for another carrier takes one
/// method:
///
/// ```
/// use lantern::propagation::Extractor;
/// struct Grpc(Vec<(&'static str, &'static str)>);
/// impl Extractor for Grpc {
///     fn get_all(&self, key: &str) -> Vec<&str> {
///         self.0.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| *v).collect()
///     }
/// }
/// let md = Grpc(vec![("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]);
/// assert!(lantern::propagation::extract(&md).span_context().is_some());
/// ```
pub trait Extractor {
    /// Every value of header `key` (given in lower case), in the order
    /// received; values that are not text are left out.
    ///
    /// ```
    /// use lantern::propagation::Extractor;
    /// let mut h = http::HeaderMap::new();
    /// h.append("baggage", "a=1".parse().unwrap());
    /// h.append("baggage", "b=2".parse().unwrap());
    /// assert_eq!(Extractor::get_all(&h, "baggage"), ["a=1", "b=2"]);
    /// ```
    fn get_all(&self, key: &str) -> Vec<&str>;

    /// The names of the carrier's headers, for the formats that take a
    /// family of headers (Jaeger's `uberctx-{key}` baggage). Empty unless
    /// implemented, so such baggage is then not read.
    ///
    /// ```
    /// use lantern::propagation::Extractor;
    /// let mut h = http::HeaderMap::new();
    /// h.insert("uberctx-tenant", "acme".parse().unwrap());
    /// assert_eq!(Extractor::keys(&h), ["uberctx-tenant"]);
    /// ```
    fn keys(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// Writes propagation headers into a carrier.
///
/// Provided for `http::HeaderMap`, `HashMap<String, String>` and Kafka-style
/// `Vec<(String, Vec<u8>)>`. Implementing it for another carrier takes one
/// method, [`set`](Injector::set); [`unset`](Injector::unset) is optional:
///
/// ```
/// use lantern::propagation::Injector;
/// struct Pairs(Vec<(String, String)>);
/// impl Injector for Pairs {
///     fn set(&mut self, key: &str, value: String) {
///         self.0.retain(|(k, _)| k != key);
///         self.0.push((key.to_owned(), value));
///     }
/// }
/// let mut pairs = Pairs(Vec::new());
/// pairs.set("baggage", "a=1".into());
/// assert_eq!(pairs.0, [("baggage".to_owned(), "a=1".to_owned())]);
/// ```
pub trait Injector {
    /// Sets header `key` (given in lower case) to `value`, replacing any
    /// earlier values. The values Lantern writes are always valid HTTP
    /// header text (visible ASCII, spaces and tabs).
    ///
    /// ```
    /// use lantern::propagation::Injector;
    /// let mut map = std::collections::HashMap::new();
    /// map.set("baggage", "a=1".to_owned());
    /// assert_eq!(map["baggage"], "a=1");
    /// ```
    fn set(&mut self, key: &str, value: String);

    /// Removes header `key` (given in lower case), so that a reused carrier
    /// does not keep a stale header beside the new ones. Does nothing
    /// unless implemented.
    ///
    /// ```
    /// use lantern::propagation::Injector;
    /// let mut map = std::collections::HashMap::from([("baggage".to_owned(), "a=1".to_owned())]);
    /// map.unset("baggage");
    /// assert!(map.is_empty());
    /// ```
    fn unset(&mut self, key: &str) {
        let _ = key;
    }
}

/// Names are case-insensitive in a `HeaderMap`; values that are not visible
/// ASCII are left out.
impl Extractor for http::HeaderMap {
    fn get_all(&self, key: &str) -> Vec<&str> {
        http::HeaderMap::get_all(self, key).iter().filter_map(|v| v.to_str().ok()).collect()
    }

    fn keys(&self) -> Vec<&str> {
        http::HeaderMap::keys(self).map(http::HeaderName::as_str).collect()
    }
}

impl Injector for http::HeaderMap {
    fn set(&mut self, key: &str, value: String) {
        // Our own values are always valid header text: a failure is skipped
        // rather than a panic.
        if let (Ok(name), Ok(value)) =
            (http::HeaderName::from_bytes(key.as_bytes()), http::HeaderValue::try_from(value))
        {
            self.insert(name, value);
        }
    }

    fn unset(&mut self, key: &str) {
        self.remove(key);
    }
}

/// Keys match case-insensitively. A map with the same name in several cases
/// yields all their values, in the map's (unspecified) order.
impl<S: BuildHasher> Extractor for HashMap<String, String, S> {
    fn get_all(&self, key: &str) -> Vec<&str> {
        self.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str()).collect()
    }

    fn keys(&self) -> Vec<&str> {
        HashMap::keys(self).map(String::as_str).collect()
    }
}

/// Replaces every key equal to `key` in any case.
impl<S: BuildHasher> Injector for HashMap<String, String, S> {
    fn set(&mut self, key: &str, value: String) {
        self.unset(key);
        self.insert(key.to_owned(), value);
    }

    fn unset(&mut self, key: &str) {
        self.retain(|k, _| !k.eq_ignore_ascii_case(key));
    }
}

/// Kafka-style headers: ordered pairs of a name and raw bytes. Names match
/// case-insensitively; values that are not UTF-8 are left out.
impl Extractor for Vec<(String, Vec<u8>)> {
    fn get_all(&self, key: &str) -> Vec<&str> {
        self.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(key))
            .filter_map(|(_, v)| std::str::from_utf8(v).ok())
            .collect()
    }

    fn keys(&self) -> Vec<&str> {
        self.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// Replaces every pair named `key` in any case with one pair at the end.
impl Injector for Vec<(String, Vec<u8>)> {
    fn set(&mut self, key: &str, value: String) {
        self.unset(key);
        self.push((key.to_owned(), value.into_bytes()));
    }

    fn unset(&mut self, key: &str) {
        self.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
    }
}
