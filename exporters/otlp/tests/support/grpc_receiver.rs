//! The OTLP/gRPC receiver: tonic's three collector services, gzip
//! accepted, the faults of [`Fault`], plain text or TLS (tonic's server
//! TLS, with [`ServerTls::tonic`]).

use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{LogsService, LogsServiceServer};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message as _;
use tonic::codec::CompressionEncoding;
use tonic::{Code, Status};

use super::{Fault, REJECTED, ServerTls, Shared, rpc};

#[derive(Clone)]
struct Grpc(Arc<Shared>);

impl Grpc {
    /// Counts the request; `Ok(rejected)` to accept it, or the fault's status.
    async fn handle(&self, headers: HeaderMap) -> Result<i64, Status> {
        match self.0.arrive(headers) {
            None => Ok(0),
            Some(Fault::PartialSuccess(rejected)) => Ok(rejected),
            Some(Fault::Unavailable) => Err(Status::unavailable("test fault: unavailable")),
            Some(Fault::Permanent) => Err(Status::invalid_argument("test fault: invalid argument")),
            Some(Fault::RetryAfter(delay)) => {
                let details = retry_info_status(8, "test fault: resource exhausted", delay);
                Err(Status::with_details(Code::ResourceExhausted, "test fault: resource exhausted", details.into()))
            }
            Some(Fault::UnavailableRetryAfter(delay)) => {
                let details = retry_info_status(14, "test fault: unavailable", delay);
                Err(Status::with_details(Code::Unavailable, "test fault: unavailable", details.into()))
            }
            Some(Fault::Hang) => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Err(Status::deadline_exceeded("test fault: hung"))
            }
        }
    }
}

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, Status> {
        let rejected = self.handle(request.metadata().clone().into_headers()).await?;
        self.0.received().traces.push(request.into_inner());
        let partial_success = (rejected > 0)
            .then(|| ExportTracePartialSuccess { rejected_spans: rejected, error_message: REJECTED.into() });
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success }))
    }
}

#[tonic::async_trait]
impl LogsService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, Status> {
        let rejected = self.handle(request.metadata().clone().into_headers()).await?;
        self.0.received().logs.push(request.into_inner());
        let partial_success = (rejected > 0)
            .then(|| ExportLogsPartialSuccess { rejected_log_records: rejected, error_message: REJECTED.into() });
        Ok(tonic::Response::new(ExportLogsServiceResponse { partial_success }))
    }
}

#[tonic::async_trait]
impl MetricsService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, Status> {
        let rejected = self.handle(request.metadata().clone().into_headers()).await?;
        self.0.received().metrics.push(request.into_inner());
        let partial_success = (rejected > 0)
            .then(|| ExportMetricsPartialSuccess { rejected_data_points: rejected, error_message: REJECTED.into() });
        Ok(tonic::Response::new(ExportMetricsServiceResponse { partial_success }))
    }
}

pub(super) async fn serve_grpc(listener: tokio::net::TcpListener, shared: Arc<Shared>, tls: Option<ServerTls>) {
    let service = Grpc(shared);
    let gzip = CompressionEncoding::Gzip;
    let mut server = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        server = server.tls_config(tls.tonic()).expect("the receiver's TLS settings");
    }
    let result = server
        .add_service(TraceServiceServer::new(service.clone()).accept_compressed(gzip))
        .add_service(LogsServiceServer::new(service.clone()).accept_compressed(gzip))
        .add_service(MetricsServiceServer::new(service).accept_compressed(gzip))
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
        .await;
    if let Err(e) = result {
        eprintln!("test gRPC receiver stopped: {e}");
    }
}

/// An encoded `google.rpc.Status` whose details hold a `RetryInfo`.
fn retry_info_status(code: i32, message: &str, delay: Duration) -> Vec<u8> {
    let info = rpc::RetryInfo {
        retry_delay: Some(rpc::Duration { seconds: delay.as_secs() as i64, nanos: delay.subsec_nanos() as i32 }),
    };
    let any = rpc::Any { type_url: rpc::RETRY_INFO.into(), value: info.encode_to_vec() };
    rpc::Status { code, message: message.into(), details: vec![any] }.encode_to_vec()
}
