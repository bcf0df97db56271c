//! `RemoteSampler` against a real HTTP server on loopback (axum, port 0),
//! and against a file: every strategy type, a strategy that changes, a
//! server down at the start or later, bad bodies, and the thread's end.
//!
//! Polls are short (20 ms) or asked for with `poll_now`, and every wait is
//! a bounded loop on a condition, never a fixed sleep. Rate-limited
//! strategies run on a manual clock, so their counts are exact.
#![cfg(feature = "remote-sampling")]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Full};
use lantern::TraceId;
use lantern::sampling::{
    AlwaysOff, AlwaysOn, ManualClock, ParentBased, RemoteSampler, Sampler, TraceIdRatio, test_metadata,
    test_params_named,
};

const POLL: Duration = Duration::from_millis(20);
const SECOND: Duration = Duration::from_secs(1);

fn probabilistic(p: f64) -> String {
    format!(r#"{{"strategyType":"PROBABILISTIC","probabilisticSampling":{{"samplingRate":{p}}}}}"#)
}

/// What the server answers: a status, a body, and whether to send it
/// chunked (no `Content-Length`).
#[derive(Clone)]
struct Reply {
    status: u16,
    body: String,
    chunked: bool,
}

#[derive(Default)]
struct Seen {
    reply: Mutex<Option<Reply>>,
    queries: Mutex<Vec<String>>,
}

/// A Jaeger-like sampling endpoint at `/sampling`, on its own thread.
struct Server {
    addr: SocketAddr,
    seen: Arc<Seen>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(body: &str) -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Seen::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = axum::Router::new().route("/sampling", axum::routing::get(answer)).with_state(Arc::clone(&seen));
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let _ = axum::serve(listener, app).with_graceful_shutdown(async { _ = stopped.await }).await;
            });
        });
        let server = Server { addr, seen, stop: Some(stop), thread: Some(thread) };
        server.reply(200, body);
        server
    }

    fn url(&self) -> String {
        format!("http://{}/sampling", self.addr)
    }

    fn reply(&self, status: u16, body: &str) {
        *self.seen.reply.lock().unwrap() = Some(Reply { status, body: body.to_owned(), chunked: false });
    }

    fn reply_chunked(&self, body: &str) {
        *self.seen.reply.lock().unwrap() = Some(Reply { status: 200, body: body.to_owned(), chunked: true });
    }

    fn requests(&self) -> usize {
        self.seen.queries.lock().unwrap().len()
    }

    /// Stops listening, and waits until it has.
    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn answer(State(seen): State<Arc<Seen>>, RawQuery(query): RawQuery) -> Response {
    seen.queries.lock().unwrap().push(query.unwrap_or_default());
    let Some(reply) = seen.reply.lock().unwrap().clone() else { return http::StatusCode::NOT_FOUND.into_response() };
    let body = if reply.chunked {
        // A body of unknown length: sent chunked, with no Content-Length.
        Body::new(Full::new(Bytes::from(reply.body)).map_frame(|frame| frame))
    } else {
        Body::from(reply.body)
    };
    let status = http::StatusCode::from_u16(reply.status).unwrap();
    (status, [(http::header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Waits until `done` holds, for at most 10 s.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn wait_for_strategy(sampler: &RemoteSampler, description: &str) {
    wait_for(description, || sampler.status().strategy == description);
}

/// How many of `n` roots named `name` are sampled. Trace ids follow the
/// golden ratio's Weyl sequence in their random bits, so that a
/// probability `p` samples a fraction `p` of them almost exactly.
fn sampled(sampler: &dyn Sampler, name: &str, n: u64) -> u64 {
    (1..=n)
        .filter(|i| {
            let random = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 8;
            let id = TraceId::from_u128((1 << 64) | u128::from(random)).unwrap();
            sampler.should_sample(&test_params_named(name, id, test_metadata())).is_sampled()
        })
        .count() as u64
}

#[test]
fn a_probabilistic_strategy_samples_its_fraction_for_the_service_asked() {
    let server = Server::start(&probabilistic(0.25));
    let remote = RemoteSampler::new(&server.url(), "checkout api/ü", POLL, AlwaysOff).unwrap();
    wait_for_strategy(&remote, "TraceIdRatio{0.25}");
    let kept = sampled(&remote, "GET /cart", 10_000);
    assert!((2400..=2600).contains(&kept), "{kept} of 10000");
    let queries = server.seen.queries.lock().unwrap().clone();
    assert_eq!(queries[0], "service=checkout%20api%2F%C3%BC", "percent-encoded");
    let status = remote.status();
    assert_eq!(status.source, format!("{}?service=checkout%20api%2F%C3%BC", server.url()));
    assert!(status.applied && status.fetches_ok >= 1 && status.last_result.is_ok());
    assert!(status.last_fetch.is_some());
}

#[test]
fn a_rate_limiting_strategy_bounds_the_count() {
    // Thrift's form: the type as a number, and snake case.
    let server = Server::start(r#"{"strategy_type":1,"rate_limiting_sampling":{"max_traces_per_second":2}}"#);
    let clock = ManualClock::new();
    let remote = RemoteSampler::new(&server.url(), "api", POLL, AlwaysOn).unwrap().with_manual_clock(&clock);
    wait_for_strategy(&remote, "RateLimiting{2}");
    assert_eq!(sampled(&remote, "GET /", 100), 2, "the burst");
    clock.advance(SECOND);
    assert_eq!(sampled(&remote, "GET /", 100), 2, "two a second");
    clock.advance(SECOND / 2);
    assert_eq!(sampled(&remote, "GET /", 100), 1);
}

#[test]
fn a_per_operation_strategy_keeps_its_state_across_unchanged_polls() {
    let strategy = |lower_bound: f64| {
        format!(
            r#"{{"strategyType":"PROBABILISTIC","probabilisticSampling":{{"samplingRate":0.5}},
            "operationSampling":{{"defaultSamplingProbability":0,"defaultLowerBoundTracesPerSecond":{lower_bound},
            "perOperationStrategies":[{{"operation":"POST /refund","probabilisticSampling":{{"samplingRate":1}}}},
                {{"operation":"GET /health","probabilisticSampling":{{"samplingRate":0}}}}]}}}}"#
        )
    };
    let server = Server::start(&strategy(1.0));
    let clock = ManualClock::new();
    // An hour between polls: only `poll_now` polls after the first.
    let remote = RemoteSampler::new(&server.url(), "api", Duration::from_secs(3600), AlwaysOff).unwrap();
    let remote = remote.with_manual_clock(&clock);
    let guaranteed = "GuaranteedThroughput{default=0, lowerBound=1, configured=2}";
    wait_for_strategy(&remote, guaranteed);
    assert_eq!(sampled(&remote, "POST /refund", 100), 100, "probability 1");
    assert_eq!(sampled(&remote, "GET /health", 100), 1, "probability 0, and the lower bound");
    assert_eq!(sampled(&remote, "GET /cart", 100), 1, "the default, and the lower bound");
    // The same strategy again: the same sampler, its buckets still empty.
    assert!(remote.poll_now());
    assert_eq!(remote.status().fetches_ok, 2);
    assert_eq!(sampled(&remote, "GET /cart", 100), 0, "the bucket was not refilled by the poll");
    clock.advance(SECOND);
    assert_eq!(sampled(&remote, "GET /cart", 100), 1, "one a second");
    // A changed strategy: a new sampler.
    server.reply(200, &strategy(0.0));
    assert!(remote.poll_now());
    assert_eq!(remote.status().strategy, "GuaranteedThroughput{default=0, lowerBound=0, configured=2}");
    assert_eq!(sampled(&remote, "GET /cart", 100), 0, "no lower bound");
    assert_eq!(sampled(&remote, "POST /refund", 100), 100);
}

#[test]
fn the_adaptive_extension_selects_the_local_adaptive_sampler() {
    let server = Server::start(r#"{"adaptiveSampling":{"targetTracesPerSecond":1.0,"maxTracesPerSecond":50}}"#);
    let clock = ManualClock::new();
    // By name: the address is looked up on the runtime's helper thread.
    let by_name = format!("localhost:{}/sampling", server.addr.port());
    let remote = RemoteSampler::new(&by_name, "api", POLL, AlwaysOff).unwrap().with_manual_clock(&clock);
    wait_for_strategy(&remote, "Adaptive{target=1/s, operations=0, maxTotal=50/s}");
    // A new operation's first root: its lower bound; then its low
    // initial probability (0.001) keeps almost nothing.
    assert_eq!(sampled(&remote, "POST /refund", 1), 1);
    assert!(sampled(&remote, "POST /refund", 1000) <= 2);
    assert_eq!(remote.status().strategy, "Adaptive{target=1/s, operations=1, maxTotal=50/s}");
}

#[test]
fn a_changed_strategy_applies_at_the_next_poll_and_the_builder_sees_it() {
    let server = Server::start(&probabilistic(1.0));
    let remote = RemoteSampler::new(&server.url(), "api", POLL, AlwaysOff).unwrap();
    let lantern = lantern::builder().sampler(ParentBased::new(remote.clone())).try_init_local();
    wait_for_strategy(&remote, "TraceIdRatio{1}");
    tracing::info_span!("GET /a").in_scope(|| {});
    server.reply(200, &probabilistic(0.0));
    wait_for_strategy(&remote, "TraceIdRatio{0}");
    tracing::info_span!("GET /b").in_scope(|| {});
    let roots = lantern.handle().sampling().roots();
    let sampled = |name: &str| roots.iter().find(|r| r.name == name).unwrap().sampled;
    assert_eq!((sampled("GET /a"), sampled("GET /b")), (1, 0));
    let description = lantern.handle().sampling().description();
    assert!(description.starts_with("ParentBased{root=RemoteSampler{strategy=TraceIdRatio{0}, source=http://"));
}

#[test]
fn with_the_server_down_at_the_start_the_initial_sampler_decides() {
    // A port that was just free: nothing listens there.
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let remote = RemoteSampler::new(&format!("http://{addr}/sampling"), "api", POLL, TraceIdRatio::new(0.5)).unwrap();
    wait_for("three failures", || remote.status().fetch_failures >= 3);
    let status = remote.status();
    assert_eq!((status.strategy.as_str(), status.applied, status.fetches_ok), ("TraceIdRatio{0.5}", false, 0));
    let error = status.last_result.unwrap_err();
    assert!(error.contains("onnect"), "{error}");
    let kept = sampled(&remote, "GET /", 1000);
    assert!((450..=550).contains(&kept), "the initial ratio: {kept}");
    assert!(remote.description().contains("failed="), "{}", remote.description());
}

#[test]
fn with_the_server_down_later_the_last_good_strategy_stays() {
    let mut server = Server::start(&probabilistic(0.25));
    let remote = RemoteSampler::new(&server.url(), "api", POLL, AlwaysOff).unwrap();
    wait_for_strategy(&remote, "TraceIdRatio{0.25}");
    server.stop();
    let before = remote.status().fetch_failures;
    wait_for("two failures", || remote.status().fetch_failures >= before + 2);
    let status = remote.status();
    assert_eq!((status.strategy.as_str(), status.applied), ("TraceIdRatio{0.25}", true));
    assert!(status.last_result.is_err());
}

#[test]
fn bad_answers_are_counted_and_the_strategy_stays() {
    let server = Server::start(&probabilistic(0.25));
    let remote = RemoteSampler::new(&server.url(), "api", Duration::from_secs(3600), AlwaysOff).unwrap();
    wait_for_strategy(&remote, "TraceIdRatio{0.25}");
    let failure = |status: u16, body: &str| {
        server.reply(status, body);
        assert!(remote.poll_now());
        let status = remote.status();
        assert_eq!(status.strategy, "TraceIdRatio{0.25}", "kept");
        status.last_result.unwrap_err()
    };
    let error = failure(200, r#"{"strategyType": "PROBABILISTIC", "probabilisticSampling": "#);
    assert!(error.starts_with("malformed strategy JSON: EOF while parsing"), "{error}");
    let error = failure(200, &probabilistic(1.5));
    assert_eq!(error, "probabilisticSampling.samplingRate 1.5 is not a probability in [0, 1]");
    let error = failure(500, "collector unreachable\n");
    assert_eq!(error, "HTTP 500 Internal Server Error: collector unreachable");
    let error = failure(200, &format!("{}{}", " ".repeat(2 << 20), probabilistic(0.5)));
    assert!(error.starts_with("too large"), "{error}");
    server.reply_chunked(&format!("{}{}", " ".repeat(2 << 20), probabilistic(0.5)));
    assert!(remote.poll_now());
    let error = remote.status().last_result.unwrap_err();
    assert!(error.starts_with("too large"), "without a Content-Length too: {error}");
    let status = remote.status();
    assert_eq!((status.fetches_ok, status.fetch_failures), (1, 5));
    // A good answer again: applied, and the error cleared.
    server.reply(200, &probabilistic(0.5));
    assert!(remote.poll_now());
    let status = remote.status();
    assert_eq!((status.strategy.as_str(), status.last_result), ("TraceIdRatio{0.5}", Ok(())));
}

#[test]
fn a_strategy_file_is_read_again_at_each_poll() {
    let path = std::env::temp_dir().join(format!("lantern-sampling-remote-{}.json", std::process::id()));
    std::fs::write(&path, probabilistic(0.1)).unwrap();
    let remote = RemoteSampler::from_file(&path, POLL, AlwaysOff);
    wait_for_strategy(&remote, "TraceIdRatio{0.1}");
    assert_eq!(remote.status().source, path.display().to_string());
    std::fs::write(&path, r#"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":7}}"#)
        .unwrap();
    wait_for_strategy(&remote, "RateLimiting{7}");
    std::fs::write(&path, " ".repeat(2 << 20)).unwrap();
    assert!(remote.poll_now());
    assert!(remote.status().last_result.unwrap_err().starts_with("too large"));
    std::fs::remove_file(&path).unwrap();
    assert!(remote.poll_now());
    let status = remote.status();
    assert_eq!(status.strategy, "RateLimiting{7}", "kept");
    assert!(status.last_result.unwrap_err().contains(&path.display().to_string()));
}

#[test]
fn dropping_the_last_clone_stops_the_polling() {
    let server = Server::start(&probabilistic(0.5));
    let remote = RemoteSampler::new(&server.url(), "api", POLL, AlwaysOff).unwrap();
    let clone = remote.clone();
    wait_for("a few polls", || server.requests() >= 3);
    drop(remote);
    let polled = server.requests();
    wait_for("more polls while a clone lives", || server.requests() > polled);
    drop(clone);
    // A poll in flight may still land; then ten intervals pass in silence
    // (a live poller would have asked ten times).
    wait_for("ten intervals without a poll", || {
        let before = server.requests();
        std::thread::sleep(POLL * 10);
        server.requests() == before
    });
}
