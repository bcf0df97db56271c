//! The child process: one set-up installed, an axum service on
//! 127.0.0.1:0, its port on stdout's first line, and, when stdin closes,
//! one line of JSON with what the set-up kept, then exit.

use std::any::Any;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use opentelemetry::trace::TracerProvider as _;
use tracing::{Instrument, info, info_span};
use tracing_subscriber::layer::SubscriberExt;

/// The set-ups, in the order they run and print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    NoTracing,
    RegistryOnly,
    LanternSampled,
    LanternSampledHttpLayer,
    LanternUnsampled,
    TracingOpentelemetry,
}

impl Setup {
    pub const ALL: [Setup; 6] = [
        Setup::NoTracing,
        Setup::RegistryOnly,
        Setup::LanternSampled,
        Setup::LanternSampledHttpLayer,
        Setup::LanternUnsampled,
        Setup::TracingOpentelemetry,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Setup::NoTracing => "no_tracing",
            Setup::RegistryOnly => "registry_only",
            Setup::LanternSampled => "lantern_sampled",
            Setup::LanternSampledHttpLayer => "lantern_sampled_http_layer",
            Setup::LanternUnsampled => "lantern_unsampled",
            Setup::TracingOpentelemetry => "tracing_opentelemetry",
        }
    }

    pub fn parse(name: &str) -> Option<Setup> {
        Setup::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The CPU work of one request: `iters` rounds of xorshift64, each through
/// `black_box` so that the compiler can neither fold nor vectorise it.
#[inline(never)]
pub fn spin(iters: u64, seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..iters {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = std::hint::black_box(x);
    }
    x
}

/// What a set-up kept, counted by the child when it is told to stop.
struct Kept {
    spans: u64,
    logs: u64,
    /// Lost inside the tracer, where it says so (Lantern's overwritten queue
    /// entries); `None` where it does not count them.
    lost: Option<u64>,
}

type KeptFn = Box<dyn FnOnce() -> Kept + Send>;

/// Installs `setup` as the global subscriber. Returns the count of what it
/// kept, and whatever must stay alive for it to keep working.
fn install(setup: Setup) -> (KeptFn, Box<dyn Any>) {
    let nothing: KeptFn = Box::new(|| Kept { spans: 0, logs: 0, lost: None });
    match setup {
        Setup::NoTracing => (nothing, Box::new(())),
        Setup::RegistryOnly => {
            let subscriber = tracing_subscriber::registry().with(lantern_benches::EmptyLayer);
            tracing::subscriber::set_global_default(subscriber).expect("no subscriber yet");
            (nothing, Box::new(()))
        }
        Setup::LanternSampled | Setup::LanternSampledHttpLayer | Setup::LanternUnsampled => {
            // `http_addr(None)`: by default `try_init` also serves the debug
            // pages on 127.0.0.1:9464 (a `lantern-http` thread, idle here).
            let mut builder = lantern::builder().service_name("bench").http_addr(None);
            if setup == Setup::LanternUnsampled {
                builder = builder
                    .sampler(lantern::sampling::AlwaysOff)
                    .recording_mode(lantern::sampling::RecordingMode::SampledOnly);
            }
            let guard = builder.try_init().expect("no subscriber yet");
            let buffer = guard.buffer().clone();
            let kept: KeptFn = Box::new(move || {
                buffer.flush();
                let s = buffer.stats();
                Kept {
                    spans: s.spans_recorded - s.spans_overwritten,
                    logs: s.logs_recorded - s.logs_overwritten,
                    lost: Some(s.spans_overwritten + s.logs_overwritten),
                }
            });
            (kept, Box::new(guard))
        }
        Setup::TracingOpentelemetry => {
            // As `lantern_benches::tracing_opentelemetry()`, with an exporter
            // that counts what reaches it.
            let counts = Arc::new(Counts::default());
            let exporter = CountingExporter(Arc::clone(&counts));
            let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().with_batch_exporter(exporter).build();
            let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("bench"));
            let subscriber = tracing_subscriber::registry().with(layer);
            tracing::subscriber::set_global_default(subscriber).expect("no subscriber yet");
            let kept_provider = provider.clone();
            let kept: KeptFn = Box::new(move || {
                if let Err(e) = kept_provider.force_flush() {
                    eprintln!("service-overhead child: force_flush: {e}");
                }
                Kept { spans: counts.spans.load(Relaxed), logs: counts.events.load(Relaxed), lost: None }
            });
            (kept, Box::new(provider))
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    spans: AtomicU64,
    /// Span events: `tracing-opentelemetry` turns each log in a span into one.
    events: AtomicU64,
}

/// An OpenTelemetry exporter that counts spans and their events, and drops them.
#[derive(Debug)]
struct CountingExporter(Arc<Counts>);

impl opentelemetry_sdk::trace::SpanExporter for CountingExporter {
    async fn export(&self, batch: Vec<opentelemetry_sdk::trace::SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        let events: usize = batch.iter().map(|s| s.events.len()).sum();
        self.0.spans.fetch_add(batch.len() as u64, Relaxed);
        self.0.events.fetch_add(events as u64, Relaxed);
        Ok(())
    }
}

struct App {
    iters: u64,
    /// Whether the handler makes the server span (not when Lantern's HTTP
    /// layer does).
    server_span: bool,
    served: AtomicU64,
}

async fn work(State(app): State<Arc<App>>) -> &'static str {
    app.served.fetch_add(1, Relaxed);
    let iters = app.iters;
    if app.server_span {
        let span = info_span!("GET /work", otel.kind = "server", http.request.method = "GET", http.route = "/work");
        async move { handle(iters) }.instrument(span).await
    } else {
        handle(iters)
    }
}

/// Three child spans around a third of the work each, and two logs.
fn handle(iters: u64) -> &'static str {
    let third = iters / 3;
    let mut x = 0x9E37_79B9_7F4A_7C15;
    for i in 0..3u64 {
        let _step = info_span!("step", step = i).entered();
        x = spin(third, x);
        if i == 0 {
            info!(user = 42, "loaded user");
        }
    }
    info!(items = x % 8, "rendered");
    "ok\n"
}

/// The child's `main`: serves until stdin closes, then prints the JSON line
/// `{"setup", "served", "spans", "logs", "lost"}` and exits.
pub fn run(setup: Setup, iters: u64) -> ! {
    let (kept, _alive) = install(setup);
    let app = Arc::new(App { iters, server_span: setup != Setup::LanternSampledHttpLayer, served: AtomicU64::new(0) });
    let mut router = Router::new().route("/work", get(work));
    if setup == Setup::LanternSampledHttpLayer {
        router = router.layer(lantern::middleware::HttpServerLayer::new());
    }
    let router = router.with_state(Arc::clone(&app));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let mut out = std::io::stdout().lock();
        writeln!(out, "{port}").and_then(|()| out.flush()).expect("stdout");
        drop(out);
        std::thread::Builder::new()
            .name("stdin-watch".into())
            .spawn(move || {
                let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
                let k = kept();
                let line = serde_json::json!({
                    "setup": setup.name(),
                    "served": app.served.load(Relaxed),
                    "spans": k.spans,
                    "logs": k.logs,
                    "lost": k.lost,
                });
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}").and_then(|()| out.flush());
                std::process::exit(0);
            })
            .expect("spawn stdin-watch");
        axum::serve(listener, router).await.expect("serve");
    });
    unreachable!("axum::serve returns only on error")
}
