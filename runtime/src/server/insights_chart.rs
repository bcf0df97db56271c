//! The small charts of `/debug/insights`: one value per minute over the
//! last hour, as inline SVG bars drawn on the server.
//!
//! No script and no `style` attribute (the page's Content-Security-Policy
//! allows neither): an `<svg>` with one `<rect>` per minute that has a
//! value, presentation attributes only. The hour runs from left to right,
//! the minute now at the right edge; bars rise from 0 at the bottom to the
//! hour's highest value at the top. A minute with no value has no bar.
//!
//! Markup: `<svg class="trend" data-bars="{n}" ...><title>...</title><rect .../>...</svg>`.

use maud::{Markup, html};

use super::sampling_chart::short;

/// The width of one minute's bar and the chart's height, in CSS pixels.
const BAR: f64 = 2.0;
const HEIGHT: f64 = 28.0;
/// Minutes drawn.
const MINUTES: u32 = 60;

/// The chart of `values` (minutes ago, value), titled `what` and `unit`.
pub(crate) fn trend(what: &str, unit: &str, values: &[(u32, f64)]) -> Markup {
    let shown: Vec<(u32, f64)> =
        values.iter().copied().filter(|&(ago, v)| ago < MINUTES && v.is_finite() && v >= 0.0).collect();
    let top = shown.iter().map(|&(_, v)| v).fold(0.0_f64, f64::max);
    let width = BAR * f64::from(MINUTES);
    let title = match shown.iter().min_by_key(|&&(ago, _)| ago) {
        Some(&(ago, last)) => {
            let when = if ago == 0 { "now".to_owned() } else { format!("{ago} min ago") };
            format!("{what} over the last hour: up to {}{unit}, {when} {}{unit}", short(top), short(last))
        }
        None => format!("{what}: nothing in the last hour"),
    };
    html! {
        svg class="trend" data-bars=(shown.len()) width=(width) height=(HEIGHT) viewBox={ "0 0 " (width) " " (HEIGHT) }
            role="img" aria-label=(title) {
            title { (title) }
            line x1="0" y1=(HEIGHT - 0.5) x2=(width) y2=(HEIGHT - 0.5) stroke="#e3e7ee" stroke-width="1" {}
            @for &(ago, v) in &shown {
                @let h = if top > 0.0 { ((v / top) * (HEIGHT - 2.0)).max(1.0) } else { 1.0 };
                rect x=(format!("{:.1}", BAR * f64::from(MINUTES - 1 - ago))) y=(format!("{:.1}", HEIGHT - h))
                    width=(BAR - 0.4) height=(format!("{h:.1}")) fill="#2f6fdf" {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_per_minute_with_a_value_now_at_the_right() {
        let svg = trend("traces", "/min", &[(59, 1.0), (0, 4.0), (70, 9.0), (3, f64::NAN)]).into_string();
        assert!(svg.contains("data-bars=\"2\""), "{svg}");
        assert!(svg.contains("<rect x=\"0.0\" y=\"21.5\" width=\"1.6\" height=\"6.5\""), "oldest left: {svg}");
        assert!(svg.contains("<rect x=\"118.0\" y=\"2.0\" width=\"1.6\" height=\"26.0\""), "now right: {svg}");
        assert!(svg.contains("up to 4/min, now 4/min"), "{svg}");
        assert!(!svg.contains("style"), "presentation attributes only");
        let none = trend("p99", " s", &[]).into_string();
        assert!(none.contains("data-bars=\"0\"") && none.contains("nothing in the last hour"), "{none}");
    }

    #[test]
    fn names_are_escaped() {
        let svg = trend("<script>", "", &[(0, 1.0)]).into_string();
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"), "{svg}");
    }
}
