//! `OTEL_TRACES_SAMPLER` as a service sets it: the sampler is made when the
//! runtime is built, so a Jaeger remote sampler asks for the service named
//! in code (`Builder::service_name`), not the environment's default, and a
//! sampler set in code replaces the environment's without one being made.
//!
//! Environment variables are process-wide: each case runs in a child
//! process (this test binary, running `child`), whose stdout the parent
//! reads.

#![cfg(feature = "remote-sampling")]

use std::process::Command;

/// Runs `child` with `OTEL_*` variables naming a Jaeger remote sampler and
/// `LANTERN_ENV_SAMPLER_CHILD=case`; what it printed.
fn run_child(case: &str) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("LANTERN_ENV_SAMPLER_CHILD", case)
        .env("OTEL_SERVICE_NAME", "from-env")
        .env("OTEL_TRACES_SAMPLER", "parentbased_jaeger_remote")
        // Port 9 (discard): nothing answers; the initial ratio stays.
        .env("OTEL_TRACES_SAMPLER_ARG", "endpoint=http://127.0.0.1:9/sampling,pollingIntervalMs=3600000")
        .env("LANTERN_HTTP_ADDR", "off")
        .env("LANTERN_LOG_FORMAT", "off")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_remote_sampler_from_the_environment_asks_for_the_service_named_in_code() {
    let out = run_child("named");
    assert!(out.contains("sampler: ParentBased{root=RemoteSampler{"), "{out}");
    assert!(out.contains("?service=checkout"), "{out}");
    assert!(!out.contains("service=from-env"), "{out}");
}

#[test]
fn without_a_name_in_code_it_asks_for_the_environments() {
    let out = run_child("unnamed");
    assert!(out.contains("?service=from-env"), "{out}");
}

#[test]
fn a_sampler_set_in_code_wins_over_the_environments() {
    let out = run_child("set");
    assert!(out.contains("sampler: AlwaysOff"), "{out}");
}

#[test]
fn child() {
    let Ok(case) = std::env::var("LANTERN_ENV_SAMPLER_CHILD") else {
        return; // only as the child of the tests above
    };
    let builder = match case.as_str() {
        "named" => lantern::builder().service_name("checkout"),
        "set" => lantern::builder().service_name("checkout").sampler(lantern::sampling::AlwaysOff),
        _ => lantern::builder(),
    };
    let guard = builder.init();
    println!("sampler: {}", guard.handle().sampling().description());
}
