//! In-process OTLP receivers for the integration tests: a gRPC one (tonic,
//! the three collector services, gzip accepted) and an HTTP one (axum,
//! `POST /v1/traces`, `/v1/logs`, `/v1/metrics`, protobuf or JSON bodies
//! as the `Content-Type` says, answered in kind, gzip accepted). Either
//! serves plain text or TLS ([`Receiver::grpc_tls`], [`Receiver::http_tls`],
//! with certificates from [`TestCa`]), optionally requiring a client
//! certificate.
//!
//! Each runs on its own thread with its own tokio runtime, so it works from
//! plain `#[test]`s and from any runtime, and stops (freeing its port) when
//! dropped. It records every request's headers, keeps the requests it
//! accepted, and fails the next ones on demand ([`Receiver::fail_next`]).
//!
//! ```ignore
//! let receiver = Receiver::grpc();
//! receiver.fail_next(2, Fault::Unavailable);
//! // ... export to receiver.endpoint() ...
//! assert!(receiver.wait_for(Duration::from_secs(5), |r| r.traces.len() == 1));
//! ```

#![allow(dead_code)]

mod grpc_receiver;
mod http_receiver;
mod tls;

#[allow(unused_imports)] // not every test uses TLS
pub use tls::{CertifiedKey, ServerTls, TestCa};

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use http::HeaderMap;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

/// How the next requests fail (see [`Receiver::fail_next`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// gRPC `UNAVAILABLE`; HTTP 503.
    Unavailable,
    /// gRPC `RESOURCE_EXHAUSTED` with a `google.rpc.RetryInfo` of this
    /// delay; HTTP 429 with `Retry-After` in whole seconds (rounded up).
    RetryAfter(Duration),
    /// gRPC `UNAVAILABLE` with a `google.rpc.RetryInfo` of this delay;
    /// HTTP 503 with `Retry-After` in whole seconds (rounded up).
    UnavailableRetryAfter(Duration),
    /// gRPC `INVALID_ARGUMENT`; HTTP 400 with a `google.rpc.Status` body.
    Permanent,
    /// Never answers (sleeps an hour; dropping the receiver still stops it).
    Hang,
    /// Accepts (and keeps) the request, reporting this many items rejected.
    PartialSuccess(i64),
}

/// What a receiver got so far.
#[derive(Clone, Debug, Default)]
pub struct Received {
    /// Requests received, failed ones included.
    pub requests: usize,
    /// The headers (gRPC: the metadata) of every request received, in order
    /// of arrival, failed ones included.
    pub headers: Vec<HeaderMap>,
    /// The trace requests accepted (not failed by a fault).
    pub traces: Vec<ExportTraceServiceRequest>,
    /// The log requests accepted.
    pub logs: Vec<ExportLogsServiceRequest>,
    /// The metric requests accepted.
    pub metrics: Vec<ExportMetricsServiceRequest>,
}

/// An OTLP receiver listening on 127.0.0.1; stops when dropped.
pub struct Receiver {
    addr: SocketAddr,
    grpc: bool,
    tls: bool,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    /// An OTLP/gRPC receiver on a free port.
    pub fn grpc() -> Receiver {
        Receiver::start(any_port(), true, None)
    }

    /// An OTLP/HTTP (protobuf or JSON) receiver on a free port.
    pub fn http() -> Receiver {
        Receiver::start(any_port(), false, None)
    }

    /// An OTLP/gRPC receiver over TLS on a free port.
    pub fn grpc_tls(tls: ServerTls) -> Receiver {
        Receiver::start(any_port(), true, Some(tls))
    }

    /// An OTLP/HTTP receiver over TLS on a free port.
    pub fn http_tls(tls: ServerTls) -> Receiver {
        Receiver::start(any_port(), false, Some(tls))
    }

    /// TLS handshakes the HTTP receiver failed (a client that does not
    /// trust its certificate, or sends no client certificate when one is
    /// required). The gRPC receiver leaves them to tonic and counts none.
    pub fn tls_handshake_failures(&self) -> usize {
        self.shared.handshake_failures.load(Ordering::Relaxed)
    }

    /// An OTLP/gRPC receiver on `addr` (e.g. from [`free_port`], for a
    /// receiver that comes up after the exporter started). Panics if the
    /// port is taken.
    pub fn grpc_on(addr: SocketAddr) -> Receiver {
        Receiver::start(addr, true, None)
    }

    /// An OTLP/HTTP receiver on `addr`. Panics if the port is taken.
    pub fn http_on(addr: SocketAddr) -> Receiver {
        Receiver::start(addr, false, None)
    }

    /// Whether this is the gRPC receiver.
    pub fn is_grpc(&self) -> bool {
        self.grpc
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, `http://127.0.0.1:PORT` (`https://` over TLS; the
    /// HTTP receiver serves `/v1/traces`, `/v1/logs` and `/v1/metrics`
    /// under it).
    pub fn endpoint(&self) -> String {
        format!("{}://{}", if self.tls { "https" } else { "http" }, self.addr)
    }

    /// The trace requests accepted so far.
    pub fn traces(&self) -> Vec<ExportTraceServiceRequest> {
        self.shared.received().traces.clone()
    }

    /// The log requests accepted so far.
    pub fn logs(&self) -> Vec<ExportLogsServiceRequest> {
        self.shared.received().logs.clone()
    }

    /// The metric requests accepted so far.
    pub fn metrics(&self) -> Vec<ExportMetricsServiceRequest> {
        self.shared.received().metrics.clone()
    }

    /// How many requests arrived (failed and hanging ones included).
    pub fn requests(&self) -> usize {
        self.shared.received().requests
    }

    /// The headers (gRPC: metadata, with `grpc-encoding`) of every request
    /// that arrived, in order.
    pub fn headers(&self) -> Vec<HeaderMap> {
        self.shared.received().headers.clone()
    }

    /// A copy of everything received so far.
    pub fn received(&self) -> Received {
        self.shared.received().clone()
    }

    /// Polls (every 10 ms) until `f` holds for what was received, for at
    /// most `timeout`; returns whether it did. `f` gets a snapshot, so it
    /// may call the receiver's other methods.
    pub fn wait_for(&self, timeout: Duration, f: impl Fn(&Received) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if f(&self.received()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Fails the next `n` requests (of any signal) with `fault`, replacing
    /// what an earlier call left; `usize::MAX` fails them all.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        *self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = (n > 0).then_some((n, fault));
    }

    fn start(addr: SocketAddr, grpc: bool, tls: Option<ServerTls>) -> Receiver {
        let is_tls = tls.is_some();
        let shared = Arc::new(Shared::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound_tx, bound_rx) = std::sync::mpsc::channel();
        let server = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("otlp-receiver-{}", if grpc { "grpc" } else { "http" }))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async move {
                    let listener = match bind(addr) {
                        Ok(listener) => listener,
                        Err(e) => return bound_tx.send(Err(e)).unwrap(),
                    };
                    bound_tx.send(listener.local_addr()).unwrap();
                    let serve = async move {
                        if grpc {
                            grpc_receiver::serve_grpc(listener, server, tls).await
                        } else {
                            http_receiver::serve_http(listener, server, tls).await
                        }
                    };
                    tokio::select! {
                        () = serve => {}
                        _ = stopped => {}
                    }
                });
                // Hanging requests are abandoned, not awaited.
                runtime.shutdown_background();
            })
            .expect("spawn the receiver thread");
        let addr = match bound_rx.recv().expect("the receiver thread binds") {
            Ok(addr) => addr,
            Err(e) => panic!("cannot listen on {addr}: {e}"),
        };
        Receiver { addr, grpc, tls: is_tls, shared, stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.grpc { "grpc" } else { "http" };
        f.debug_struct("Receiver").field("kind", &kind).field("tls", &self.tls).field("addr", &self.addr).finish()
    }
}

/// A local address that was free a moment ago (bound to 127.0.0.1:0, then
/// released), for a receiver started later with [`Receiver::grpc_on`] or
/// [`Receiver::http_on`].
pub fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap()
}

/// `google.rpc` messages (as the receivers send them), for tests that look
/// at error details themselves.
pub mod rpc {
    /// `google.rpc.Status`: an HTTP error body, or gRPC `grpc-status-details-bin`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Status {
        /// The gRPC code.
        #[prost(int32, tag = "1")]
        pub code: i32,
        /// The message.
        #[prost(string, tag = "2")]
        pub message: String,
        /// Details, such as a `RetryInfo`.
        #[prost(message, repeated, tag = "3")]
        pub details: Vec<Any>,
    }

    /// `google.protobuf.Any`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Any {
        /// `type.googleapis.com/google.rpc.RetryInfo` and the like.
        #[prost(string, tag = "1")]
        pub type_url: String,
        /// The encoded message.
        #[prost(bytes = "vec", tag = "2")]
        pub value: Vec<u8>,
    }

    /// `google.rpc.RetryInfo`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RetryInfo {
        /// How long to wait.
        #[prost(message, optional, tag = "1")]
        pub retry_delay: Option<Duration>,
    }

    /// `google.protobuf.Duration`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Duration {
        /// Whole seconds.
        #[prost(int64, tag = "1")]
        pub seconds: i64,
        /// And nanoseconds.
        #[prost(int32, tag = "2")]
        pub nanos: i32,
    }

    /// The `type_url` of a `RetryInfo`.
    pub const RETRY_INFO: &str = "type.googleapis.com/google.rpc.RetryInfo";
}

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

#[derive(Default)]
struct Shared {
    received: Mutex<Received>,
    faults: Mutex<Option<(usize, Fault)>>,
    handshake_failures: Arc<AtomicUsize>,
}

impl Shared {
    fn received(&self) -> MutexGuard<'_, Received> {
        self.received.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a request and its headers; the fault it gets, if any.
    fn arrive(&self, headers: HeaderMap) -> Option<Fault> {
        {
            let mut received = self.received();
            received.requests += 1;
            received.headers.push(headers);
        }
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let (left, fault) = (*faults)?;
        *faults = match left {
            usize::MAX => Some((left, fault)),
            0 | 1 => None,
            n => Some((n - 1, fault)),
        };
        Some(fault)
    }
}

/// The partial-success message of both receivers.
const REJECTED: &str = "rejected by the test receiver";

/// Polls `f` for up to five seconds.
pub fn eventually(f: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}
