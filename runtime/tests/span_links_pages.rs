//! Links on the trace page and in its JSON twin: to the linked trace when
//! the buffer holds it, plain text when not.

mod pages_support;
use pages_support::*;

use std::collections::HashMap;

use lantern::middleware::messaging::{batch_consumer_span, extract_message, inject_message, producer_span};

const GONE: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

#[test]
fn a_link_leads_to_its_trace_when_held_and_is_text_when_not() {
    let config = lantern::buffer::BufferConfig { max_links_per_span: 36, ..Default::default() };
    let lantern = lantern::builder()
        .service_name("links-test")
        .buffer(config)
        .http_addr(Some(([127, 0, 0, 1], 0).into()))
        .try_init_local();
    let addr = lantern.http_addr().unwrap();

    // One producer in this process (its trace is in the buffer), one from
    // a trace the buffer never saw.
    let mut here = HashMap::new();
    let send = producer_span("redis", "chat", None);
    let (p_trace, p_span) = send.in_scope(|| {
        inject_message(&mut here);
        let cx = lantern::context::current();
        let cx = cx.span_context().unwrap();
        (cx.trace_id(), cx.span_id())
    });
    drop(send);
    let gone = HashMap::from([("traceparent".to_owned(), GONE.to_owned())]);
    let parents = [extract_message(&here), extract_message(&gone)];
    let process = batch_consumer_span(&parents, "redis", "chat", 2);
    let c_trace = process.in_scope(|| lantern::context::current().span_context().unwrap().trace_id());
    drop(process);

    let page = html(addr, &format!("/debug/traces/{c_trace}"));
    assert!(page.contains("2 links"), "the summary marks the links");
    let held = format!("<a href=\"/debug/traces/{p_trace}#span-{p_span}\"><code>{p_trace}/{p_span}</code></a>");
    assert!(page.contains(&held), "a link to the held trace, at the span's row: {page}");
    assert!(page.contains("<code>0af7651916cd43dd8448eb211c80319c/b7ad6b7169203331</code> <span class=\"muted\">(not in the buffer)</span>"));
    assert!(!page.contains("href=\"/debug/traces/0af7651916cd43dd8448eb211c80319c"), "no link to a trace not held");

    // The anchor the link points to is there on the producer's page.
    let producer_page = html(addr, &format!("/debug/traces/{p_trace}"));
    assert!(producer_page.contains(&format!("id=\"span-{p_span}\"")));

    let t = json(addr, &format!("/debug/api/traces/{c_trace}"));
    let span = &t["spans"][0];
    assert_eq!(span["name"], "process chat");
    assert_eq!(span["dropped_links"], 0);
    let links = span["links"].as_array().unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0]["trace_id"], p_trace.to_string());
    assert_eq!(links[0]["span_id"], p_span.to_string());
    assert_eq!(links[0]["in_buffer"], true);
    assert_eq!(links[0]["remote"], true, "it came through the message headers");
    assert_eq!(links[1]["trace_id"], "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(links[1]["in_buffer"], false);
    assert_eq!(links[1]["sampled"], true);

    // Past 32 links a span, the page counts the rest; the JSON has them
    // all; past the cap of 36, they are counted as dropped.
    let many: Vec<lantern::Context> = (1..=40_u64)
        .map(|i| {
            let tp = format!("00-{:032x}-{:016x}-01", 0xabc0 + i, i);
            extract_message(&HashMap::from([("traceparent".to_owned(), tp)]))
        })
        .collect();
    let busy = batch_consumer_span(&many, "redis", "busy", many.len());
    let b_trace = busy.in_scope(|| lantern::context::current().span_context().unwrap().trace_id());
    drop(busy);
    let page = html(addr, &format!("/debug/traces/{b_trace}"));
    assert!(page.contains("36 links"));
    assert_eq!(page.matches("<div class=\"link\">").count(), 32);
    assert!(page.contains("and 4 more, in the JSON"));
    assert!(page.contains("4 more links dropped (per-span cap)"));
    let t = json(addr, &format!("/debug/api/traces/{b_trace}"));
    assert_eq!(t["spans"][0]["links"].as_array().unwrap().len(), 36);
    assert_eq!(t["spans"][0]["dropped_links"], 4);

    // A span without links has an empty list, and its page no mark.
    let p = json(addr, &format!("/debug/api/traces/{p_trace}"));
    assert_eq!(p["spans"][0]["links"], serde_json::json!([]));
    assert!(!producer_page.contains("mark-links"));
}
