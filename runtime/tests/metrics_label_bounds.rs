//! Labels taken from the context are bounded in size, not only in count: a
//! client sending huge baggage cannot make a metric's series, or a scrape,
//! grow with what it sends.

use lantern::metrics::{MetricValue, MetricsConfig};

fn config() -> MetricsConfig {
    MetricsConfig { baggage_labels: vec!["customer".into(), "session".into()], ..Default::default() }
}

/// One request: baggage from the caller, then a histogram measurement.
fn request(customer: &str, session: &str) {
    tracing::info_span!("request").in_scope(|| {
        lantern::context::set_baggage("customer", customer).unwrap();
        lantern::context::set_baggage("session", session).unwrap();
        metrics::histogram!("route.calc.time").record(0.01);
    });
}

#[test]
fn a_long_label_value_is_cut_and_counted() {
    let lantern = lantern::builder().metrics(config()).try_init_local();
    let long = "c".repeat(3000);
    metrics::with_local_recorder(&lantern.metrics().recorder(), || request(&long, "s1"));
    let families = lantern.metrics().snapshot();
    let family = families.iter().find(|f| f.name == "route.calc.time").unwrap();
    let labels = &family.series[0].labels;
    let customer = &labels.iter().find(|(k, _)| k == "customer").unwrap().1;
    assert_eq!(customer.len(), 256, "cut to 256 bytes");
    assert!(labels.iter().any(|(k, v)| k == "session" && v == "s1"));
    assert_eq!(lantern.metrics().stats().label_values_truncated, 1);
}

#[test]
fn values_that_differ_only_past_the_cut_share_a_series() {
    let lantern = lantern::builder().metrics(config()).try_init_local();
    let prefix = "p".repeat(300);
    metrics::with_local_recorder(&lantern.metrics().recorder(), || {
        request(&format!("{prefix}a"), "s");
        request(&format!("{prefix}b"), "s");
    });
    let families = lantern.metrics().snapshot();
    let family = families.iter().find(|f| f.name == "route.calc.time").unwrap();
    assert_eq!(family.series.len(), 1, "one label set, one series: {:?}", family.series.len());
    let MetricValue::Histogram(h) = &family.series[0].value else { panic!("a histogram") };
    assert_eq!(h.count, 2);
}

#[test]
fn huge_baggage_from_many_clients_keeps_the_scrape_small() {
    // The attack seen on HotROD: 2 100 requests, each with its own 4 KB
    // customer and session baggage, made `/metrics` 469 MB.
    let lantern = lantern::builder().metrics(config()).try_init_local();
    metrics::with_local_recorder(&lantern.metrics().recorder(), || {
        for i in 0..2100 {
            let customer = format!("{i:04}{}", "c".repeat(4000));
            let session = format!("{i:04}{}", "s".repeat(4000));
            request(&customer, &session);
        }
    });
    let stats = lantern.metrics().stats();
    assert_eq!(stats.label_values_truncated, 2100);
    assert!(stats.overflowed > 0, "the byte budget sends the rest to the overflow series: {stats:?}");
    let body = lantern.metrics().prometheus_text();
    assert!(body.len() < 8 << 20, "the exposition is {} bytes", body.len());
    assert!(body.contains("otel_metric_overflow=\"true\""));
    // Every measurement is still counted somewhere.
    let families = lantern.metrics().snapshot();
    let family = families.iter().find(|f| f.name == "route.calc.time").unwrap();
    let total: u64 = family
        .series
        .iter()
        .map(|s| match &s.value {
            MetricValue::Histogram(h) => h.count,
            _ => 0,
        })
        .sum();
    assert_eq!(total, 2100);
}

#[test]
fn histogram_series_are_charged_their_memory() {
    // A histogram series holds an hdrhistogram (~16 KiB): 2 000 of them, the
    // series cap, would be 32 MiB for one metric. The byte budget stops
    // them far earlier, whatever the labels' size.
    let lantern = lantern::builder().metrics(config()).try_init_local();
    metrics::with_local_recorder(&lantern.metrics().recorder(), || {
        for i in 0..2000 {
            request(&format!("c{i}"), "s");
        }
    });
    let families = lantern.metrics().snapshot();
    let family = families.iter().find(|f| f.name == "route.calc.time").unwrap();
    let held = family.series.len();
    assert!((100..=200).contains(&held), "2 MiB of 16 KiB histograms: {held} series");
    assert_eq!(lantern.metrics().stats().overflowed, 2000 - (held as u64 - 1), "the overflow series counts the rest");
}
