//! HotROD's own trace feature (see [`lantern::insights::FeatureExtractor`]):
//! rides per customer. A dispatch puts the customer's id into the baggage
//! of its server span, so every span of the ride's trace carries it; the
//! extractor reads it back from the completed trace and counts one ride for
//! that customer. `/debug/insights` then shows the feature
//! `rides.customer.{id}` beside `GET /dispatch`, and `/metrics` has it as
//! `lantern_trace_feature{root="GET /dispatch",feature="rides.customer.123"}`.
//!
//! Only the book's four customers are counted: the id comes from a request,
//! and a feature name per id sent would be unbounded (Lantern caps the
//! names anyway, at 8 per root operation).

use lantern::insights::{FeatureExtractor, Features};
use lantern::tail::CompletedTrace;

/// Counts one ride for the customer in the trace's baggage.
///
/// ```
/// use std::time::{Duration, Instant};
/// use lantern::tail::CompletionConfig;
/// use lantern_examples::hotrod::features::RidesPerCustomer;
///
/// let quick = CompletionConfig { quiet_period: Duration::from_millis(20), ..Default::default() };
/// let lantern = lantern::builder().feature_extractor(RidesPerCustomer).completion(quick).try_init_local();
/// tracing::info_span!("GET /dispatch").in_scope(|| {
///     lantern::context::set_baggage("customer", "123").unwrap();
///     tracing::info_span!("GET /customer").in_scope(|| {});
/// });
/// let deadline = Instant::now() + Duration::from_secs(10);
/// let stats = loop {
///     let stats = lantern.handle().trace_features().unwrap();
///     if stats.traces > 0 || Instant::now() > deadline { break stats; }
///     std::thread::sleep(Duration::from_millis(5));
/// };
/// let rides = stats.operation("GET /dispatch").unwrap().feature("rides.customer.123").unwrap();
/// assert_eq!(rides.sum, 1.0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RidesPerCustomer;

impl FeatureExtractor for RidesPerCustomer {
    fn name(&self) -> &str {
        "hotrod: rides per customer"
    }

    fn extract(&self, trace: &CompletedTrace, out: &mut Features) {
        let customer = trace.trace.spans.iter().find_map(|s| s.baggage.get("customer"));
        if let Some(id) = customer.filter(|id| super::customer::name_of(id).is_some()) {
            out.add(&format!("rides.customer.{id}"), 1.0);
        }
    }
}
