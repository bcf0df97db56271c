//! The `frontend` service (HTTP): the UI, and the dispatch of a ride.
//!
//! - `GET /`: the UI, one button per customer (see [`super::ui`]).
//! - `GET /ui/dispatch?customer=ID&session=S`: dispatches and shows the
//!   result, with a link to the request's trace on Lantern's debug pages.
//! - `GET /dispatch?customer=ID[&session=S]`: dispatches and answers JSON
//!   [`Dispatch`] `{driver, eta_seconds, trace_id}`.
//!
//! A dispatch puts `customer` (the id) and `session` (the UI's, else a new
//! one per request) into the baggage of the request's server span, so every
//! span below it, in every service, carries them. Then it loads the customer
//! from the customer service (HTTP), asks the driver service for the nearest
//! drivers (gRPC), asks the route service for each driver's ETA (HTTP, in
//! parallel through a pool of workers shared by all requests, three by
//! default: the book's other bottleneck), and picks the smallest ETA.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tracing::Instrument;

use super::customer::Customer;
use super::driver::{DriverClient, DriverLocation};
use super::route::Route;
use super::web::{self, Client};
use super::{Addrs, Config, Shutdown, ui};

/// The answer to `GET /dispatch`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dispatch {
    /// The driver sent (its licence plate).
    pub driver: String,
    /// When it arrives.
    pub eta_seconds: f64,
    /// The trace of this request, for `/debug/traces/{trace_id}`.
    pub trace_id: String,
}

/// An error answer: its status and text.
pub(crate) type Failure = (StatusCode, String);

#[derive(Deserialize)]
pub(crate) struct DispatchQuery {
    customer: Option<String>,
    session: Option<String>,
}

/// The frontend's state: its clients of the three other services.
pub(crate) struct Frontend {
    http: Client,
    driver: DriverClient,
    customer_url: String,
    route_url: String,
    /// The route workers, shared by all requests.
    workers: Arc<Semaphore>,
    pub(crate) debug_pages: Option<String>,
}

impl Frontend {
    /// Clients of the services at `addrs`. Needs a tokio runtime (the gRPC
    /// channel starts a task).
    pub(crate) fn new(config: &Config, addrs: &Addrs) -> Frontend {
        Frontend {
            http: web::traced_client(),
            driver: DriverClient::new(addrs.driver),
            customer_url: format!("http://{}/customer", addrs.customer),
            route_url: format!("http://{}/route", addrs.route),
            workers: Arc::new(Semaphore::new(config.route_workers.max(1))),
            debug_pages: config.debug_pages.clone(),
        }
    }

    /// Finds the driver with the smallest ETA for `customer_id`. Runs in
    /// the request's server span, whose baggage it sets.
    pub(crate) async fn dispatch(&self, customer_id: &str, session: &str) -> Result<Dispatch, Failure> {
        for (key, value) in [("customer", customer_id), ("session", session)] {
            if let Err(error) = lantern::context::set_baggage(key, value) {
                tracing::warn!(key, %error, "baggage not set");
            }
        }
        let trace_id = lantern::context::current().span_context().map(|cx| cx.trace_id().to_string());
        tracing::info!(customer_id, session, "getting customer");
        let url = format!("{}?customer={customer_id}", self.customer_url);
        let customer: Customer = web::get_json(&self.http, &url).await.inspect_err(|(_, error)| {
            tracing::error!(%error, "customer service failed");
        })?;
        tracing::info!(customer = %customer.name, location = %customer.location, "finding nearest drivers");
        let drivers = self.driver.find_nearest(&customer.location).await.map_err(|status| {
            tracing::error!(error = %status.message(), code = ?status.code(), "driver service failed");
            (StatusCode::BAD_GATEWAY, format!("driver service: {}", status.message()))
        })?;
        tracing::info!(count = drivers.len(), "found drivers; finding routes");
        let routes = self.find_routes(&customer.location, drivers).await;
        let Some((driver, eta_seconds)) = routes.into_iter().min_by(|a, b| a.1.total_cmp(&b.1)) else {
            tracing::error!("no route to any driver");
            return Err((StatusCode::SERVICE_UNAVAILABLE, "no driver available".into()));
        };
        tracing::info!(driver = %driver, eta_seconds, "dispatch successful");
        Ok(Dispatch { driver, eta_seconds, trace_id: trace_id.unwrap_or_default() })
    }

    /// The ETA of each driver to `pickup`, asked of the route service in
    /// parallel, at most as many at a time as there are workers (across all
    /// requests). Drivers whose route failed are left out.
    async fn find_routes(&self, pickup: &str, drivers: Vec<DriverLocation>) -> Vec<(String, f64)> {
        let mut calls = tokio::task::JoinSet::new();
        for driver in drivers {
            let (http, workers) = (self.http.clone(), self.workers.clone());
            let url = format!("{}?pickup={pickup}&dropoff={}", self.route_url, driver.location);
            let call = async move {
                let _worker = workers.acquire_owned().await.ok()?;
                match web::get_json::<Route>(&http, &url).await {
                    Ok(route) => Some((driver.driver_id, route.eta_seconds)),
                    Err((_, error)) => {
                        tracing::warn!(driver_id = %driver.driver_id, %error, "no route");
                        None
                    }
                }
            };
            // In the server span, so the client span is its child.
            calls.spawn(call.instrument(tracing::Span::current()));
        }
        let mut routes = Vec::new();
        while let Some(done) = calls.join_next().await {
            routes.extend(done.ok().flatten());
        }
        routes
    }
}

/// Serves the frontend on `listener`.
pub(crate) async fn serve(listener: TcpListener, frontend: Frontend, shutdown: Shutdown) -> Result<(), String> {
    let router = Router::new()
        .route("/", get(index))
        .route("/ui/dispatch", get(ui_dispatch))
        .route("/dispatch", get(dispatch_json))
        .with_state(Arc::new(frontend));
    web::serve(listener, router, "frontend", shutdown).await
}

/// The customer id of a query: digits, required.
fn customer_id(query: &DispatchQuery) -> Result<&str, Failure> {
    match query.customer.as_deref() {
        Some(id) if !id.is_empty() && id.len() <= 16 && id.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
        _ => Err((StatusCode::BAD_REQUEST, "customer=ID (digits) is required".into())),
    }
}

/// The session of a query if it is a sane one, else a new one.
fn session(query: &DispatchQuery) -> String {
    match query.session.as_deref() {
        Some(s) if (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
            s.to_owned()
        }
        _ => new_session(),
    }
}

/// A new random session id.
pub(crate) fn new_session() -> String {
    format!("{:08x}", fastrand::u32(..))
}

async fn index(State(frontend): State<Arc<Frontend>>) -> Html<String> {
    Html(ui::index(&new_session(), frontend.debug_pages.as_deref()))
}

async fn dispatch_json(
    State(frontend): State<Arc<Frontend>>,
    Query(query): Query<DispatchQuery>,
) -> Result<axum::Json<Dispatch>, Failure> {
    let customer = customer_id(&query)?;
    frontend.dispatch(customer, &session(&query)).await.map(axum::Json)
}

async fn ui_dispatch(
    State(frontend): State<Arc<Frontend>>,
    Query(query): Query<DispatchQuery>,
) -> (StatusCode, Html<String>) {
    let session = session(&query);
    let started = std::time::Instant::now();
    let outcome = match customer_id(&query) {
        Ok(customer) => frontend.dispatch(customer, &session).await,
        Err(failure) => Err(failure),
    };
    let status = outcome.as_ref().map_or_else(|(status, _)| *status, |_| StatusCode::OK);
    let page = ui::result(
        query.customer.as_deref().unwrap_or(""),
        outcome.as_ref().map_err(|(_, text)| text.as_str()),
        started.elapsed(),
        &session,
        frontend.debug_pages.as_deref(),
    );
    (status, Html(page))
}
