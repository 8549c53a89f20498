//! Scoring a question file: hit@1, hit@k and MRR per group, and the misses.
//!
//! The file is TSV with a header: `question`, `expected` (comma-separated id
//! patterns where `*` matches any run of characters, or `-` for a question
//! that must be declined), `group`. A question is a hit at k when one of the
//! first k distinct measure ids returned matches a pattern.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::{Engine, EngineError};
use crate::search::Decision;

/// One line of a question file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    pub line: usize,
    pub text: String,
    /// Empty for a question that must be declined.
    pub expected: Vec<String>,
    pub group: String,
}

/// A malformed question file.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Parses a question file (the header line is required).
pub fn parse(text: &str) -> Result<Vec<Question>, ParseError> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, l)| l).unwrap_or_default();
    let cols: Vec<&str> = header.split('\t').map(str::trim).collect();
    let pos = |name: &str| {
        cols.iter().position(|c| *c == name).ok_or(ParseError {
            line: 1,
            message: format!(
                "the header has no `{name}` column; expected question<TAB>expected<TAB>group"
            ),
        })
    };
    let (qi, ei, gi) = (pos("question")?, pos("expected")?, pos("group")?);
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let get = |idx: usize| fields.get(idx).map(|s| s.trim()).unwrap_or("");
        if fields.len() < cols.len() {
            return Err(ParseError {
                line: i + 1,
                message: format!(
                    "expected {} tab-separated fields, found {}",
                    cols.len(),
                    fields.len()
                ),
            });
        }
        let expected = get(ei);
        out.push(Question {
            line: i + 1,
            text: get(qi).to_string(),
            expected: if expected == "-" {
                Vec::new()
            } else {
                expected
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            },
            group: get(gi).to_string(),
        });
    }
    Ok(out)
}

/// Which questions of a file to score: all, or one of two parts chosen by a
/// fixed hash of each question's text (not by reading them), so a quarter
/// can be kept unseen while the method is tuned on the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    #[default]
    All,
    /// The three quarters to tune on.
    Seen,
    /// The quarter kept unseen: its misses are looked at only at the end.
    Unseen,
}

impl Part {
    /// Whether `question` is in this part: unseen when the first byte of
    /// the BLAKE3 hash of its text is a multiple of four.
    pub fn holds(self, question: &Question) -> bool {
        let unseen = blake3::hash(question.text.as_bytes()).as_bytes()[0].is_multiple_of(4);
        match self {
            Part::All => true,
            Part::Seen => !unseen,
            Part::Unseen => unseen,
        }
    }
}

/// Whether `id` matches `pattern`, where `*` matches any run of characters.
pub fn matches(pattern: &str, id: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == id;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !id.starts_with(first) || id.len() < first.len() + last.len() || !id.ends_with(last) {
        return false;
    }
    let mut rest = &id[first.len()..id.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(p) => rest = &rest[p + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Scores of one group.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupScore {
    pub group: String,
    pub questions: usize,
    pub hit_at_1: f64,
    pub hit_at_k: f64,
    pub mrr: f64,
    /// Share of questions declined (the target for questions that must be).
    pub declined: f64,
    /// Share answered as 「もしかして」 (did you mean…).
    pub did_you_mean: f64,
    /// Share declined as a topic the plan does not cover.
    pub out_of_scope: f64,
}

/// A question that did not come out as expected.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub line: usize,
    pub group: String,
    pub question: String,
    pub expected: Vec<String>,
    /// First measure ids returned (empty when declined).
    pub got: Vec<String>,
    pub confidence: f32,
    /// 1-based rank of the first match, if any.
    pub rank: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub k: usize,
    pub groups: Vec<GroupScore>,
    pub misses: Vec<Miss>,
}

impl Report {
    /// The report as `madoguchi eval` prints it: one row of scores per
    /// group under a header, then each miss with what was expected and got.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{:<10} {:>4} {:>7} {:>7} {:>7} {:>9} {:>11} {:>9}\n",
            "group",
            "n",
            "hit@1",
            format!("hit@{}", self.k),
            "MRR",
            "declined",
            "もしかして",
            "no-scope"
        );
        for g in &self.groups {
            out.push_str(&format!(
                "{:<10} {:>4} {:>7.3} {:>7.3} {:>7.3} {:>9.3} {:>11.3} {:>9.3}\n",
                g.group,
                g.questions,
                g.hit_at_1,
                g.hit_at_k,
                g.mrr,
                g.declined,
                g.did_you_mean,
                g.out_of_scope
            ));
        }
        if !self.misses.is_empty() {
            out.push_str("\nmisses (not first, or not declined as expected):\n");
        }
        for m in &self.misses {
            out.push_str(&m.to_text());
        }
        out
    }
}

impl Miss {
    /// Two lines: where the question is, then what was expected and got.
    fn to_text(&self) -> String {
        let expected = if self.expected.is_empty() {
            "decline".to_string()
        } else {
            self.expected.join(",")
        };
        let got = if self.got.is_empty() {
            "(declined)".to_string()
        } else {
            self.got.join(",")
        };
        format!(
            "  line {} [{}] {}\n    expected {expected}  got {got}  rank {}  confidence {:.2}\n",
            self.line,
            self.group,
            self.question,
            self.rank.map_or("-".to_string(), |r| r.to_string()),
            self.confidence
        )
    }
}

/// Runs every question through the engine.
pub fn evaluate(engine: &Engine, questions: &[Question], k: usize) -> Result<Report, EngineError> {
    #[derive(Default)]
    struct Acc {
        n: usize,
        h1: usize,
        hk: usize,
        rr: f64,
        declined: usize,
        did_you_mean: usize,
        out_of_scope: usize,
    }
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    let mut misses = Vec::new();
    for q in questions {
        let outcome = engine.search(&q.text)?;
        let a = acc.entry(q.group.clone()).or_default();
        a.n += 1;
        if !outcome.answered {
            a.declined += 1;
        }
        a.did_you_mean += usize::from(outcome.decision == Decision::DidYouMean);
        a.out_of_scope += usize::from(outcome.decision == Decision::OutOfScope);
        let must_decline = q.expected.is_empty();
        let rank = outcome
            .measures
            .iter()
            .position(|id| q.expected.iter().any(|p| matches(p, id)))
            .map(|p| p + 1);
        let ok = if must_decline {
            a.h1 += usize::from(!outcome.answered);
            a.hk += usize::from(!outcome.answered);
            a.rr += f64::from(u8::from(!outcome.answered));
            !outcome.answered
        } else {
            if let Some(r) = rank {
                a.h1 += usize::from(r == 1);
                a.hk += usize::from(r <= k);
                a.rr += 1.0 / r as f64;
            }
            rank.is_some_and(|r| r == 1)
        };
        if !ok {
            misses.push(Miss {
                line: q.line,
                group: q.group.clone(),
                question: q.text.clone(),
                expected: q.expected.clone(),
                got: outcome.measures.iter().take(k.max(3)).cloned().collect(),
                confidence: outcome.confidence,
                rank,
            });
        }
    }
    let groups = acc
        .into_iter()
        .map(|(group, a)| {
            let n = a.n.max(1) as f64;
            GroupScore {
                group,
                questions: a.n,
                hit_at_1: a.h1 as f64 / n,
                hit_at_k: a.hk as f64 / n,
                mrr: a.rr / n,
                declined: a.declined as f64 / n,
                did_you_mean: a.did_you_mean as f64 / n,
                out_of_scope: a.out_of_scope as f64 / n,
            }
        })
        .collect();
    Ok(Report { k, groups, misses })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unseen_part_is_a_fixed_quarter_and_the_parts_split_the_file() {
        let questions: Vec<Question> = (0..400)
            .map(|i| Question {
                line: i + 2,
                text: format!("質問{i}"),
                expected: Vec::new(),
                group: "core".into(),
            })
            .collect();
        let unseen = questions.iter().filter(|q| Part::Unseen.holds(q)).count();
        let seen = questions.iter().filter(|q| Part::Seen.holds(q)).count();
        assert_eq!(unseen + seen, 400);
        assert!((70..130).contains(&unseen), "{unseen}");
        assert!(questions.iter().all(|q| Part::All.holds(q)));
    }

    #[test]
    fn glob_patterns() {
        assert!(matches("3.*", "3.cci.a"));
        assert!(!matches("3.*", "13.cci.a"));
        assert!(matches("2.tokyo.b.3", "2.tokyo.b.3"));
        assert!(!matches("2.tokyo.b", "2.tokyo.b.3"));
        assert!(matches("*.cci.*", "6.cci.a.1"));
        assert!(!matches("*.cci.*", "6.tokyo.a.1"));
        assert!(matches("6.*.a.*", "6.tokyo.a.1"));
    }

    #[test]
    fn parses_the_question_format() {
        let qs =
            parse("question\texpected\tgroup\nA\t1.tokyo.a,2.*\tcore\n\nB\t-\tnegative\n").unwrap();
        assert_eq!(qs.len(), 2);
        assert_eq!(qs[0].expected, vec!["1.tokyo.a", "2.*"]);
        assert_eq!(qs[1].line, 4);
        assert!(qs[1].expected.is_empty());
    }

    #[test]
    fn the_report_prints_one_row_per_group_then_the_misses() {
        let score = |group: &str, questions, hit| GroupScore {
            group: group.to_string(),
            questions,
            hit_at_1: hit,
            hit_at_k: 1.0,
            mrr: 0.75,
            declined: 0.0,
            did_you_mean: 0.125,
            out_of_scope: 0.0,
        };
        let mut report = Report {
            k: 5,
            groups: vec![score("core", 8, 0.5), score("negative", 2, 1.0)],
            misses: vec![],
        };
        let rows = report.to_text();
        let lines: Vec<&str> = rows.lines().collect();
        assert_eq!(lines.len(), 3, "{rows}");
        assert!(lines[0].starts_with("group") && lines[0].contains("hit@5"));
        assert_eq!(
            lines[1],
            "core          8   0.500   1.000   0.750     0.000       0.125     0.000"
        );
        assert!(!rows.contains("misses"));

        report.misses = vec![
            Miss {
                line: 4,
                group: "core".into(),
                question: "テレワークの補助".into(),
                expected: vec!["2.tokyo.b.3".into(), "2.*".into()],
                got: vec!["1.tokyo.a".into()],
                confidence: 0.4,
                rank: None,
            },
            Miss {
                line: 9,
                group: "negative".into(),
                question: "天気".into(),
                expected: vec![],
                got: vec![],
                confidence: 0.0,
                rank: Some(2),
            },
        ];
        let text = report.to_text();
        assert!(text.starts_with(&rows), "{text}");
        assert!(text.contains(
            "\nmisses (not first, or not declined as expected):\n  line 4 [core] テレワークの補助\n    expected 2.tokyo.b.3,2.*  got 1.tokyo.a  rank -  confidence 0.40\n"
        ), "{text}");
        assert!(text.ends_with(
            "  line 9 [negative] 天気\n    expected decline  got (declined)  rank 2  confidence 0.00\n"
        ), "{text}");
    }

    #[test]
    fn rejects_a_file_without_the_header() {
        let err = parse("q\te\n").unwrap_err();
        assert_eq!(err.line, 1);
        let err = parse("question\texpected\tgroup\nonly-one-field\n").unwrap_err();
        assert_eq!(err.line, 2);
    }
}
