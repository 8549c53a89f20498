//! Reading a plan in the text format of the agreed implementation plan
//! (numbered areas, （内容） aims, 都の取組 / 東京商工会議所の取組, items ア…カ with
//! ・ bullets, parenthesised channels on a line of their own) into areas and
//! measures with ids in the documented scheme, and writing them as a
//! `plan.toml` that [`crate::data`] reads.
//!
//! The text comes from PDFs and word processors, so spacing is forgiving:
//! ASCII and full-width parentheses are both accepted (and written
//! full-width), `-` bullets and indentation are optional, and letters spaced
//! out one by one (`E X P O`) are joined.

use std::fmt::Write as _;

use crate::data::{Actor, Date, MeasureId};

/// An area read from the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedArea {
    pub number: u32,
    pub title: String,
    pub aims: Vec<String>,
}

/// A measure read from the text, with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedMeasure {
    pub id: MeasureId,
    pub area: u32,
    pub actor: Actor,
    pub label: String,
    pub text: String,
}

/// A whole plan read from the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedPlan {
    pub title: String,
    /// e.g. `令和5年度（2023年度）`
    pub year: String,
    /// The date of 「…から実施」, if the text gives one.
    pub start: Option<Date>,
    pub areas: Vec<ImportedArea>,
    pub measures: Vec<ImportedMeasure>,
}

/// Something in the text that does not fit the format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ImportError {
    pub line: usize,
    pub message: String,
}

const ITEM_LABELS: [char; 12] = [
    'ア', 'イ', 'ウ', 'エ', 'オ', 'カ', 'キ', 'ク', 'ケ', 'コ', 'サ', 'シ',
];
const ITEM_LETTERS: [char; 12] = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'];

#[derive(PartialEq)]
enum Section {
    Preamble,
    Aims,
    Measures(Actor),
}

/// Parses the plan text.
pub fn parse(text: &str) -> Result<ImportedPlan, ImportError> {
    let mut title = String::new();
    let mut year = String::new();
    let mut start = None;
    let mut areas: Vec<ImportedArea> = Vec::new();
    let mut measures: Vec<ImportedMeasure> = Vec::new();
    let mut section = Section::Preamble;
    // (index into measures of the current item, bullets so far)
    let mut item: Option<(usize, u32)> = None;

    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = tidy(raw);
        if line.is_empty() {
            continue;
        }
        let err = |message: String| ImportError {
            line: lineno,
            message,
        };
        if title.is_empty() {
            title = line.clone();
            continue;
        }
        if year.is_empty()
            && let Some(y) = find_year(&line)
        {
            year = y;
        }
        if line.contains("から実施") {
            if let Some(d) = find_start(&line) {
                start = Some(d);
            }
            continue;
        }
        let bare = strip_bullet(&line);
        // An area heading: a number, a space, a title.
        if let Some((n, rest)) = area_heading(&line) {
            if areas.last().is_some_and(|a| a.number >= n) {
                return Err(err(format!(
                    "area {n} comes after area {}; areas must be numbered in order",
                    areas.last().map_or(0, |a| a.number)
                )));
            }
            areas.push(ImportedArea {
                number: n,
                title: rest,
                aims: Vec::new(),
            });
            section = Section::Preamble;
            item = None;
            continue;
        }
        let Some(area) = areas.last_mut() else {
            continue; // preamble before the first area
        };
        if bare == "（内容）" {
            section = Section::Aims;
            continue;
        }
        if bare == "都の取組" {
            section = Section::Measures(Actor::Tokyo);
            item = None;
            continue;
        }
        if bare == "東京商工会議所の取組" {
            section = Section::Measures(Actor::Chamber);
            item = None;
            continue;
        }
        match section {
            Section::Preamble => {}
            Section::Aims => area.aims.push(bare.to_string()),
            Section::Measures(actor) => {
                measure_line(&mut measures, &mut item, area.number, actor, bare).map_err(err)?;
            }
        }
    }
    if areas.is_empty() {
        return Err(ImportError {
            line: 1,
            message: "no numbered areas found (a line such as `1 「働き方改革」の取組の推進`)"
                .into(),
        });
    }
    Ok(ImportedPlan {
        title,
        year,
        start,
        areas,
        measures,
    })
}

/// One line of an actor's measures: an item (ア text), a ・ bullet of the
/// item before, or a parenthesised continuation of the line before.
/// `item` is the current item (its index in `measures`, bullets so far).
fn measure_line(
    measures: &mut Vec<ImportedMeasure>,
    item: &mut Option<(usize, u32)>,
    area: u32,
    actor: Actor,
    bare: &str,
) -> Result<(), String> {
    if let Some(text) = bare.strip_prefix('・') {
        let Some((idx, bullets)) = item.as_mut() else {
            return Err("a ・ bullet before any item (ア, イ, …)".into());
        };
        *bullets += 1;
        let parent = &measures[*idx];
        let bullet = ImportedMeasure {
            id: parent.id.bullet_of(*bullets),
            area,
            actor,
            label: format!("{}・{bullets}", parent.label),
            text: text.trim().to_string(),
        };
        measures.push(bullet);
    } else if let Some((label, letter, text)) = item_line(bare) {
        let Some(id) = MeasureId::item_of(area, actor, letter) else {
            return Err(format!("item {label} has no id letter"));
        };
        measures.push(ImportedMeasure {
            id,
            area,
            actor,
            label: label.to_string(),
            text: text.to_string(),
        });
        *item = Some((measures.len() - 1, 0));
    } else if bare.starts_with('（') && bare.ends_with('）') {
        // Channels in parentheses continue the line before.
        let Some(last) = measures.last_mut() else {
            return Err("a parenthesised line before any item".into());
        };
        last.text.push_str(bare);
    } else {
        return Err(format!(
            "cannot place `{bare}`: expected an item (ア …), a ・ bullet, or a parenthesised \
             continuation"
        ));
    }
    Ok(())
}

/// Parentheses made full-width, letters spaced one by one joined, runs of
/// spaces collapsed, ends trimmed.
fn tidy(raw: &str) -> String {
    let s: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            '(' => '（',
            ')' => '）',
            '\u{3000}' | '\t' => ' ',
            c => c,
        })
        .collect();
    // Collapse spaces, and drop the space after a closing parenthesis that
    // opens an aim, e.g. `（1） text`.
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars.get(i + 1).copied();
            let spaced_letters = prev.is_some_and(|p| p.is_ascii_uppercase())
                && next.is_some_and(|n| n.is_ascii_uppercase())
                && (i < 2 || chars[i - 2] == ' ' || !chars[i - 2].is_ascii_alphabetic())
                && chars.get(i + 2).is_none_or(|n| !n.is_ascii_alphabetic());
            if prev == Some(' ') || prev == Some('）') && is_aim_number(&out) || spaced_letters {
                continue;
            }
        }
        out.push(c);
    }
    out.trim().to_string()
}

/// Whether `s` ends in an aim number such as `（1）`.
fn is_aim_number(s: &str) -> bool {
    let Some(body) = s.strip_suffix('）') else {
        return false;
    };
    let Some(open) = body.rfind('（') else {
        return false;
    };
    let digits = &body[open + '（'.len_utf8()..];
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

fn strip_bullet(line: &str) -> &str {
    line.trim_start_matches(['-', '－', '‐', ' '])
}

fn area_heading(line: &str) -> Option<(u32, String)> {
    let digits: String = line.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        return None;
    }
    let rest = &line[digits.len()..];
    let rest = rest.strip_prefix(' ')?;
    let n: u32 = digits.parse().ok()?;
    // A sentence that merely starts with a number (a year, a date) is not a heading.
    if rest.starts_with(['年', '月', '日']) || rest.is_empty() {
        return None;
    }
    Some((n, rest.trim().to_string()))
}

/// An item line `ア text`: its label, the label's letter in ids (ア → a,
/// イ → b, …) and its text.
fn item_line(line: &str) -> Option<(char, char, &str)> {
    let mut chars = line.chars();
    let label = chars.next()?;
    let letter = ITEM_LABELS
        .iter()
        .zip(ITEM_LETTERS)
        .find_map(|(&l, letter)| (l == label).then_some(letter))?;
    let text = chars.as_str().strip_prefix(' ')?;
    Some((label, letter, text.trim()))
}

/// `令和 5 年度（2023 年度）` → `令和5年度（2023年度）`.
fn find_year(line: &str) -> Option<String> {
    let compact: String = line.chars().filter(|c| *c != ' ').collect();
    let start = compact.find("令和")?;
    let rest = &compact[start..];
    let end = rest
        .find("年度）")
        .map(|e| e + "年度）".len())
        .or_else(|| rest.find("年度").map(|e| e + "年度".len()))?;
    Some(rest[..end].to_string())
}

/// `令和5年（2023年）4月1日から実施する` → 2023-04-01; `None` when it names
/// no date that exists.
fn find_start(line: &str) -> Option<Date> {
    let compact: String = line.chars().filter(|c| *c != ' ').collect();
    let numbers: Vec<u32> = compact
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    let year = numbers.iter().copied().find(|&n| n > 1900)?;
    let after: Vec<u32> = numbers
        .iter()
        .copied()
        .skip_while(|&n| n != year)
        .skip(1)
        .collect();
    let (month, day) = (*after.first()?, *after.get(1)?);
    Date::new(i32::try_from(year).ok()?, month, day)
}

/// Short everyday names for areas, taken from the title: the part in 「」
/// or before の推進 / の取組.
fn short_name(title: &str) -> String {
    if let (Some(a), Some(b)) = (title.find('「'), title.find('」'))
        && a < b
    {
        return title[a + '「'.len_utf8()..b].to_string();
    }
    let cut = title
        .find("の推進")
        .or_else(|| title.find('（'))
        .unwrap_or(title.len());
    let short = &title[..cut];
    if short.is_empty() { title } else { short }.to_string()
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The plan as a `plan.toml`.
pub fn to_toml(plan: &ImportedPlan, parties: &[&str]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported by `madoguchi import-plan`. Measure ids are part of the product's\n\
         # interface: <area>.<tokyo|cci>.<item a… = ア…>[.<bullet from 1>].\n"
    );
    let _ = writeln!(out, "[plan]");
    let _ = writeln!(out, "title = {}", quote(&plan.title));
    let _ = writeln!(out, "year = {}", quote(&plan.year));
    let start = plan.start.map(|d| d.to_string()).unwrap_or_default();
    let _ = writeln!(out, "start = {}", quote(&start));
    let parties: Vec<String> = parties.iter().map(|p| quote(p)).collect();
    let _ = writeln!(out, "parties = [{}]\n", parties.join(", "));
    for a in &plan.areas {
        let _ = writeln!(out, "[[area]]");
        let _ = writeln!(out, "number = {}", a.number);
        let _ = writeln!(out, "title = {}", quote(&a.title));
        let _ = writeln!(out, "short = {}", quote(&short_name(&a.title)));
        let _ = writeln!(out, "aims = [");
        for aim in &a.aims {
            let _ = writeln!(out, "  {},", quote(aim));
        }
        let _ = writeln!(out, "]\n");
    }
    for m in &plan.measures {
        let _ = writeln!(out, "[[measure]]");
        let _ = writeln!(out, "id = {}", quote(m.id.as_str()));
        let _ = writeln!(out, "area = {}", m.area);
        let _ = writeln!(out, "actor = {}", quote(m.actor.as_str()));
        let _ = writeln!(out, "label = {}", quote(&m.label));
        let _ = writeln!(out, "text = {}\n", quote(&m.text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_letters_are_joined_but_words_keep_their_spaces() {
        assert_eq!(tidy("やE X P Oを活用"), "やEXPOを活用");
        assert_eq!(tidy("時差 Biz、物流"), "時差 Biz、物流");
        assert_eq!(
            tidy("TOKYO テレワーク推進デスク"),
            "TOKYO テレワーク推進デスク"
        );
        assert_eq!(tidy("- (1) スムーズビズ"), "- （1）スムーズビズ");
    }

    #[test]
    fn dates_and_years() {
        assert_eq!(
            find_year("次のとおり、令和 5 年度（2023 年度）において").as_deref(),
            Some("令和5年度（2023年度）")
        );
        assert_eq!(
            find_start("本実施計画は、令和5年（2023年）4月1日から実施する。")
                .map(|d| d.to_string())
                .as_deref(),
            Some("2023-04-01")
        );
        assert_eq!(find_start("2023年2月30日から実施する"), None);
    }

    #[test]
    fn items_bullets_and_continuations() {
        let text = "計画\n\n1 テストの推進\n\n(内容)\n\n- (1) 目的\n\n都の取組\n\n- ア 項目\n - ・小項目一\n\n- ・小項目二\n- イ 次\n\n東京商工会議所の取組\n\n- ア 周知\n(メールマガジン、東商新聞)\n";
        let p = parse(text).unwrap();
        assert_eq!(p.areas[0].aims, vec!["（1）目的"]);
        let ids: Vec<&str> = p.measures.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "1.tokyo.a",
                "1.tokyo.a.1",
                "1.tokyo.a.2",
                "1.tokyo.b",
                "1.cci.a"
            ]
        );
        assert_eq!(p.measures[2].label, "ア・2");
        assert_eq!(p.measures[4].text, "周知（メールマガジン、東商新聞）");
    }

    #[test]
    fn a_stray_line_names_its_line_number() {
        let err = parse("計画\n1 テスト\n都の取組\n- ア 項目\nなにか\n").unwrap_err();
        assert_eq!(err.line, 5);
    }

    #[test]
    fn short_names() {
        assert_eq!(short_name("「働き方改革」の取組の推進"), "働き方改革");
        assert_eq!(short_name("テレワークの推進"), "テレワーク");
        assert_eq!(short_name("女性の活躍推進"), "女性の活躍推進");
    }
}
