//! `/debug/sampling` and `/debug/api/sampling` show what the sampler knows
//! of each operation: `Adaptive` under simulated traffic on a manual clock
//! (probability, target, lower bound, the recent rate, the chart of the
//! last hour), a fixed probability's flat line, names escaped, the last
//! fetch of a remote strategy (served, or a closed port), and tail
//! sampling's counters.

mod pages_support;
use pages_support::*;

use std::time::Duration;

use lantern::sampling::{Adaptive, AlwaysOff, ContextRules, ManualClock, ParentBased, TraceIdRatio};
use lantern::tail::{CompletionConfig, TailPolicy};

const MS: Duration = Duration::from_millis(1);

fn start(builder: lantern::Builder) -> lantern::Guard {
    builder.service_name("sampling-state-test").http_addr(Some(([127, 0, 0, 1], 0).into())).try_init_local()
}

fn root(name: &str) {
    tracing::info_span!("root", otel.name = name).in_scope(|| tracing::info_span!("child").in_scope(|| {}));
}

fn row<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let roots = json["roots"].as_array().unwrap();
    roots.iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("no row {name}: {json}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= b.abs() * 1e-6
}

#[test]
fn adaptive_operations_show_probability_target_counts_and_the_hours_chart() {
    let clock = ManualClock::new();
    let adaptive = Adaptive::new(1.0).with_interval(Duration::from_secs(1)).with_manual_clock(&clock);
    let lantern = start(lantern::builder().sampler(ParentBased::new(adaptive)));
    let addr = lantern.http_addr().unwrap();
    // 100 roots a second for two seconds: the update at 1.01 s raises the
    // probability from 0.001 by the +50% cap, and takes the first point.
    for _ in 0..200 {
        clock.advance(10 * MS);
        root("GET /cart");
    }
    // A minute later, one root: a second update, +50% again, a second point.
    clock.advance(Duration::from_secs(60));
    root("GET /cart");
    root("<script>alert(1)</script>");

    let s = json(addr, "/debug/api/sampling");
    assert_eq!(s["sampler"], "ParentBased{root=Adaptive{target=1/s, operations=2}}");
    let cart = row(&s, "GET /cart");
    assert_eq!(cart["seen"], 201);
    assert!(cart["sampled"].as_u64().unwrap() >= 2, "the lower bound, at the start and a minute later: {cart}");
    let p = cart["probability"].as_f64().unwrap();
    assert!(close(p, 0.001 * 1.5 * 1.5), "{p}");
    assert_eq!(cart["target_per_second"], 1.0);
    assert!(close(cart["lower_bound_per_second"].as_f64().unwrap(), 1.0 / 60.0));
    // 100 roots in the 60.99 s since the first update.
    assert!(close(cart["measured_per_second"].as_f64().unwrap(), 100.0 / 60.99), "{cart}");
    assert!(cart["rate_per_second"].as_f64().unwrap() > 0.0, "decisions in real time: {cart}");
    let history: Vec<(u64, f64)> = cart["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|point| (point[0].as_u64().unwrap(), point[1].as_f64().unwrap()))
        .collect();
    let probabilities: Vec<f64> = history.iter().map(|&(_, p)| p).collect();
    assert_eq!(probabilities, [0.001, 0.0015, 0.00225, p], "first root, two points a minute apart, now");
    let times: Vec<u64> = history.iter().map(|&(t, _)| t).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first: {times:?}");
    assert!((59..=63).contains(&(times[3] - times[0])), "62 s of the sampler's clock: {times:?}");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(times[3].abs_diff(now) <= 2, "the last point is now");

    let page = html(addr, "/debug/sampling");
    let rows = rows(&page, "<tr class=\"root\" data-root=\"GET /cart\">");
    assert_eq!(rows.len(), 1, "{page}");
    let cart = rows[0];
    assert!(cart.contains("<td class=\"num\">201</td>"), "{cart}");
    assert!(cart.contains("<td class=\"num\">0.00225</td>"), "the probability now: {cart}");
    assert!(cart.contains("<td class=\"num\">1/s · ≥ 0.0167/s</td>"), "target and lower bound: {cart}");
    assert!(cart.contains("<svg class=\"chart\""), "{cart}");
    let line = polyline(cart);
    let heights: Vec<f64> = line.iter().map(|&(_, y)| y).collect();
    assert_eq!(line.last().unwrap().0, 160.0, "now at the right edge");
    assert!(heights.windows(2).all(|w| w[0] >= w[1]), "a probability that only rose: {line:?}");
    assert!(heights[0] > *heights.last().unwrap(), "the change shows: {line:?}");
    let distinct = heights.iter().fold(Vec::<f64>::new(), |mut d, &y| {
        if !d.contains(&y) {
            d.push(y);
        }
        d
    });
    assert_eq!(distinct.len(), 3, "0.001, 0.0015, 0.00225: {line:?}");

    // A name is text, in the cell, the link and the data attribute.
    assert!(!page.contains("<script>"), "no markup from a name");
    assert!(page.contains("data-root=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
    assert!(page.contains("<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>"));
    assert_eq!(row(&s, "<script>alert(1)</script>")["seen"], 1);
}

#[test]
fn a_fixed_probability_draws_a_flat_line_and_the_cap_is_stated() {
    let lantern = start(lantern::builder().sampler(ContextRules::new(TraceIdRatio::new(0.25))));
    let addr = lantern.http_addr().unwrap();
    for i in 0..120 {
        root(&format!("op-{i:03}"));
    }
    root("op-000");
    let s = json(addr, "/debug/api/sampling");
    assert_eq!((s["probability"].as_f64(), s["operations"].as_u64()), (Some(0.25), Some(120)));
    let op = row(&s, "op-000");
    assert_eq!((op["seen"].as_u64(), op["probability"].as_f64()), (Some(2), Some(0.25)));
    assert_eq!(op["target_per_second"], serde_json::Value::Null);
    assert_eq!(op["history"].as_array().unwrap().len(), 1, "no past, only now");

    let page = html(addr, "/debug/sampling");
    assert!(page.contains("Showing the 100 busiest of 120 operations"), "the cap is stated");
    assert_eq!(rows(&page, "<tr class=\"root\"").len(), 100);
    let busiest = rows(&page, "<tr class=\"root\"")[0];
    assert!(busiest.contains("data-root=\"op-000\""), "the busiest first");
    let line = polyline(busiest);
    assert_eq!(line, [(0.0, 2.0), (160.0, 2.0)], "flat across the hour");
}

#[test]
fn the_last_remote_fetch_shows_ok_or_failed() {
    let server = JsonServer::start(r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.5}}"#);
    let url = format!("http://{}/sampling", server.addr);
    let remote = lantern::sampling::RemoteSampler::new(&url, "a&b", Duration::from_secs(3600), AlwaysOff).unwrap();
    assert!(remote.poll_now());
    let lantern = start(lantern::builder().sampler(ParentBased::new(ContextRules::new(remote.clone()))));
    let addr = lantern.http_addr().unwrap();
    root("checkout");
    let s = json(addr, "/debug/api/sampling");
    let r = &s["remote"];
    assert_eq!((r["strategy"].as_str(), r["applied"].as_bool()), (Some("TraceIdRatio{0.5}"), Some(true)));
    // The fetch above, and maybe the poller's first one, started with the
    // runtime (it may or may not have run yet).
    assert!(matches!(r["fetches_ok"].as_u64(), Some(1 | 2)), "{r}");
    assert_eq!(r["fetch_failures"].as_u64(), Some(0));
    assert_eq!((r["last_result"].as_str(), &r["last_error"]), (Some("ok"), &serde_json::Value::Null));
    assert!(r["last_fetch_unix_seconds"].as_u64().is_some());
    assert_eq!(row(&s, "checkout")["probability"], 0.5, "the fetched strategy's");
    let page = html(addr, "/debug/sampling");
    assert!(page.contains("<div class=\"kv remote\">"), "{page}");
    assert!(page.contains(&format!("<code>{url}?service=a%26b</code>")), "{page}");
    assert!(page.contains("<code class=\"strategy\">TraceIdRatio{0.5}</code> · fetched"));
    assert!(page.contains("<span class=\"last-result\"><span class=\"ok\">ok</span></span>"));
    assert!(
        ["1", "2"].iter().any(|n| page.contains(&format!("<span class=\"fetches\">{n} ok, 0 failed</span>"))),
        "{page}"
    );
    assert!(page.contains("s ago)</span>"), "when");
    drop(lantern);

    let down = format!("http://{}/sampling", closed_port());
    let remote = lantern::sampling::RemoteSampler::new(&down, "svc", Duration::from_secs(3600), AlwaysOff).unwrap();
    assert!(remote.poll_now());
    let lantern = start(lantern::builder().sampler(remote.clone()));
    let addr = lantern.http_addr().unwrap();
    let s = json(addr, "/debug/api/sampling");
    let r = &s["remote"];
    assert_eq!((r["applied"].as_bool(), r["last_result"].as_str()), (Some(false), Some("error")));
    assert!(r["fetch_failures"].as_u64().unwrap() >= 1);
    let error = r["last_error"].as_str().unwrap();
    assert!(!error.is_empty());
    let page = html(addr, "/debug/sampling");
    assert!(page.contains("<span class=\"last-result\"><span class=\"err\">"), "{page}");
    assert!(page.contains("the initial sampler (no strategy fetched yet)"));
}

#[test]
fn tail_samplings_counters_show_when_it_is_on() {
    let quick = CompletionConfig { quiet_period: Duration::from_millis(20), ..Default::default() };
    let lantern = start(
        lantern::builder()
            .sampler(ParentBased::new(AlwaysOff))
            .tail_sampling(TailPolicy::new().errors())
            .completion(quick),
    );
    let addr = lantern.http_addr().unwrap();
    tracing::info_span!("checkout").in_scope(|| tracing::error!("card declined"));
    tracing::info_span!("health").in_scope(|| {});
    wait_until("the failed trace kept", || {
        lantern.handle().tail().kept() == 1 && lantern.handle().tail().completed == 2
    });

    let s = json(addr, "/debug/api/sampling");
    let t = &s["tail"];
    assert_eq!((t["enabled"].as_bool(), t["completed"].as_u64()), (Some(true), Some(2)));
    assert_eq!((t["kept"]["error"].as_u64(), t["kept"]["slow"].as_u64()), (Some(1), Some(0)));
    assert_eq!(
        (t["tracker_full"].as_u64(), t["closed_by_max_age"].as_u64(), t["over_cap"].as_u64()),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(row(&s, "checkout")["tail_kept"], 1);
    assert_eq!(row(&s, "health")["tail_kept"], 0);

    let page = html(addr, "/debug/sampling");
    assert!(page.contains("<div class=\"kv tail\">"), "{page}");
    assert!(page.contains("<span class=\"completed\">2</span>"));
    assert!(page.contains("<span class=\"kept\">1 (1 error, 0 slow, 0 rule, 0 slowest)</span>"));
    assert!(page.contains("<span class=\"tracker-full\">0</span>"));
    let checkout = rows(&page, "<tr class=\"root\" data-root=\"checkout\">")[0];
    assert!(checkout.contains("<td class=\"num\">1</td><td><svg"), "tail kept, before the chart: {checkout}");

    let off = start(lantern::builder());
    let page = html(off.http_addr().unwrap(), "/debug/sampling");
    assert!(!page.contains("class=\"kv tail\"") && !page.contains("class=\"kv remote\""), "neither is on");
}

/// The recent rate is over the time up to the reading, even while the
/// process is idle (and Lantern's ingest thread, which moves its coarse
/// clock, dozes): it falls as the quiet goes on.
#[test]
fn the_recent_rate_falls_while_the_process_is_idle() {
    let lantern = start(lantern::builder());
    for _ in 0..10 {
        root("burst");
    }
    std::thread::sleep(Duration::from_millis(600));
    let burst = lantern.handle().sampling().roots().into_iter().find(|r| r.name == "burst").unwrap();
    assert_eq!(burst.recent, 10);
    assert!(burst.recent_window >= Duration::from_millis(600), "{:?}", burst.recent_window);
}

/// Under `ParentBased`, a root whose parent is remote takes its caller's
/// decision: its row says so instead of showing the root sampler's
/// probability, which it never got.
#[test]
fn roots_that_follow_their_callers_decision_say_so() {
    let lantern = start(lantern::builder().sampler(ParentBased::new(Adaptive::new(1.0))));
    let addr = lantern.http_addr().unwrap();
    root("GET /dispatch");
    let mut headers = http::HeaderMap::new();
    headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
    let caller = lantern::propagation::extract(&headers);
    for _ in 0..3 {
        caller.child_span(|| tracing::info_span!("root", otel.name = "GET /customer")).in_scope(|| {});
    }
    let s = json(addr, "/debug/api/sampling");
    let customer = row(&s, "GET /customer");
    assert_eq!((customer["seen"].as_u64(), customer["sampled"].as_u64()), (Some(3), Some(3)), "{customer}");
    assert_eq!(
        (&customer["probability"], customer["follows_caller"].as_bool()),
        (&serde_json::Value::Null, Some(true))
    );
    let dispatch = row(&s, "GET /dispatch");
    assert_eq!(dispatch["follows_caller"].as_bool(), Some(false));
    assert!(dispatch["probability"].as_f64().is_some(), "{dispatch}");
    let page = html(addr, "/debug/sampling");
    let customer_row =
        rows(&page, "<tr class=\"root\"").into_iter().find(|r| r.contains("data-root=\"GET /customer\"")).unwrap();
    assert!(customer_row.contains("caller's"), "{customer_row}");
}
