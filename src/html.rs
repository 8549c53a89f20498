//! The staff report as one self-contained HTML page (`report --html`): the
//! figures of a [`Report`], its charts as inline SVG ([`crate::chart`]) —
//! questions per day or week, the no-match and 「もしかして」 rates, 👍/👎
//! over time, the programmes shown most — and the tables of the text report.
//! No script, no external file or font: Japanese renders with the reader's
//! fonts. Every word comes from `[report]` in `messages.toml`
//! ([`ReportMessages`]); every text from the records is escaped
//! ([`escape`]). [`write`] puts the page in place atomically.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::chart::{self, ChartError, Picture, Ranking};
use crate::data::ReportMessages;
use crate::report::{Period, Report};

/// Size of each chart, in CSS pixels.
const CHART_SIZE: (u32, u32) = (880, 300);

/// Text as HTML: `& < > " '` escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:960px;padding:0 1em;color:#222}\
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}\
figure{margin:1em 0}svg{max-width:100%;height:auto}\
.legend span{margin-right:1.5em}.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em}\
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top;overflow-wrap:anywhere}\
td.n{text-align:right;white-space:nowrap}td.d{white-space:nowrap}.note{color:#a33}";

/// A chart with its heading and legend; `names` name the series, drawn
/// in `colours`, in order.
fn figure(
    o: &mut String,
    heading: &str,
    names: &[&str],
    picture: &Picture<'_>,
) -> Result<(), ChartError> {
    let colours: Vec<String> = match picture {
        Picture::Chart(c) => c.colours.iter().copied().map(chart::hex).collect(),
        Picture::Ranking(_) => vec![chart::hex(chart::BLUE)],
    };
    let _ = write!(
        o,
        "<figure class=\"chart\" data-colours=\"{}\"><h2>{}</h2>",
        colours.join(" "),
        escape(heading)
    );
    if names.len() > 1 {
        o.push_str("<div class=\"legend\">");
        for (name, colour) in names.iter().zip(&colours) {
            let _ = write!(
                o,
                "<span><i style=\"background:{colour}\"></i>{}</span>",
                escape(name)
            );
        }
        o.push_str("</div>");
    }
    o.push_str(&chart::svg(picture, CHART_SIZE)?);
    o.push_str("</figure>\n");
    Ok(())
}

/// The page.
pub fn page(report: &Report, m: &ReportMessages) -> Result<String, ChartError> {
    let mut o = String::with_capacity(64 * 1024);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        escape(&m.title)
    );
    let span = match (report.from, report.to) {
        (Some(a), Some(b)) => m
            .span
            .replace("{from}", &a.to_string())
            .replace("{to}", &b.to_string()),
        _ => m.no_records.clone(),
    };
    let _ = writeln!(o, "<h1>{}</h1><p>{}</p>", escape(&m.title), escape(&span));
    let summary = m
        .summary
        .replace("{questions}", &report.questions.to_string())
        .replace("{answered}", &report.answered.to_string())
        .replace("{did_you_mean}", &report.did_you_mean.to_string())
        .replace(
            "{did_you_mean_rate}",
            &crate::report::percent(report.did_you_mean_rate),
        )
        .replace("{unanswered}", &report.unanswered.to_string())
        .replace(
            "{no_match_rate}",
            &crate::report::percent(report.no_match_rate),
        )
        .replace("{out_of_scope}", &report.out_of_scope.to_string())
        .replace("{up}", &report.votes_up.to_string())
        .replace("{down}", &report.votes_down.to_string());
    let _ = writeln!(o, "<p>{}</p>", escape(&summary));
    for (n, sentence) in [
        (report.skipped, &m.skipped),
        (report.out_of_range, &m.out_of_range),
    ] {
        if n > 0 {
            let _ = writeln!(
                o,
                "<p class=\"note\">{}</p>",
                escape(&sentence.replace("{n}", &n.to_string()))
            );
        }
    }

    let unit = match report.period {
        Period::Day => &m.per_day,
        Period::Week => &m.per_week,
    };
    let heading = |h: &str| h.replace("{unit}", unit);
    if !report.no_match_over_time.is_empty() {
        let [questions, rates, votes] = chart::trends(&report.no_match_over_time);
        figure(
            &mut o,
            &heading(&m.questions_heading),
            &[&m.questions],
            &Picture::Chart(&questions),
        )?;
        figure(
            &mut o,
            &heading(&m.rates_heading),
            &[&m.no_match_rate, &m.did_you_mean_rate],
            &Picture::Chart(&rates),
        )?;
        figure(
            &mut o,
            &heading(&m.votes_heading),
            &[&m.up, &m.down],
            &Picture::Chart(&votes),
        )?;
    }
    if !report.top_programmes.is_empty() {
        let ranking = Ranking {
            labels: report.top_programmes.iter().map(|p| p.id.clone()).collect(),
            values: report
                .top_programmes
                .iter()
                .map(|p| p.first as f64)
                .collect(),
        };
        figure(
            &mut o,
            &m.programmes_heading,
            &[&m.first],
            &Picture::Ranking(&ranking),
        )?;
    }
    programmes(&mut o, report, m);
    unanswered(&mut o, report, m);
    down_voted(&mut o, report, m);
    o.push_str("</body></html>\n");
    Ok(o)
}

/// A table cell: its class (numbers right-aligned, numbers and dates kept
/// on one line) and its HTML, already escaped.
type Cell = (&'static str, String);

/// A table: a heading, its columns, its rows; "none" when there are no rows.
fn table(o: &mut String, heading: Option<&str>, columns: &[&str], rows: &[Vec<Cell>], none: &str) {
    if let Some(h) = heading {
        let _ = write!(o, "<h2>{}</h2>", escape(h));
    }
    if rows.is_empty() {
        let _ = writeln!(o, "<p>{}</p>", escape(none));
        return;
    }
    o.push_str("<table><thead><tr>");
    for c in columns {
        let _ = write!(o, "<th>{}</th>", escape(c));
    }
    o.push_str("</tr></thead><tbody>\n");
    for row in rows {
        o.push_str("<tr>");
        for (class, cell) in row {
            if class.is_empty() {
                let _ = write!(o, "<td>{cell}</td>");
            } else {
                let _ = write!(o, "<td class=\"{class}\">{cell}</td>");
            }
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table>\n");
}

fn num(n: u64) -> Cell {
    ("n", n.to_string())
}

fn date(d: crate::data::Date) -> Cell {
    ("d", d.to_string())
}

fn text(s: &str) -> Cell {
    ("", escape(s))
}

fn html(h: String) -> Cell {
    ("", h)
}

fn programmes(o: &mut String, report: &Report, m: &ReportMessages) {
    let rows: Vec<Vec<Cell>> = report
        .top_programmes
        .iter()
        .map(|p| {
            let what = p.text.as_deref().unwrap_or(&m.measure_gone);
            let place = p
                .place
                .as_deref()
                .map(|pl| format!("<br><small>{}</small>", escape(pl)));
            vec![
                num(p.first),
                num(p.shown),
                html(format!("<code>{}</code>", escape(&p.id))),
                html(format!("{}{}", escape(what), place.unwrap_or_default())),
            ]
        })
        .collect();
    let heading = if report.top_programmes.is_empty() {
        Some(m.programmes_heading.as_str())
    } else {
        None
    };
    table(
        o,
        heading,
        &[&m.first, &m.times_shown, "id", &m.programme],
        &rows,
        &m.none,
    );
}

fn unanswered(o: &mut String, report: &Report, m: &ReportMessages) {
    let rows: Vec<Vec<Cell>> = report
        .unanswered_groups
        .iter()
        .map(|g| {
            let variants: Vec<String> = g
                .variants
                .iter()
                .map(|v| format!("{}（{}）", escape(&v.question), v.count))
                .collect();
            vec![
                num(g.count),
                text(&g.question),
                html(variants.join("<br>")),
                date(g.last),
            ]
        })
        .collect();
    table(
        o,
        Some(&m.unanswered_heading),
        &[&m.count, &m.question, &m.variants, &m.last],
        &rows,
        &m.none,
    );
}

fn down_voted(o: &mut String, report: &Report, m: &ReportMessages) {
    let rows: Vec<Vec<Cell>> = report
        .down_voted
        .iter()
        .map(|d| {
            let shown: Vec<String> = d
                .shown
                .iter()
                .map(|s| {
                    format!(
                        "<code>{}</code> {}",
                        escape(&s.id),
                        escape(s.text.as_deref().unwrap_or(&m.measure_gone))
                    )
                })
                .chain(
                    d.faq
                        .iter()
                        .map(|f| format!("FAQ <code>{}</code>", escape(f))),
                )
                .collect();
            vec![
                num(d.down),
                num(d.up),
                text(d.question.as_deref().unwrap_or(&m.question_gone)),
                html(shown.join("<br>")),
                date(d.last),
            ]
        })
        .collect();
    table(
        o,
        Some(&m.down_voted_heading),
        &[&m.down, &m.up, &m.question, &m.shown, &m.last],
        &rows,
        &m.none,
    );
}

/// A page that could not be put in place.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot write {path}: {cause}; choose a file in a directory that exists and that you may write to"
)]
pub struct WriteError {
    pub path: PathBuf,
    cause: std::io::Error,
}

/// Writes `page` to `path`. A regular file (or a path with nothing yet) is
/// written beside it first, then renamed over it, so a reader never sees half
/// a page and a failure leaves nothing. Anything else (a link, `/dev/stdout`,
/// a device, a pipe) is written through, never replaced.
pub fn write(path: &Path, page: &str) -> Result<(), WriteError> {
    let fail = |cause| WriteError {
        path: path.to_path_buf(),
        cause,
    };
    match path.symlink_metadata() {
        Ok(m) if !m.is_file() => {
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create(m.is_symlink())
                .truncate(m.is_symlink())
                .open(path)
                .map_err(fail)?;
            std::io::Write::write_all(&mut out, page.as_bytes()).map_err(fail)
        }
        _ => crate::files::replace(path, page.as_bytes()).map_err(fail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_or_a_device_is_written_through_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.html");
        std::fs::write(&target, "an older, longer page").unwrap();
        let link = dir.path().join("link.html");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write(&link, "page").unwrap();
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "page");
        // A pipe (as `/dev/stdout` is under `| less`) is written into.
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write(&fifo, "page").unwrap();
        assert_eq!(reader.join().unwrap(), "page");
        let kind = fifo.symlink_metadata().unwrap().file_type();
        assert!(std::os::unix::fs::FileTypeExt::is_fifo(&kind));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("<b>\"&'"), "&lt;b&gt;&quot;&amp;&#39;");
    }

    #[test]
    fn a_directory_that_does_not_exist_is_named_and_nothing_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("report.html");
        let err = write(&path, "x").unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        // A file where a directory should be.
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let under = file.join("report.html");
        assert!(
            write(&under, "x")
                .unwrap_err()
                .to_string()
                .contains("file/report.html")
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "only the file made by the test");
        let good = dir.path().join("report.html");
        write(&good, "page").unwrap();
        assert_eq!(std::fs::read_to_string(&good).unwrap(), "page");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
