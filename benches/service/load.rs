//! The load generator: keep-alive HTTP/1.1 connections over loopback, one
//! task each, sending `GET /work` back to back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

const WARMING: u8 = 0;
const MEASURING: u8 = 1;
const STOPPING: u8 = 2;

pub struct Settings {
    pub conns: usize,
    pub client_threads: usize,
    pub warmup: Duration,
    pub measured: Duration,
}

/// One measured window.
pub struct Load<T> {
    /// Request latencies (ns) of the requests sent and answered inside the window.
    pub latency: Histogram<u64>,
    /// How many requests those were.
    pub requests: u64,
    /// How long the window was.
    pub secs: f64,
    /// `snapshot()` right before and right after the window.
    pub before: T,
    pub after: T,
    /// Connections that failed, with the first error.
    pub errors: Vec<String>,
}

/// Loads 127.0.0.1:`port` for `settings.warmup`, then measures for
/// `settings.measured`, calling `snapshot` at both ends of the window.
pub fn run<T>(port: u16, settings: &Settings, mut snapshot: impl FnMut() -> T) -> Load<T> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.client_threads)
        .enable_all()
        .build()
        .expect("client runtime");
    runtime.block_on(async {
        let phase = Arc::new(AtomicU8::new(WARMING));
        let tasks: Vec<_> = (0..settings.conns).map(|_| tokio::spawn(connection(port, Arc::clone(&phase)))).collect();
        tokio::time::sleep(settings.warmup).await;
        let before = snapshot();
        phase.store(MEASURING, Relaxed);
        let start = Instant::now();
        tokio::time::sleep(settings.measured).await;
        phase.store(STOPPING, Relaxed);
        let secs = start.elapsed().as_secs_f64();
        let after = snapshot();
        let mut latency = new_histogram();
        let (mut requests, mut errors) = (0, Vec::new());
        for task in tasks {
            match tokio::time::timeout(Duration::from_secs(10), task).await {
                Ok(Ok(Ok((hist, n)))) => {
                    latency.add(&hist).expect("same bounds");
                    requests += n;
                }
                Ok(Ok(Err(e))) => errors.push(e),
                Ok(Err(e)) => errors.push(format!("task: {e}")),
                Err(_) => errors.push("a connection did not stop within 10 s".to_owned()),
            }
        }
        Load { latency, requests, secs, before, after, errors }
    })
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("histogram bounds")
}

/// One connection: requests back to back until the phase is `STOPPING`.
/// Records the requests that start and end while measuring.
async fn connection(port: u16, phase: Arc<AtomicU8>) -> Result<(Histogram<u64>, u64), String> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(conn);
    let mut hist = new_histogram();
    let mut requests = 0;
    loop {
        let at_start = phase.load(Relaxed);
        if at_start == STOPPING {
            return Ok((hist, requests));
        }
        let request = hyper::Request::get("/work")
            .header(hyper::header::HOST, "127.0.0.1")
            .body(Empty::<Bytes>::new())
            .expect("request");
        sender.ready().await.map_err(|e| format!("ready: {e}"))?;
        let start = Instant::now();
        let response = sender.send_request(request).await.map_err(|e| format!("send: {e}"))?;
        let status = response.status();
        response.into_body().collect().await.map_err(|e| format!("body: {e}"))?;
        let ns = start.elapsed().as_nanos() as u64;
        if !status.is_success() {
            return Err(format!("status {status}"));
        }
        if at_start == MEASURING && phase.load(Relaxed) == MEASURING {
            hist.saturating_record(ns.max(1));
            requests += 1;
        }
    }
}
