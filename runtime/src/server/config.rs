//! What the server is told: where to listen, the token it asks for, and the
//! limits that keep clients from holding it ([`HttpConfig`]).
//!
//! The limits have safe defaults: 5 s to send a request head on a new
//! connection, 30 s between requests on a kept-alive one (and for a response
//! the client stops reading), 64 connections at once, 32 KiB of request line
//! and headers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The most connections [`HttpConfig::max_connections`] takes.
const MAX_CONNECTIONS: usize = 1 << 16;
/// The least [`HttpConfig::max_header_bytes`] takes.
const MIN_HEADER_BYTES: usize = 1024;
/// The least time a timeout takes.
const MIN_TIMEOUT: Duration = Duration::from_millis(1);

/// Where the embedded server listens, the token it asks for, and how much
/// any one client may hold.
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
    limits: Limits,
}

/// How much a client may hold; see the setters of [`HttpConfig`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) header_read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(30),
            max_connections: 64,
            max_header_bytes: 32 * 1024,
        }
    }
}

impl HttpConfig {
    /// Listen on `addr`, with no token (fine on loopback only) and the
    /// default limits.
    ///
    /// ```
    /// let config = lantern::server::HttpConfig::new(([127, 0, 0, 1], 0).into());
    /// assert!(config.check().is_ok());
    /// ```
    pub fn new(addr: SocketAddr) -> Self {
        HttpConfig { addr, token: None, limits: Limits::default() }
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

    /// How long a new connection has to send its first request line and
    /// headers, counted from the accept; after that it is closed without an
    /// answer (the idle timeout bounds it too, when shorter). Default 5 s;
    /// zero counts as 1 ms. This is what frees a connection opened and left
    /// silent, or one sending its head byte by byte, before anything checked
    /// who sent it.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config =
    ///     lantern::server::HttpConfig::new(([127, 0, 0, 1], 0).into()).header_read_timeout(Duration::from_secs(2));
    /// let server = lantern::server::serve(config, lantern::layer().handle()).unwrap();
    /// # drop(server);
    /// ```
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout.max(MIN_TIMEOUT);
        self
    }

    /// How long a kept-alive connection may wait for its next request: from
    /// the end of one answer to the end of the next request's headers. Also
    /// how long an answer may wait for a client that stops reading it. Then
    /// the connection is closed. Default 30 s; zero counts as 1 ms.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = lantern::server::HttpConfig::new(([127, 0, 0, 1], 0).into()).idle_timeout(Duration::from_secs(10));
    /// let server = lantern::server::serve(config, lantern::layer().handle()).unwrap();
    /// # drop(server);
    /// ```
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout.max(MIN_TIMEOUT);
        self
    }

    /// How many connections are served at once. A connection over the cap
    /// takes the place of the oldest one that has not yet sent a whole
    /// request (counted in `HttpStats::connections_evicted`), or, when
    /// every open one has been served, is closed as soon as it is accepted,
    /// unread, and counted
    /// ([`HttpStats::connections_refused`](super::HttpStats)). Default 64;
    /// taken between 1 and 65 536.
    ///
    /// ```
    /// let config = lantern::server::HttpConfig::new(([127, 0, 0, 1], 0).into()).max_connections(8);
    /// let server = lantern::server::serve(config, lantern::layer().handle()).unwrap();
    /// assert_eq!(server.stats().max_connections, 8);
    /// ```
    pub fn max_connections(mut self, max: usize) -> Self {
        self.limits.max_connections = max.clamp(1, MAX_CONNECTIONS);
        self
    }

    /// The most bytes a request line and its headers may take together;
    /// a longer head is answered 431 and the connection closed, and a query
    /// string is part of it. No page reads a request body. Default 32 KiB;
    /// taken at least 1 KiB.
    ///
    /// ```
    /// let config = lantern::server::HttpConfig::new(([127, 0, 0, 1], 0).into()).max_header_bytes(8 * 1024);
    /// let server = lantern::server::serve(config, lantern::layer().handle()).unwrap();
    /// # drop(server);
    /// ```
    pub fn max_header_bytes(mut self, max: usize) -> Self {
        self.limits.max_header_bytes = max.max(MIN_HEADER_BYTES);
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

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }
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
    fn limits_are_kept_in_range() {
        let config = HttpConfig::new(([127, 0, 0, 1], 1).into())
            .header_read_timeout(Duration::ZERO)
            .idle_timeout(Duration::ZERO)
            .max_connections(0)
            .max_header_bytes(0);
        let limits = config.limits();
        assert_eq!(limits.header_read_timeout, MIN_TIMEOUT);
        assert_eq!(limits.idle_timeout, MIN_TIMEOUT);
        assert_eq!(limits.max_connections, 1);
        assert_eq!(limits.max_header_bytes, MIN_HEADER_BYTES);
        assert_eq!(
            HttpConfig::new(([127, 0, 0, 1], 1).into()).max_connections(usize::MAX).limits().max_connections,
            MAX_CONNECTIONS
        );
        assert_eq!(HttpConfig::new(([127, 0, 0, 1], 1).into()).limits(), Limits::default());
    }
}
