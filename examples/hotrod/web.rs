//! HTTP plumbing shared by the services: the traced client the frontend
//! calls `customer` and `route` with, a JSON GET, and serving an axum router
//! behind Lantern's server layer under a service's name.
//!
//! Serving is bounded the way any service facing clients should be (see
//! [`serve`]): a cap on open connections, a deadline for each request
//! head and for idle keep-alive connections, so that held or trickled
//! connections cannot exhaust the process's file descriptors.
//!
//! The client is hyper's, wrapped in
//! [`HttpClientLayer`]: each request gets a client span, child of the
//! current span, whose context and baggage travel in the request's headers.
//! The server side is [`HttpServerLayer`] on the router (so axum's matched
//! route names the span, `GET /route`) with
//! [`service_name`](HttpServerLayer::service_name): the server span, its
//! children and its logs belong to that service.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client as Hyper;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use lantern::middleware::{HttpClientLayer, HttpClientService, HttpServerLayer};
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
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

/// Connections served at once; more are closed as they arrive.
const MAX_CONNECTIONS: usize = 256;
/// How long a client may take to send a request head, the first or the
/// next one on a kept-alive connection.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until shut down, every request a server
/// span of `service`, within bounds: at most [`MAX_CONNECTIONS`] open
/// connections (a connection over the cap is closed unread), and
/// [`HEADER_READ_TIMEOUT`] for each request head, which hyper also applies
/// to the wait for the next request on a kept-alive connection. (Plain
/// `axum::serve` has neither: held connections would pile up.) On shutdown
/// it stops accepting; connections finish on their own deadlines.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    service: &'static str,
    shutdown: Shutdown,
) -> Result<(), String> {
    let app = router.layer(HttpServerLayer::new().service_name(service));
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let stop = shutdown.wait();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stop => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, say: pause instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
        // What `into_make_service_with_connect_info` would add: the peer,
        // for the server span's `client.address`.
        let app = app.clone().map_request(move |mut request: http::Request<_>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
            let _ = connection.await;
            drop(permit);
        });
    }
}

/// Escapes text for HTML content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}
