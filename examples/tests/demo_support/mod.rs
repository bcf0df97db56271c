//! What the demos' end-to-end tests need around them: an in-process
//! OTLP/gRPC trace receiver and a plain HTTP client.

#![allow(dead_code)] // each test file uses its own subset

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Keeps every trace export request it is sent.
#[derive(Clone, Default)]
pub struct Collector(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

type Started = (Collector, String, oneshot::Sender<()>, JoinHandle<Result<(), tonic::transport::Error>>);

impl Collector {
    /// Serves a collector on 127.0.0.1:0: it, its endpoint URL, the sender
    /// that stops it, and its task.
    pub async fn start() -> Started {
        let collector = Collector::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(collector.clone()))
                .serve_with_incoming_shutdown(tonic::transport::server::TcpIncoming::from(listener), async {
                    let _ = stopped.await;
                }),
        );
        (collector, endpoint, stop, task)
    }
}

/// span id (hex) -> (service.name of its resource, span name, parent id),
/// for the spans of `trace_id` that reached the collector.
pub fn received(collector: &Collector, trace_id: &[u8]) -> BTreeMap<String, (String, String, String)> {
    let mut spans = BTreeMap::new();
    for request in collector.0.lock().unwrap().iter() {
        for rs in &request.resource_spans {
            let service = rs
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                    any_value::Value::StringValue(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for span in rs.scope_spans.iter().flat_map(|s| &s.spans).filter(|s| s.trace_id == trace_id) {
                let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
                spans.insert(hex(&span.span_id), (service.clone(), span.name.clone(), hex(&span.parent_span_id)));
            }
        }
    }
    spans
}

/// Sends `request` with a plain (untraced) client, giving up after 10 s:
/// the status and body.
async fn send(request: http::Request<Full<Bytes>>) -> (http::StatusCode, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let answer = async {
        let response = client.request(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    };
    tokio::time::timeout(Duration::from_secs(10), answer).await.expect("an answer within 10 s")
}

/// GETs `path` from `addr`.
pub async fn get(addr: SocketAddr, path: &str) -> (http::StatusCode, String) {
    send(http::Request::get(format!("http://{addr}{path}")).body(Full::default()).unwrap()).await
}

/// POSTs the JSON `body` to `addr`'s `/messages`.
pub async fn post(addr: SocketAddr, body: &str) -> (http::StatusCode, String) {
    let request = http::Request::post(format!("http://{addr}/messages"))
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    send(request).await
}
