//! What the two server layers, [`HttpServerLayer`](super::HttpServerLayer)
//! and [`GrpcServerLayer`](super::GrpcServerLayer), are configured with
//! alike: the service their calls belong to and the header that forces a
//! sampled trace. Both hold one [`ServerOptions`]; their builder methods
//! (`service_name`, `debug_header`, `without_debug_header`) set it, and
//! their server spans read their `service.name` and `lantern.debug` fields
//! from it.

use std::sync::Arc;

use http::{HeaderMap, HeaderName};

/// The request header that forces a server span's trace to be sampled when
/// a server layer is told to honour it (`with_debug_header()`); its value
/// must be `1` or `true`.
///
/// ```
/// assert_eq!(lantern::middleware::DEFAULT_DEBUG_HEADER, "lantern-debug");
/// ```
pub const DEFAULT_DEBUG_HEADER: &str = "lantern-debug";

/// The forced-sampling header a server layer reads: `None` when turned off.
#[derive(Clone, Debug)]
pub(crate) struct DebugHeader(Option<HeaderName>);

/// Off: a header from any client must not decide what is sampled unless
/// the service says so.
impl Default for DebugHeader {
    fn default() -> Self {
        DebugHeader(None)
    }
}

impl DebugHeader {
    /// Whether `headers` ask for a forced sample: the header is there, once
    /// or more, and one of its values is `1` or `true` (any case).
    fn is_set(&self, headers: &HeaderMap) -> bool {
        let Some(name) = &self.0 else { return false };
        headers.get_all(name).iter().any(|v| {
            v.to_str().is_ok_and(|v| {
                let v = v.trim();
                v == "1" || v.eq_ignore_ascii_case("true")
            })
        })
    }
}

/// The options a server layer holds: by default no service name of its
/// own and no debug header.
#[derive(Clone, Debug, Default)]
pub(crate) struct ServerOptions {
    /// The `service.name` of the server spans; `None` leaves them to the
    /// process's own service.
    pub(crate) service_name: Option<Arc<str>>,
    /// The header that forces a sampled trace.
    pub(crate) debug_header: DebugHeader,
}

/// The fields a server span takes from [`ServerOptions`] for one request.
pub(crate) struct ServerFields<'a> {
    /// `lantern.debug`: `Some(true)` when the request forces a sample, else
    /// `None` (no field).
    pub(crate) debug: Option<bool>,
    /// `service.name`, when the layer names one.
    pub(crate) service_name: Option<&'a str>,
}

impl ServerOptions {
    /// Reads the forced-sampling header from `name`, or from none at all.
    pub(crate) fn set_debug_header(&mut self, name: Option<HeaderName>) {
        self.debug_header = DebugHeader(name);
    }

    /// Puts the server spans, and what happens inside them, under `name`.
    pub(crate) fn set_service_name(&mut self, name: String) {
        self.service_name = Some(Arc::from(name));
    }

    /// The fields for the server span of a request with these headers.
    pub(crate) fn fields(&self, headers: &HeaderMap) -> ServerFields<'_> {
        ServerFields {
            debug: self.debug_header.is_set(headers).then_some(true),
            service_name: self.service_name.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_header_values() {
        let header = DebugHeader(Some(HeaderName::from_static(DEFAULT_DEBUG_HEADER)));
        let mut headers = HeaderMap::new();
        assert!(!header.is_set(&headers));
        for (value, set) in [("1", true), ("true", true), (" TRUE ", true), ("0", false), ("yes", false)] {
            headers.insert(DEFAULT_DEBUG_HEADER, value.parse().unwrap());
            assert_eq!(header.is_set(&headers), set, "{value:?}");
        }
        assert!(!DebugHeader(None).is_set(&headers));
        assert!(!DebugHeader::default().is_set(&headers), "off by default");
    }

    #[test]
    fn options_give_the_server_fields() {
        let mut headers = HeaderMap::new();
        headers.insert(DEFAULT_DEBUG_HEADER, "1".parse().unwrap());
        headers.insert("x-trace-me", "true".parse().unwrap());

        let mut options = ServerOptions::default();
        let fields = options.fields(&headers);
        assert_eq!((fields.debug, fields.service_name), (None, None), "no header is honoured by default");
        options.set_debug_header(Some(HeaderName::from_static(DEFAULT_DEBUG_HEADER)));
        assert_eq!(options.fields(&headers).debug, Some(true));

        options.set_service_name("checkout".to_owned());
        options.set_debug_header(Some(HeaderName::from_static("x-trace-me")));
        let fields = options.fields(&headers);
        assert_eq!((fields.debug, fields.service_name), (Some(true), Some("checkout")));
        headers.remove("x-trace-me");
        assert_eq!(options.fields(&headers).debug, None, "the default header no longer counts");

        options.set_debug_header(None);
        headers.insert("x-trace-me", "1".parse().unwrap());
        assert_eq!(options.fields(&headers).debug, None);
    }
}
