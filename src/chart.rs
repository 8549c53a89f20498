//! Charts of the staff report, drawn with `plotters`: one drawing per kind
//! of chart, on any backend, so the SVG in `report --html` and the PNG that
//! `/stats` attaches are the same picture. A [`Chart`] is a time axis
//! (dates) with bars or lines; [`Ranking`] is horizontal bars with short
//! ASCII labels (programme ids). The charts carry digits, dates and ids
//! only — the words around them (titles, legends) belong to whoever shows
//! them, so the PNG needs no Japanese font: its text is drawn with DejaVu
//! Sans, kept in `assets/fonts` (Bitstream Vera licence, beside it). In SVG
//! the same text is left to the reader's fonts.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::PeriodRate;

/// A colour (red, green, blue).
pub type Colour = (u8, u8, u8);

pub const BLUE: Colour = (0x2b, 0x6c, 0xb0);
pub const RED: Colour = (0xd6, 0x45, 0x41);
pub const ORANGE: Colour = (0xe8, 0x9b, 0x1a);
pub const GREEN: Colour = (0x3a, 0x9a, 0x5b);

/// `#rrggbb` of a colour.
pub fn hex((r, g, b): Colour) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES)
            .unwrap_or_else(|_| panic!("assets/fonts/DejaVuSans.ttf is a valid font"));
    });
}

/// How a chart's series are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Bars side by side in each period.
    Bars,
    /// Lines with a dot per period.
    Lines,
}

/// Series over periods: `labels[i]` names period `i` (a date).
#[derive(Debug, Clone)]
pub struct Chart {
    pub labels: Vec<String>,
    /// One list of values per series, as long as `labels`.
    pub series: Vec<Vec<f64>>,
    /// The colour of each series.
    pub colours: Vec<Colour>,
    pub style: Style,
    /// Values are shares (0–1), shown as percent.
    pub percent: bool,
}

/// Horizontal bars, largest first.
#[derive(Debug, Clone)]
pub struct Ranking {
    pub labels: Vec<String>,
    pub values: Vec<f64>,
}

/// The charts of a report over time, from its days or weeks: questions
/// (blue bars), the no-match and 「もしかして」 rates (red and orange lines),
/// 👍 and 👎 (green and red bars). Periods are labelled by month and day.
pub fn trends(periods: &[PeriodRate]) -> [Chart; 3] {
    let series = |f: &dyn Fn(&PeriodRate) -> f64| periods.iter().map(f).collect();
    let labels: Vec<String> = periods
        .iter()
        .map(|p| p.start.to_string().get(5..).unwrap_or_default().to_string())
        .collect();
    [
        Chart {
            labels: labels.clone(),
            series: vec![series(&|p| p.questions as f64)],
            colours: vec![BLUE],
            style: Style::Bars,
            percent: false,
        },
        Chart {
            labels: labels.clone(),
            series: vec![series(&|p| p.rate), series(&|p| p.did_you_mean_rate)],
            colours: vec![RED, ORANGE],
            style: Style::Lines,
            percent: true,
        },
        Chart {
            labels,
            series: vec![series(&|p| p.up as f64), series(&|p| p.down as f64)],
            colours: vec![GREEN, RED],
            style: Style::Bars,
            percent: false,
        },
    ]
}

/// A chart that could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart: {0}")]
pub struct ChartError(String);

fn failed<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError(format!("{e:?}"))
}

fn rgb((r, g, b): Colour) -> RGBColor {
    RGBColor(r, g, b)
}

/// The highest value shown: a little above the largest, at least 1.
fn top(values: impl Iterator<Item = f64>, percent: bool) -> f64 {
    if percent {
        return 100.0;
    }
    let max = values.fold(0.0f64, f64::max);
    (max * 1.1).max(1.0)
}

/// How many labels an axis of counts up to `max` gets: at most five, and
/// no more than there are whole numbers on it (so no label repeats).
fn count_labels(max: f64) -> usize {
    (max.floor() as usize + 1).clamp(2, 5)
}

/// A count on an axis: whole numbers only (a tick between two is left
/// blank rather than shown rounded, as "0 0 1 1 2").
fn count_label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

/// The colours and type size a picture is drawn in.
#[derive(Debug, Clone, Copy)]
struct Theme {
    background: RGBColor,
    text: RGBColor,
    /// The lines at labelled values, and the fainter ones between.
    grid: RGBColor,
    minor: RGBColor,
    axis: RGBColor,
    font_size: u32,
    /// Room for the labels under the x axis and left of the y axis.
    x_labels: u32,
    y_labels: u32,
}

/// For the HTML report: a white page, read at its own size.
const LIGHT: Theme = Theme {
    background: WHITE,
    text: BLACK,
    grid: RGBColor(0xcc, 0xcc, 0xcc),
    minor: RGBColor(0xee, 0xee, 0xee),
    axis: BLACK,
    font_size: 13,
    x_labels: 28,
    y_labels: 48,
};

/// For Discord: its dark theme's embed colour, light text, and type large
/// enough to read when the picture is shrunk to an embed's width on a
/// phone (about 300 px for 720).
const DARK: Theme = Theme {
    background: RGBColor(0x2b, 0x2d, 0x31),
    text: RGBColor(0xdb, 0xde, 0xe1),
    grid: RGBColor(0x4e, 0x50, 0x58),
    minor: RGBColor(0x2b, 0x2d, 0x31),
    axis: RGBColor(0x94, 0x9b, 0xa4),
    font_size: 26,
    x_labels: 40,
    y_labels: 80,
};

/// Draws `chart` on `area`.
fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
    theme: Theme,
) -> Result<(), ChartError> {
    let n = chart.labels.len().max(1);
    let scale = if chart.percent { 100.0 } else { 1.0 };
    let y_max = top(chart.series.iter().flatten().copied(), chart.percent);
    let mut c = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(theme.x_labels)
        .y_label_area_size(theme.y_labels)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..y_max)
        .map_err(failed)?;
    // Period i is centred on x = i, where its label goes.
    let labels = &chart.labels;
    let x_label = |x: &f64| {
        let i = x.round();
        if (x - i).abs() > 1e-6 || i < 0.0 {
            return String::new();
        }
        labels.get(i as usize).cloned().unwrap_or_default()
    };
    let y_label = |y: &f64| {
        if chart.percent {
            format!("{y:.0}%")
        } else {
            count_label(*y)
        }
    };
    let font = (FONT, theme.font_size).into_font().color(&theme.text);
    c.configure_mesh()
        .disable_x_mesh()
        .x_labels(n.min(8))
        .x_label_formatter(&x_label)
        .y_labels(if chart.percent {
            5
        } else {
            count_labels(y_max)
        })
        .y_label_formatter(&y_label)
        .label_style(font)
        .light_line_style(theme.minor)
        .bold_line_style(theme.grid)
        .axis_style(theme.axis)
        .draw()
        .map_err(failed)?;
    let k = chart.series.len().max(1) as f64;
    for (s, values) in chart.series.iter().enumerate() {
        let col = rgb(chart.colours.get(s).copied().unwrap_or(BLUE));
        match chart.style {
            Style::Bars => {
                let width = 0.8 / k;
                c.draw_series(values.iter().enumerate().filter(|(_, v)| **v > 0.0).map(
                    |(i, v)| {
                        let x0 = i as f64 - 0.4 + width * s as f64;
                        Rectangle::new([(x0, 0.0), (x0 + width, v * scale)], col.filled())
                    },
                ))
                .map_err(failed)?;
            }
            Style::Lines => {
                let points = || {
                    values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (i as f64, v * scale))
                };
                c.draw_series(LineSeries::new(points(), col.stroke_width(2)))
                    .map_err(failed)?;
                if values.len() <= 60 {
                    c.draw_series(points().map(|p| Circle::new(p, 3, col.filled())))
                        .map_err(failed)?;
                }
            }
        }
    }
    Ok(())
}

fn draw_ranking<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ranking: &Ranking,
    theme: Theme,
) -> Result<(), ChartError> {
    let n = ranking.labels.len().max(1);
    let x_max = top(ranking.values.iter().copied(), false);
    let mut c = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(110)
        .build_cartesian_2d(0f64..x_max, 0f64..n as f64)
        .map_err(failed)?;
    c.configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(count_labels(x_max))
        .x_label_formatter(&|x: &f64| count_label(*x))
        .label_style((FONT, theme.font_size).into_font().color(&theme.text))
        .light_line_style(theme.minor)
        .bold_line_style(theme.grid)
        .axis_style(theme.axis)
        .draw()
        .map_err(failed)?;
    // The labels, right-aligned left of the axis, centred on their bar
    // (the largest on top).
    let style = (FONT, theme.font_size)
        .into_font()
        .color(&theme.text)
        .into_text_style(area)
        .pos(Pos::new(HPos::Right, VPos::Center));
    c.draw_series(ranking.labels.iter().enumerate().map(|(row, label)| {
        let y = (n - row - 1) as f64 + 0.5;
        EmptyElement::at((0.0, y)) + Text::new(label.clone(), (-6, 0), style.clone())
    }))
    .map_err(failed)?;
    let col = rgb(BLUE);
    c.draw_series(ranking.values.iter().enumerate().map(|(row, v)| {
        let y0 = (n - row - 1) as f64 + 0.15;
        Rectangle::new([(0.0, y0), (*v, y0 + 0.7)], col.filled())
    }))
    .map_err(failed)?;
    Ok(())
}

/// What an SVG or PNG is drawn of.
pub enum Picture<'a> {
    Chart(&'a Chart),
    Ranking(&'a Ranking),
}

fn draw_picture<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    picture: &Picture<'_>,
    theme: Theme,
) -> Result<(), ChartError> {
    area.fill(&theme.background).map_err(failed)?;
    match picture {
        Picture::Chart(c) => draw(area, c, theme),
        Picture::Ranking(r) => draw_ranking(area, r, theme),
    }
}

/// The picture as an SVG document of `width` × `height` pixels, on white
/// (for the HTML report).
pub fn svg(picture: &Picture<'_>, (width, height): (u32, u32)) -> Result<String, ChartError> {
    register_font();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw_picture(&root, picture, LIGHT)?;
        root.present().map_err(failed)?;
    }
    Ok(out)
}

/// The pictures stacked top to bottom, each `width` × `height` pixels, as
/// a PNG image in Discord's dark theme.
pub fn png(pictures: &[Picture<'_>], (width, height): (u32, u32)) -> Result<Vec<u8>, ChartError> {
    register_font();
    let total = height * pictures.len().max(1) as u32;
    let mut rgb = vec![0u8; width as usize * total as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, total)).into_drawing_area();
        root.fill(&DARK.background).map_err(failed)?;
        let areas = root.split_evenly((pictures.len().max(1), 1));
        for (area, picture) in areas.iter().zip(pictures) {
            draw_picture(area, picture, DARK)?;
        }
        root.present().map_err(failed)?;
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, total);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Best);
        let mut writer = encoder.write_header().map_err(failed)?;
        writer.write_image_data(&rgb).map_err(failed)?;
        writer.finish().map_err(failed)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weeks() -> Chart {
        Chart {
            labels: vec!["04-29".into(), "05-06".into(), "05-13".into()],
            series: vec![vec![3.0, 0.0, 7.0], vec![1.0, 0.0, 2.0]],
            colours: vec![BLUE, RED],
            style: Style::Bars,
            percent: false,
        }
    }

    #[test]
    fn bars_are_drawn_in_the_series_colours() {
        let svg = svg(&Picture::Chart(&weeks()), (600, 300)).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        let blue = hex(BLUE).to_uppercase();
        let red = hex(RED).to_uppercase();
        // Two bars each: the empty week draws none.
        assert_eq!(
            svg.to_uppercase()
                .matches(&format!("FILL=\"{blue}\""))
                .count(),
            2
        );
        assert_eq!(
            svg.to_uppercase()
                .matches(&format!("FILL=\"{red}\""))
                .count(),
            2
        );
        assert!(svg.contains("05-13"));
    }

    #[test]
    fn a_png_is_an_image_of_the_stacked_size() {
        let rates = Chart {
            series: vec![vec![0.5, 0.0, 0.25]],
            style: Style::Lines,
            percent: true,
            ..weeks()
        };
        let bytes = png(
            &[Picture::Chart(&weeks()), Picture::Chart(&rates)],
            (400, 200),
        )
        .unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (400, 400));
    }

    #[test]
    fn count_axes_show_each_whole_number_once() {
        assert_eq!(count_labels(2.2), 3);
        assert_eq!(count_labels(1.1), 2);
        assert_eq!(count_labels(100.0), 5);
        let shown: Vec<String> = [0.0, 0.5, 1.0, 1.5, 2.0].map(count_label).to_vec();
        assert_eq!(shown, ["0", "", "1", "", "2"]);
    }

    #[test]
    fn a_ranking_draws_a_bar_per_entry() {
        let r = Ranking {
            labels: vec!["2.tokyo.b.3".into(), "6.tokyo.a".into()],
            values: vec![5.0, 2.0],
        };
        let svg = svg(&Picture::Ranking(&r), (600, 200)).unwrap();
        let blue = hex(BLUE).to_uppercase();
        assert_eq!(
            svg.to_uppercase()
                .matches(&format!("FILL=\"{blue}\""))
                .count(),
            2
        );
        assert!(svg.contains("2.tokyo.b.3"));
    }
}
