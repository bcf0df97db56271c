//! Plain HTTP/1.1 requests to the embedded server, for the page tests: a
//! raw socket, so the tests see exactly the bytes the server sends.

#![allow(dead_code)] // each test file uses its own subset

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

/// `GET path` with extra header lines: status, lower-cased head, body.
pub fn get_with_headers(addr: SocketAddr, path: &str, headers: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_lowercase(), body.to_owned())
}

/// `GET path`: status, lower-cased head, body.
pub fn get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    get_with_headers(addr, path, "")
}

/// `GET path`, which must answer 200 with JSON.
pub fn json(addr: SocketAddr, path: &str) -> serde_json::Value {
    let (status, _, body) = get(addr, path);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// `GET path`, which must answer 200 with a page served under the CSP.
pub fn html(addr: SocketAddr, path: &str) -> String {
    let (status, head, body) = get(addr, path);
    assert_eq!(status, 200, "{path}: {body}");
    assert!(head.contains("script-src 'none'"), "{path} is served with the CSP");
    body
}
