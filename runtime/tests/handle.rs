//! The read handle: one value that gives a reader (the server, an exporter,
//! a test) the buffer, the metrics, the sampling decisions and the resource
//! of one Lantern, however Lantern was set up.

#[path = "pages_support/mod.rs"]
mod pages_support;

use std::sync::{Arc, Mutex};

use lantern::Handle;
use lantern::export::{ExportRecord, Exporter};
use lantern::sampling::{AlwaysOff, ParentBased};
use tracing_subscriber::layer::SubscriberExt;

#[test]
fn a_composed_layer_hands_out_what_it_records() {
    let layer = lantern::builder().service_name("billing").sampler(ParentBased::new(AlwaysOff)).layer();
    let handle = layer.handle();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        tracing::info_span!("invoice").in_scope(|| tracing::warn!("late"));
    });
    assert_eq!(handle.resource().service_name(), "billing");
    let snap = handle.buffer().snapshot();
    assert_eq!(snap.traces(&Default::default())[0].root_name, "invoice");
    let roots = handle.sampling().roots();
    assert_eq!((roots[0].name.as_str(), roots[0].seen, roots[0].sampled), ("invoice", 1, 0));
    assert!(handle.metrics().prometheus_text().contains(r#"log_records_total{severity="WARN"} 1"#));
}

#[test]
fn the_guard_and_the_current_subscriber_give_the_same_lantern() {
    assert!(Handle::current().is_none(), "no Lantern, no handle");
    assert!(lantern::buffer::Buffer::current().is_none());
    let lantern = lantern::builder().service_name("api").try_init_local();
    let current = Handle::current().expect("inside the subscriber");
    tracing::info_span!("request").in_scope(|| {});
    assert_eq!(current.resource(), lantern.handle().resource());
    assert_eq!(current.buffer().stats().spans, 1);
    assert_eq!(lantern.handle().buffer().stats().spans, 1);
    assert_eq!(lantern::buffer::Buffer::current().unwrap().stats().spans, 1);
    // A clone is the same Lantern, not a copy of it.
    let clone = current.clone();
    tracing::info_span!("request").in_scope(|| {});
    assert_eq!(clone.buffer().stats().spans, 2);
}

/// Keeps what `start` was given, and the service and name of each span it gets.
#[derive(Default)]
struct RecordingExporter {
    started: Mutex<Option<Handle>>,
    services: Mutex<Vec<String>>,
}

impl Exporter for RecordingExporter {
    fn export(&self, record: ExportRecord) {
        if let ExportRecord::Span(span) = record {
            let started = self.started.lock().unwrap();
            let service = started.as_ref().map(|h| h.resource().service_name().to_owned()).unwrap_or_default();
            self.services.lock().unwrap().push(format!("{service}:{}", span.name));
        }
    }

    fn start(&self, handle: &Handle) {
        *self.started.lock().unwrap() = Some(handle.clone());
    }
}

#[test]
fn an_exporter_is_started_with_the_handle_before_any_record() {
    let exporter = Arc::new(RecordingExporter::default());
    let lantern = lantern::builder().service_name("checkout").exporter(exporter.clone()).try_init_local();
    tracing::info_span!("pay").in_scope(|| tracing::info!("paid"));
    drop(lantern);
    assert_eq!(*exporter.services.lock().unwrap(), ["checkout:pay"], "the span came after start, with the resource");
    let handle = exporter.started.lock().unwrap().clone().unwrap();
    // The exporter can pull metrics through the handle on its own schedule.
    assert!(handle.metrics().prometheus_text().contains(r#"log_records_total{severity="INFO"} 1"#));
}

#[test]
fn the_server_reads_through_the_handle() {
    let layer = lantern::builder().service_name("route").layer();
    let handle = layer.handle();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        tracing::info_span!("GET /route").in_scope(|| {});
    });
    let config = lantern::server::HttpConfig::new(([127, 0, 0, 1], 0).into());
    let server = lantern::server::serve(config, handle).unwrap();
    let overview = pages_support::json(server.local_addr(), "/debug/api/overview");
    assert_eq!(overview["service"], "route", "{overview}");
    let sampling = pages_support::json(server.local_addr(), "/debug/api/sampling");
    assert_eq!(sampling["roots"][0]["name"], "GET /route", "{sampling}");
}
