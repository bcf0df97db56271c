//! Context labels follow instrumented futures onto other worker threads.
//! One test per file: it installs the global subscriber and recorder.

use lantern::metrics::{MetricValue, MetricsConfig};
use tracing::Instrument;

#[test]
fn baggage_labels_reach_metrics_in_spawned_instrumented_tasks() {
    let lantern = lantern::builder()
        .console(lantern::fmt::ConsoleFormat::Off) // a test: no logs on stderr
        .metrics(MetricsConfig { baggage_labels: vec!["customer".into()], ..Default::default() })
        .http_addr(None)
        .try_init()
        .expect("no other global subscriber in this test binary");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for customer in ["acme", "globex"] {
            let request = tracing::info_span!("request");
            request.in_scope(|| lantern::context::set_baggage("customer", customer).unwrap());
            let task = async {
                tokio::task::yield_now().await;
                let child = tokio::spawn(
                    async {
                        tokio::task::yield_now().await;
                        metrics::counter!("orders").increment(1);
                    }
                    .instrument(tracing::info_span!("spawned")),
                );
                child.await.unwrap();
                metrics::counter!("orders").increment(10);
            };
            tasks.push(tokio::spawn(task.instrument(request)));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let family = lantern.metrics().snapshot().into_iter().find(|f| f.name == "orders").unwrap();
    let mut got: Vec<(String, u64)> = family
        .series
        .iter()
        .map(|s| {
            let MetricValue::Counter { value, .. } = s.value else { panic!("counter") };
            (s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","), value)
        })
        .collect();
    got.sort();
    assert_eq!(got, vec![("customer=acme".to_owned(), 11), ("customer=globex".to_owned(), 11)]);
}
