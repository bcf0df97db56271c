//! [`RemoteSampler`]: the sampling strategy decided elsewhere, Jaeger's
//! remote sampling. What it accepts and how it behaves for its users is on
//! the type; this is how it is built.
//!
//! # Why remote
//!
//! A sampling rate compiled into a service, or set in its environment,
//! changes only with a deployment. Jaeger's answer is a *sampling endpoint*
//! that every service asks, every minute or so, for its current strategy
//! (`GET <endpoint>?service=NAME`): operators then change the rates of a
//! whole fleet from one place, and turn a noisy service down during an
//! incident without a restart. The strategy maps onto Lantern's own
//! samplers ([`super::strategy`] parses and checks it), so a remote
//! strategy decides exactly as the same sampler configured in code.
//!
//! # The sampler in force
//!
//! [`Inner::current`] is an [`ArcSwap`] of the sampler in force and the
//! strategy it was built from. A decision loads it (a read of the pointer
//! and a write to a slot owned by the calling thread: no lock, no shared
//! write, no allocation) and asks that sampler. The polling thread stores a
//! new one only when the strategy read differs from the one in force, so
//! the state of a rate limiter, a guaranteed-throughput table or an
//! adaptive sampler lives on across polls; a changed strategy starts a
//! fresh sampler. Until the first good poll the initial sampler is in
//! force, with no strategy.
//!
//! # The polling thread
//!
//! One thread per sampler, `lantern-sampling-remote`, polls at once, then
//! sleeps on a condition variable until the interval is over (at least
//! 10 ms), a [`RemoteSampler::poll_now`] asks, or the sampler is dropped:
//! an idle process spends nothing between polls. It holds only a [`Weak`]
//! reference, upgraded just to apply a result, so the sampler's last clone
//! drops on the application's thread, which then only sets a flag and
//! wakes the poller: the thread ends at once if it sleeps, after the
//! request in flight (5 s at most) otherwise, and dropping never waits.
//!
//! The thread traces nothing of its own: a `Dispatch::none()` default on
//! it, and on the tokio runtime's helper threads (DNS look-ups), keeps
//! hyper's `tracing` events out of the application's subscriber, which
//! could otherwise record Lantern polling for itself. The runtime (current
//! thread) and the client ([`super::remote_fetch`]) are made at the first
//! HTTP poll, and the client keeps no connection open between polls.
//!
//! # Failures
//!
//! Nothing the network sends can panic or block the application: every
//! failure (no answer, an HTTP error status, a body over 1 MiB, malformed
//! JSON, a value out of range) becomes a counted error whose text, cut to
//! 512 bytes, is kept for the status and the description; the sampler in
//! force stays. A thread that cannot be started is one such failure, and
//! the initial sampler then stays for good.

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use parking_lot::{Condvar, Mutex};

use super::bucket::ManualClock;
use super::remote_fetch::{Source, TIMEOUT};
use super::sampler::{Sampler, SamplingDecision, SamplingParams, SamplingResult};
use super::state::{RemoteStatus, SamplerState};
use super::strategy::Strategy;
use crate::text::cut;

/// The shortest polling interval accepted.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// The longest error text kept.
const MAX_ERROR_BYTES: usize = 512;

/// Samples with the strategy a Jaeger remote sampling endpoint (or a file)
/// gives for this service, polled at an interval.
///
/// Until a strategy arrives the `initial` sampler decides; after that, the
/// last good strategy stays in force while polls fail, and each failure is
/// counted ([`RemoteSampler::status`]; the description, shown on
/// `/debug/sampling`, has the counts and the last error). An unchanged
/// strategy keeps the same sampler object, and its state. Clones share one
/// strategy, one status and one polling thread (`lantern-sampling-remote`),
/// which ends when the last clone is dropped: keep a clone to read the
/// status after handing the sampler to the builder.
///
/// Plain HTTP only, no TLS. A request has 5 s to connect and answer in
/// full; a body or file over 1 MiB is refused. A decision costs one
/// [`ArcSwap`](arc_swap::ArcSwap) load (no lock, no allocation) and the
/// decision of the sampler in force.
///
/// # The strategy format
///
/// Jaeger's sampling strategy response, as its agent (`:5778/sampling`),
/// its collector (`:14268/api/sampling`) and the OpenTelemetry Collector's
/// `jaegerremotesampling` extension serve it, plus one Lantern extension:
///
/// ```json
/// {
///   "strategyType": "PROBABILISTIC",
///   "probabilisticSampling": { "samplingRate": 0.1 },
///   "rateLimitingSampling": { "maxTracesPerSecond": 5 },
///   "operationSampling": {
///     "defaultSamplingProbability": 0.001,
///     "defaultLowerBoundTracesPerSecond": 0.0167,
///     "defaultUpperBoundTracesPerSecond": 100,
///     "perOperationStrategies": [
///       { "operation": "GET /cart", "probabilisticSampling": { "samplingRate": 0.01 } }
///     ]
///   },
///   "adaptiveSampling": { "targetTracesPerSecond": 1.0, "maxTracesPerSecond": 50 }
/// }
/// ```
///
/// The first of these that the response holds selects the sampler:
///
/// 1. `adaptiveSampling`, **a Lantern extension**, not part of Jaeger's
///    format (Jaeger's clients ignore it, so a server may send it beside the
///    standard fields): [`Adaptive`](super::adaptive::Adaptive) aiming at
///    `targetTracesPerSecond` per operation, with `maxTracesPerSecond`, if
///    given, as the ceiling for the whole service
///    ([`Adaptive::with_max_total_per_second`](super::adaptive::Adaptive::with_max_total_per_second)).
/// 2. `operationSampling`, whatever the `strategyType`, as Jaeger's clients
///    read it: [`GuaranteedThroughput`](super::per_operation::GuaranteedThroughput)
///    with the default probability, the lower bound, each operation's
///    probability, and the upper bound when above 0 (an unset field reads
///    as 0, so 0 means no ceiling).
/// 3. `strategyType` `PROBABILISTIC` (or `0`):
///    [`TraceIdRatio`](super::ratio::TraceIdRatio) of `samplingRate`.
/// 4. `strategyType` `RATE_LIMITING` (or `1`):
///    [`RateLimiting`](super::rate_limiting::RateLimiting) at
///    `maxTracesPerSecond`.
/// 5. No `strategyType` (protobuf's JSON leaves the default out):
///    `probabilisticSampling` if present, else `rateLimitingSampling`.
///
/// Field names are accepted in snake case too (`strategy_type`,
/// `sampling_rate`, ...), `strategyType` as the enum's name in any case or
/// its number, and unknown fields are ignored; a number left out of an
/// object that is there reads as 0, as in protobuf's JSON (but the
/// extension's `targetTracesPerSecond` is required). A response is
/// refused whole (the strategy in force is kept, the failure counted, the
/// error names the field) when it is not JSON, when a probability is not in
/// `[0, 1]` or a rate is negative, or when the object its type names is
/// missing. Past [`DEFAULT_MAX_OPERATIONS`](super::per_operation::DEFAULT_MAX_OPERATIONS)
/// per-operation strategies the rest are dropped, and operation names are
/// cut to 256 bytes, as the samplers key them.
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
/// use lantern::sampling::{ParentBased, RemoteSampler, TraceIdRatio};
///
/// let remote = RemoteSampler::new(
///     "http://localhost:5778/sampling",
///     "checkout",
///     Duration::from_secs(60),
///     TraceIdRatio::new(0.001),
/// )?;
/// let _guard = lantern::builder()
///     .service_name("checkout")
///     .sampler(ParentBased::new(remote.clone()))
///     .init();
/// // Later, for a health page:
/// let status = remote.status();
/// println!("{} ({} failures)", status.strategy, status.fetch_failures);
/// # Ok::<(), lantern::sampling::InvalidEndpoint>(())
/// ```
///
/// From the environment, `OTEL_TRACES_SAMPLER=parentbased_jaeger_remote`
/// with `OTEL_TRACES_SAMPLER_ARG=endpoint=http://agent:5778/sampling,pollingIntervalMs=60000,initialSamplingRate=0.001`
/// builds the same when the builder starts (see [`crate::Builder`]'s
/// defaults). That sampler asks for the service that `OTEL_SERVICE_NAME` (or
/// `service.name` in `OTEL_RESOURCE_ATTRIBUTES`) names, else for the
/// executable's name: a name set later with
/// [`Builder::service_name`](crate::Builder::service_name) does not reach
/// it, so a service named in code builds its `RemoteSampler` itself. The
/// specification's default endpoint is Jaeger's gRPC `localhost:14250`;
/// this sampler speaks HTTP, so its default is the Jaeger agent's
/// `http://localhost:5778/sampling`. The interval defaults to 60 s, the
/// initial sampler to a [`TraceIdRatio`](super::ratio::TraceIdRatio) of
/// 0.001; a bad value gives a warning on stderr and the default.
#[derive(Clone)]
pub struct RemoteSampler {
    inner: Arc<Inner>,
}

/// What the sampler shares with its polling thread.
struct Inner {
    current: ArcSwap<Current>,
    /// The clock for samplers built from now on (tests); held while
    /// `current` changes, so that changes do not interleave.
    clock: Mutex<Option<ManualClock>>,
    counters: Mutex<Counters>,
    source: String,
    signal: Arc<Signal>,
}

/// The sampler in force, and the strategy it was built from (none for the
/// initial sampler).
struct Current {
    strategy: Option<Strategy>,
    sampler: Box<dyn Sampler>,
}

#[derive(Default)]
struct Counters {
    fetches_ok: u64,
    fetch_failures: u64,
    last_fetch: Option<SystemTime>,
    last_error: Option<String>,
}

/// Wakes the polling thread: to stop, or to poll now.
#[derive(Default)]
struct Signal {
    state: Mutex<Wake>,
    changed: Condvar,
}

#[derive(Default)]
struct Wake {
    stopped: bool,
    /// Polls asked for by [`RemoteSampler::poll_now`], and the number of
    /// those that a finished poll has served.
    requested: u64,
    completed: u64,
}

/// An endpoint [`RemoteSampler::new`] cannot use: not a URL, or not
/// `http://`.
///
/// ```
/// use std::time::Duration;
/// use lantern::sampling::{AlwaysOn, RemoteSampler};
/// let err = RemoteSampler::new("https://agent:5778/sampling", "api", Duration::from_secs(60), AlwaysOn).unwrap_err();
/// assert!(err.to_string().contains("only http:// (no TLS)"), "{err}");
/// ```
#[derive(Clone, Debug)]
pub struct InvalidEndpoint(String);

impl std::fmt::Display for InvalidEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidEndpoint {}

impl RemoteSampler {
    /// Polls `GET endpoint?service=<service>` (the service name
    /// percent-encoded) every `interval` (at least 10 ms), from now on;
    /// `initial` decides until a strategy arrives. `http://` is assumed
    /// when the endpoint has no scheme; `https://` is refused (no TLS).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use lantern::sampling::{RemoteSampler, TraceIdRatio};
    /// let sampler =
    ///     RemoteSampler::new("jaeger-agent:5778/sampling", "api", Duration::from_secs(60), TraceIdRatio::new(0.001))?;
    /// assert_eq!(sampler.status().source, "http://jaeger-agent:5778/sampling?service=api");
    /// # Ok::<(), lantern::sampling::InvalidEndpoint>(())
    /// ```
    pub fn new(
        endpoint: &str,
        service: &str,
        interval: Duration,
        initial: impl Sampler,
    ) -> Result<Self, InvalidEndpoint> {
        let source = Source::http(endpoint, service).map_err(InvalidEndpoint)?;
        Ok(RemoteSampler::start(source, interval, Box::new(initial)))
    }

    /// Reads the strategy from the file at `path` every `interval` (at
    /// least 10 ms): the same JSON an endpoint answers with, at most 1 MiB.
    /// `initial` decides until the file holds a valid strategy.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lantern::sampling::{AlwaysOn, RemoteSampler};
    /// let path = std::env::temp_dir().join(format!("lantern-doc-strategy-{}.json", std::process::id()));
    /// std::fs::write(&path, r#"{"strategyType": "PROBABILISTIC", "probabilisticSampling": {"samplingRate": 0.5}}"#)?;
    /// let sampler = RemoteSampler::from_file(&path, Duration::from_secs(60), AlwaysOn);
    /// sampler.poll_now();
    /// assert_eq!(sampler.status().strategy, "TraceIdRatio{0.5}");
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_file(path: impl Into<PathBuf>, interval: Duration, initial: impl Sampler) -> Self {
        RemoteSampler::start(Source::File(path.into()), interval, Box::new(initial))
    }

    fn start(source: Source, interval: Duration, initial: Box<dyn Sampler>) -> Self {
        let signal = Arc::new(Signal::default());
        let inner = Arc::new(Inner {
            current: ArcSwap::from_pointee(Current { strategy: None, sampler: initial }),
            clock: Mutex::new(None),
            counters: Mutex::new(Counters::default()),
            source: source.describe(),
            signal: Arc::clone(&signal),
        });
        let weak = Arc::downgrade(&inner);
        let interval = interval.max(MIN_INTERVAL);
        let spawned = std::thread::Builder::new()
            .name("lantern-sampling-remote".into())
            .spawn(move || poll_loop(weak, signal, source, interval));
        if let Err(e) = spawned {
            inner.record(Err(format!("could not start the polling thread: {e}")));
            inner.signal.stop();
        }
        RemoteSampler { inner }
    }

    /// The counts of polls, the last error, and the sampler in force.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lantern::sampling::{RemoteSampler, TraceIdRatio};
    /// let sampler = RemoteSampler::from_file("/nonexistent", Duration::from_secs(60), TraceIdRatio::new(0.25));
    /// assert_eq!(sampler.status().strategy, "TraceIdRatio{0.25}");
    /// ```
    pub fn status(&self) -> RemoteStatus {
        let current = self.inner.current.load();
        let counters = self.inner.counters.lock();
        RemoteStatus {
            source: self.inner.source.clone(),
            strategy: current.sampler.description(),
            applied: current.strategy.is_some(),
            fetches_ok: counters.fetches_ok,
            fetch_failures: counters.fetch_failures,
            last_fetch: counters.last_fetch,
            last_result: counters.last_error.clone().map_or(Ok(()), Err),
        }
    }

    /// Polls now rather than at the next interval, and waits until that
    /// poll is over (at most a few times the 5 s request timeout): after
    /// editing a strategy file, or in tests. False if the wait ran out or
    /// the polling thread is gone.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lantern::sampling::{AlwaysOn, RemoteSampler};
    /// let sampler = RemoteSampler::from_file("/nonexistent", Duration::from_secs(3600), AlwaysOn);
    /// assert!(sampler.poll_now());
    /// assert!(sampler.poll_now());
    /// assert!(sampler.status().fetch_failures >= 2);
    /// ```
    pub fn poll_now(&self) -> bool {
        let signal = &self.inner.signal;
        let deadline = Instant::now() + 3 * TIMEOUT;
        let mut wake = signal.state.lock();
        wake.requested += 1;
        let ticket = wake.requested;
        signal.changed.notify_all();
        while wake.completed < ticket && !wake.stopped {
            if signal.changed.wait_until(&mut wake, deadline).timed_out() {
                break;
            }
        }
        wake.completed >= ticket
    }

    /// Builds the samplers of fetched strategies on `clock` from now on,
    /// the one in force included: for tests. Not part of the stable API.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lantern::sampling::{AlwaysOn, ManualClock, RemoteSampler};
    /// let clock = ManualClock::new();
    /// let _ = RemoteSampler::from_file("/nonexistent", Duration::from_secs(60), AlwaysOn).with_manual_clock(&clock);
    /// ```
    #[doc(hidden)]
    pub fn with_manual_clock(self, clock: &ManualClock) -> Self {
        let mut held = self.inner.clock.lock();
        *held = Some(clock.clone());
        if let Some(strategy) = self.inner.current.load().strategy.clone() {
            let sampler = strategy.build(held.as_ref());
            self.inner.current.store(Arc::new(Current { strategy: Some(strategy), sampler }));
        }
        drop(held);
        self
    }
}

impl Inner {
    /// Applies a poll's body, or counts its failure.
    fn apply(&self, fetched: Result<Vec<u8>, String>) {
        let result = fetched.and_then(|body| Strategy::parse(&body)).map(|strategy| {
            let clock = self.clock.lock();
            // The same strategy keeps the same sampler, and its state.
            if self.current.load().strategy.as_ref() != Some(&strategy) {
                let sampler = strategy.build(clock.as_ref());
                self.current.store(Arc::new(Current { strategy: Some(strategy), sampler }));
            }
        });
        self.record(result);
    }

    fn record(&self, result: Result<(), String>) {
        let mut counters = self.counters.lock();
        counters.last_fetch = Some(SystemTime::now());
        match result {
            Ok(()) => {
                counters.fetches_ok += 1;
                counters.last_error = None;
            }
            Err(e) => {
                counters.fetch_failures += 1;
                counters.last_error = Some(cut(&e, MAX_ERROR_BYTES).to_owned());
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.signal.stop();
    }
}

impl Signal {
    fn stop(&self) {
        self.state.lock().stopped = true;
        self.changed.notify_all();
    }
}

/// The polling thread: polls at once, then every `interval` or when asked,
/// until the sampler is gone.
fn poll_loop(weak: Weak<Inner>, signal: Arc<Signal>, mut source: Source, interval: Duration) {
    // The polling thread never traces itself (nor its HTTP client).
    let _quiet = tracing::dispatcher::set_default(&tracing::Dispatch::none());
    let mut next = Some(Instant::now());
    loop {
        let serving = {
            let mut wake = signal.state.lock();
            loop {
                if wake.stopped {
                    return;
                }
                if wake.requested > wake.completed || next.is_some_and(|at| Instant::now() >= at) {
                    break wake.requested;
                }
                match next {
                    Some(at) => _ = signal.changed.wait_until(&mut wake, at),
                    None => signal.changed.wait(&mut wake),
                }
            }
        };
        next = Instant::now().checked_add(interval);
        let fetched = source.fetch();
        let Some(inner) = weak.upgrade() else { return };
        inner.apply(fetched);
        drop(inner);
        signal.state.lock().completed = serving;
        signal.changed.notify_all();
    }
}

impl Sampler for RemoteSampler {
    #[inline]
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingDecision {
        self.inner.current.load().sampler.should_sample(params)
    }

    #[inline]
    fn decide(&self, params: &SamplingParams<'_>) -> SamplingResult {
        self.inner.current.load().sampler.decide(params)
    }

    fn description(&self) -> String {
        let status = self.status();
        let mut s = format!(
            "RemoteSampler{{strategy={}, source={}, fetched={}, failed={}",
            status.strategy, status.source, status.fetches_ok, status.fetch_failures
        );
        if let Err(e) = &status.last_result {
            s += &format!(", lastError={e:?}");
        }
        s + "}"
    }

    fn inspect(&self, state: &mut SamplerState) {
        state.remote = Some(self.status());
        self.inner.current.load().sampler.inspect(state);
    }
}

impl std::fmt::Debug for RemoteSampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description())
    }
}
