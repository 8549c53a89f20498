//! Grouping near-duplicate wordings of unanswered questions, in about linear
//! time. Two wordings are one question when [`QuestionKey::similar`] says so
//! (Jaccard of their terms, or of their character bigrams, over a
//! threshold). Comparing each wording with every group is quadratic, and an
//! index on every feature is no better: common bigrams (ますか, について) make
//! every group a candidate. Here features are ranked rarest first over all
//! wordings, and a wording is compared only with the groups that have enough
//! of its rarest features to reach the threshold ([`Filter`]; the counting
//! form of prefix filtering, Bayardo, Ma and Srikant, "Scaling up all pairs
//! similarity search", 2007). No similar pair is missed: the groups are
//! those every pair comparison would make.

use std::hash::{Hash, Hasher};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::{QuestionKey, SIMILAR_CHARS, SIMILAR_TERMS};

/// A set of features as ranks in the global order (rarest first), sorted.
type Ranked = Vec<u32>;

/// A wording's features in the global order.
struct Features {
    terms: Ranked,
    bigrams: Ranked,
}

/// A feature in 64 bits: up to two characters packed as they are (every
/// bigram), a longer text (a term) by its hash. Computed as each wording is
/// analysed, so the strings are not all held at once.
fn compact(feature: &str) -> u64 {
    let mut chars = feature.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some(a), b, None) => {
            (u64::from(u32::from(a)) << 32) | b.map_or(0, |b| u64::from(u32::from(b)))
        }
        _ => {
            let mut h = std::hash::DefaultHasher::new();
            feature.hash(&mut h);
            h.finish() | (1 << 63)
        }
    }
}

/// Ranks features of one kind rarest first (ties by the feature itself, so
/// the order is the same on every run), and rewrites each set as ranks.
fn rank(sets: &[Vec<u64>]) -> Vec<Ranked> {
    let mut frequency: FxHashMap<u64, u32> = FxHashMap::default();
    for set in sets {
        for &f in set {
            *frequency.entry(f).or_default() += 1;
        }
    }
    let mut order: Vec<(u64, u32)> = frequency.into_iter().collect();
    order.sort_unstable_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let ranks: FxHashMap<u64, u32> = order
        .iter()
        .zip(0u32..)
        .map(|((f, _), r)| (*f, r))
        .collect();
    sets.par_iter()
        .map(|set| {
            let mut r: Ranked = set.iter().map(|f| ranks[f]).collect();
            r.sort_unstable();
            r.dedup();
            r
        })
        .collect()
}

/// Finds the groups that may be similar to a wording, on one kind of
/// feature, without comparing it with every group.
///
/// A set `x` of `n` features and a set `y` with Jaccard at least `t` share at
/// least `a = ⌈t·n⌉` features (the overlap is at least `t` times the union,
/// which is at least `n`), so `y` lacks at most `n − a` of `x`'s. Among the
/// first `n − a + m` features of `x` (the rarest), `y` then has at least `m`.
/// Every feature of every group's first wording is indexed; a wording probes
/// only its rarest `n − a + m` features, and a group is a candidate once it
/// has been met `m` times. Rare features have short lists, and a group that
/// shares one rare feature by chance is not a candidate.
struct Filter {
    threshold: f64,
    /// `m` above: how many of the probed features a candidate must have.
    agree: usize,
    /// Feature rank → the groups whose first wording has it.
    index: FxHashMap<u32, Vec<u32>>,
}

impl Filter {
    fn new(threshold: f64, agree: usize) -> Filter {
        Filter {
            threshold,
            agree,
            index: FxHashMap::default(),
        }
    }

    /// Indexes the first wording `set` of group `g`.
    fn add(&mut self, set: &[u32], g: u32) {
        for &f in set {
            self.index.entry(f).or_default().push(g);
        }
    }

    /// Adds to `out` the groups that may be similar to `set`; `met` counts
    /// per group (all zero before and after).
    fn candidates(&self, set: &[u32], met: &mut [u8], touched: &mut Vec<u32>, out: &mut Vec<u32>) {
        let n = set.len();
        if n == 0 {
            return;
        }
        let shared = ((self.threshold * n as f64 - 1e-9).ceil() as usize).clamp(1, n);
        let agree = self.agree.min(shared);
        for f in &set[..(n - shared + agree).min(n)] {
            for &g in self.index.get(f).into_iter().flatten() {
                let m = &mut met[g as usize];
                if *m == 0 {
                    touched.push(g);
                }
                *m = m.saturating_add(1);
                if usize::from(*m) == agree {
                    out.push(g);
                }
            }
        }
        for g in touched.drain(..) {
            met[g as usize] = 0;
        }
    }
}

/// Jaccard similarity of two sorted lists without repeats.
pub(super) fn jaccard<T: Ord>(a: &[T], b: &[T]) -> f64 {
    ratio(shared(a, b, 0).unwrap_or(0), a.len() + b.len())
}

/// How many items two sorted lists without repeats share; `None` as soon as
/// fewer than `need` are still possible.
fn shared<T: Ord>(a: &[T], b: &[T], need: usize) -> Option<usize> {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        if common + (a.len() - i).min(b.len() - j) < need {
            return None;
        }
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (common >= need).then_some(common)
}

/// Jaccard from the items shared and the two sizes added.
fn ratio(common: usize, total: usize) -> f64 {
    let union = total - common;
    if union == 0 {
        0.0
    } else {
        common as f64 / union as f64
    }
}

/// Whether two sorted lists without repeats have a Jaccard similarity of
/// at least `t`: [`jaccard`] `>= t`, stopping as soon as the overlap still
/// possible falls short of the `t·(|a| + |b|) / (1 + t)` it needs.
fn reaches(a: &[u32], b: &[u32], t: f64) -> bool {
    let total = a.len() + b.len();
    // common / (total − common) ≥ t  ⇔  common ≥ t·total / (1 + t)
    let need = (t * total as f64 / (1.0 + t) - 1e-9).ceil() as usize;
    shared(a, b, need).is_some_and(|common| ratio(common, total) >= t)
}

impl Features {
    /// [`QuestionKey::similar`], on ranks: `self` is the group's first
    /// wording.
    fn similar(&self, other: &Features) -> bool {
        (!self.terms.is_empty() && reaches(&self.terms, &other.terms, SIMILAR_TERMS))
            || reaches(&self.bigrams, &other.bigrams, SIMILAR_CHARS)
    }
}

/// Which group each wording belongs to, in the order given: a wording joins
/// the first group (by the order groups were started) whose first wording
/// it is similar to, or starts a group. Returns the group of each wording;
/// groups are numbered from 0 in the order they start.
pub fn assign(wordings: &[&str], key: &(dyn Fn(&str) -> QuestionKey + Sync)) -> Vec<usize> {
    let (terms, bigrams): (Vec<Vec<u64>>, Vec<Vec<u64>>) = wordings
        .par_iter()
        .map(|w| {
            let k = key(w);
            let compact = |set: &[String]| set.iter().map(|f| compact(f)).collect::<Vec<u64>>();
            (compact(&k.terms), compact(&k.bigrams))
        })
        .unzip();
    let features: Vec<Features> = rank(&terms)
        .into_iter()
        .zip(rank(&bigrams))
        .map(|(terms, bigrams)| Features { terms, bigrams })
        .collect();
    drop((terms, bigrams));

    // The groups' first wordings, and their features indexed.
    let mut leaders: Vec<usize> = Vec::new();
    let mut by_terms = Filter::new(SIMILAR_TERMS, 2);
    let mut by_bigrams = Filter::new(SIMILAR_CHARS, 3);
    let mut met: Vec<u8> = Vec::new();
    let mut touched = Vec::new();
    let mut group_of = Vec::with_capacity(wordings.len());
    let mut candidates: Vec<u32> = Vec::new();
    for (i, f) in features.iter().enumerate() {
        candidates.clear();
        by_terms.candidates(&f.terms, &mut met, &mut touched, &mut candidates);
        by_bigrams.candidates(&f.bigrams, &mut met, &mut touched, &mut candidates);
        candidates.sort_unstable();
        let found = candidates
            .iter()
            .map(|&g| g as usize)
            .find(|&g| features[leaders[g]].similar(f));
        let g = found.unwrap_or_else(|| {
            let g = leaders.len();
            leaders.push(i);
            met.push(0);
            by_terms.add(&f.terms, g as u32);
            by_bigrams.add(&f.bigrams, g as u32);
            g
        });
        group_of.push(g);
    }
    group_of
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(w: &str) -> QuestionKey {
        QuestionKey::plain(w)
    }

    /// The groups every pair comparison makes: each wording against each
    /// group's first wording, in order.
    fn all_pairs(wordings: &[&str]) -> Vec<usize> {
        let keys: Vec<QuestionKey> = wordings.iter().map(|w| plain(w)).collect();
        let mut leaders: Vec<usize> = Vec::new();
        keys.iter()
            .enumerate()
            .map(|(i, k)| {
                leaders
                    .iter()
                    .position(|&l| keys[l].similar(k))
                    .unwrap_or_else(|| {
                        leaders.push(i);
                        leaders.len() - 1
                    })
            })
            .collect()
    }

    #[test]
    fn features_are_packed_apart() {
        let all = ["テレ", "レワ", "テ", "テレワーク", "補助金", "a", "ab"];
        let packed: std::collections::HashSet<u64> = all.iter().map(|f| compact(f)).collect();
        assert_eq!(packed.len(), all.len());
        assert_eq!(compact("テレ"), compact("テレ"));
    }

    #[test]
    fn reaching_the_threshold_is_jaccard_at_least_it() {
        let mut rng = 7u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for _ in 0..2_000 {
            let mut set = || {
                let n = next() % 12;
                let mut s: Vec<u32> = (0..n).map(|_| (next() % 16) as u32).collect();
                s.sort_unstable();
                s.dedup();
                s
            };
            let (a, b) = (set(), set());
            for t in [0.5, 0.65, 0.8, 1.0] {
                assert_eq!(reaches(&a, &b, t), jaccard(&a, &b) >= t, "{a:?} {b:?} {t}");
            }
        }
    }

    #[test]
    fn the_filter_groups_exactly_as_every_pair_would() {
        // Wordings that share common endings (ますか, について) and differ in
        // a few characters: many near pairs, many shared bigrams.
        let stems = [
            "テレワークの補助金",
            "育児休業の奨励金",
            "人材確保の相談窓口",
            "女性管理職の研修",
            "時差出勤の取組",
            "介護と仕事の両立",
            "外国人材の採用",
            "副業人材の活用",
        ];
        let tails = [
            "はありますか",
            "について教えて",
            "について知りたいです",
            "はありますか？",
            "を知りたい",
        ];
        let mut owned = Vec::new();
        for (i, s) in stems.iter().enumerate() {
            for (j, t) in tails.iter().enumerate() {
                owned.push(format!("{s}{t}"));
                owned.push(format!(
                    "{}{s}{t}",
                    ["都の", "東京の", "", "うちの会社で"][(i + j) % 4]
                ));
            }
        }
        let wordings: Vec<&str> = owned.iter().map(String::as_str).collect();
        let fast = assign(&wordings, &plain);
        assert_eq!(fast, all_pairs(&wordings));
        let groups = fast.iter().max().unwrap() + 1;
        assert!(groups > 1 && groups < wordings.len(), "{groups}");
    }
}
