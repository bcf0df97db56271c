//! Where a [`RemoteSampler`](super::remote::RemoteSampler) reads its
//! strategy: an HTTP endpoint (hyper's client on a current-thread tokio
//! runtime, plain HTTP only) or a file. Both are bounded: a request gets
//! [`TIMEOUT`] to connect and answer in full, and a body or a file may hold
//! at most [`MAX_BODY_BYTES`].

use std::cell::RefCell;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use http::Uri;
use http::uri::PathAndQuery;
use http_body_util::{BodyExt, Empty, LengthLimitError, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tracing::Dispatch;
use tracing::dispatcher::DefaultGuard;

/// The most a strategy body (or file) may hold: 1 MiB.
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

/// How long a request may take, connecting included.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);

/// A query value: everything but RFC 3986's unreserved characters encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

thread_local! {
    /// On the runtime's helper threads: the guard that keeps their tracing
    /// quiet, dropped as they stop.
    static QUIET: RefCell<Option<DefaultGuard>> = const { RefCell::new(None) };
}

/// Where strategies come from; fetches on the polling thread.
pub(crate) enum Source {
    /// `GET uri`; the runtime and client are made at the first fetch, on
    /// the polling thread.
    Http {
        uri: Uri,
        client: Option<Box<(tokio::runtime::Runtime, HttpClient)>>,
    },
    File(PathBuf),
}

impl Source {
    /// `endpoint?service=<service>` (or `&service=` after a query), the
    /// service percent-encoded. `http://` is assumed when no scheme is
    /// given; any other scheme is refused.
    pub(crate) fn http(endpoint: &str, service: &str) -> Result<Source, String> {
        let endpoint = endpoint.trim();
        let full = if endpoint.contains("://") { endpoint.to_owned() } else { format!("http://{endpoint}") };
        let uri: Uri = full.parse().map_err(|e| format!("endpoint `{endpoint}` is not a URL ({e})"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => {
                return Err(format!("endpoint `{endpoint}`: {other}:// is not supported, only http:// (no TLS)"));
            }
            None => return Err(format!("endpoint `{endpoint}` has no scheme")),
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(format!("endpoint `{endpoint}` has no host"));
        }
        let service = utf8_percent_encode(service, QUERY_VALUE);
        let path = uri.path_and_query().map_or("/", PathAndQuery::path);
        let path_and_query = match uri.query().filter(|q| !q.is_empty()) {
            Some(query) => format!("{path}?{query}&service={service}"),
            None => format!("{path}?service={service}"),
        };
        let mut parts = uri.into_parts();
        parts.path_and_query = Some(path_and_query.parse().map_err(|e| format!("endpoint `{endpoint}`: {e}"))?);
        let uri = Uri::from_parts(parts).map_err(|e| format!("endpoint `{endpoint}`: {e}"))?;
        Ok(Source::Http { uri, client: None })
    }

    /// The URL asked, or the file's path.
    pub(crate) fn describe(&self) -> String {
        match self {
            Source::Http { uri, .. } => uri.to_string(),
            Source::File(path) => path.display().to_string(),
        }
    }

    /// The body, or why there is none.
    pub(crate) fn fetch(&mut self) -> Result<Vec<u8>, String> {
        match self {
            Source::Http { uri, client } => {
                if client.is_none() {
                    *client =
                        Some(Box::new(http_client().map_err(|e| format!("could not start the HTTP client: {e}"))?));
                }
                let Some((runtime, client)) = client.as_deref() else { return Err("no HTTP client".into()) };
                runtime.block_on(async {
                    tokio::time::timeout(TIMEOUT, get(client, uri.clone()))
                        .await
                        .unwrap_or_else(|_| Err(format!("no answer within {} s", TIMEOUT.as_secs())))
                })
            }
            Source::File(path) => read_file(path),
        }
    }
}

/// A current-thread runtime whose helper threads (DNS look-ups) trace
/// nothing either, and a client that keeps no idle connection between
/// polls.
fn http_client() -> std::io::Result<(tokio::runtime::Runtime, HttpClient)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .thread_name("lantern-sampling-remote")
        .on_thread_start(|| QUIET.with(|q| *q.borrow_mut() = Some(tracing::dispatcher::set_default(&Dispatch::none()))))
        .on_thread_stop(|| QUIET.with(|q| drop(q.borrow_mut().take())))
        .build()?;
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(TIMEOUT));
    let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(0).build(connector);
    Ok((runtime, client))
}

async fn get(client: &HttpClient, uri: Uri) -> Result<Vec<u8>, String> {
    let request = http::Request::get(uri)
        .header(http::header::ACCEPT, "application/json")
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let response = client.request(request).await.map_err(|e| with_sources(&e))?;
    let status = response.status();
    let declared = response.headers().get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok());
    if declared.is_some_and(|len: u64| len > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let body = Limited::new(response.into_body(), MAX_BODY_BYTES).collect().await.map_err(|e| {
        if e.is::<LengthLimitError>() { too_large() } else { format!("reading the body: {}", with_sources(&*e)) }
    })?;
    let body = body.to_bytes();
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).replace(char::is_control, " ");
        return Err(format!("HTTP {status}: {}", text.trim()));
    }
    Ok(body.to_vec())
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut body = Vec::new();
    file.take(MAX_BODY_BYTES as u64 + 1).read_to_end(&mut body).map_err(|e| format!("{}: {e}", path.display()))?;
    if body.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(body)
}

fn too_large() -> String {
    format!("too large: the strategy is over {} KiB", MAX_BODY_BYTES >> 10)
}

/// The error and its sources, `: `-joined (hyper's own text is terse).
fn with_sources(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text += ": ";
        text += &s.to_string();
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(endpoint: &str, service: &str) -> Result<String, String> {
        Source::http(endpoint, service).map(|s| s.describe())
    }

    #[test]
    fn the_service_is_added_to_the_query_percent_encoded() {
        assert_eq!(url("http://agent:5778/sampling", "api").unwrap(), "http://agent:5778/sampling?service=api");
        assert_eq!(
            url("localhost:5778/sampling", "a b/ü").unwrap(),
            "http://localhost:5778/sampling?service=a%20b%2F%C3%BC"
        );
        assert_eq!(
            url("http://c:14268/api/sampling?x=1", "my-svc_1.0~").unwrap(),
            "http://c:14268/api/sampling?x=1&service=my-svc_1.0~"
        );
        assert_eq!(url("http://c:1", "&=").unwrap(), "http://c:1/?service=%26%3D");
    }

    #[test]
    fn other_schemes_and_broken_urls_are_refused() {
        assert!(url("https://agent:5778/sampling", "api").unwrap_err().contains("only http://"));
        assert!(url("http://", "api").is_err());
        assert!(url("http://a b/", "api").unwrap_err().contains("not a URL"));
    }

    #[test]
    fn files_are_read_up_to_the_cap() {
        let path = std::env::temp_dir().join(format!("lantern-remote-fetch-{}.json", std::process::id()));
        std::fs::write(&path, vec![b' '; MAX_BODY_BYTES + 1]).unwrap();
        assert!(read_file(&path).unwrap_err().starts_with("too large"));
        std::fs::write(&path, b"{}").unwrap();
        assert_eq!(read_file(&path).unwrap(), b"{}");
        std::fs::remove_file(&path).unwrap();
        assert!(read_file(&path).is_err());
    }
}
