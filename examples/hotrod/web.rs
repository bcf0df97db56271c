//! HTTP plumbing shared by the services: the traced client the frontend
//! calls `customer` and `route` with, a JSON GET, and serving an axum router
//! behind Lantern's server layer under a service's name.
//!
//! The client is hyper's, wrapped in
//! [`HttpClientLayer`]: each request gets a client span, child of the
//! current span, whose context and baggage travel in the request's headers.
//! The server side is [`HttpServerLayer`] on the router (so axum's matched
//! route names the span, `GET /route`) with
//! [`service_name`](HttpServerLayer::service_name): the server span, its
//! children and its logs belong to that service.

use std::net::SocketAddr;

use axum::Router;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client as Hyper;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lantern::middleware::{HttpClientLayer, HttpClientService, HttpServerLayer};
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tower::ServiceExt;

use super::Shutdown;

/// hyper's client, traced.
pub(crate) type Client = HttpClientService<Hyper<HttpConnector, Empty<Bytes>>>;

/// A pooling HTTP/1 client whose requests are client spans named after the
/// method and the path (`GET /customer`: the paths here hold no ids).
pub(crate) fn traced_client() -> Client {
    let hyper = Hyper::builder(TokioExecutor::new()).build_http();
    let layer = HttpClientLayer::new().span_name(|parts| format!("{} {}", parts.method, parts.uri.path()));
    tower::ServiceBuilder::new().layer(layer).service(hyper)
}

/// GETs `url` and decodes the JSON answer. A failure is an error with the
/// status to answer with: the upstream's own when it refused the request
/// (4xx: a customer that does not exist is a 404 to the caller too), else
/// 502 Bad Gateway.
pub(crate) async fn get_json<T: DeserializeOwned>(client: &Client, url: &str) -> Result<T, (StatusCode, String)> {
    let bad_gateway = |e: String| (StatusCode::BAD_GATEWAY, format!("GET {url}: {e}"));
    let request = http::Request::get(url).body(Empty::new()).map_err(|e| bad_gateway(e.to_string()))?;
    let response = client.clone().oneshot(request).await.map_err(|e| bad_gateway(e.to_string()))?;
    let status = response.status();
    let body = response.into_body().collect().await.map_err(|e| bad_gateway(e.to_string()))?.to_bytes();
    if status != StatusCode::OK {
        let text = format!("GET {url}: {status}: {}", String::from_utf8_lossy(&body));
        return Err((if status.is_client_error() { status } else { StatusCode::BAD_GATEWAY }, text));
    }
    serde_json::from_slice(&body).map_err(|e| bad_gateway(format!("bad JSON: {e}")))
}

/// Serves `router` on `listener` until shut down, every request a server
/// span of `service`.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    service: &'static str,
    shutdown: Shutdown,
) -> Result<(), String> {
    let app = router.layer(HttpServerLayer::new().service_name(service));
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown.wait())
        .await
        .map_err(|e| e.to_string())
}

/// Escapes text for HTML content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}
