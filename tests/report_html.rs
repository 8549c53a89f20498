//! `madoguchi report --html` opened in a real browser: four weeks of records
//! (some with markup in the question) are written through the bot's
//! records, the report is made by the binary, and headless Chromium loads
//! it twice — once with a small script put around a copy of the page that
//! catches every error and counts the marks each chart drew (read back with
//! `--dump-dom`), once to take a screenshot. With `MADOGUCHI_SCREENSHOT`
//! set, the screenshot is also copied there (README's `docs/report.png` is
//! made so). Needs Debian's `chromium` (`.ci/run` installs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use madoguchi::records::{Location, Options, QuestionRecord, Records, Source, Vote};
use madoguchi::search::Decision;
use serde_json::Value;
use testkit::{madoguchi, run};

const DAY: u64 = 86_400;
const DAYS: u64 = 28;
const HOSTILE: &str = "</td></table><script>document.title='pwned'</script><img src=x onerror=\"console.error('escaped?')\">の補助";

const ASKED: [(&str, &[&str], Decision); 6] = [
    (
        "テレワークの機器を買うのに補助はありますか",
        &["2.tokyo.b.3", "2.tokyo.a"],
        Decision::Answer,
    ),
    ("育児休業の取得を進めたい", &["5.tokyo.b"], Decision::Answer),
    ("人手不足で困っている", &["6.tokyo.a"], Decision::DidYouMean),
    (
        "外国人社員の日本語教育の費用を助成してほしい",
        &["6.tokyo.e"],
        Decision::Answer,
    ),
    ("カピバラを飼う補助はありますか", &[], Decision::Decline),
    ("明日の天気を教えて", &[], Decision::OutOfScope),
];

/// 10:00 in Japan, `DAYS - 1` days ago: the votes, stamped now, fall on
/// the last day of the questions.
fn start() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let today_in_japan = (now + 9 * 3600) / DAY;
    (today_in_japan - (DAYS - 1)) * DAY + 3600
}

/// Four weeks of questions: fewer unanswered as weeks go by, votes on some.
fn records(state: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(write_records(state));
}

async fn write_records(state: &Path) {
    let r = Records::open(state, &Location::in_state(state), &Options::default())
        .await
        .unwrap();
    let start = start();
    let mut rng = fastrand::Rng::with_seed(7);
    let mut answer = 0;
    for day in 0..DAYS {
        let n = 20 + rng.u64(0..15) + day;
        for i in 0..n {
            answer += 1;
            // Unanswered questions become rarer week by week.
            let pick = if rng.u64(0..100) < 40 - day {
                4 + rng.usize(0..2)
            } else {
                rng.usize(0..4)
            };
            // One unanswered question with markup in it.
            let hostile = day == 3 && i == 0;
            let (q, shown, decision) = ASKED[if hostile { 4 } else { pick }];
            let query = if hostile {
                HOSTILE.to_string()
            } else {
                q.to_string()
            };
            let answered = !shown.is_empty();
            r.question(&QuestionRecord {
                ts: start + day * DAY + i * 60,
                answer,
                source: Source::Slash,
                query,
                answered,
                sure: decision == Decision::Answer,
                decision: Some(decision),
                confidence: if answered { 0.8 } else { 0.1 },
                shown: shown.iter().map(|s| s.to_string()).collect(),
                faq: None,
                guild: None,
            });
            if answered && rng.u64(0..10) < 3 {
                let vote = if rng.u64(0..4) == 0 {
                    Vote::Down
                } else {
                    Vote::Up
                };
                r.vote(answer, vote, None, answer);
            }
        }
    }
    assert_eq!(
        r.close(Duration::from_secs(60)).await,
        0,
        "every record written"
    );
}

/// Runs `cmd` to the end within a minute: its stdout and stderr.
fn within_a_minute(cmd: &mut Command) -> (String, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium runs: install Debian's chromium (.ci/run does)");
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "chromium failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn chromium(profile: &Path) -> Command {
    let mut c = Command::new("chromium");
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// Catches every error before the page's own content runs.
const CATCH: &str = "<script>window.__errors=[];addEventListener('error',e=>__errors.push(String(e.message||e.type)),true);\
const __ce=console.error;console.error=(...a)=>{__errors.push(a.join(' '));__ce(...a)};</script>";

/// After the page: how many marks in its series colours each chart drew
/// (shapes with an area, lines with a length), and the errors caught.
const VERDICT: &str = "<script>const __charts=[...document.querySelectorAll('figure.chart')].map(f=>{\
const colours=f.dataset.colours.split(' ');const svg=f.querySelector('svg');let marks=0;\
const box=svg?svg.getBoundingClientRect():{width:0,height:0};\
if(svg){for(const el of svg.querySelectorAll('rect,polyline,circle,path,line,polygon')){\
const paint=((el.getAttribute('fill')||'')+' '+(el.getAttribute('stroke')||'')).toLowerCase();\
if(colours.some(c=>paint.includes(c))){const b=el.getBBox();\
const drawn=['polyline','line','path'].includes(el.tagName)?(b.width>0||b.height>0):(b.width>0&&b.height>0);if(drawn)marks++;}}}\
return {heading:f.querySelector('h2').textContent,marks,width:box.width,height:box.height};});\
const __v=document.createElement('pre');__v.id='verdict';\
__v.textContent=JSON.stringify({errors:__errors,title:document.title,charts:__charts});document.body.appendChild(__v);</script>";

#[test]
fn the_html_report_draws_every_chart_in_a_browser_without_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    records(&state);
    let data = testkit::repo().join("data");
    let page = tmp.path().join("report.html");
    let (out, _, stderr) = run(madoguchi(&data, &tmp.path().join("index"))
        .args(["report", "--by", "day", "--state"])
        .arg(&state)
        .arg("--html")
        .arg(&page));
    assert!(out.status.success(), "{stderr}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.len() < 2 * 1024 * 1024);
    // Self-contained: nothing to fetch, no script of its own.
    for outside in [
        "src=\"http",
        "href=\"http",
        "<link",
        "<script",
        "@import",
        "url(",
    ] {
        assert!(
            !html.contains(outside),
            "the page refers outside: {outside}"
        );
    }
    assert!(
        html.contains("&lt;/td&gt;&lt;/table&gt;&lt;script&gt;"),
        "the question is escaped: {}",
        &html[html.find("<h2>").unwrap_or(0)..]
    );

    // The page with the catching script before and the verdict after.
    let probe = tmp.path().join("probe.html");
    let probed = html
        .replacen("<head>", &format!("<head>{CATCH}"), 1)
        .replacen("</body>", &format!("{VERDICT}</body>"), 1);
    std::fs::write(&probe, probed).unwrap();
    let profile = tmp.path().join("profile");
    let (dom, _) = within_a_minute(
        chromium(&profile)
            .args(["--virtual-time-budget=5000", "--dump-dom"])
            .arg(format!("file://{}", probe.display())),
    );
    let verdict = dom
        .split("<pre id=\"verdict\">")
        .nth(1)
        .and_then(|v| v.split("</pre>").next())
        .unwrap_or_else(|| panic!("no verdict in the page: {dom}"));
    let verdict: Value = serde_json::from_str(
        &verdict
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
    .unwrap();
    assert_eq!(verdict["errors"], serde_json::json!([]), "{verdict}");
    assert_ne!(verdict["title"], "pwned", "markup in a question ran");
    let charts = verdict["charts"].as_array().unwrap();
    assert_eq!(
        charts.len(),
        4,
        "questions, rates, votes, programmes: {verdict}"
    );
    for c in charts {
        assert!(c["width"].as_f64().unwrap() > 100.0, "{c}");
        assert!(c["height"].as_f64().unwrap() > 50.0, "{c}");
    }
    let marks: Vec<u64> = charts
        .iter()
        .map(|c| c["marks"].as_u64().unwrap())
        .collect();
    // A bar a day; two lines with a dot a day; up and down bars on the day
    // of the votes; a bar per programme shown first.
    assert_eq!(marks[0], DAYS, "{verdict}");
    assert_eq!(marks[1], 2 + 2 * DAYS, "{verdict}");
    assert!(marks[2] >= 1, "{verdict}");
    assert_eq!(marks[3], 4, "{verdict}");
    assert!(dom.contains("カピバラを飼う補助はありますか"));

    // The screenshot.
    let shot = tmp.path().join("report.png");
    within_a_minute(
        chromium(&profile)
            .arg(format!("--screenshot={}", shot.display()))
            .arg("--window-size=1000,2600")
            .arg(format!("file://{}", page.display())),
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    if let Some(to) = std::env::var_os("MADOGUCHI_SCREENSHOT") {
        std::fs::copy(&shot, PathBuf::from(to)).unwrap();
    }
}

#[test]
fn an_html_report_that_cannot_be_written_names_the_path_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    records(&state);
    let data = testkit::repo().join("data");
    let page = tmp.path().join("no-such-dir").join("report.html");
    let (out, _, stderr) = run(madoguchi(&data, &tmp.path().join("index"))
        .args(["report", "--state"])
        .arg(&state)
        .arg("--html")
        .arg(&page));
    assert!(!out.status.success());
    assert!(stderr.contains(&page.display().to_string()), "{stderr}");
    assert!(!tmp.path().join("no-such-dir").exists());
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("report"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
