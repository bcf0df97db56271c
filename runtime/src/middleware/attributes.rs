//! Semantic-convention attribute values read off requests: methods, hosts,
//! ports, schemes, peers and URLs, each as the OpenTelemetry conventions
//! spell them.

use std::net::SocketAddr;

use http::uri::Authority;
use http::{Extensions, HeaderMap, Method, Uri, Version};

/// The method as `http.request.method` wants it, and as the span name does.
pub(crate) struct MethodAttr<'a> {
    /// The method when it is one of the nine of RFC 9110 (and PATCH), else
    /// `_OTHER`: an attribute must not take any value a client sends.
    pub(crate) value: &'a str,
    /// `http.request.method_original`, for an `_OTHER` method.
    pub(crate) original: Option<&'a str>,
    /// The method part of a span name: `HTTP` for an `_OTHER` method.
    pub(crate) name: &'a str,
}

pub(crate) fn method(method: &Method) -> MethodAttr<'_> {
    let m = method.as_str();
    if matches!(m, "GET" | "POST" | "PUT" | "DELETE" | "HEAD" | "OPTIONS" | "PATCH" | "CONNECT" | "TRACE") {
        MethodAttr { value: m, original: None, name: m }
    } else {
        MethodAttr { value: "_OTHER", original: Some(m), name: "HTTP" }
    }
}

/// `network.protocol.version`: `1.1`, `2`, ...
pub(crate) fn protocol_version(version: Version) -> Option<&'static str> {
    Some(match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => return None,
    })
}

/// The well-known port of a scheme.
pub(crate) fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// `server.address` and `server.port`: from the URI's authority (absolute
/// form, or HTTP/2's `:authority`), else from the `Host` header. IPv6
/// addresses lose their brackets. The port is `None` when neither says.
pub(crate) fn server_address(uri: &Uri, headers: &HeaderMap) -> Option<(String, Option<u16>)> {
    let from_host = || headers.get(http::header::HOST)?.to_str().ok()?.parse::<Authority>().ok();
    let authority = uri.authority().cloned().or_else(from_host)?;
    let host = authority.host();
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if host.is_empty() {
        return None;
    }
    Some((host.to_owned(), authority.port_u16()))
}

/// Both ends of a request a server received: `server.address` and
/// `server.port`, `client.address`, `network.peer.address` and
/// `network.peer.port`.
pub(crate) struct ServerEnds {
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) client: Option<String>,
    pub(crate) peer_address: Option<String>,
    pub(crate) peer_port: Option<u16>,
}

/// The [`ServerEnds`] of `request`, received over `scheme` (the port's
/// default when the request names none). The client is the first hop of
/// `X-Forwarded-For`, else the socket peer, as the conventions say.
pub(crate) fn server_ends<B>(request: &http::Request<B>, scheme: &str) -> ServerEnds {
    let headers = request.headers();
    let (host, port) = match server_address(request.uri(), headers) {
        Some((host, port)) => (Some(host), port.or_else(|| default_port(scheme))),
        None => (None, None),
    };
    let peer = peer(request.extensions());
    let peer_address = peer.map(|p| p.ip().to_string());
    let client = forwarded_for(headers).map(str::to_owned).or_else(|| peer_address.clone());
    ServerEnds { host, port, client, peer_address, peer_port: peer.map(|p| p.port()) }
}

/// `url.scheme` on a server: the URI's, else `X-Forwarded-Proto` when it is
/// `http` or `https` (a proxy terminated TLS), else `http`.
pub(crate) fn server_scheme<'a>(uri: &'a Uri, headers: &HeaderMap) -> &'a str {
    if let Some(scheme) = uri.scheme_str() {
        return scheme;
    }
    let forwarded = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).map(str::trim);
    match forwarded {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    }
}

/// The first hop of `X-Forwarded-For`: the original client, as the first
/// proxy saw it.
pub(crate) fn forwarded_for(headers: &HeaderMap) -> Option<&str> {
    let first = headers.get("x-forwarded-for")?.to_str().ok()?.split(',').next()?.trim();
    (!first.is_empty()).then_some(first)
}

/// The socket peer: axum's `ConnectInfo<SocketAddr>` (with the `axum`
/// feature), or a plain `SocketAddr` a server put in the extensions.
pub(crate) fn peer(extensions: &Extensions) -> Option<SocketAddr> {
    #[cfg(feature = "axum")]
    if let Some(info) = extensions.get::<axum::extract::ConnectInfo<SocketAddr>>() {
        return Some(info.0);
    }
    extensions.get::<SocketAddr>().copied()
}

/// Query parameters whose values are secrets, redacted in `url.full` as the
/// conventions ask.
const SECRET_PARAMS: [&str; 4] = ["AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature"];

/// `url.full`: the absolute URI without credentials and with signature
/// query values replaced by `REDACTED`; `None` for a URI that is not
/// absolute.
pub(crate) fn url_full(uri: &Uri) -> Option<String> {
    let (scheme, authority) = (uri.scheme_str()?, uri.authority()?);
    let mut url = format!("{scheme}://{}", authority.host());
    if let Some(port) = authority.port() {
        url.push(':');
        url.push_str(port.as_str());
    }
    url.push_str(uri.path());
    if let Some(query) = uri.query() {
        url.push('?');
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                url.push('&');
            }
            match pair.split_once('=') {
                Some((key, _)) if SECRET_PARAMS.contains(&key) => {
                    url.push_str(key);
                    url.push_str("=REDACTED");
                }
                _ => url.push_str(pair),
            }
        }
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods() {
        let get = method(&Method::GET);
        assert_eq!((get.value, get.original, get.name), ("GET", None, "GET"));
        let odd = Method::from_bytes(b"PURGE").unwrap();
        let odd = method(&odd);
        assert_eq!((odd.value, odd.original, odd.name), ("_OTHER", Some("PURGE"), "HTTP"));
    }

    #[test]
    fn server_addresses() {
        let mut headers = HeaderMap::new();
        let path: Uri = "/a".parse().unwrap();
        assert_eq!(server_address(&path, &headers), None);
        headers.insert("host", "example.com:8080".parse().unwrap());
        assert_eq!(server_address(&path, &headers), Some(("example.com".into(), Some(8080))));
        headers.insert("host", "[::1]".parse().unwrap());
        assert_eq!(server_address(&path, &headers), Some(("::1".into(), None)));
        let absolute: Uri = "https://user:pw@api.example.com/x".parse().unwrap();
        assert_eq!(server_address(&absolute, &headers), Some(("api.example.com".into(), None)));
        headers.insert("host", "bad host".parse().unwrap());
        assert_eq!(server_address(&path, &headers), None);
    }

    #[test]
    fn schemes_and_forwarding() {
        let mut headers = HeaderMap::new();
        let path: Uri = "/".parse().unwrap();
        assert_eq!(server_scheme(&path, &headers), "http");
        headers.insert("x-forwarded-proto", "HTTPS".parse().unwrap());
        assert_eq!(server_scheme(&path, &headers), "https");
        headers.insert("x-forwarded-for", " 203.0.113.9 , 10.0.0.1".parse().unwrap());
        assert_eq!(forwarded_for(&headers), Some("203.0.113.9"));
        headers.insert("x-forwarded-for", " ,10.0.0.1".parse().unwrap());
        assert_eq!(forwarded_for(&headers), None);
    }

    #[test]
    fn full_urls_lose_credentials_and_signatures() {
        let uri: Uri = "https://u:p@h.example:8443/p/q?a=1&sig=s3cret&b&Signature=x".parse().unwrap();
        assert_eq!(url_full(&uri).unwrap(), "https://h.example:8443/p/q?a=1&sig=REDACTED&b&Signature=REDACTED");
        assert_eq!(url_full(&"/relative".parse().unwrap()), None);
    }
}
