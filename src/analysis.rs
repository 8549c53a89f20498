//! Japanese analysis: one chain for indexing and for questions.
//!
//! normalise (NFKC, lowercase, kana iteration marks, control and format
//! characters to spaces, `-` after katakana to `ー`) → lindera segmentation
//! (IPADIC + the staff's user dictionary) → base form → katakana long-vowel
//! stem → lowercase → stop tags and stop words. Each kept token gives a
//! *term* (its stemmed base form) and a *reading* (katakana). Character
//! bigrams of the normalised text serve words the dictionary does not know.
//!
//! Synonyms are applied to questions only ([`Analyzer::question`]): a group
//! member or a rule's trigger found in the question adds the other members
//! (or the rule's words) as alternatives of the same *concept*, so that a
//! question is scored by how many of its concepts a document covers, whatever
//! words it used for them. An alternative is a phrase: 在宅勤務 is found only
//! where both 在宅 and 勤務 are.
//!
//! Changing anything here that alters terms must bump [`ANALYSIS_VERSION`]:
//! the index is rebuilt when it changes.

use crate::kana::{fold, fold_with_map, is_hiragana, is_katakana, to_hiragana, to_katakana};
use std::borrow::Cow;
use std::collections::HashSet;
use std::num::NonZeroUsize;

use aho_corasick::AhoCorasick;
use lindera::dictionary::{Dictionary, UserDictionary};
use lindera::mode::{Mode, Penalty};
use lindera::segmenter::Segmenter;
use lindera::token::Token;
use lindera_analysis::character_filter::CharacterFilter;
use lindera_analysis::character_filter::japanese_iteration_mark::JapaneseIterationMarkCharacterFilter;
use lindera_analysis::token_filter::TokenFilter;
use lindera_analysis::token_filter::japanese_base_form::JapaneseBaseFormTokenFilter;
use lindera_analysis::token_filter::japanese_katakana_stem::JapaneseKatakanaStemTokenFilter;
use lindera_analysis::token_filter::lowercase::LowercaseTokenFilter;
use unicode_normalization::UnicodeNormalization;

use crate::data::Synonyms;

/// Bumped whenever the terms produced for a text change.
pub const ANALYSIS_VERSION: u32 = 10;

/// Questions are analysed up to this many characters; the rest is ignored.
pub const MAX_QUESTION_CHARS: usize = 1_000;

/// Katakana words of at least this many characters lose a final `ー`.
const KATAKANA_STEM_MIN: usize = 3;

/// Words that carry no topic in a question to a help desk.
const STOP_WORDS: &[&str] = &[
    "する",
    "ある",
    "いる",
    "なる",
    "できる",
    "出来る",
    "思う",
    "言う",
    "いう",
    "教える",
    "知る",
    "聞く",
    "分かる",
    "わかる",
    "ない",
    "ほしい",
    "欲しい",
    "くれる",
    "もらう",
    "いただく",
    "頂く",
    "くださる",
    "下さる",
    "おる",
    "やる",
    "いい",
    "よい",
    "良い",
    "こと",
    "もの",
    "ため",
    "よう",
    "ところ",
    "とこ",
    "方法",
    "場所",
    "場合",
    "質問",
    "内容",
    "詳細",
    "何",
    "なに",
    "どこ",
    "いつ",
    "だれ",
    "誰",
    "どう",
    "どの",
    "どれ",
    "お願い",
    "願う",
    "すみません",
    "ください",
    "調べる",
    "探す",
    "見る",
    "使う",
    "使える",
    "考える",
    "行う",
    "関する",
    "関連",
    "について",
    "対象",
    "的",
    "等",
    "など",
    "方",
    "感じ",
    "件",
    "方々",
    "今",
    "今回",
    "ちょっと",
    "弊社",
    "当社",
    "うち",
    "自社",
    "私",
    "僕",
    "みたい",
    "ん",
    "の",
    "そう",
    "とか",
    "です",
    "ます",
    "もらえる",
    "貰える",
    "伺う",
    "尋ねる",
    "助かる",
    "仕方",
    "やり方",
    "解説",
    // "How to …" nouns say that a way is asked, not what about.
    "作り方",
    "使い方",
    "書き方",
    "進め方",
    "選び方",
    "心配",
    "不安",
];

/// One analysed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Stemmed, lowercased base form.
    pub term: String,
    /// Katakana reading (stemmed), when the dictionary has one or the word is
    /// katakana itself.
    pub reading: Option<String>,
    /// Byte range in the normalised text.
    pub start: usize,
    pub end: usize,
    /// Whether the word carries meaning (not a particle, auxiliary, symbol or
    /// stop word).
    pub content: bool,
    /// Not found in the dictionary (a guess by character class).
    pub unknown: bool,
    /// A verb or adjective: says what to do rather than what about.
    pub predicate: bool,
    /// The parts of a compound noun (不妊治療 → 不妊, 治療), when it has any.
    pub parts: Vec<String>,
}

/// A question's unit of meaning: the words it used, plus the alternatives
/// synonyms and rules add.
#[derive(Debug, Clone, PartialEq)]
pub struct Concept {
    /// What the question said, as terms: any one of them is the concept,
    /// unless `whole`.
    pub terms: Vec<String>,
    /// The terms are the words of one expression (a synonym trigger over
    /// several words, 働き方改革 → 働く 改革): all of them found is the
    /// concept, some of them is a partial match.
    pub whole: bool,
    /// Other ways of saying the same (from synonyms, rules or the parts of a
    /// compound), each a phrase whose terms must all be found.
    pub alternatives: Vec<Vec<String>>,
    /// Readings matched in an all-kana stretch of the question.
    pub readings: Vec<String>,
    /// Character bigrams of what the question said (for unknown words).
    pub bigrams: Vec<String>,
    /// Whether the dictionary knew the words the question used.
    pub unknown: bool,
    /// How much the concept counts towards coverage: 1 for what a question
    /// is about, less for verbs and adjectives (進めたい, 上げたい), which
    /// say what the asker wants done and are often said in words the plan
    /// does not use.
    pub weight: f32,
    /// Said before the sentence that asks (who the owner is, what
    /// happened): left unmatched, it weighs [`CONTEXT_WEIGHT`] as much.
    pub context: bool,
}

/// How much a concept that comes before the sentence that asks weighs
/// against the evidence when it is not matched.
pub const CONTEXT_WEIGHT: f32 = 0.5;

/// The byte range of the sentence that asks, when other sentences with
/// content words surround it: the last sentence holding a question mark and
/// a content word (with the questions right before it), else the last
/// holding a content word.
fn asking_sentence(normalized: &str, words: &[Word]) -> Option<(usize, usize)> {
    const ENDS: [char; 4] = ['。', '!', '?', '\n'];
    let mut sentences = Vec::new();
    let mut start = 0;
    for (i, c) in normalized.char_indices() {
        if ENDS.contains(&c) {
            sentences.push((start, i + c.len_utf8(), c == '?'));
            start = i + c.len_utf8();
        }
    }
    sentences.push((start, normalized.len(), false));
    let has_content = |&(s, e, _): &(usize, usize, bool)| {
        words
            .iter()
            .any(|w| w.content && w.start >= s && w.end <= e)
    };
    let with_content: Vec<(usize, usize, bool)> =
        sentences.into_iter().filter(has_content).collect();
    if with_content.len() < 2 {
        return None;
    }
    let Some(last) = with_content.iter().rposition(|(_, _, question)| *question) else {
        return with_content.last().map(|&(s, e, _)| (s, e));
    };
    // Questions asked one after another are one question: 「What is the
    // Telework Tokyo Rule? Is it mandatory?」 asks about the rule.
    let first = with_content[..last]
        .iter()
        .rposition(|(_, _, question)| !*question)
        .map_or(0, |i| i + 1);
    Some((with_content[first].0, with_content[last].1))
}

/// Weight of a concept made only of verbs and adjectives.
pub const PREDICATE_WEIGHT: f32 = 0.5;

/// A document text, analysed: what the index holds of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysed {
    /// Content terms in order (compounds followed by their parts).
    pub terms: Vec<String>,
    /// Readings of the content words.
    pub readings: Vec<String>,
    /// Character bigrams of the whole text.
    pub bigrams: Vec<String>,
}

/// A question, analysed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryAnalysis {
    pub normalized: String,
    pub concepts: Vec<Concept>,
}

/// Synonym groups and rules compiled into two Aho-Corasick automata: one
/// over folded surface forms, one over folded base-form strings.
struct SynonymMatcher {
    surface: AhoCorasick,
    surface_entry: Vec<usize>,
    base: AhoCorasick,
    base_entry: Vec<usize>,
    /// Per entry: the terms it adds.
    additions: Vec<Vec<Vec<String>>>,
}

impl SynonymMatcher {
    fn build(
        surface: Vec<(String, usize)>,
        base: Vec<(String, usize)>,
        additions: Vec<Vec<Vec<String>>>,
    ) -> Result<SynonymMatcher, AnalysisError> {
        let automaton = |patterns: &[(String, usize)]| {
            AhoCorasick::new(patterns.iter().map(|(p, _)| p.as_str()))
                .map_err(|e| AnalysisError(format!("synonym automaton: {e}")))
        };
        Ok(SynonymMatcher {
            surface: automaton(&surface)?,
            surface_entry: surface.iter().map(|(_, e)| *e).collect(),
            base: automaton(&base)?,
            base_entry: base.iter().map(|(_, e)| *e).collect(),
            additions,
        })
    }

    /// Entries found in a question, each with the byte span (in the
    /// normalised text) of every place one of its triggers is (the longest
    /// where triggers overlap), in entry order.
    fn find(&self, normalized: &str, words: &[Word]) -> Vec<(usize, (usize, usize))> {
        let mut found: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.additions.len()];
        let overlaps = |spans: &[(usize, usize)], (s, e): (usize, usize)| {
            spans.iter().any(|&(a, b)| a < e && b > s)
        };
        let (folded, map) = fold_with_map(normalized);
        let mut surface: Vec<(usize, (usize, usize))> = self
            .surface
            .find_overlapping_iter(&folded)
            .map(|m| {
                let entry = self.surface_entry[m.pattern().as_usize()];
                (entry, (map[m.start()], map[m.end()]))
            })
            .collect();
        // Longest first, so that a trigger inside a longer one of the same
        // entry is not counted again.
        surface.sort_by_key(|&(_, (s, e))| std::cmp::Reverse(e - s));
        for (entry, span) in surface {
            if !overlaps(&found[entry], span) {
                found[entry].push(span);
            }
        }
        // Base forms: each byte of the joined string remembers its word.
        let mut joined = String::new();
        let mut owner = Vec::new();
        for (i, w) in words.iter().enumerate() {
            let f = fold(&w.term);
            owner.extend(std::iter::repeat_n(i, f.len()));
            joined.push_str(&f);
        }
        for m in self.base.find_overlapping_iter(&joined) {
            if m.end() == 0 {
                continue;
            }
            let entry = self.base_entry[m.pattern().as_usize()];
            let (first, last) = (owner[m.start()], owner[m.end() - 1]);
            let span = (words[first].start, words[last].end);
            if !overlaps(&found[entry], span) {
                found[entry].push(span);
            }
        }
        found
            .into_iter()
            .enumerate()
            .flat_map(|(i, spans)| spans.into_iter().map(move |span| (i, span)))
            .collect()
    }
}

/// Errors from the segmenter.
#[derive(Debug, thiserror::Error)]
#[error("Japanese analysis failed: {0}")]
pub struct AnalysisError(String);

/// The analysis chain, shared by indexing and search. Cheap to share across
/// threads (`&self` everywhere).
pub struct Analyzer {
    segmenter: Segmenter,
    /// Splits compounds into their parts (search mode, no user dictionary).
    decomposer: Segmenter,
    iteration: JapaneseIterationMarkCharacterFilter,
    base_form: JapaneseBaseFormTokenFilter,
    stem: JapaneseKatakanaStemTokenFilter,
    lower: LowercaseTokenFilter,
    stop_words: HashSet<&'static str>,
    /// Katakana readings of the stop words (vowel length ignored), for stop
    /// words written in kana.
    stop_readings: HashSet<String>,
    synonyms: SynonymMatcher,
}

impl Analyzer {
    /// Builds the chain over a loaded dictionary, the user dictionary and the
    /// synonyms of `data/`.
    pub fn new(
        dictionary: Dictionary,
        user_dictionary: Option<UserDictionary>,
        synonyms: &Synonyms,
    ) -> Result<Self, AnalysisError> {
        let mut analyzer = Analyzer {
            decomposer: Segmenter::new(
                Mode::Decompose(Penalty::default()),
                dictionary.clone(),
                None,
            ),
            segmenter: Segmenter::new(Mode::Normal, dictionary, user_dictionary),
            iteration: JapaneseIterationMarkCharacterFilter::new(false, true),
            base_form: JapaneseBaseFormTokenFilter::new(),
            stem: JapaneseKatakanaStemTokenFilter::new(
                NonZeroUsize::new(KATAKANA_STEM_MIN).expect("non-zero"),
            ),
            lower: LowercaseTokenFilter::new(),
            stop_words: STOP_WORDS.iter().copied().collect(),
            stop_readings: HashSet::new(),
            synonyms: SynonymMatcher::build(Vec::new(), Vec::new(), Vec::new())?,
        };
        let mut stop_readings = HashSet::new();
        for w in STOP_WORDS {
            for word in analyzer.words(w)? {
                if let Some(r) = word.reading
                    && word.term == *w
                {
                    stop_readings.insert(loose_reading(&r));
                }
            }
        }
        analyzer.stop_readings = stop_readings;
        analyzer.synonyms = analyzer.compile_synonyms(synonyms)?;
        Ok(analyzer)
    }

    /// NFKC, lowercase, kana iteration marks, control/format characters to
    /// spaces, ASCII hyphens after katakana to the long-vowel mark.
    pub fn normalize(&self, text: &str) -> String {
        let mut s: String = text
            .chars()
            .map(|c| if is_invisible(c) { ' ' } else { c })
            .nfkc()
            .collect();
        if s.contains(['ゝ', 'ゞ', 'ヽ', 'ヾ']) {
            // Fails only on configuration errors, which a fixed configuration
            // cannot have; the text stays as it was then.
            let _ = self.iteration.apply(&mut s);
        }
        let mut out = String::with_capacity(s.len());
        let mut prev = ' ';
        for c in s.chars().flat_map(char::to_lowercase) {
            let c = if matches!(c, '-' | '‐' | '−' | '–' | '—' | '―' | '~') && is_katakana(prev)
            {
                'ー'
            } else {
                c
            };
            out.push(c);
            prev = c;
        }
        out
    }

    /// Segments already-normalised text into words; compound nouns carry
    /// their parts.
    /// The base forms of the content words of normalised text, as
    /// segmented (no decomposition of compounds): a cheap key for
    /// comparing wordings.
    pub fn content_terms(&self, normalized: &str) -> Result<Vec<String>, AnalysisError> {
        Ok(self
            .segment_with(&self.segmenter, normalized)?
            .into_iter()
            .filter(|w| w.content)
            .map(|w| w.term)
            .collect())
    }

    /// Character bigrams of already normalised text ([`Analyzer::bigrams`]).
    pub fn bigrams_of_normalized(&self, normalized: &str) -> Vec<String> {
        bigrams(&fold(normalized))
    }

    pub fn words(&self, normalized: &str) -> Result<Vec<Word>, AnalysisError> {
        let mut words = self.segment_with(&self.segmenter, normalized)?;
        for w in &mut words {
            if !w.content || w.predicate || normalized[w.start..w.end].chars().count() < 3 {
                continue;
            }
            let parts: Vec<String> = self
                .segment_with(&self.decomposer, &normalized[w.start..w.end])?
                .into_iter()
                .filter(|p| p.content && p.term != w.term && p.term.chars().count() >= 2)
                .map(|p| p.term)
                .collect();
            if parts.len() >= 2 {
                w.parts = parts;
            }
        }
        Ok(words)
    }

    /// Segments with `segmenter`. A panic inside lindera (a damaged
    /// dictionary indexes out of bounds) is an [`AnalysisError`], so it
    /// never takes down a command or the bot.
    fn segment_with(
        &self,
        segmenter: &Segmenter,
        normalized: &str,
    ) -> Result<Vec<Word>, AnalysisError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.segment_unguarded(segmenter, normalized)
        }))
        .unwrap_or_else(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(AnalysisError(format!(
                "the segmenter failed ({why}); the dictionary may be damaged: delete it and it is rebuilt"
            )))
        })
    }

    fn segment_unguarded(
        &self,
        segmenter: &Segmenter,
        normalized: &str,
    ) -> Result<Vec<Word>, AnalysisError> {
        let mut tokens = segmenter
            .segment(Cow::Borrowed(normalized))
            .map_err(|e| AnalysisError(format!("{e:#}")))?;
        let surfaces: Vec<(usize, usize, bool)> = tokens
            .iter()
            .map(|t| (t.byte_start, t.byte_end, t.word_id.is_unknown()))
            .collect();
        for filter in [
            &self.base_form as &dyn TokenFilter,
            &self.stem as &dyn TokenFilter,
            &self.lower as &dyn TokenFilter,
        ] {
            filter
                .apply(&mut tokens)
                .map_err(|e| AnalysisError(format!("{e:#}")))?;
        }
        let mut out = Vec::with_capacity(tokens.len());
        let mut verbal_noun = Vec::with_capacity(tokens.len());
        for (mut token, (start, end, unknown)) in tokens.into_iter().zip(surfaces) {
            let term = token.surface.trim().to_string();
            if !term.chars().any(|c| c.is_alphanumeric() && c != 'ー') {
                continue;
            }
            let content = self.is_content(&mut token, &term);
            let predicate = matches!(token.get_detail(0), Some("動詞" | "形容詞"));
            verbal_noun.push(token.get_detail(1) == Some("サ変接続"));
            let reading = token
                .get_detail(7)
                .filter(|r| *r != "*" && !r.is_empty())
                .map(str::to_owned)
                .or_else(|| {
                    let surface = &normalized[start..end];
                    surface
                        .chars()
                        .all(|c| is_katakana(c) || is_hiragana(c))
                        .then(|| to_katakana(surface))
                })
                .map(|r| stem_katakana(&r));
            out.push(Word {
                term,
                reading,
                start,
                end,
                content,
                unknown,
                predicate,
                parts: Vec::new(),
            });
        }
        // A verbal noun directly followed by する (解消したい) is used as a verb.
        for i in 1..out.len() {
            if verbal_noun[i - 1] && matches!(out[i].term.as_str(), "する" | "できる" | "出来る")
            {
                out[i - 1].predicate = true;
            }
        }
        Ok(out)
    }

    fn is_content(&self, token: &mut Token<'_>, term: &str) -> bool {
        if self.stop_words.contains(term)
            || (term.chars().all(is_hiragana)
                && self
                    .stop_readings
                    .contains(&loose_reading(&to_katakana(term))))
        {
            return false;
        }
        // (Read in place: the details are filled by the first look.)
        let _ = token.get_detail(0);
        let details = token.details.as_deref().unwrap_or_default();
        let detail = |i: usize| details.get(i).map_or("", |d| d.as_ref());
        let (pos, sub) = (detail(0), detail(1));
        match pos {
            "名詞" => {
                !matches!(sub, "非自立" | "代名詞" | "副詞可能" | "接尾")
                    || (sub == "接尾" && term.chars().count() == 1 && is_kanji_str(term))
            }
            "動詞" | "形容詞" => sub == "自立",
            "接頭詞" | "副詞" | "連体詞" | "接続詞" | "助詞" | "助動詞" | "感動詞" | "フィラー" => {
                false
            }
            "記号" => sub == "アルファベット",
            // Unknown-word categories and user-dictionary entries.
            _ => term.chars().any(char::is_alphanumeric),
        }
    }

    /// Terms, readings and bigrams of a document text, from one pass.
    pub fn analyse(&self, text: &str) -> Result<Analysed, AnalysisError> {
        let normalized = self.normalize(text);
        let mut out = Analysed {
            bigrams: bigrams(&fold(&normalized)),
            ..Analysed::default()
        };
        for w in self.words(&normalized)? {
            if !w.content {
                continue;
            }
            if let Some(r) = w.reading {
                out.readings.push(loose_reading(&r));
            }
            out.terms.push(w.term);
            out.terms.extend(w.parts);
        }
        Ok(out)
    }

    /// The content terms of a document text, in order (with repeats), each
    /// compound followed by its parts.
    pub fn terms(&self, text: &str) -> Result<Vec<String>, AnalysisError> {
        let normalized = self.normalize(text);
        Ok(self
            .words(&normalized)?
            .into_iter()
            .filter(|w| w.content)
            .flat_map(|w| std::iter::once(w.term).chain(w.parts))
            .collect())
    }

    /// The readings of a document text's content words.
    pub fn readings(&self, text: &str) -> Result<Vec<String>, AnalysisError> {
        let normalized = self.normalize(text);
        Ok(self
            .words(&normalized)?
            .into_iter()
            .filter(|w| w.content)
            .filter_map(|w| w.reading.as_deref().map(loose_reading))
            .collect())
    }

    /// Character bigrams of a text (letters and digits only, kana folded to
    /// katakana).
    pub fn bigrams(&self, text: &str) -> Vec<String> {
        bigrams(&fold(&self.normalize(text)))
    }

    /// Analyses a question into concepts. `known_reading` tells whether a
    /// katakana string is the reading of some indexed word; it lets an
    /// all-hiragana stretch such as `ほじょきん` match `補助金`.
    pub fn question(
        &self,
        text: &str,
        known_reading: &dyn Fn(&str) -> bool,
    ) -> Result<QueryAnalysis, AnalysisError> {
        let text: String = text.chars().take(MAX_QUESTION_CHARS).collect();
        let normalized = self.normalize(&text);
        // A question written all in katakana (ｼﾞｻｼｭｯｷﾝ ｦ…) is read as kana,
        // like one written all in hiragana, when that finds known readings.
        if is_all_kana(&normalized) {
            let read = self.question_normalized(to_hiragana(&normalized), known_reading)?;
            if read.concepts.iter().any(|c| !c.readings.is_empty()) {
                return Ok(read);
            }
        }
        self.question_normalized(normalized, known_reading)
    }

    fn question_normalized(
        &self,
        normalized: String,
        known_reading: &dyn Fn(&str) -> bool,
    ) -> Result<QueryAnalysis, AnalysisError> {
        let words = self.words(&normalized)?;

        // Each concept with the byte span of the question it came from.
        let mut concepts: Vec<(usize, usize, Concept)> = Vec::new();
        let concept = |terms, readings, bigrams, unknown, weight| Concept {
            terms,
            whole: false,
            alternatives: Vec::new(),
            readings,
            bigrams,
            unknown,
            weight,
            context: false,
        };

        // Hiragana stretches whose content words the segmenter could only
        // guess at are re-read as katakana against the readings of indexed
        // words; a reading counts where it overlaps such a word or is three
        // characters or more (short ones turn up by chance: したい → タイ).
        let mut reread = vec![false; words.len()];
        for (start, end) in kana_runs(&normalized) {
            let inside: Vec<usize> = (0..words.len())
                .filter(|&i| words[i].content && words[i].start >= start && words[i].end <= end)
                .collect();
            if inside.is_empty() {
                continue;
            }
            let run = &normalized[start..end];
            // Stop words read (ほしい, ため) explain the stretch too, but
            // are not asked about.
            let readable = |r: &str| known_reading(r) || self.stop_readings.contains(r);
            let found: Vec<(usize, usize, String)> = greedy_readings(&to_katakana(run), &readable)
                .into_iter()
                .map(|(s, e, r)| (start + s, start + e, r))
                .filter(|(s, e, r)| {
                    r.chars().count() >= 3
                        || inside
                            .iter()
                            .any(|&i| words[i].start < *e && words[i].end > *s)
                })
                .collect();
            let matched: usize = found.iter().map(|(s, e, _)| e - s).sum();
            let content: usize = inside.iter().map(|&i| words[i].end - words[i].start).sum();
            if found.is_empty() || matched * 3 < content * 2 {
                continue;
            }
            for &i in &inside {
                reread[i] = true;
            }
            for (s, e, r) in found.into_iter().filter(|(_, _, r)| known_reading(r)) {
                concepts.push((s, e, concept(Vec::new(), vec![r], Vec::new(), false, 1.0)));
            }
        }

        // Every other content word is a concept of its own.
        for (i, w) in words.iter().enumerate() {
            if !w.content || reread[i] {
                continue;
            }
            let bigrams = if w.unknown {
                bigrams(&fold(&w.term))
            } else {
                Vec::new()
            };
            let mut c = concept(
                vec![w.term.clone()],
                Vec::new(),
                bigrams,
                w.unknown,
                if w.predicate { PREDICATE_WEIGHT } else { 1.0 },
            );
            if !w.parts.is_empty() {
                c.alternatives = vec![w.parts.clone()];
            }
            concepts.push((w.start, w.end, c));
        }

        // Synonyms and rules, found in the folded question or in the folded
        // base forms of its words (足りなくて → 足りるない): the concepts a
        // trigger overlaps merge into one and take the additions; a trigger
        // over no concept adds a concept of its own.
        for (entry, (s, e)) in self.synonyms.find(&normalized, &words) {
            let additions = &self.synonyms.additions[entry];
            let overlapping: Vec<usize> = (0..concepts.len())
                .filter(|&i| concepts[i].0 < e && concepts[i].1 > s)
                .collect();
            let Some((&first, rest)) = overlapping.split_first() else {
                let mut c = concept(Vec::new(), Vec::new(), Vec::new(), false, 1.0);
                c.alternatives = additions.clone();
                concepts.push((s, e, c));
                continue;
            };
            if !rest.is_empty() {
                concepts[first].2.whole = true;
            }
            for &i in rest.iter().rev() {
                let (cs, ce, c) = concepts.remove(i);
                let target = &mut concepts[first];
                target.0 = target.0.min(cs);
                target.1 = target.1.max(ce);
                target.2.terms.extend(c.terms);
                target.2.alternatives.extend(c.alternatives);
                target.2.readings.extend(c.readings);
                target.2.bigrams.extend(c.bigrams);
                target.2.weight = target.2.weight.max(c.weight);
                target.2.context &= c.context;
            }
            let target = &mut concepts[first].2;
            target.unknown = false;
            for a in additions {
                let already = !target.whole && a.len() == 1 && target.terms.contains(&a[0]);
                if !already && !target.alternatives.contains(a) {
                    target.alternatives.push(a.clone());
                }
            }
        }

        // Owners say who they are and what happened around the sentence
        // that asks: what the other sentences say counts less.
        if let Some((ask_start, ask_end)) = asking_sentence(&normalized, &words) {
            for (start, end, c) in &mut concepts {
                if *end <= ask_start || *start >= ask_end {
                    c.context = true;
                }
            }
        }
        concepts.sort_by_key(|(start, _, _)| *start);
        // The same words said twice are one concept.
        let mut seen = HashSet::new();
        let concepts = concepts
            .into_iter()
            .map(|(_, _, c)| c)
            .filter(|c| seen.insert((c.terms.clone(), c.readings.clone(), c.alternatives.clone())))
            .collect();
        Ok(QueryAnalysis {
            normalized,
            concepts,
        })
    }

    fn compile_synonyms(&self, synonyms: &Synonyms) -> Result<SynonymMatcher, AnalysisError> {
        let mut surface = Vec::new();
        let mut base = Vec::new();
        let mut additions = Vec::new();
        let entries = synonyms
            .groups
            .iter()
            .map(|g| (g, g))
            .chain(synonyms.rules.iter().map(|r| (&r.when, &r.add)));
        for (entry, (triggers, add)) in entries.enumerate() {
            let mut phrases: Vec<Vec<String>> = Vec::new();
            for a in add {
                let phrase: Vec<String> = self
                    .words(&self.normalize(a))?
                    .into_iter()
                    .filter(|w| w.content)
                    .map(|w| w.term)
                    .collect();
                if !phrase.is_empty() && !phrases.contains(&phrase) {
                    phrases.push(phrase);
                }
            }
            additions.push(phrases);
            for t in triggers {
                let n = self.normalize(t);
                let f = fold(&n);
                if f.is_empty() {
                    continue;
                }
                let b: String = self.words(&n)?.iter().map(|w| fold(&w.term)).collect();
                surface.push((f, entry));
                if !b.is_empty() {
                    base.push((b, entry));
                }
            }
        }
        SynonymMatcher::build(surface, base, additions)
    }
}

/// Format and control characters that should never reach the segmenter.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{E0000}'..='\u{E007F}')
}

fn is_kanji_str(s: &str) -> bool {
    s.chars()
        .all(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c) || c == '々')
}

/// Whether every letter of a text is kana (and some are katakana).
fn is_all_kana(s: &str) -> bool {
    let letters = || s.chars().filter(|c| c.is_alphanumeric() && *c != 'ー');
    letters().any(is_katakana) && letters().all(|c| is_katakana(c) || is_hiragana(c))
}

/// A reading with vowel length ignored, so that every spelling of a long
/// vowel meets (テレワーク, てれわあく and terewaku all give テレワク; ドウニュウ
/// and donyu give ドニュ): long-vowel marks go, and so does a vowel that
/// repeats (or lengthens) the vowel before it.
pub fn loose_reading(reading: &str) -> String {
    let mut out = String::with_capacity(reading.len());
    let mut prev: Option<char> = None;
    for c in reading.chars() {
        if c == 'ー' {
            continue;
        }
        let lengthens = match (prev, c) {
            (Some(v), 'ア') => v == 'a',
            (Some(v), 'イ') => v == 'i' || v == 'e',
            (Some(v), 'ウ') => v == 'u' || v == 'o',
            (Some(v), 'エ') => v == 'e',
            (Some(v), 'オ') => v == 'o',
            _ => false,
        };
        if lengthens {
            prev = None;
            continue;
        }
        out.push(c);
        prev = match vowel_of(c) {
            Some(v) => Some(v),
            None if matches!(c, 'ッ' | 'ン') => None,
            None => prev,
        };
    }
    out
}

/// The vowel a katakana ends in.
fn vowel_of(c: char) -> Option<char> {
    const ROWS: [(&str, char); 5] = [
        ("アカガサザタダナハバパマヤャラワァ", 'a'),
        ("イキギシジチヂニヒビピミリィ", 'i'),
        ("ウクグスズツヅヌフブプムユュルゥヴ", 'u'),
        ("エケゲセゼテデネヘベペメレェ", 'e'),
        ("オコゴソゾトドノホボポモヨョロヲォ", 'o'),
    ];
    ROWS.iter()
        .find(|(row, _)| row.contains(c))
        .map(|(_, v)| *v)
}

/// Drops a final long-vowel mark from katakana words of
/// [`KATAKANA_STEM_MIN`] characters or more (サーバー ≡ サーバ).
fn stem_katakana(s: &str) -> String {
    if s.chars().count() >= KATAKANA_STEM_MIN && s.ends_with('ー') && s.chars().all(is_katakana) {
        s.trim_end_matches('ー').to_string()
    } else {
        s.to_string()
    }
}

fn bigrams(folded: &str) -> Vec<String> {
    let chars: Vec<char> = folded.chars().collect();
    if chars.len() == 1 {
        return vec![chars[0].to_string()];
    }
    chars
        .windows(2)
        .map(|w| w.iter().collect::<String>())
        .collect()
}

/// Byte ranges of stretches of hiragana (with ー) of at least four characters.
fn kana_runs(s: &str) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start: Option<usize> = None;
    let mut count = 0;
    for (i, c) in s.char_indices() {
        if is_hiragana(c) || (c == 'ー' && start.is_some()) {
            if start.is_none() {
                start = Some(i);
                count = 0;
            }
            count += 1;
        } else if let Some(st) = start.take()
            && count >= 4
        {
            runs.push((st, i));
        }
    }
    if let Some(st) = start
        && count >= 4
    {
        runs.push((st, s.len()));
    }
    runs
}

/// Longest known readings (two characters or more) found left to right, with
/// their byte ranges in `kata`.
fn greedy_readings(kata: &str, known: &dyn Fn(&str) -> bool) -> Vec<(usize, usize, String)> {
    const MAX_LEN: usize = 12;
    let chars: Vec<(usize, char)> = kata.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(kata.len(), |(b, _)| *b);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let mut found = None;
        let longest = MAX_LEN.min(chars.len() - i);
        for len in (2..=longest).rev() {
            let cand = &kata[byte_at(i)..byte_at(i + len)];
            let stemmed = loose_reading(&stem_katakana(cand));
            if stemmed.chars().count() >= 2 && known(&stemmed) {
                found = Some((len, stemmed));
                break;
            }
        }
        match found {
            Some((len, r)) => {
                out.push((byte_at(i), byte_at(i + len), r));
                i += len;
            }
            None => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn katakana_stem_only_long_words() {
        assert_eq!(stem_katakana("サーバー"), "サーバ");
        assert_eq!(stem_katakana("ビー"), "ビー");
        assert_eq!(stem_katakana("補助ー"), "補助ー");
    }

    #[test]
    fn kana_runs_need_four_characters() {
        assert_eq!(kana_runs("補助きん"), vec![]);
        let s = "てれわーくの補助";
        assert_eq!(kana_runs(s), vec![(0, "てれわーくの".len())]);
    }

    #[test]
    fn greedy_readings_take_the_longest() {
        // Known readings are loose (vowel length ignored).
        let known = |s: &str| ["テレワク", "ホジョ", "ホジョキン", "テレ"].contains(&s);
        let found: Vec<String> = greedy_readings("テレワークノホジョキン", &known)
            .into_iter()
            .map(|(_, _, r)| r)
            .collect();
        assert_eq!(found, vec!["テレワク", "ホジョキン"]);
        let (s, e, _) = &greedy_readings("ノホジョ", &known)[0];
        assert_eq!((*s, *e), ("ノ".len(), "ノホジョ".len()));
    }

    #[test]
    fn the_asking_sentence_is_the_one_with_a_question_mark() {
        let word = |text: &str, w: &str, content| {
            let start = text.find(w).unwrap();
            Word {
                term: w.into(),
                reading: None,
                start,
                end: start + w.len(),
                content,
                unknown: false,
                predicate: false,
                parts: Vec::new(),
            }
        };
        let t = "印刷業です。補助はある?";
        let words = [
            word(t, "印刷業", true),
            word(t, "補助", true),
            word(t, "ある", false),
        ];
        let at = |w: &str| t.find(w).unwrap();
        assert_eq!(asking_sentence(t, &words), Some((at("補助"), t.len())));
        // The question first, context after it.
        let t = "補助はある? 印刷業です";
        let words = [word(t, "補助", true), word(t, "印刷業", true)];
        assert_eq!(asking_sentence(t, &words), Some((0, t.find(' ').unwrap())));
        // Questions one after another ask together; what comes before them
        // is context.
        let t = "印刷業です。ルールって何?義務なの?";
        let words = [
            word(t, "印刷業", true),
            word(t, "ルール", true),
            word(t, "義務", true),
        ];
        assert_eq!(
            asking_sentence(t, &words),
            Some((t.find("ルール").unwrap(), t.len()))
        );
        // One sentence: no context.
        let t = "補助はある?";
        assert_eq!(asking_sentence(t, &[word(t, "補助", true)]), None);
    }

    #[test]
    fn loose_readings_meet_whatever_the_vowel_length() {
        for r in ["テレワーク", "テレワアク", "テレワク"] {
            assert_eq!(loose_reading(r), "テレワク", "{r}");
        }
        assert_eq!(loose_reading("ドウニュウ"), loose_reading("ドニュ"));
        assert_eq!(loose_reading("ツウル"), loose_reading("ツール"));
        assert_eq!(loose_reading("ジサシュッキン"), "ジサシュッキン");
        assert_eq!(loose_reading("ケイエイ"), "ケエ");
    }

    #[test]
    fn all_kana_questions_are_read_as_hiragana() {
        assert!(is_all_kana("ジサシュッキン ヲ ヤリタイ"));
        assert!(!is_all_kana("テレワークの補助"));
        assert!(!is_all_kana("てれわーく"));
        assert_eq!(to_hiragana("ジサ ヲ"), "じさ を");
    }

    #[test]
    fn bigrams_of_short_and_long() {
        assert_eq!(bigrams("ア"), vec!["ア"]);
        assert_eq!(bigrams("テレワ"), vec!["テレ", "レワ"]);
        assert!(bigrams("").is_empty());
    }
}
