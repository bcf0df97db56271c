//! Accepting and serving connections within the limits of
//! [`HttpConfig`](super::HttpConfig), and counting them ([`HttpStats`]).
//!
//! - At most `max_connections` are served at once: each holds a permit of a
//!   semaphore. A connection accepted when none is left takes the place of
//!   the oldest connection that has not yet sent a whole first request (an
//!   idle or trickling client, counted as evicted); when every open
//!   connection has been served, it is closed at once, unread, and counted
//!   as refused. So a flood of connections costs the process that many file
//!   descriptors at most, and clients holding connections open without a
//!   request cannot keep out one that asks promptly.
//! - A new connection has `header_read_timeout` to send a whole request
//!   head, else it is closed unanswered (and counted as timed out).
//! - hyper's header read timeout, set to `idle_timeout`, bounds the wait
//!   for each next request on a kept-alive connection: hyper starts it when
//!   it starts reading a head, so it counts the idle time too.
//! - A response the client stops reading fails after `idle_timeout` without
//!   progress ([`WriteDeadline`]).
//! - On stop, the listener closes, idle connections close, and in-flight
//!   answers get [`SHUTDOWN_GRACE`]; whatever is left is dropped with the
//!   runtime.
//!
//! Nothing here polls: every wait is a socket, a timer or the stop signal.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};

use super::config::Limits;
use super::write_deadline::WriteDeadline;

/// How long in-flight answers may take to finish once the server is told
/// to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);
/// The pause after an accept error that is not about one connection (out
/// of file descriptors, say), so that the loop does not spin on it.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(250);
/// How long a new connection over the cap waits for the place of the one it
/// evicted.
const EVICT_WAIT: Duration = Duration::from_millis(100);

/// The connection counters of a running server, read by
/// [`HttpServer::stats`](super::HttpServer::stats) and shown on `/debug`.
///
/// ```
/// let config = lantern::server::HttpConfig::new(([127, 0, 0, 1], 0).into());
/// let server = lantern::server::serve(config, lantern::layer().handle()).unwrap();
/// let stats = server.stats();
/// assert_eq!((stats.connections_refused, stats.max_connections), (0, 64));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpStats {
    /// Connections accepted and served (not counting refused ones).
    pub connections_accepted: u64,
    /// Connections closed at once because `max_connections` were open.
    pub connections_refused: u64,
    /// Connections closed because a request head, the next request or a
    /// client reading an answer took longer than its timeout.
    pub connections_timed_out: u64,
    /// Connections closed, before their first whole request, to make room
    /// for a new one over the cap.
    pub connections_evicted: u64,
    /// Connections open now.
    pub connections_open: u64,
    /// The cap on open connections.
    pub max_connections: u64,
}

/// The counters behind [`HttpStats`], shared by the accept loop, the
/// connections and the overview page.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    accepted: AtomicU64,
    refused: AtomicU64,
    timed_out: AtomicU64,
    evicted: AtomicU64,
    closed: AtomicU64,
    max: u64,
}

impl Counters {
    pub(crate) fn new(limits: &Limits) -> Counters {
        Counters { max: limits.max_connections as u64, ..Counters::default() }
    }

    pub(crate) fn stats(&self) -> HttpStats {
        // `closed` first: `open` never goes negative.
        let closed = self.closed.load(Relaxed);
        let accepted = self.accepted.load(Relaxed);
        HttpStats {
            connections_accepted: accepted,
            connections_refused: self.refused.load(Relaxed),
            connections_timed_out: self.timed_out.load(Relaxed),
            connections_evicted: self.evicted.load(Relaxed),
            connections_open: accepted.saturating_sub(closed),
            max_connections: self.max,
        }
    }
}

/// What every connection shares: the router, the limits, the counters, the
/// stop signal and the connections that may be evicted.
#[derive(Clone)]
struct Shared {
    app: Router,
    limits: Limits,
    counters: Arc<Counters>,
    stop: watch::Receiver<bool>,
    waiting: Arc<Waiting>,
}

/// The connections that have not yet sent a whole first request, oldest
/// first, each with the signal that closes it. At most `max_connections`.
#[derive(Default)]
struct Waiting {
    next_id: AtomicU64,
    queue: Mutex<VecDeque<(u64, oneshot::Sender<()>)>>,
}

impl Waiting {
    /// Registers a new connection: its id, and what tells it to go.
    fn join(&self) -> (u64, oneshot::Receiver<()>) {
        let id = self.next_id.fetch_add(1, Relaxed);
        let (evict, evicted) = oneshot::channel();
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).push_back((id, evict));
        (id, evicted)
    }

    /// The connection `id` was served, or ended: it can no longer be evicted.
    fn leave(&self, id: u64) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).retain(|(i, _)| *i != id);
    }

    /// Tells the oldest waiting connection to go; false when none waits.
    fn evict_oldest(&self) -> bool {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((_, evict)) = queue.pop_front() {
            if evict.send(()).is_ok() {
                return true;
            }
        }
        false
    }
}

/// Accepts connections on `listener` and serves `app` on them until
/// `stopped` fires (or its sender is dropped).
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    counters: Arc<Counters>,
    mut stopped: oneshot::Receiver<()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stop_rx) = watch::channel(false);
    let shared = Shared { app, limits, counters, stop: stop_rx, waiting: Arc::default() };
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if is_about_one_connection(&e) => continue,
            Err(_) => {
                tokio::select! {
                    _ = &mut stopped => break,
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                }
            }
        };
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            // Over the cap: take the place of a connection that has not
            // asked for anything yet, else close this one before a byte is
            // read.
            Err(_) => {
                let evicted = shared.waiting.evict_oldest();
                let freed = if evicted {
                    shared.counters.evicted.fetch_add(1, Relaxed);
                    tokio::time::timeout(EVICT_WAIT, permits.clone().acquire_owned()).await.ok().and_then(Result::ok)
                } else {
                    None
                };
                let Some(permit) = freed else {
                    shared.counters.refused.fetch_add(1, Relaxed);
                    drop(stream);
                    continue;
                };
                permit
            }
        };
        shared.counters.accepted.fetch_add(1, Relaxed);
        tokio::spawn(serve_connection(stream, shared.clone(), permit));
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it ends: when all are back,
    // every connection has ended.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, permits.acquire_many(all)).await;
}

/// Errors of one connection that went away before it was accepted: the
/// next accept may well succeed.
fn is_about_one_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

async fn serve_connection(stream: TcpStream, shared: Shared, _permit: OwnedSemaphorePermit) {
    let Shared { app, limits, counters, mut stop, waiting: evictable } = shared;
    let _ = stream.set_nodelay(true);
    let (id, evicted) = evictable.join();
    let mut evicted = std::pin::pin!(evicted);
    // Set by the first request: after it, hyper's timeout takes over, and
    // the connection can no longer be evicted.
    let served = Arc::new(AtomicBool::new(false));
    let service = {
        let (served, app, evictable) = (served.clone(), TowerToHyperService::new(app), evictable.clone());
        service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            if !served.swap(true, Relaxed) {
                evictable.leave(id);
            }
            app.call(request)
        })
    };
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.idle_timeout).max_header_size(limits.max_header_bytes);
    let connection = http.serve_connection(WriteDeadline::new(TokioIo::new(stream), limits.idle_timeout), service);
    let mut connection = std::pin::pin!(connection);
    let first_head = tokio::time::sleep(limits.header_read_timeout);
    let mut first_head = std::pin::pin!(first_head);
    let (mut waiting, mut stopping) = (true, false);
    let timed_out = loop {
        tokio::select! {
            ended = connection.as_mut() => break ended.is_err_and(|e| is_timeout(&e)),
            () = &mut first_head, if waiting => {
                waiting = false;
                if !served.load(Relaxed) {
                    break true;
                }
            }
            Ok(()) = evicted.as_mut(), if !served.load(Relaxed) => break false,
            _ = stop.changed(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    };
    evictable.leave(id);
    if timed_out {
        counters.timed_out.fetch_add(1, Relaxed);
    }
    counters.closed.fetch_add(1, Relaxed);
}

/// hyper's header read timeout, or an answer the client stopped reading.
fn is_timeout(e: &hyper::Error) -> bool {
    use std::error::Error as _;
    e.is_timeout()
        || e.source().and_then(|s| s.downcast_ref::<io::Error>()).is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
}
