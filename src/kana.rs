//! Kana and the folded form text is matched in: hiragana and katakana
//! each to the other, and [`fold`] (kana to katakana, only letters and
//! digits kept), which the analysis, the question reader, the scope check
//! and the data's validation all compare by. No dependency: every layer
//! may use it.

pub fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c) || c == 'ー'
}

pub fn is_hiragana(c: char) -> bool {
    ('\u{3041}'..='\u{3096}').contains(&c)
}

/// Katakana to hiragana (the long-vowel mark kept); everything else
/// unchanged.
pub fn to_hiragana(s: &str) -> String {
    s.chars()
        .map(|c| {
            if ('\u{30A1}'..='\u{30F6}').contains(&c) {
                char::from_u32(c as u32 - KANA_GAP).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// How far a katakana letter is from its hiragana in Unicode (ア − あ).
const KANA_GAP: u32 = 0x60;

/// The katakana of a hiragana letter; any other character unchanged.
fn katakana_of(c: char) -> char {
    if is_hiragana(c) {
        char::from_u32(c as u32 + KANA_GAP).unwrap_or(c)
    } else {
        c
    }
}

/// Hiragana to katakana; everything else unchanged.
pub fn to_katakana(s: &str) -> String {
    s.chars().map(katakana_of).collect()
}

/// Kana folded to katakana, long-vowel marks kept, everything that is not a
/// letter or digit dropped.
pub fn fold(s: &str) -> String {
    fold_with_map(s).0
}

/// [`fold`], plus for every byte of the result the byte offset in `s` it came
/// from (and one entry past the end).
pub fn fold_with_map(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len() + 1);
    for (i, c) in s.char_indices() {
        if !(c.is_alphanumeric() || c == 'ー') {
            continue;
        }
        let c = katakana_of(c);
        for _ in 0..c.len_utf8() {
            map.push(i);
        }
        out.push(c);
    }
    map.push(s.len());
    (out, map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_maps_kana_and_drops_punctuation() {
        assert_eq!(fold("てれわーく、の補助!"), "テレワークノ補助");
        let (f, map) = fold_with_map("a、b");
        assert_eq!(f, "ab");
        assert_eq!(map, vec![0, 4, 5]);
    }
}
