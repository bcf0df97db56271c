//! The frontend's UI: plain HTML pages, no script and no external assets.
//!
//! The index has one button per customer; each is a form that GETs
//! `/ui/dispatch?customer=ID&session=S`, where `S` is a session id made when
//! the page was served (it travels in baggage, and labels the route
//! service's per-session metric). The result page shows the driver, its ETA
//! and the request's latency, with a link to the request's trace on
//! Lantern's debug pages (its waterfall and critical path), and the buttons
//! again.

use std::fmt::Write as _;
use std::time::Duration;

use super::customer::{CUSTOMERS, name_of};
use super::frontend::Dispatch;
use super::web::escape;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:46rem;color:#222}\
h1{font-size:1.6rem}form{display:inline-block;margin:.3rem}\
button{font-size:1rem;padding:.8rem 1.1rem;border:1px solid #888;border-radius:6px;background:#f4f4f4;cursor:pointer}\
button:hover{background:#e4ecff}.box{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}\
.error{border-color:#c33;background:#fff4f4}small,.muted{color:#666}code{background:#f4f4f4;padding:0 .2rem}";

/// The page around `body`.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>{STYLE}</style></head><body>\n{body}</body></html>\n",
        escape(title)
    )
}

/// One button per customer.
fn buttons(session: &str) -> String {
    let mut out = String::from("<p>Request a ride for:</p>\n<div>\n");
    for (id, name, _) in CUSTOMERS {
        let _ = writeln!(
            out,
            "<form action=\"/ui/dispatch\" method=\"get\"><input type=\"hidden\" name=\"customer\" value=\"{id}\">\
             <input type=\"hidden\" name=\"session\" value=\"{}\"><button type=\"submit\">{}</button></form>",
            escape(session),
            escape(name)
        );
    }
    out.push_str("</div>\n");
    out
}

/// Where the debug pages are, as a footer.
fn footer(session: &str, debug_pages: Option<&str>) -> String {
    let mut out = format!("<p class=\"muted\"><small>Session <code>{}</code>. ", escape(session));
    match debug_pages {
        Some(base) => {
            let base = escape(base);
            let _ = write!(
                out,
                "Lantern: <a href=\"{base}/debug\">debug pages</a>, <a href=\"{base}/debug/traces\">recent \
                 traces</a>, <a href=\"{base}/debug/logs\">logs</a>, <a href=\"{base}/debug/metrics\">metrics</a> \
                 (<code>route.calc.time</code> by customer and session)."
            );
        }
        None => out.push_str("Lantern's debug pages are off."),
    }
    out.push_str(" JSON: <code>GET /dispatch?customer=123</code>.</small></p>\n");
    out
}

/// The index: the buttons.
pub(crate) fn index(session: &str, debug_pages: Option<&str>) -> String {
    let body = format!(
        "<h1>Hot R.O.D. &middot; Rides on Demand</h1>\n\
         <p class=\"muted\">Four services in one process: frontend, customer, driver (gRPC), route. \
         Each click is one trace across all of them.</p>\n{}{}",
        buttons(session),
        footer(session, debug_pages)
    );
    page("HotROD", &body)
}

/// The result of a dispatch for `customer_id`, then the buttons again.
pub(crate) fn result(
    customer_id: &str,
    outcome: Result<&Dispatch, &str>,
    latency: Duration,
    session: &str,
    debug_pages: Option<&str>,
) -> String {
    let customer = name_of(customer_id).map_or_else(|| format!("customer {customer_id}"), str::to_owned);
    let latency_ms = latency.as_millis();
    let result = match outcome {
        Ok(dispatch) => {
            let trace = match debug_pages {
                Some(base) if !dispatch.trace_id.is_empty() => format!(
                    "<a href=\"{}/debug/traces/{}\">its trace</a> (waterfall, critical path)",
                    escape(base),
                    escape(&dispatch.trace_id)
                ),
                _ => format!("trace <code>{}</code>", escape(&dispatch.trace_id)),
            };
            format!(
                "<div class=\"box\"><strong>HotROD {driver}</strong> arrives in <strong>{eta:.0} min</strong> \
                 for {customer}.<br><small>Latency {latency_ms} ms; {trace}.</small></div>\n",
                driver = escape(&dispatch.driver),
                eta = (dispatch.eta_seconds / 60.0).ceil(),
                customer = escape(&customer),
            )
        }
        Err(error) => format!(
            "<div class=\"box error\">No ride for {}: {}<br><small>Latency {latency_ms} ms.</small></div>\n",
            escape(&customer),
            escape(error)
        ),
    };
    let body = format!(
        "<h1>Hot R.O.D. &middot; Rides on Demand</h1>\n{result}<p><a href=\"/\">Back</a> (new session)</p>\n{}{}",
        buttons(session),
        footer(session, debug_pages)
    );
    page("HotROD: dispatch", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_show() {
        let index = index("abc", Some("http://127.0.0.1:9464"));
        assert!(index.contains("Rachel&#x27;s Floral Designs"));
        assert!(index.contains("value=\"123\""));
        assert!(index.contains("http://127.0.0.1:9464/debug/traces"));
        let dispatch = Dispatch { driver: "T712345C".into(), eta_seconds: 150.0, trace_id: "ab".repeat(16) };
        let page = result("123", Ok(&dispatch), Duration::from_millis(812), "abc", Some("http://h:1"));
        assert!(page.contains("HotROD T712345C"));
        assert!(page.contains("3 min"));
        assert!(page.contains(&format!("http://h:1/debug/traces/{}", "ab".repeat(16))));
        let page = result("9<b>", Err("<script>"), Duration::ZERO, "abc", None);
        assert!(page.contains("customer 9&lt;b&gt;") && page.contains("&lt;script&gt;"));
        assert!(!page.contains("<script>") && !page.contains("<b>"));
    }
}
