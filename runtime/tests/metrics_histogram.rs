//! Histograms: exact buckets, count, sum, min and max for export, and
//! percentiles in process.

use lantern::metrics::{HistogramConfig, MetricValue, Metrics, MetricsConfig};

#[test]
fn buckets_are_exact_and_percentiles_are_within_precision() {
    let mut histograms = HistogramConfig::default();
    histograms.buckets_for("latency", vec![0.01, 0.05, 0.1]);
    let metrics = Metrics::new(MetricsConfig { histograms, ..Default::default() });
    metrics::with_local_recorder(&metrics.recorder(), || {
        for ms in 1..=100 {
            metrics::histogram!("latency").record(f64::from(ms) / 1000.0);
        }
        metrics::histogram!("latency").record(f64::NAN);
    });
    let families = metrics.snapshot();
    let MetricValue::Histogram(h) = &families[0].series[0].value else { panic!("not a histogram") };
    assert_eq!(h.count, 100, "NaN is not a measurement");
    assert!((h.sum - 5.05).abs() < 1e-9);
    assert_eq!((h.min, h.max), (Some(0.001), Some(0.1)));
    let counts: Vec<u64> = h.buckets.iter().map(|b| b.count).collect();
    assert_eq!(counts, vec![10, 40, 50, 0], "le 0.01, le 0.05, le 0.1, +Inf");
    let p50 = metrics.quantile("latency", &[], 0.5).unwrap();
    let p99 = metrics.quantile("latency", &[], 0.99).unwrap();
    assert!((p50 - 0.050).abs() <= 0.050 * 0.01 + 1e-6, "p50 {p50}");
    assert!((p99 - 0.099).abs() <= 0.099 * 0.01 + 1e-6, "p99 {p99}");
    let quantiles: Vec<f64> = h.quantiles.iter().map(|q| q.0).collect();
    assert_eq!(quantiles, vec![0.5, 0.9, 0.95, 0.99, 0.999]);
}

#[test]
fn percentiles_never_leave_the_observed_range() {
    let metrics = Metrics::new(MetricsConfig::default());
    // One value that is not the upper edge of its hdrhistogram bucket: the
    // raw p50 would be that edge, above the value itself.
    metrics::with_local_recorder(&metrics.recorder(), || metrics::histogram!("one").record(0.2247));
    let families = metrics.snapshot();
    let MetricValue::Histogram(h) = &families[0].series[0].value else { panic!("not a histogram") };
    for &(q, v) in &h.quantiles {
        assert_eq!(v, 0.2247, "p{} of one sample is that sample", q * 100.0);
    }
    assert_eq!(metrics.quantile("one", &[], 0.5), Some(0.2247));
}
