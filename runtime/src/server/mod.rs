//! The embedded HTTP server: `/metrics` for scrapers, and the debug pages.
//!
//! - `/metrics`: Prometheus text or OpenMetrics, by `Accept`: the
//!   application's metrics, Lantern's RED metrics and log counts, and its own
//!   counters (`propagation.rejected`, `lantern.sampling.*`).
//! - `/debug`: the service, uptime, resource, buffer fill and counters.
//! - `/debug/traces`: recent traces with filters and paging.
//! - `/debug/traces/{trace_id}`: one trace as a waterfall, critical path marked,
//!   with the trace patterns found in it as hints beside their spans.
//! - `/debug/logs`: recent logs by level, target or trace id.
//! - `/debug/tracez`: per span name, running spans and finished ones by
//!   latency bucket, with errors and sample spans (JSON: `/debug/api/tracez`).
//! - `/debug/metrics`: every metric and series, histogram percentiles,
//!   exemplars linked to their traces.
//! - `/debug/sampling`: the sampler in force; per root span name its
//!   decisions, their recent rate, the probability now, the target or lower
//!   bound, the traces tail sampling kept, and the probability over the last
//!   hour as an inline SVG chart; the last fetch of a remote strategy; tail
//!   sampling's counters.
//! - `/debug/graph`: the service graph from completed traces as SVG, by
//!   entry operation too (see [`crate::insights`]).
//! - `/debug/insights`: per root operation, the trends of the last hour
//!   (traces per minute, span count, p99 duration, error %) as inline SVG
//!   charts, and the long-term profile of the critical path.
//! - `/debug/quality`: tracing quality per service: the checks, their
//!   counts and example traces, and a completeness score.
//! - `/debug/api/...`: the same data as JSON (`overview`, `traces`,
//!   `traces/{trace_id}`, `logs`, `metrics`, `sampling`, `graph`,
//!   `insights`, `quality`).
//!
//! Pages are plain HTML with inline styles and no script, served with a
//! Content-Security-Policy that forbids scripts and remote content (charts
//! are inline SVG with presentation attributes); every recorded string is
//! escaped.
//!
//! It runs on its own named thread (`lantern-http`) with a single-threaded
//! tokio runtime of its own, so it needs nothing from the application's
//! runtime and never competes with it for worker threads. Its own `tracing`
//! output is suppressed, so serving a page never shows up in the buffer.
//! It binds to loopback unless told otherwise: debug pages show what the
//! process is doing, which is not for the whole network. Any other address
//! needs a bearer token ([`HttpConfig`]), and requests without it get 401.
//!
//! No client can hold it: it serves 64 connections at most; a connection
//! over that takes the place of the oldest one that has not sent a whole
//! request yet (so idle or trickling clients cannot keep a reader out), or,
//! when every open connection has been served, is closed at once, unread;
//! a new connection has 5 s to send
//! its first request head, a kept-alive one 30 s for each next request; a
//! request head is at most 32 KiB. All four are [`HttpConfig`] settings,
//! and what they refused is counted ([`HttpServer::stats`], and the
//! `/debug` overview).
//!
//! ```
//! let lantern = lantern::builder().http_addr(Some("127.0.0.1:0".parse().unwrap())).try_init_local();
//! let addr = lantern.http_addr().expect("bound");
//! assert!(addr.ip().is_loopback());
//! ```

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use axum::Router;
use axum::routing::get;
use tokio::sync::oneshot;

// Imports flow one way: this file uses its children; the pages use the
// shared files (`sources`, `html`, `json`, `waterfall`, `sampling_chart`,
// `sampling_view`), never this one.
mod auth;
mod config;
mod connections;
mod graph_layout;
mod graph_page;
mod html;
mod insights_chart;
mod insights_page;
mod insights_view;
mod json;
mod logs_page;
mod metrics_page;
mod overview_page;
mod quality_page;
mod sampling_chart;
mod sampling_page;
mod sampling_view;
mod sources;
mod trace_hints;
mod trace_links;
mod trace_page;
mod traces_page;
mod tracez_page;
mod waterfall;
mod write_deadline;

pub use config::HttpConfig;
pub use connections::HttpStats;

use crate::handle::Handle;
use connections::Counters;
use sources::Sources;

/// A running server; dropping it stops it: the port closes at once, idle
/// connections close, and answers in flight get a second to finish.
///
/// ```
/// let layer = lantern::layer();
/// let config = lantern::server::HttpConfig::new("127.0.0.1:0".parse().unwrap());
/// let server = lantern::server::serve(config, layer.handle()).unwrap();
/// assert_ne!(server.local_addr().port(), 0);
/// drop(server); // stops it
/// ```
#[derive(Debug)]
pub struct HttpServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    connections: Arc<Counters>,
}

impl HttpServer {
    /// The address it listens on (with the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its connection counters: accepted, refused or evicted over the cap,
    /// closed for a timeout, open now.
    ///
    /// ```
    /// use std::io::Read;
    /// let config = lantern::server::HttpConfig::new(([127, 0, 0, 1], 0).into()).max_connections(1);
    /// let server = lantern::server::serve(config, lantern::layer().handle()).unwrap();
    /// let mut silent = std::net::TcpStream::connect(server.local_addr()).unwrap();
    /// std::thread::sleep(std::time::Duration::from_millis(50));
    /// let _newer = std::net::TcpStream::connect(server.local_addr()).unwrap();
    /// // The silent connection made room for the newer one: its read ends.
    /// assert_eq!(silent.read(&mut [0; 1]).unwrap_or(0), 0);
    /// assert_eq!(server.stats().connections_evicted, 1);
    /// ```
    pub fn stats(&self) -> HttpStats {
        self.connections.stats()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Waits for in-flight responses, a second at most; connections idle
        // in keep-alive are closed by the graceful shutdown.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves `/metrics` (and the debug pages) for what `handle` reads, on a
/// thread of its own. For [`crate::Builder`] users this is done by
/// `http_addr`; call it yourself when you compose your own subscriber.
/// Binding happens before this returns, so a busy port is an error here,
/// never later; so is a non-loopback address without a bearer token (see
/// [`HttpConfig::check`]).
pub fn serve(config: HttpConfig, handle: Handle) -> io::Result<HttpServer> {
    config.check()?;
    let listener = std::net::TcpListener::bind(config.addr())?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let limits = config.limits();
    let counters = Arc::new(Counters::new(&limits));
    let mut app = router(Sources { handle, started: std::time::Instant::now(), connections: counters.clone() });
    if let Some(token) = config.token() {
        app = app
            .layer(axum::middleware::from_fn(move |request, next| auth::require_token(token.clone(), request, next)));
    }
    let counted = counters.clone();
    let thread = std::thread::Builder::new().name("lantern-http".into()).spawn(move || {
        // The server never traces itself.
        let _quiet = tracing::dispatcher::set_default(&tracing::Dispatch::none());
        runtime.block_on(async move {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => connections::run(listener, app, limits, counted, stopped).await,
                Err(e) => eprintln!("lantern: the HTTP server on {addr} stopped: {e}"),
            }
        });
        // Dropping the runtime drops what is left: connections still open
        // after the grace close here.
    })?;
    Ok(HttpServer { addr, stop: Some(stop), thread: Some(thread), connections: counters })
}

fn router(sources: Sources) -> Router {
    Router::new()
        .route("/metrics", get(metrics_page::exposition))
        .route("/debug", get(overview_page::overview))
        .route("/debug/", get(|| async { axum::response::Redirect::permanent("/debug") }))
        .route("/debug/traces", get(traces_page::traces))
        .route("/debug/traces/{trace_id}", get(trace_page::trace))
        .route("/debug/logs", get(logs_page::logs))
        .route("/debug/tracez", get(tracez_page::tracez))
        .route("/debug/api/tracez", get(tracez_page::tracez_api))
        .route("/debug/metrics", get(metrics_page::metrics))
        .route("/debug/sampling", get(sampling_page::sampling))
        .route("/debug/graph", get(graph_page::graph))
        .route("/debug/api/graph", get(graph_page::graph_api))
        .route("/debug/api/metrics", get(metrics_page::metrics_api))
        .route("/debug/api/sampling", get(sampling_page::sampling_api))
        .route("/debug/quality", get(quality_page::quality))
        .route("/debug/api/quality", get(quality_page::quality_api))
        .route("/debug/insights", get(insights_page::insights))
        .route("/debug/api/insights", get(insights_view::insights_api))
        .route("/debug/api/logs", get(logs_page::logs_api))
        .route("/debug/api/overview", get(overview_page::overview_api))
        .route("/debug/api/traces", get(traces_page::traces_api))
        .route("/debug/api/traces/{trace_id}", get(trace_page::trace_api))
        .with_state(sources)
}
