//! Who may read the pages: [`HttpConfig`] and the bearer-token check.
//!
//! The debug pages show what the process is doing (span fields, log
//! messages, baggage), so they are for the people who run it. On loopback
//! that is whoever can log in to the machine. Anywhere else the server
//! refuses to start without a bearer token, and with one, every request
//! (`/metrics` included: Prometheus sends `authorization` from its scrape
//! config) must carry `Authorization: Bearer <token>` or gets 401.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Where the embedded server listens and the token it asks for.
///
/// ```
/// use lantern::server::HttpConfig;
/// let config = HttpConfig::new("0.0.0.0:9464".parse().unwrap()).bearer_token("s3cret");
/// assert!(config.check().is_ok());
/// // Off loopback, a token is required.
/// assert!(HttpConfig::new("0.0.0.0:9464".parse().unwrap()).check().is_err());
/// ```
#[derive(Clone, Debug)]
pub struct HttpConfig {
    addr: SocketAddr,
    token: Option<Arc<str>>,
}

impl HttpConfig {
    /// Listen on `addr`, with no token (fine on loopback only).
    ///
    /// ```
    /// let config = lantern::server::HttpConfig::new(([127, 0, 0, 1], 0).into());
    /// assert!(config.check().is_ok());
    /// ```
    pub fn new(addr: SocketAddr) -> Self {
        HttpConfig { addr, token: None }
    }

    /// Require `Authorization: Bearer <token>` on every request. An empty
    /// token counts as none.
    ///
    /// ```
    /// let config = lantern::server::HttpConfig::new(([10, 0, 0, 7], 9464).into()).bearer_token("s3cret");
    /// assert_eq!(config.addr().port(), 9464);
    /// ```
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        let token = token.trim();
        self.token = (!token.is_empty()).then(|| Arc::from(token));
        self
    }

    /// The address to listen on.
    ///
    /// ```
    /// let config = lantern::server::HttpConfig::new(([127, 0, 0, 1], 9464).into());
    /// assert_eq!(config.addr().to_string(), "127.0.0.1:9464");
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether this may be served: a non-loopback address needs a token.
    ///
    /// ```
    /// let open = lantern::server::HttpConfig::new(([0, 0, 0, 0], 9464).into());
    /// let err = open.check().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    /// ```
    pub fn check(&self) -> std::io::Result<()> {
        if self.token.is_none() && !self.addr.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{} is not a loopback address: set a bearer token (LANTERN_HTTP_TOKEN, or \
                     Builder::http_bearer_token) to serve the debug pages there",
                    self.addr
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn token(&self) -> Option<Arc<str>> {
        self.token.clone()
    }
}

/// Lets a request through when it carries the token, else answers 401.
pub(crate) async fn require_token(token: Arc<str>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if given.is_some_and(|given| same(given.as_bytes(), token.as_bytes())) {
        return next.run(request).await;
    }
    let mut response = (StatusCode::UNAUTHORIZED, "401: a bearer token is required\n").into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"lantern\""));
    response
}

/// Compares in time that depends on the length only, not on where the
/// first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_needs_no_token_anything_else_does() {
        assert!(HttpConfig::new(([127, 0, 0, 1], 1).into()).check().is_ok());
        assert!(HttpConfig::new("[::1]:1".parse().unwrap()).check().is_ok());
        assert!(HttpConfig::new(([0, 0, 0, 0], 1).into()).check().is_err());
        assert!(HttpConfig::new(([0, 0, 0, 0], 1).into()).bearer_token("").check().is_err());
        assert!(HttpConfig::new(([0, 0, 0, 0], 1).into()).bearer_token("t").check().is_ok());
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert!(!same(b"", b"a"));
    }
}
