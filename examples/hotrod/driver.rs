//! The `driver` service (gRPC): `driver.DriverService/FindNearest` takes a
//! location and answers with the drivers nearby, from a simulated Redis.
//!
//! There is no `.proto` file, no `build.rs` and no `protoc`: the messages are
//! written by hand with `#[derive(prost::Message)]`, and the server and
//! client glue is what `tonic-build` would have generated, by hand: the
//! server is a `tower::Service` on `http::Request<tonic::body::Body>` (with
//! [`tonic::server::NamedService`]) that hands its one method to
//! [`tonic::server::Grpc::unary`]; the client calls
//! [`tonic::client::Grpc::unary`] on a channel wrapped in Lantern's
//! [`GrpcClientLayer`].
//!
//! `FindNearest` makes a Redis `FindDriverIDs` span, then one `GetDriver`
//! span per driver, one after the other (the book's N+1 query). About one
//! `GetDriver` in twenty times out: an `ERROR` log and an error status on
//! that `GetDriver` span, then a `WARN` and a retry in a new span. The
//! request itself succeeds, so its server span is not an error.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use lantern::middleware::{GrpcClientLayer, GrpcClientService, GrpcServerLayer};
use tokio::net::TcpListener;
use tonic::server::{NamedService, UnaryService};
use tonic::transport::Channel;
use tonic_prost::ProstCodec;
use tracing::Instrument;
use tracing::field::Empty;

use super::{Latencies, Shutdown, jittered};

/// The gRPC service's full name.
pub const SERVICE: &str = "driver.DriverService";
/// The path of its one method.
pub const FIND_NEAREST: &str = "/driver.DriverService/FindNearest";
/// Attempts at one `GetDriver` before the driver is left out.
const GET_DRIVER_ATTEMPTS: u32 = 3;

/// `FindNearest`'s request.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FindNearestRequest {
    /// Where the ride starts, `x,y`.
    #[prost(string, tag = "1")]
    pub location: String,
}

/// A driver and where it is.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DriverLocation {
    /// The driver's id (a licence plate, `T712345C`).
    #[prost(string, tag = "1")]
    pub driver_id: String,
    /// Where it is, `x,y`.
    #[prost(string, tag = "2")]
    pub location: String,
}

/// `FindNearest`'s response.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FindNearestResponse {
    /// The drivers found.
    #[prost(message, repeated, tag = "1")]
    pub locations: Vec<DriverLocation>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Serves the driver service on `listener`.
pub(crate) async fn serve(
    listener: TcpListener,
    latencies: Latencies,
    drivers: usize,
    shutdown: Shutdown,
) -> Result<(), String> {
    let server = DriverServer { redis: Arc::new(Redis { latencies, drivers }) };
    // Bounded like any server facing clients: a deadline per call and a cap
    // on concurrent calls per connection. (tonic has no cap on connections
    // or deadline for the HTTP/2 preface; put it behind a proxy that does,
    // or accept through a bounded listener, where that matters.)
    tonic::transport::Server::builder()
        .timeout(std::time::Duration::from_secs(30))
        .concurrency_limit_per_connection(64)
        .max_concurrent_streams(Some(64))
        .layer(GrpcServerLayer::new().service_name("driver"))
        .add_service(server)
        .serve_with_incoming_shutdown(tonic::transport::server::TcpIncoming::from(listener), shutdown.wait())
        .await
        .map_err(|e| e.to_string())
}

/// The server: routes `FindNearest` to [`Redis::find_nearest`], anything
/// else to `UNIMPLEMENTED`.
#[derive(Clone)]
struct DriverServer {
    redis: Arc<Redis>,
}

impl NamedService for DriverServer {
    const NAME: &'static str = SERVICE;
}

impl tower::Service<http::Request<tonic::body::Body>> for DriverServer {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        if request.uri().path() != FIND_NEAREST {
            return Box::pin(async { Ok(tonic::Status::unimplemented("no such method").into_http()) });
        }
        let method = FindNearest(self.redis.clone());
        Box::pin(async move { Ok(tonic::server::Grpc::new(ProstCodec::default()).unary(method, request).await) })
    }
}

/// The one method, as tonic's server wants it.
struct FindNearest(Arc<Redis>);

impl UnaryService<FindNearestRequest> for FindNearest {
    type Response = FindNearestResponse;
    type Future = BoxFuture<Result<tonic::Response<FindNearestResponse>, tonic::Status>>;

    fn call(&mut self, request: tonic::Request<FindNearestRequest>) -> Self::Future {
        let redis = self.0.clone();
        Box::pin(async move {
            let location = request.into_inner().location;
            tracing::info!(location = %location, "finding nearest drivers");
            let locations = redis.find_nearest(&location).await;
            tracing::info!(count = locations.len(), "search successful");
            Ok(tonic::Response::new(FindNearestResponse { locations }))
        })
    }
}

/// The simulated Redis the drivers' locations live in.
struct Redis {
    latencies: Latencies,
    drivers: usize,
}

impl Redis {
    /// The drivers near `location`, those whose `GetDriver` failed three
    /// times left out.
    async fn find_nearest(&self, location: &str) -> Vec<DriverLocation> {
        let ids = self.find_driver_ids(location).await;
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            for attempt in 1..=GET_DRIVER_ATTEMPTS {
                match self.get_driver(&id).await {
                    Ok(driver) => {
                        found.push(driver);
                        break;
                    }
                    Err(error) if attempt < GET_DRIVER_ATTEMPTS => {
                        tracing::warn!(driver_id = %id, attempt, %error, "retrying GetDriver after error");
                    }
                    Err(error) => tracing::warn!(driver_id = %id, %error, "giving up on driver"),
                }
            }
        }
        found
    }

    async fn find_driver_ids(&self, location: &str) -> Vec<String> {
        let span = tracing::info_span!(
            "FindDriverIDs",
            otel.kind = "client",
            db.system = "redis",
            db.operation.name = "FindDriverIDs",
            location,
            server.address = "redis",
            server.port = 6379,
        );
        async {
            tokio::time::sleep(self.latencies.redis_find).await;
            let ids: Vec<String> = (0..self.drivers).map(|_| format!("T7{:05}C", fastrand::u32(0..100_000))).collect();
            tracing::info!(count = ids.len(), "found drivers");
            ids
        }
        .instrument(span)
        .await
    }

    async fn get_driver(&self, id: &str) -> Result<DriverLocation, String> {
        let span = tracing::info_span!(
            "GetDriver",
            otel.kind = "client",
            db.system = "redis",
            db.operation.name = "GetDriver",
            driver_id = id,
            server.address = "redis",
            server.port = 6379,
            otel.status_code = Empty,
            otel.status_message = Empty,
        );
        async {
            if fastrand::f64() < self.latencies.redis_failure_rate {
                tokio::time::sleep(self.latencies.redis_timeout).await;
                let span = tracing::Span::current();
                span.record("otel.status_code", "ERROR");
                span.record("otel.status_message", "redis timeout");
                tracing::error!(driver_id = id, "redis timeout");
                return Err("redis timeout".to_owned());
            }
            let get = self.latencies.redis_get;
            tokio::time::sleep(jittered(get, get.mul_f64(0.3))).await;
            let location = format!("{},{}", fastrand::u32(0..1000), fastrand::u32(0..1000));
            Ok(DriverLocation { driver_id: id.to_owned(), location })
        }
        .instrument(span)
        .await
    }
}

/// The frontend's client of the driver service: a tonic channel wrapped in
/// [`GrpcClientLayer`], so each call is a client span whose context and
/// baggage travel in the call's metadata.
#[derive(Clone, Debug)]
pub struct DriverClient {
    grpc: tonic::client::Grpc<GrpcClientService<Channel>>,
}

impl DriverClient {
    /// A client of the service at `addr`; it connects on the first call.
    /// Needs a tokio runtime.
    pub fn new(addr: SocketAddr) -> DriverClient {
        let origin: http::Uri = format!("http://{addr}").parse().expect("a socket address makes a URI");
        let channel = Channel::builder(origin.clone()).connect_lazy();
        let traced = tower::ServiceBuilder::new().layer(GrpcClientLayer::new()).service(channel);
        DriverClient { grpc: tonic::client::Grpc::with_origin(traced, origin) }
    }

    /// `FindNearest`: the drivers near `location`.
    pub async fn find_nearest(&self, location: &str) -> Result<Vec<DriverLocation>, tonic::Status> {
        let mut grpc = self.grpc.clone();
        grpc.ready().await.map_err(|e| tonic::Status::unavailable(format!("driver service not ready: {e}")))?;
        let request = tonic::Request::new(FindNearestRequest { location: location.to_owned() });
        let path = http::uri::PathAndQuery::from_static(FIND_NEAREST);
        let response: tonic::Response<FindNearestResponse> = grpc.unary(request, path, ProstCodec::default()).await?;
        Ok(response.into_inner().locations)
    }
}
