//! Topics the plan does not cover, recognised in a question.
//!
//! A question about another prefecture's subsidy or a national programme
//! shares words with the plan (テレワーク, 補助金) and would score well; it
//! must be declined with the topic's referral instead. Triggers
//! (`data/scope.toml`) are matched in the folded question (kana as katakana,
//! punctuation and spaces ignored, like synonym triggers); a trigger found
//! inside one of the topic's `except` words (京都 in 東京都) does not count.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::data::ScopeTopic;
use crate::kana::fold;

/// The compiled triggers of every topic.
pub struct Scope {
    triggers: AhoCorasick,
    /// Per trigger: its topic.
    topic_of: Vec<usize>,
    /// Per topic: its `except` words, folded.
    except: Vec<Vec<String>>,
    ids: Vec<String>,
}

impl Scope {
    pub fn new(topics: &[ScopeTopic]) -> Scope {
        let mut patterns = Vec::new();
        let mut topic_of = Vec::new();
        for (i, t) in topics.iter().enumerate() {
            for trigger in &t.triggers {
                let f = fold(&trigger.to_lowercase());
                if !f.is_empty() {
                    patterns.push(f);
                    topic_of.push(i);
                }
            }
        }
        let triggers = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .unwrap_or_else(|_| AhoCorasick::new(Vec::<String>::new()).expect("empty automaton"));
        Scope {
            triggers,
            topic_of,
            except: topics
                .iter()
                .map(|t| t.except.iter().map(|e| fold(&e.to_lowercase())).collect())
                .collect(),
            ids: topics.iter().map(|t| t.id.clone()).collect(),
        }
    }

    /// The id of the first topic the text is about, if any.
    pub fn topic(&self, text: &str) -> Option<&str> {
        let folded = fold(&text.to_lowercase());
        for m in self.triggers.find_iter(&folded) {
            let topic = self.topic_of[m.pattern().as_usize()];
            let inside_exception = self.except[topic].iter().any(|e| {
                folded
                    .match_indices(e.as_str())
                    .any(|(s, _)| s <= m.start() && m.end() <= s + e.len())
            });
            if !inside_exception {
                return Some(&self.ids[topic]);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new(&[ScopeTopic {
            id: "other-region".into(),
            name: "東京都以外".into(),
            triggers: vec!["京都".into(), "神奈川県".into(), "IT導入補助金".into()],
            except: vec!["東京都".into()],
            referral: "x".into(),
            line: 1,
        }])
    }

    #[test]
    fn triggers_are_found_folded() {
        assert_eq!(
            scope().topic("神奈川県のテレワーク補助金"),
            Some("other-region")
        );
        assert_eq!(scope().topic("it 導入補助金は？"), Some("other-region"));
        assert_eq!(scope().topic("京都のテレワーク"), Some("other-region"));
    }

    #[test]
    fn a_trigger_inside_an_exception_does_not_count() {
        assert_eq!(scope().topic("東京都のテレワーク補助金"), None);
        assert_eq!(scope().topic("東京都と京都の違い"), Some("other-region"));
    }
}
