//! What the two server layers, [`HttpServerLayer`](super::HttpServerLayer)
//! and [`GrpcServerLayer`](super::GrpcServerLayer), are configured with
//! alike: the service their calls belong to and the header that forces a
//! sampled trace (and, read by the HTTP layer only, whether responses carry
//! `traceresponse`). Both hold one [`ServerOptions`]; their builder methods
//! (`service_name`, `debug_header`, `without_debug_header`) set it, and
//! their server spans read their `service.name`, `lantern.debug` and
//! `lantern.debug_id` fields from it.

use std::sync::Arc;

use http::{HeaderMap, HeaderName};

use crate::sampling::debug::DebugRequest;
use crate::text::Text;

/// The request header that forces a server span's trace to be sampled when
/// a server layer is told to honour it (`with_debug_header()`); a value of
/// `1` or `true` forces, as does any other value but `0` and `false`, which
/// then is the trace's debug id (`lantern-debug: ticket-123`).
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
    /// What `headers` ask of forcing: the header is there, once or more,
    /// and one of its values asks (see [`DEFAULT_DEBUG_HEADER`]); the first
    /// id among its values names the trace.
    fn request(&self, headers: &HeaderMap) -> Option<DebugRequest> {
        let name = self.0.as_ref()?;
        let values = headers.get_all(name).into_iter().filter_map(|v| v.to_str().ok());
        values.filter_map(DebugRequest::parse).reduce(|first, next| first.or(Some(next)))
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
    /// Whether responses carry `traceresponse` (HTTP only, off by default).
    pub(crate) traceresponse: bool,
}

/// The fields a server span takes from [`ServerOptions`] for one request.
pub(crate) struct ServerFields<'a> {
    /// `lantern.debug`: `Some(true)` when the request forces a sample, else
    /// `None` (no field).
    pub(crate) debug: Option<bool>,
    /// `lantern.debug_id`: the debug id the header gave, if any.
    pub(crate) debug_id: Option<Text>,
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
    /// `remote_debug` is the extracted context's debug request (B3 `d`,
    /// Jaeger's debug flag): honoured as the debug header is, when there
    /// is one.
    pub(crate) fn fields(&self, headers: &HeaderMap, remote_debug: bool) -> ServerFields<'_> {
        let remote = (remote_debug && self.debug_header.0.is_some()).then(|| DebugRequest { forced: true, id: None });
        let request = match self.debug_header.request(headers) {
            Some(request) => Some(request.or(remote)),
            None => remote,
        };
        ServerFields {
            debug: request.is_some().then_some(true),
            debug_id: request.and_then(|r| r.id),
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
        let ask = |header: &DebugHeader, headers: &HeaderMap| header.request(headers).map(|r| r.id.map(String::from));
        assert_eq!(ask(&header, &headers), None);
        for (value, asks) in [
            ("1", Some(None)),
            ("true", Some(None)),
            (" TRUE ", Some(None)),
            ("0", None),
            ("false", None),
            ("ticket-123", Some(Some("ticket-123".to_owned()))),
        ] {
            headers.insert(DEFAULT_DEBUG_HEADER, value.parse().unwrap());
            assert_eq!(ask(&header, &headers), asks, "{value:?}");
        }
        headers.insert(DEFAULT_DEBUG_HEADER, "1".parse().unwrap());
        headers.append(DEFAULT_DEBUG_HEADER, "t-2".parse().unwrap());
        assert_eq!(ask(&header, &headers), Some(Some("t-2".to_owned())), "the id among several values");
        assert_eq!(ask(&DebugHeader(None), &headers), None);
        assert_eq!(ask(&DebugHeader::default(), &headers), None, "off by default");
    }

    #[test]
    fn options_give_the_server_fields() {
        let mut headers = HeaderMap::new();
        headers.insert(DEFAULT_DEBUG_HEADER, "1".parse().unwrap());
        headers.insert("x-trace-me", "true".parse().unwrap());

        let mut options = ServerOptions::default();
        let fields = options.fields(&headers, false);
        assert_eq!((fields.debug, fields.service_name), (None, None), "no header is honoured by default");
        options.set_debug_header(Some(HeaderName::from_static(DEFAULT_DEBUG_HEADER)));
        assert_eq!(options.fields(&headers, false).debug, Some(true));

        options.set_service_name("checkout".to_owned());
        options.set_debug_header(Some(HeaderName::from_static("x-trace-me")));
        let fields = options.fields(&headers, false);
        assert_eq!((fields.debug, fields.service_name), (Some(true), Some("checkout")));
        headers.remove("x-trace-me");
        assert_eq!(options.fields(&headers, false).debug, None, "the default header no longer counts");

        options.set_debug_header(None);
        headers.insert("x-trace-me", "1".parse().unwrap());
        assert_eq!(options.fields(&headers, false).debug, None);
        assert_eq!(options.fields(&headers, true).debug, None, "a remote debug flag needs a debug header too");
        options.set_debug_header(Some(HeaderName::from_static("x-trace-me")));
        headers.remove("x-trace-me");
        assert_eq!(options.fields(&headers, true).debug, Some(true), "B3 or Jaeger debug, honoured like the header");
    }
}
