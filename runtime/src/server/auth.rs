//! Who may read the pages: the bearer-token check.
//!
//! The debug pages show what the process is doing (span fields, log
//! messages, baggage), so they are for the people who run it. On loopback
//! that is whoever can log in to the machine. Anywhere else the server
//! refuses to start without a bearer token, and with one, every request
//! (`/metrics` included: Prometheus sends `authorization` from its scrape
//! config) must carry `Authorization: Bearer <token>` or gets 401. The
//! token and the rule are in [`HttpConfig`](super::HttpConfig).

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

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
    fn tokens_compare_exactly() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert!(!same(b"", b"a"));
    }
}
