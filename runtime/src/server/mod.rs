//! The embedded HTTP server: `/metrics` for scrapers, and the debug pages.
//!
//! - `/metrics`: Prometheus text or OpenMetrics, by `Accept`.
//! - `/debug`: the service, uptime, resource, buffer fill and counters.
//! - `/debug/traces`: recent traces with filters and paging.
//! - `/debug/traces/{trace_id}`: one trace as a waterfall, critical path marked.
//! - `/debug/logs`: recent logs by level, target or trace id.
//! - `/debug/tracez`: per span name, running spans and finished ones by
//!   latency bucket, with errors and sample spans (JSON: `/debug/api/tracez`).
//! - `/debug/metrics`: every metric and series, histogram percentiles,
//!   exemplars linked to their traces.
//! - `/debug/sampling`: the sampler in force and its decisions per root span
//!   name.
//! - `/debug/api/...`: the same data as JSON (`overview`, `traces`,
//!   `traces/{trace_id}`, `logs`, `metrics`, `sampling`).
//!
//! Pages are plain HTML with inline styles and no script, served with a
//! Content-Security-Policy that forbids scripts and remote content; every
//! recorded string is escaped.
//!
//! It runs on its own named thread (`lantern-http`) with a single-threaded
//! tokio runtime of its own, so it needs nothing from the application's
//! runtime and never competes with it for worker threads. Its own `tracing`
//! output is suppressed, so serving a page never shows up in the buffer.
//! It binds to loopback unless told otherwise: debug pages show what the
//! process is doing, which is not for the whole network. Any other address
//! needs a bearer token ([`HttpConfig`]), and requests without it get 401.
//!
//! ```
//! let lantern = lantern::builder().http_addr(Some("127.0.0.1:0".parse().unwrap())).try_init_local();
//! let addr = lantern.http_addr().expect("bound");
//! assert!(addr.ip().is_loopback());
//! ```

use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use axum::Router;
use axum::routing::get;
use tokio::sync::oneshot;

// Imports flow one way: this file uses its children; the pages use the
// shared files (`sources`, `html`, `json`, `waterfall`), never this one.
mod auth;
mod html;
mod json;
mod logs_page;
mod metrics_page;
mod overview_page;
mod sampling_page;
mod sources;
mod trace_page;
mod traces_page;
mod tracez_page;
mod waterfall;

pub use auth::HttpConfig;

use crate::handle::Handle;
use sources::Sources;

/// A running server; dropping it stops it.
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
}

impl HttpServer {
    /// The address it listens on (with the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Waits only for in-flight responses; connections idle in keep-alive
        // are closed by the graceful shutdown.
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
    let mut app = router(Sources { handle, started: std::time::Instant::now() });
    if let Some(token) = config.token() {
        app = app
            .layer(axum::middleware::from_fn(move |request, next| auth::require_token(token.clone(), request, next)));
    }
    let thread = std::thread::Builder::new().name("lantern-http".into()).spawn(move || {
        // The server never traces itself.
        let _quiet = tracing::dispatcher::set_default(&tracing::Dispatch::none());
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                eprintln!("lantern: the HTTP server on {addr} stopped: {e}");
            }
        });
    })?;
    Ok(HttpServer { addr, stop: Some(stop), thread: Some(thread) })
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
        .route("/debug/api/metrics", get(metrics_page::metrics_api))
        .route("/debug/api/sampling", get(sampling_page::sampling_api))
        .route("/debug/api/logs", get(logs_page::logs_api))
        .route("/debug/api/overview", get(overview_page::overview_api))
        .route("/debug/api/traces", get(traces_page::traces_api))
        .route("/debug/api/traces/{trace_id}", get(trace_page::trace_api))
        .with_state(sources)
}
