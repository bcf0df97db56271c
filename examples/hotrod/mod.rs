//! HotROD ("Hot R.O.D., Rides on Demand"), the ride-sharing demo of Yuri
//! Shkuro's *Mastering Distributed Tracing*, chapter 2, on Lantern: four
//! services in one process, each on its own port, one trace across all of
//! them.
//!
//! ```text
//!                 HTTP GET /customer        +------------+
//!               +-------------------------> |  customer  |  SQL SELECT (MySQL,
//!               |                           +------------+   one connection)
//! +----------+  |  gRPC FindNearest         +------------+
//! | frontend | -+-------------------------> |   driver   |  FindDriverIDs, GetDriver
//! +----------+  |                           +------------+   x10 (Redis, retried)
//!  UI, /dispatch|  HTTP GET /route, x10,    +------------+
//!               +-------------------------> |   route    |  compute_route
//!                  3 at a time              +------------+   (per-customer metric)
//! ```
//!
//! A dispatch request to the [`frontend`] puts the customer and a session id
//! into baggage, loads the customer from the [`customer`] service, asks the
//! [`driver`] service (gRPC) for the nearest drivers, then asks the [`route`]
//! service for the ETA of each driver through a pool of three workers shared
//! by all requests, and answers with the driver with the smallest ETA. The
//! book's two bottlenecks are here: the customer database takes one query at
//! a time (a lock, logged when a request has to wait for it), and the route
//! calls queue for the three workers. One dispatch makes about fifty spans,
//! and the debug page of its trace shows the critical path through them.
//!
//! Each service's server layer names its service
//! ([`HttpServerLayer::service_name`](lantern::middleware::HttpServerLayer::service_name)),
//! so the spans and logs of one trace belong to `frontend`, `customer`,
//! `driver` and `route`, not to the process. The route service records
//! `route.calc.time` inside its span, and the allowlisted baggage keys of
//! [`metrics_config`] (`customer`, `session`) become its labels: the cost of
//! route calculations per customer, with no customer id passed down the
//! stack by hand (the book's resource-usage attribution). The same baggage
//! feeds HotROD's own trace feature, [`features::RidesPerCustomer`]: rides
//! per customer, on `/debug/insights` beside `GET /dispatch`.
//!
//! [`Hotrod::start`] binds all four listeners first and only then wires the
//! clients to the addresses bound, so ports 0 work (the tests use them).
//! `examples/hotrod/main.rs` is the command-line program.

pub mod customer;
pub mod driver;
pub mod features;
pub mod frontend;
pub mod load;
pub mod route;
mod ui;
pub(crate) mod web;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The simulated latencies of the databases and the route calculation.
///
/// The defaults are the book's, shortened a little (its MySQL query takes
/// 300 ms): enough to see the shape of a trace. [`Latencies::scaled`] shrinks
/// them for tests.
///
/// ```
/// use std::time::Duration;
/// let fast = lantern_examples::hotrod::Latencies::default().scaled(0.1);
/// assert_eq!(fast.mysql, Duration::from_millis(20));
/// assert_eq!(fast.redis_failure_rate, 0.05, "rates are not scaled");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Latencies {
    /// The customer service's `SQL SELECT`, on average.
    pub mysql: Duration,
    /// Plus or minus this, uniformly.
    pub mysql_jitter: Duration,
    /// The driver service's Redis `FindDriverIDs`.
    pub redis_find: Duration,
    /// One Redis `GetDriver`, on average (plus or minus 30%).
    pub redis_get: Duration,
    /// How long a `GetDriver` that times out waits before it fails.
    pub redis_timeout: Duration,
    /// The share of `GetDriver` calls that time out (and are retried).
    pub redis_failure_rate: f64,
    /// The route service's `compute_route`: at least this long...
    pub route_min: Duration,
    /// ...and at most this long, uniformly.
    pub route_max: Duration,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            mysql: Duration::from_millis(200),
            mysql_jitter: Duration::from_millis(50),
            redis_find: Duration::from_millis(20),
            redis_get: Duration::from_millis(10),
            redis_timeout: Duration::from_millis(30),
            redis_failure_rate: 0.05,
            route_min: Duration::from_millis(20),
            route_max: Duration::from_millis(60),
        }
    }
}

impl Latencies {
    /// Every duration multiplied by `factor` (the failure rate unchanged).
    pub fn scaled(&self, factor: f64) -> Latencies {
        let scale = |d: Duration| d.mul_f64(factor.max(0.0));
        Latencies {
            mysql: scale(self.mysql),
            mysql_jitter: scale(self.mysql_jitter),
            redis_find: scale(self.redis_find),
            redis_get: scale(self.redis_get),
            redis_timeout: scale(self.redis_timeout),
            redis_failure_rate: self.redis_failure_rate,
            route_min: scale(self.route_min),
            route_max: scale(self.route_max),
        }
    }
}

/// A random duration in `mean ± jitter`.
pub(crate) fn jittered(mean: Duration, jitter: Duration) -> Duration {
    between(mean.saturating_sub(jitter), mean + jitter)
}

/// A random duration in `[min, max]`.
pub(crate) fn between(min: Duration, max: Duration) -> Duration {
    if max <= min {
        return min;
    }
    min + (max - min).mul_f64(fastrand::f64())
}

/// Where the four services listen and how they behave.
///
/// ```
/// let config = lantern_examples::hotrod::Config::default();
/// assert_eq!(config.frontend_port, 8080, "the book's ports");
/// assert_eq!(lantern_examples::hotrod::Config::ephemeral().frontend_port, 0);
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// The address all four listen on (default 127.0.0.1).
    pub host: IpAddr,
    /// The frontend: the UI and `/dispatch` (default 8080; 0 for any free port).
    pub frontend_port: u16,
    /// The customer service, HTTP (default 8081).
    pub customer_port: u16,
    /// The driver service, gRPC (default 8082).
    pub driver_port: u16,
    /// The route service, HTTP (default 8083).
    pub route_port: u16,
    /// The simulated latencies.
    pub latencies: Latencies,
    /// The frontend's route workers, shared by all requests (default 3,
    /// the book's bottleneck; `--fix-route-worker-pool-size N` raises it).
    pub route_workers: usize,
    /// Whether the customer service's queries take turns on one database
    /// connection (default true, the book's bottleneck;
    /// `--fix-disable-db-conn-mutex` turns it off).
    pub db_connection_mutex: bool,
    /// Drivers the driver service returns per request (default 10).
    pub drivers: usize,
    /// The base URL of Lantern's debug pages (`http://127.0.0.1:9464`), for
    /// the UI's links to each dispatch's trace; none, no links.
    pub debug_pages: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            frontend_port: 8080,
            customer_port: 8081,
            driver_port: 8082,
            route_port: 8083,
            latencies: Latencies::default(),
            route_workers: 3,
            db_connection_mutex: true,
            drivers: 10,
            debug_pages: None,
        }
    }
}

impl Config {
    /// The defaults, with every service on a free port the system picks.
    pub fn ephemeral() -> Config {
        Config { frontend_port: 0, customer_port: 0, driver_port: 0, route_port: 0, ..Config::default() }
    }
}

/// The metrics settings HotROD wants: the baggage keys `customer` and
/// `session` become labels of the metrics recorded inside a request, in any
/// service the request reaches. Give it to `lantern::builder().metrics(..)`.
///
/// ```
/// let config = lantern_examples::hotrod::metrics_config();
/// assert_eq!(config.baggage_labels, ["customer", "session"]);
/// ```
pub fn metrics_config() -> lantern::metrics::MetricsConfig {
    lantern::metrics::MetricsConfig { baggage_labels: vec!["customer".into(), "session".into()], ..Default::default() }
}

/// Tells the servers to stop taking requests.
#[derive(Clone, Debug)]
pub(crate) struct Shutdown(pub(crate) watch::Receiver<bool>);

impl Shutdown {
    /// Completes when asked to stop, or when the [`Hotrod`] is gone.
    pub(crate) async fn wait(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// The four services, running; [`Hotrod::shutdown`] stops them (so does
/// dropping it, abruptly).
#[derive(Debug)]
pub struct Hotrod {
    /// Where the frontend listens (the UI and `/dispatch`).
    pub frontend: SocketAddr,
    /// Where the customer service listens.
    pub customer: SocketAddr,
    /// Where the driver service listens.
    pub driver: SocketAddr,
    /// Where the route service listens.
    pub route: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Hotrod {
    /// Binds the four listeners, then starts the four servers on the current
    /// tokio runtime, wired to each other's addresses. Fails when a port is
    /// taken, and says which.
    pub async fn start(config: Config) -> io::Result<Hotrod> {
        let bind = |name: &'static str, port: u16| async move {
            TcpListener::bind((config.host, port))
                .await
                .map_err(|e| io::Error::new(e.kind(), format!("{name} on {}:{port}: {e}", config.host)))
        };
        let frontend = bind("frontend", config.frontend_port).await?;
        let customer = bind("customer", config.customer_port).await?;
        let driver = bind("driver", config.driver_port).await?;
        let route = bind("route", config.route_port).await?;
        let addrs = Addrs {
            frontend: frontend.local_addr()?,
            customer: customer.local_addr()?,
            driver: driver.local_addr()?,
            route: route.local_addr()?,
        };
        let (stop, rx) = watch::channel(false);
        let shutdown = Shutdown(rx);
        let latencies = config.latencies.clone();
        let tasks = vec![
            run("customer", customer::serve(customer, latencies.clone(), config.db_connection_mutex, shutdown.clone())),
            run("driver", driver::serve(driver, latencies.clone(), config.drivers, shutdown.clone())),
            run("route", route::serve(route, latencies, shutdown.clone())),
            run("frontend", frontend::serve(frontend, frontend::Frontend::new(&config, &addrs), shutdown)),
        ];
        tracing::info!(
            frontend = %addrs.frontend,
            customer = %addrs.customer,
            driver = %addrs.driver,
            route = %addrs.route,
            "HotROD started"
        );
        Ok(Hotrod {
            frontend: addrs.frontend,
            customer: addrs.customer,
            driver: addrs.driver,
            route: addrs.route,
            stop,
            tasks,
        })
    }

    /// The UI's URL.
    pub fn ui_url(&self) -> String {
        format!("http://{}/", self.frontend)
    }

    /// Stops taking requests, lets the ones under way finish (for up to two
    /// seconds), then stops the servers.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        crate::finish_tasks(&mut self.tasks).await;
    }
}

impl Drop for Hotrod {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The bound addresses, for wiring the clients.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Addrs {
    pub(crate) frontend: SocketAddr,
    pub(crate) customer: SocketAddr,
    pub(crate) driver: SocketAddr,
    pub(crate) route: SocketAddr,
}

/// Runs a server on its own task; an error ends it, with a log.
fn run(
    service: &'static str,
    server: impl std::future::Future<Output = Result<(), String>> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = server.await {
            tracing::error!(service, %error, "server stopped");
        }
    })
}
