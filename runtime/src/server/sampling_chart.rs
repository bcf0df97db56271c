//! The small chart of `/debug/sampling`: an operation's probability over
//! the last hour, as inline SVG drawn on the server.
//!
//! No script and no `style` attribute (the page's Content-Security-Policy
//! allows neither script nor anything fetched): an `<svg>` with a
//! `<polyline>` and SVG presentation attributes. The line is a step: a
//! probability holds until the next point. An hour runs from left to right,
//! now at the right edge; the vertical scale runs from 0 at the bottom to
//! the hour's highest probability at the top, so a change shows whatever
//! its size. A sampler that keeps no history (a fixed probability) draws a
//! flat line across the hour.
//!
//! Markup: `<svg class="chart" ...><title>...</title><polyline points="x,y ..."/></svg>`.

use std::time::{Duration, SystemTime};

use super::html::esc;

/// The width and height of the chart, in CSS pixels.
const WIDTH: f64 = 160.0;
const HEIGHT: f64 = 32.0;
/// Room above and below the line, so that a stroke at 0 or at the top shows.
const PAD: f64 = 2.0;
/// What the chart spans.
const HOUR: Duration = Duration::from_secs(3600);

/// The chart of `points` (oldest first, the last one now) seen at `now`;
/// empty when there is no point.
pub(crate) fn chart(points: &[(SystemTime, f64)], now: SystemTime) -> String {
    let Some(&(_, last)) = points.last() else { return String::new() };
    let start = now.checked_sub(HOUR).unwrap_or(SystemTime::UNIX_EPOCH);
    // A single point (no history): flat from the start of the hour.
    let flat;
    let points = if points.len() == 1 {
        flat = [(start, last), points[0]];
        &flat[..]
    } else {
        points
    };
    let top = points.iter().map(|&(_, p)| p).fold(0.0_f64, f64::max);
    let low = points.iter().map(|&(_, p)| p).fold(f64::INFINITY, f64::min);
    let x = |t: SystemTime| {
        let age = now.duration_since(t).unwrap_or_default().min(HOUR);
        WIDTH * (1.0 - age.as_secs_f64() / HOUR.as_secs_f64())
    };
    let y = |p: f64| {
        let share = if top > 0.0 { (p / top).clamp(0.0, 1.0) } else { 0.0 };
        PAD + (HEIGHT - 2.0 * PAD) * (1.0 - share)
    };
    // Each vertex as written, rounded to a tenth of a pixel; a vertex the
    // same as the one before is left out.
    let mut vertices: Vec<String> = Vec::with_capacity(2 * points.len());
    let mut previous: Option<f64> = None;
    for &(t, p) in points {
        let (px, py) = (x(t), y(p));
        if let Some(before) = previous.filter(|&before| before != py) {
            vertices.push(format!("{px:.1},{before:.1}"));
        }
        let vertex = format!("{px:.1},{py:.1}");
        if vertices.last() != Some(&vertex) {
            vertices.push(vertex);
        }
        previous = Some(py);
    }
    let title = format!("probability over the last hour: {} to {}, now {}", short(low), short(top), short(last));
    format!(
        "<svg class=\"chart\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"{title}\"><title>{title}</title>\
         <line x1=\"0\" y1=\"{base:.1}\" x2=\"{WIDTH}\" y2=\"{base:.1}\" stroke=\"#e3e7ee\" stroke-width=\"1\"/>\
         <polyline fill=\"none\" stroke=\"#2f6fdf\" stroke-width=\"1.5\" points=\"{}\"/></svg>",
        vertices.join(" "),
        title = esc(&title),
        base = HEIGHT - PAD,
    )
}

/// A number to three significant digits, as people read it: `0.0015`,
/// `12.3`, `1`.
pub(crate) fn short(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    format!("{v:.2e}").parse::<f64>().unwrap_or(v).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(svg: &str) -> Vec<(f64, f64)> {
        let at = svg.find("points=\"").unwrap() + 8;
        let list = &svg[at..at + svg[at..].find('"').unwrap()];
        list.split(' ')
            .map(|xy| xy.split_once(',').unwrap())
            .map(|(x, y)| (x.parse().unwrap(), y.parse().unwrap()))
            .collect()
    }

    #[test]
    fn a_change_is_a_step_and_now_is_the_right_edge() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(10_000);
        let ago = |mins: u64| now - Duration::from_secs(60 * mins);
        let svg = chart(&[(ago(30), 0.001), (ago(15), 0.002), (now, 0.002)], now);
        assert_eq!(points(&svg), [(80.0, 16.0), (120.0, 16.0), (120.0, 2.0), (160.0, 2.0)]);
        assert!(svg.contains("0.001 to 0.002, now 0.002"), "{svg}");
        assert!(!svg.contains("style"), "presentation attributes only");
    }

    #[test]
    fn one_point_is_a_flat_line_over_the_hour_and_none_is_no_chart() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(10_000);
        assert_eq!(points(&chart(&[(now, 0.25)], now)), [(0.0, 2.0), (160.0, 2.0)]);
        assert_eq!(points(&chart(&[(now, 0.0)], now)), [(0.0, 30.0), (160.0, 30.0)], "0 at the bottom");
        let old = now - Duration::from_secs(7200);
        assert_eq!(points(&chart(&[(old, 0.5), (now, 0.5)], now))[0], (0.0, 2.0), "older than an hour: the left edge");
        assert_eq!(chart(&[], now), "");
        let twice = chart(&[(now, 0.5), (now, 0.5)], now);
        assert_eq!(points(&twice), [(160.0, 2.0)], "a vertex once");
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(
            (short(0.0015), short(12.345), short(1.0), short(1e-5)),
            ("0.0015".into(), "12.3".into(), "1".into(), "0.00001".into())
        );
    }
}
