//! The `route` service (HTTP): `GET /route?pickup=X,Y&dropoff=X,Y` answers
//! with the ETA of a driver at `dropoff` to a customer at `pickup`, as JSON.
//!
//! The calculation is a span `compute_route` that takes 20 to 60 ms. Inside
//! it the service records the histogram `route.calc.time` (seconds), with no
//! label of its own: the customer and session the request was made for
//! arrive in the request's baggage, and Lantern's recorder turns the
//! allowlisted keys (see [`super::metrics_config`]) into labels, so
//! `/metrics` shows how much route calculation each customer and each
//! session costs. That is the book's resource-usage attribution, and the
//! route service never heard of customers.

use std::time::Instant;

use axum::Router;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tracing::Instrument;

use super::{Latencies, Shutdown, between};

/// The name of the histogram of route calculation times, in seconds.
pub const CALC_TIME: &str = "route.calc.time";

/// A route, as the route service answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// Where the customer is, `x,y`.
    pub pickup: String,
    /// Where the driver is, `x,y`.
    pub dropoff: String,
    /// How long the driver takes to reach the customer.
    pub eta_seconds: f64,
}

#[derive(Deserialize)]
struct RouteQuery {
    pickup: Option<String>,
    dropoff: Option<String>,
}

/// Serves the route service on `listener`.
pub(crate) async fn serve(listener: TcpListener, latencies: Latencies, shutdown: Shutdown) -> Result<(), String> {
    let router = Router::new().route("/route", get(move |query| get_route(query, latencies.clone())));
    super::web::serve(listener, router, "route", shutdown).await
}

async fn get_route(
    Query(query): Query<RouteQuery>,
    latencies: Latencies,
) -> Result<axum::Json<Route>, (StatusCode, String)> {
    let (Some(pickup), Some(dropoff)) = (query.pickup, query.dropoff) else {
        return Err((StatusCode::BAD_REQUEST, "pickup=X,Y and dropoff=X,Y are required".into()));
    };
    let (Some(from), Some(to)) = (point(&pickup), point(&dropoff)) else {
        return Err((StatusCode::BAD_REQUEST, "a location is x,y".into()));
    };
    let span = tracing::info_span!("compute_route", pickup = pickup.as_str(), dropoff = dropoff.as_str());
    let eta_seconds = compute_route(from, to, &latencies).instrument(span).await;
    Ok(axum::Json(Route { pickup, dropoff, eta_seconds }))
}

/// The ETA from `to` (the driver) to `from` (the customer): two minutes
/// plus the distance at about 10 units a second, give or take.
async fn compute_route(from: (f64, f64), to: (f64, f64), latencies: &Latencies) -> f64 {
    let started = Instant::now();
    tokio::time::sleep(between(latencies.route_min, latencies.route_max)).await;
    let distance = ((from.0 - to.0).powi(2) + (from.1 - to.1).powi(2)).sqrt();
    let eta = (120.0 + distance / (8.0 + 4.0 * fastrand::f64())).round();
    // Inside the span: the baggage of the request labels it by customer.
    metrics::histogram!(CALC_TIME).record(started.elapsed().as_secs_f64());
    tracing::info!(eta_seconds = eta, "route computed");
    eta
}

fn point(text: &str) -> Option<(f64, f64)> {
    let (x, y) = text.split_once(',')?;
    let x: f64 = x.trim().parse().ok()?;
    let y: f64 = y.trim().parse().ok()?;
    (x.is_finite() && y.is_finite()).then_some((x, y))
}

#[cfg(test)]
mod tests {
    use super::point;

    #[test]
    fn points_parse() {
        assert_eq!(point("115,277"), Some((115.0, 277.0)));
        assert_eq!(point(" 1.5 , 2"), Some((1.5, 2.0)));
        assert_eq!(point("115"), None);
        assert_eq!(point("a,b"), None);
        assert_eq!(point("inf,1"), None);
    }
}
