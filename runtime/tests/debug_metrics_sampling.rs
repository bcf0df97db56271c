//! `/debug/metrics` and `/debug/sampling`, and their JSON twins.

mod pages_support;
use pages_support::*;

use lantern::sampling::{AlwaysOn, TraceIdRatio};

fn start(builder: lantern::Builder) -> lantern::Guard {
    builder.service_name("metrics-sampling-test").http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local()
}

fn family<'a>(list: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let metrics = list["metrics"].as_array().unwrap();
    metrics.iter().find(|f| f["name"] == name).unwrap_or_else(|| panic!("no family {name}: {list}"))
}

fn trace_id_here() -> lantern::TraceId {
    lantern::context::current().span_context().unwrap().trace_id()
}

#[test]
fn every_series_shows_with_its_value_percentiles_and_exemplars() {
    let lantern = start(lantern::builder().sampler(AlwaysOn));
    let addr = lantern.http_addr().unwrap();
    let traced = metrics::with_local_recorder(&lantern.metrics().recorder(), || {
        metrics::describe_histogram!("payload.size", metrics::Unit::Bytes, "Request payloads");
        metrics::counter!("jobs.done", "queue" => "mail").increment(3);
        metrics::counter!("jobs.done", "queue" => "<script>").increment(1);
        metrics::counter!("evil<name>").increment(1);
        metrics::gauge!("queue.depth").set(2.5);
        for v in 1..=100 {
            metrics::histogram!("payload.size").record(f64::from(v));
        }
        tracing::info_span!("checkout").in_scope(|| {
            metrics::histogram!("checkout.latency").record(0.25);
            trace_id_here()
        })
    });

    let list = json(addr, "/debug/api/metrics");
    let jobs = family(&list, "jobs.done");
    assert_eq!(jobs["kind"], "counter");
    let series = jobs["series"].as_array().unwrap();
    let mail = series.iter().find(|s| s["labels"]["queue"] == "mail").unwrap();
    assert_eq!(mail["value"], 3);
    assert!(series.iter().any(|s| s["labels"]["queue"] == "<script>" && s["value"] == 1));
    assert_eq!(family(&list, "queue.depth")["series"][0]["value"], 2.5);

    let payload = family(&list, "payload.size");
    assert_eq!(
        (&payload["kind"], &payload["unit"], &payload["description"]),
        (&serde_json::json!("histogram"), &serde_json::json!("bytes"), &serde_json::json!("Request payloads"))
    );
    let h = &payload["series"][0];
    assert_eq!(h["count"], 100);
    assert_eq!(h["sum"], 5050.0);
    assert_eq!(h["max"], 100.0);
    // Two significant figures: within 1% of the exact value.
    for (key, exact) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0)] {
        let got = h[key].as_f64().unwrap();
        assert!((got - exact).abs() <= exact * 0.01, "{key} = {got}, not about {exact}");
    }

    let exemplar = &family(&list, "checkout.latency")["series"][0]["exemplars"][0];
    assert_eq!(exemplar["trace_id"], traced.to_string());
    assert_eq!(exemplar["value"], 0.25);
    assert_eq!(exemplar["in_buffer"], true);

    let page = html(addr, "/debug/metrics");
    assert_eq!(page.matches("<tr class=\"series\" data-metric=\"jobs.done\">").count(), 2);
    assert_eq!(page.matches("<tr class=\"series\" data-metric=\"payload.size\">").count(), 1);
    assert!(page.contains("<td class=\"num\">100</td><td class=\"num\">5050</td>"), "count and sum");
    assert!(page.contains("queue=\"&lt;script&gt;\""), "label values are escaped");
    assert!(page.contains("data-metric=\"evil&lt;name&gt;\""), "names are escaped");
    assert!(!page.contains("<script>") && !page.contains("evil<name>"));
    assert!(page.contains(&format!("<a class=\"exemplar\" href=\"/debug/traces/{traced}\">")));
    assert!(!page.contains("no longer in the buffer"));
    assert!(page.contains("Request payloads"));
}

#[test]
fn the_name_filter_keeps_matching_families_and_bad_filters_are_400() {
    let lantern = start(lantern::builder());
    let addr = lantern.http_addr().unwrap();
    metrics::with_local_recorder(&lantern.metrics().recorder(), || {
        metrics::counter!("alpha.hits").increment(1);
        metrics::counter!("beta.hits").increment(1);
        metrics::gauge!("alpha.depth").set(1.0);
    });
    let list = json(addr, "/debug/api/metrics?name=alpha");
    let names: Vec<&str> = list["metrics"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alpha.depth", "alpha.hits"]);
    let page = html(addr, "/debug/metrics?name=alpha");
    assert!(page.contains("data-metric=\"alpha.hits\"") && !page.contains("data-metric=\"beta.hits\""));
    assert!(page.contains("value=\"alpha\""), "the filter stays in the form");
    let none = html(addr, "/debug/metrics?name=%3Cnothing%3E");
    assert!(none.contains("No metric matches.") && none.contains("value=\"&lt;nothing&gt;\""));

    let long = format!("/debug/api/metrics?name={}", "x".repeat(300));
    let (status, _, body) = get(addr, &long);
    assert_eq!(status, 400);
    assert!(body.contains("name is at most"), "{body}");
    let (status, _, body) = get(addr, "/debug/metrics?name=a&name=b");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("duplicate field"), "{body}");
    let (status, _, _) = get(addr, "/debug/metrics?name=%FF");
    assert_eq!(status, 200, "decoded lossily: a filter that matches nothing");
}

#[test]
fn an_exemplar_whose_trace_was_evicted_is_marked() {
    let buffer = lantern::buffer::BufferConfig { max_records: 4, ..Default::default() };
    let lantern = start(lantern::builder().sampler(AlwaysOn).buffer(buffer));
    let addr = lantern.http_addr().unwrap();
    let old = metrics::with_local_recorder(&lantern.metrics().recorder(), || {
        tracing::info_span!("old").in_scope(|| {
            metrics::counter!("old.hits").increment(1);
            trace_id_here()
        })
    });
    for _ in 0..20 {
        tracing::info_span!("newer").in_scope(|| {});
    }
    assert!(lantern.buffer().snapshot().trace(old).is_none(), "evicted");
    let list = json(addr, "/debug/api/metrics?name=old.hits");
    let exemplar = &family(&list, "old.hits")["series"][0]["exemplars"][0];
    assert_eq!(exemplar["trace_id"], old.to_string());
    assert_eq!(exemplar["in_buffer"], false);
    let page = html(addr, "/debug/metrics?name=old.hits");
    assert!(page.contains(&format!("<a class=\"exemplar\" href=\"/debug/traces/{old}\">")));
    assert!(page.contains("(trace no longer in the buffer)"));
}

fn upstream() -> lantern::Context {
    let mut h = http::HeaderMap::new();
    h.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
    lantern::propagation::extract(&h)
}

#[test]
fn sampling_decisions_are_counted_per_root_name_and_children_do_not_count() {
    let lantern = start(lantern::builder().sampler(TraceIdRatio::new(0.5)));
    let addr = lantern.http_addr().unwrap();
    let root = |name: &'static str| {
        let span = tracing::info_span!("root", otel.name = name);
        span.in_scope(|| {
            tracing::info_span!("child").in_scope(|| tracing::info_span!("grandchild").in_scope(|| {}));
            lantern::context::current().span_context().unwrap().is_sampled()
        })
    };
    let work_sampled = (0..400).filter(|_| root("work")).count();
    let other_sampled = (0..10).filter(|_| root("other")).count();
    let markup_sampled = usize::from(root("<b>x</b>"));
    let remote_sampled = (0..3)
        .filter(|_| {
            let span = upstream().child_span(|| tracing::info_span!("from-upstream"));
            span.in_scope(|| {
                tracing::info_span!("child").in_scope(|| {});
                lantern::context::current().span_context().unwrap().is_sampled()
            })
        })
        .count();
    // Ratio 0.5 over 400 random trace ids: both outcomes occur.
    assert!(work_sampled > 0 && work_sampled < 400, "{work_sampled}");

    let s = json(addr, "/debug/api/sampling");
    assert_eq!(s["sampler"], "TraceIdRatio{0.5}");
    assert_eq!(s["recording_mode"], "all");
    let roots = s["roots"].as_array().unwrap();
    let names: Vec<&str> = roots.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["<b>x</b>", "from-upstream", "other", "work"], "children are not decisions");
    let counts = |name: &str| {
        let r = roots.iter().find(|r| r["name"] == name).unwrap();
        (r["seen"].as_u64().unwrap(), r["sampled"].as_u64().unwrap())
    };
    assert_eq!(counts("work"), (400, work_sampled as u64));
    assert_eq!(counts("other"), (10, other_sampled as u64));
    assert_eq!(counts("from-upstream"), (3, remote_sampled as u64), "a remote parent's child is a local root");
    assert_eq!(counts("<b>x</b>"), (1, markup_sampled as u64));
    let ratio = roots.iter().find(|r| r["name"] == "work").unwrap()["ratio"].as_f64().unwrap();
    assert!((ratio - work_sampled as f64 / 400.0).abs() < 1e-12);
    assert_eq!(s["total"]["seen"], 414);
    assert_eq!(s["overflow"]["seen"], 0);

    let page = html(addr, "/debug/sampling");
    assert!(page.contains("<code class=\"sampler\">TraceIdRatio{0.5}</code>"));
    let row = format!(
        "<tr class=\"root\" data-root=\"work\"><td><a href=\"/debug/traces?name=work\"><code>work</code></a></td>\
         <td class=\"num\">400</td><td class=\"num\">{work_sampled}</td>"
    );
    assert!(page.contains(&row), "{page}");
    assert!(page.contains("data-root=\"&lt;b&gt;x&lt;/b&gt;\"") && !page.contains("<b>x</b>"), "names are escaped");
    assert!(!page.contains("data-root=\"child\"") && !page.contains("data-root=\"grandchild\""));
    assert!(!page.contains("root overflow"), "no name past the cap");
}

#[test]
fn the_recording_mode_and_an_idle_sampler_show() {
    let lantern = start(lantern::builder().recording_mode(lantern::sampling::RecordingMode::SampledOnly));
    let addr = lantern.http_addr().unwrap();
    let s = json(addr, "/debug/api/sampling");
    assert_eq!(s["recording_mode"], "sampled_only");
    assert_eq!(s["roots"].as_array().unwrap().len(), 0);
    assert_eq!(s["total"]["seen"], 0);
    assert_eq!(s["total"]["ratio"], serde_json::Value::Null);
    let page = html(addr, "/debug/sampling");
    assert!(page.contains("only sampled traces recorded") && page.contains("No root span yet."));
}
