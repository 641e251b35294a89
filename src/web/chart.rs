//! Charts as inline SVG, drawn on the server: a bar chart (grouped or stacked) and a line chart.
//! No script and no style attribute (the pages' CSP allows neither inline): colours are
//! presentation attributes. Every text is escaped; each chart names itself with `<title>` and
//! `<desc>` for screen readers, and the pages put the same numbers in a table beside it.

use std::fmt::Write;

/// Colours for series, in order: each has at least 3:1 contrast on white (WCAG 1.4.11).
pub const PALETTE: [&str; 8] = ["#003b71", "#b3531b", "#2e7d43", "#6a3d9a", "#a6192e", "#00677f", "#5b6770", "#8a5a00"];

const WIDTH: f64 = 720.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const PLOT_BOTTOM: f64 = 236.0;
/// The baseline of the legend's first row, under the x labels (baseline 256).
const LEGEND_BASELINE: f64 = 284.0;
const LEGEND_ROW: f64 = 22.0;
const INK: &str = "#1b2733";
const GRID: &str = "#d5dce3";
/// At most this many labels under the x axis; the others are thinned out.
const MAX_X_LABELS: usize = 12;

/// One named row of values, one value per x label.
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

pub struct Chart<'a> {
    /// Unique on the page: prefixes the ids of `<title>` and `<desc>`.
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
    /// A fixed top of the value axis (e.g. 100 for percentages); else from the data.
    pub max: Option<f64>,
    /// Counts: axis steps are whole numbers.
    pub integers: bool,
    /// How values read, in the page's language.
    pub format: &'a dyn Fn(f64) -> String,
    /// Written across the plot when every value is zero, so that the chart does not look
    /// blank (no bar has a height, a line lies on the axis).
    pub all_zero: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bars {
    /// Side by side in each group.
    Grouped,
    /// On top of each other in each group.
    Stacked,
}

/// Escapes text for SVG content and attributes (control characters, which XML forbids, go).
pub fn escape(text: &str) -> String {
    crate::kb::text::escape_html(&text.chars().filter(|c| !c.is_control()).collect::<String>())
}

/// A shortened label (the full one is in the bar's title and the table).
fn short(label: &str, max_chars: usize) -> String {
    if label.chars().count() <= max_chars {
        label.to_owned()
    } else {
        let cut: String = label.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// The top of the axis and its step: 1, 2, 2.5 or 5 times a power of ten, about four steps.
pub fn scale(max: f64, integers: bool) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (4.0, 1.0);
    }
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = match raw / magnitude {
        n if n <= 1.0 => 1.0,
        n if n <= 2.0 => 2.0,
        n if n <= 2.5 => 2.5,
        n if n <= 5.0 => 5.0,
        _ => 10.0,
    } * magnitude;
    let step = if integers { step.max(1.0).ceil() } else { step };
    ((max / step).ceil() * step, step)
}

struct Frame {
    top: f64,
}

impl Frame {
    fn y(&self, value: f64) -> f64 {
        PLOT_BOTTOM - (value.max(0.0) / self.top) * (PLOT_BOTTOM - TOP)
    }
}

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

/// The legend's rows: (x, row) of each series, wrapping at the chart's width.
fn legend_layout(series: &[Series]) -> Vec<(f64, usize)> {
    let (mut x, mut row) = (LEFT, 0);
    series
        .iter()
        .map(|s| {
            let width = 28.0 + 8.5 * s.name.chars().count().min(40) as f64;
            if x + width > WIDTH - RIGHT && x > LEFT {
                x = LEFT;
                row += 1;
            }
            let at = (x, row);
            x += width + 12.0;
            at
        })
        .collect()
}

/// The opening of the SVG, its title and description, the grid, the value axis, the x labels
/// and the legend: all but the data.
fn frame(out: &mut String, chart: &Chart, max: f64) -> Frame {
    let (top, step) = match chart.max {
        Some(fixed) => (fixed, fixed / 4.0),
        None => scale(max, chart.integers),
    };
    let legend = legend_layout(&chart.series);
    let rows = if chart.series.len() > 1 { legend.last().map(|(_, r)| r + 1).unwrap_or(0) } else { 0 };
    let height = if rows == 0 { PLOT_BOTTOM + 32.0 } else { LEGEND_BASELINE + 12.0 + (rows - 1) as f64 * LEGEND_ROW };
    let id = escape(chart.id);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="system-ui, sans-serif" font-size="14">"#
    );
    let _ = write!(
        out,
        r#"<title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(chart.title),
        escape(chart.desc)
    );
    let frame = Frame { top };
    let mut tick = 0.0;
    while tick <= top + step / 1000.0 {
        let y = frame.y(tick);
        let _ = write!(
            out,
            r#"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{GRID}" stroke-width="1"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="{INK}">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 8.0,
            y + 4.0,
            escape(&(chart.format)(tick))
        );
        tick += step;
    }
    let zero = max <= 0.0;
    let _ = write!(
        out,
        r#"<line x1="{LEFT}" y1="{PLOT_BOTTOM}" x2="{:.1}" y2="{PLOT_BOTTOM}" stroke="{INK}" stroke-width="{}"/>"#,
        WIDTH - RIGHT,
        if zero { 2 } else { 1 }
    );
    if zero {
        let _ = write!(
            out,
            r#"<text class="all-zero" x="{:.1}" y="{:.1}" text-anchor="middle" fill="{INK}" font-weight="600">{}</text>"#,
            LEFT + plot_width() / 2.0,
            (TOP + PLOT_BOTTOM) / 2.0,
            escape(chart.all_zero)
        );
    }
    let n = chart.labels.len().max(1);
    let band = plot_width() / n as f64;
    let every = n.div_ceil(MAX_X_LABELS).max(1);
    let max_chars = ((band * every as f64) / 8.5).floor().max(3.0) as usize;
    for (i, label) in chart.labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let x = LEFT + band * (i as f64 + 0.5);
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="{INK}">{}</text>"#,
            PLOT_BOTTOM + 20.0,
            escape(&short(label, max_chars))
        );
    }
    if chart.series.len() > 1 {
        for ((x, row), (s, colour)) in legend.iter().zip(chart.series.iter().zip(PALETTE.iter().cycle())) {
            let y = LEGEND_BASELINE + *row as f64 * LEGEND_ROW;
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{:.1}" width="14" height="14" fill="{colour}"/><text x="{:.1}" y="{:.1}" fill="{INK}">{}</text>"#,
                y - 11.0,
                x + 20.0,
                y,
                escape(&short(&s.name, 40))
            );
        }
    }
    frame
}

fn value(series: &Series, i: usize) -> f64 {
    series.values.get(i).copied().filter(|v| v.is_finite()).unwrap_or(0.0)
}

/// Bars per label, one per series, side by side or stacked. Each bar carries its label,
/// series and value as a tooltip.
pub fn bar_chart(chart: &Chart, bars: Bars) -> String {
    let n = chart.labels.len();
    let max = (0..n)
        .map(|i| match bars {
            Bars::Grouped => chart.series.iter().map(|s| value(s, i)).fold(0.0, f64::max),
            Bars::Stacked => chart.series.iter().map(|s| value(s, i)).sum(),
        })
        .fold(0.0, f64::max);
    let mut out = String::new();
    let frame = frame(&mut out, chart, max);
    let band = plot_width() / n.max(1) as f64;
    let inner = band * 0.8;
    let slots = match bars {
        Bars::Grouped => chart.series.len().max(1),
        Bars::Stacked => 1,
    };
    let width = inner / slots as f64;
    for (i, label) in chart.labels.iter().enumerate() {
        let mut base = 0.0;
        for (k, (s, colour)) in chart.series.iter().zip(PALETTE.iter().cycle()).enumerate() {
            let v = value(s, i);
            if v <= 0.0 {
                continue;
            }
            let (x, from) = match bars {
                Bars::Grouped => (LEFT + band * i as f64 + band * 0.1 + width * k as f64, 0.0),
                Bars::Stacked => (LEFT + band * i as f64 + band * 0.1, base),
            };
            base += v;
            let (y_top, y_bottom) = (frame.y(from + v), frame.y(from));
            let _ = write!(
                out,
                r##"<rect class="bar" x="{x:.1}" y="{y_top:.1}" width="{:.1}" height="{:.1}" fill="{colour}" stroke="#ffffff" stroke-width="{}"><title>{} · {}: {}</title></rect>"##,
                width.max(0.5),
                (y_bottom - y_top).max(0.5),
                if width > 3.0 { 1 } else { 0 },
                escape(label),
                escape(&s.name),
                escape(&(chart.format)(v))
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// One line per series across the labels, with a marker on each point when there is room.
pub fn line_chart(chart: &Chart) -> String {
    let n = chart.labels.len();
    let max = chart.series.iter().flat_map(|s| (0..n).map(|i| value(s, i))).fold(0.0, f64::max);
    let mut out = String::new();
    let frame = frame(&mut out, chart, max);
    let band = plot_width() / n.max(1) as f64;
    for (s, colour) in chart.series.iter().zip(PALETTE.iter().cycle()) {
        let points: Vec<(f64, f64)> = (0..n).map(|i| (LEFT + band * (i as f64 + 0.5), frame.y(value(s, i)))).collect();
        let path: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            out,
            r#"<polyline class="line" points="{}" fill="none" stroke="{colour}" stroke-width="2.5"/>"#,
            path.join(" ")
        );
        if band >= 8.0 {
            for ((x, y), (i, label)) in points.iter().zip(chart.labels.iter().enumerate()) {
                let _ = write!(
                    out,
                    r#"<circle class="point" cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{colour}"><title>{} · {}: {}</title></circle>"#,
                    escape(label),
                    escape(&s.name),
                    escape(&(chart.format)(value(s, i)))
                );
            }
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(v: f64) -> String {
        format!("{v}")
    }

    fn chart<'a>(labels: &[&str], series: Vec<Series>, format: &'a dyn Fn(f64) -> String) -> Chart<'a> {
        Chart {
            id: "c1",
            title: "Tickets <per> day",
            desc: "A \"test\" & more",
            labels: labels.iter().map(|s| (*s).to_owned()).collect(),
            series,
            max: None,
            integers: true,
            format,
            all_zero: "All zero",
        }
    }

    #[test]
    fn an_all_zero_chart_says_so() {
        let zeros = || vec![Series { name: "a".into(), values: vec![0.0, 0.0] }];
        assert!(bar_chart(&chart(&["x", "y"], zeros(), &plain), Bars::Grouped).contains(r#"class="all-zero""#));
        assert!(line_chart(&chart(&["x", "y"], zeros(), &plain)).contains(">All zero</text>"));
        let some = vec![Series { name: "a".into(), values: vec![0.0, 1.0] }];
        assert!(!bar_chart(&chart(&["x", "y"], some, &plain), Bars::Grouped).contains("all-zero"));
    }

    #[test]
    fn scales_are_round() {
        assert_eq!(scale(0.0, true), (4.0, 1.0));
        assert_eq!(scale(3.0, true), (3.0, 1.0));
        assert_eq!(scale(2.0, true), (2.0, 1.0));
        assert_eq!(scale(2.0, false), (2.0, 0.5));
        assert_eq!(scale(37.0, true), (40.0, 10.0));
        assert_eq!(scale(1234.0, true), (1500.0, 500.0));
    }

    #[test]
    fn text_is_escaped_and_named() {
        let series = vec![Series { name: "<script>alert(1)</script>".into(), values: vec![1.0, 2.0] }];
        let svg = bar_chart(&chart(&["a&b", "c"], series, &plain), Bars::Grouped);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;") && svg.contains("a&amp;b"));
        assert!(svg.contains(r#"<title id="c1-title">Tickets &lt;per&gt; day</title>"#));
        assert!(svg.contains(r#"<desc id="c1-desc">A &quot;test&quot; &amp; more</desc>"#));
        assert!(svg.contains(r#"role="img" aria-labelledby="c1-title c1-desc""#));
        assert!(!svg.contains("style="), "no inline style: the CSP forbids it");
    }

    #[test]
    fn grouped_and_stacked_bars() {
        let series = || {
            vec![
                Series { name: "p50".into(), values: vec![2.0, 0.0, 4.0] },
                Series { name: "p90".into(), values: vec![4.0, 1.0, 8.0] },
            ]
        };
        let grouped = bar_chart(&chart(&["x", "y", "z"], series(), &plain), Bars::Grouped);
        // Zero values draw no bar: 5 bars, and a legend of two entries.
        assert_eq!(grouped.matches(r#"class="bar""#).count(), 5);
        assert!(grouped.contains("<title>z · p90: 8</title>"));
        assert!(grouped.contains(">p50</text>") && grouped.contains(">p90</text>"));
        let stacked = bar_chart(&chart(&["x", "y", "z"], series(), &plain), Bars::Stacked);
        assert_eq!(stacked.matches(r#"class="bar""#).count(), 5);
        // Stacked to 12 at most: the axis goes up to 15 in steps of 5.
        assert!(stacked.contains(">15</text>"), "{stacked}");
    }

    #[test]
    fn lines_have_points_and_thin_labels() {
        let labels: Vec<String> = (1..=30).map(|d| format!("{d:02}/01")).collect();
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let series = vec![Series { name: "open".into(), values: (1..=30).map(f64::from).collect() }];
        let svg = line_chart(&chart(&refs, series, &plain));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches(r#"class="point""#).count(), 30);
        // 30 labels, at most 12 shown: every third.
        assert!(svg.contains(">01/01</text>") && svg.contains(">04/01</text>") && !svg.contains(">02/01</text>"));
    }
}
