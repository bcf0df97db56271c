//! Tracing Talk, the chat demo of *Mastering Distributed Tracing* (ch. 5):
//! asynchronous messaging through a real broker, traced by Lantern.
//!
//! Three services run in this process on one tokio runtime, each under its
//! own `service.name`: `chat-api` (HTTP: post a message, list messages),
//! `storage` (consumes messages and keeps them in Redis) and `giphy`
//! (consumes messages that start with `/giphy <topic>`, fetches an image
//! URL from `giphy-api`, a stand-in for the Giphy API on loopback, and
//! publishes the message again with the image). They talk through a Redis
//! stream: chat-api and giphy `XADD` to it in producer spans whose trace
//! context and baggage travel in the entry's fields, and storage and giphy
//! read it in consumer groups (`XREADGROUP`), each entry handled in a
//! consumer span that continues the producer's trace. One `/giphy cats`
//! post is therefore one trace across chat-api, the broker, storage, giphy
//! and giphy-api, and the service graph shows Redis as its own node. See
//! `examples/tracing-talk/mod.rs` for the pieces.
//!
//! ```text
//! cargo run --release --example tracing-talk                  # starts its own redis-server
//! cargo run --release --example tracing-talk -- --load 5      # plus 5 messages a second
//! cargo run --release --example tracing-talk -- --redis redis://127.0.0.1:6379/
//! curl -d '{"user":"ann","text":"/giphy cats"}' -H 'content-type: application/json' http://127.0.0.1:8090/messages
//! ```
//!
//! Without `--redis` it starts `redis-server` (Debian's package;
//! `scripts/setup.sh` installs it) on a free loopback port, saving nothing
//! to disk, and stops it on exit. It prints chat-api's URL and the debug
//! pages' URL, then serves until Ctrl-C. `LANTERN_HTTP_ADDR` moves the
//! debug pages; `OTEL_EXPORTER_OTLP_ENDPOINT` also exports over OTLP, one
//! resource per service.

use std::io::Write as _;
use std::process::ExitCode;

use lantern_examples::tracing_talk::{self, Config, RedisServer, Talk};

const USAGE: &str = "\
Tracing Talk: the chat demo of Mastering Distributed Tracing (ch. 5), over Redis Streams, on Lantern

usage: cargo run --release --example tracing-talk -- [options]

  --redis URL     use the Redis at URL (redis://host:port/) instead of starting redis-server
  --port P        chat-api's port (HTTP); default 8090, 0 for any free port
  --load N        post N messages a second (one in five /giphy) in the background; default 0
  -h, --help      this text

LANTERN_HTTP_ADDR moves Lantern's debug pages (default 127.0.0.1:9464);
OTEL_EXPORTER_OTLP_ENDPOINT also exports over OTLP. RUST_LOG filters the logs.";

#[derive(Debug, PartialEq)]
struct Args {
    redis: Option<String>,
    port: u16,
    load: f64,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args { redis: None, port: 8090, load: 0.0 };
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| inline.clone().or_else(|| args.next()).ok_or(format!("{name} needs {what}"));
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--redis" => {
                let url = value("a URL")?;
                if !url.starts_with("redis://") {
                    return Err(format!("--redis: {url:?} is not a redis:// URL"));
                }
                parsed.redis = Some(url);
            }
            "--port" => {
                let text = value("a port")?;
                parsed.port = text.parse().map_err(|_| format!("--port: {text:?} is not a port"))?;
            }
            "--load" => {
                let text = value("a rate")?;
                parsed.load = text
                    .parse()
                    .ok()
                    .filter(|n: &f64| n.is_finite() && (0.0..=10_000.0).contains(n))
                    .ok_or(format!("--load: {text:?} is not a rate (0 to 10000 messages a second)"))?;
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(Some(parsed))
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("tracing-talk: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let otlp = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| !v.trim().is_empty()));
    let exporter = match otlp.then(lantern_otlp::OtlpExporter::from_env) {
        None => None,
        Some(Ok(exporter)) => Some(exporter),
        Some(Err(e)) => {
            eprintln!("tracing-talk: bad OTLP configuration: {e}");
            return ExitCode::from(2);
        }
    };
    // Our own Redis, unless one is given; dropped (stopped) last.
    let (redis_server, redis_url) = match args.redis {
        Some(url) => (None, url),
        None => match RedisServer::start() {
            Ok(server) => {
                let url = server.url();
                (Some(server), url)
            }
            Err(e) => {
                eprintln!("tracing-talk: cannot start redis-server: {e} (or give --redis redis://host:port/)");
                return ExitCode::FAILURE;
            }
        },
    };
    let mut builder = lantern::builder().service_name("tracing-talk").max_level(tracing::Level::INFO).insights(true); // the service graph, with Redis as a node
    if let Some(exporter) = &exporter {
        builder = builder.exporter(exporter.clone());
    }
    let lantern = builder.init();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tracing-talk: no tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let debug = lantern.http_addr().map(|addr| format!("http://{addr}"));
    let config = Config { api_port: args.port, ..Config::new(redis_url.clone()) };
    let code = rt.block_on(async {
        let talk = match Talk::start(config).await {
            Ok(talk) => talk,
            Err(e) => {
                eprintln!("tracing-talk: cannot start: {e} (port taken? try --port 0)");
                return ExitCode::FAILURE;
            }
        };
        let own = if redis_server.is_some() { " (started here, stopped on exit)" } else { "" };
        println!("tracing-talk: chat-api: {}", talk.api_url());
        println!("tracing-talk: redis: {redis_url}{own}, stream {:?}", tracing_talk::STREAM);
        println!("tracing-talk: giphy-api stand-in: http://{}/v1/gifs/search?q=cats", talk.giphy_api);
        match &debug {
            Some(base) => {
                println!("tracing-talk: debug pages: {base}/debug");
                println!("tracing-talk: recent traces: {base}/debug/traces");
                println!("tracing-talk: service graph: {base}/debug/graph");
            }
            None => println!("tracing-talk: Lantern's debug pages are off (LANTERN_HTTP_ADDR=off, or the port was taken)"),
        }
        println!(
            "tracing-talk: try: curl -d '{{\"user\":\"ann\",\"text\":\"/giphy cats\"}}' -H 'content-type: application/json' \
             http://{}/messages, then open its trace_id at {}/debug/traces/<trace_id>",
            talk.api,
            debug.as_deref().unwrap_or("<debug pages>")
        );
        let load = (args.load > 0.0).then(|| tracing_talk::load::spawn(talk.api, args.load));
        if load.is_some() {
            println!("tracing-talk: posting {} messages a second in the background", args.load);
        }
        println!("tracing-talk: Ctrl-C to stop");
        let _ = std::io::stdout().flush();
        let _ = tokio::signal::ctrl_c().await;
        if let Some((task, stats)) = load {
            task.abort();
            println!("tracing-talk: load: {stats}");
        }
        talk.shutdown().await;
        ExitCode::SUCCESS
    });
    drop(rt);
    drop(lantern); // flushes, and exports what is left
    drop(redis_server);
    println!("tracing-talk: stopped");
    code
}

#[cfg(test)]
mod tests {
    use super::{Args, parse};

    fn args(line: &str) -> Result<Option<Args>, String> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn options_parse() {
        assert_eq!(args("").unwrap().unwrap(), Args { redis: None, port: 8090, load: 0.0 });
        let a = args("--redis redis://127.0.0.1:7000/ --port=0 --load 2.5").unwrap().unwrap();
        assert_eq!(a, Args { redis: Some("redis://127.0.0.1:7000/".into()), port: 0, load: 2.5 });
        assert!(args("--help").unwrap().is_none());
        for bad in ["--redis", "--redis http://x", "--port 70000", "--load -1", "--load x", "--bogus"] {
            assert!(args(bad).is_err(), "{bad}");
        }
    }
}
