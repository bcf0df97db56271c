//! Records from the `log` crate are captured as logs with trace context.
//! (Its own file: `log` has one global logger per process.)

#[test]
fn log_crate_records_become_logs_in_their_span() {
    let guard = lantern::builder().try_init_local();
    tracing_log::LogTracer::init().unwrap();
    tracing::info_span!("job").in_scope(|| log::warn!(target: "legacy::db", "slow query: {} ms", 250));
    let snap = guard.buffer().snapshot();
    let logs = snap.logs(&Default::default());
    let rec = logs.iter().find(|l| l.body == "slow query: 250 ms").expect("log record captured");
    assert_eq!(rec.severity, lantern::record::Severity::Warn);
    assert_eq!(rec.target, "legacy::db");
    let trace_id = snap.traces(&Default::default())[0].trace_id;
    assert_eq!(rec.trace_id, Some(trace_id));
    assert!(rec.attributes.iter().all(|kv| !kv.key.starts_with("log.")));
}
