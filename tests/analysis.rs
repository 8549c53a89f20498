//! The analysis chain on the real dictionary: normalisation, base forms,
//! stop words, user dictionary, synonyms and readings.

use madoguchi::analysis::Analyzer;
use madoguchi::data::{Rule, Synonyms};
use madoguchi::dictionary;

fn bare_analyzer(synonyms: &Synonyms) -> Analyzer {
    testkit::engine(); // makes sure the shared dictionary is built
    let dict = dictionary::load(&testkit::dictionary_dir()).expect("dictionary");
    Analyzer::new(dict, None, synonyms).expect("analyzer")
}

#[test]
fn half_width_and_full_width_are_the_same_word() {
    let a = &testkit::engine().analyzer;
    assert_eq!(a.terms("ﾃﾚﾜｰｸ").unwrap(), a.terms("テレワーク").unwrap());
    assert_eq!(a.terms("ＥＸＰＯ").unwrap(), a.terms("expo").unwrap());
    assert_eq!(
        a.terms("テレワ-ク").unwrap(),
        a.terms("テレワーク").unwrap()
    );
}

#[test]
fn verbs_and_adjectives_are_reduced_to_their_base_form() {
    let a = &testkit::engine().analyzer;
    let terms = a.terms("人手が足りなくて困っています").unwrap();
    assert!(terms.contains(&"足りる".to_string()), "{terms:?}");
    assert!(terms.contains(&"困る".to_string()), "{terms:?}");
    assert!(terms.contains(&"人手".to_string()), "{terms:?}");
}

#[test]
fn particles_auxiliaries_symbols_and_filler_are_dropped() {
    let a = &testkit::engine().analyzer;
    assert!(a.terms("について教えてください。").unwrap().is_empty());
    assert!(a.terms("？！…（）「」").unwrap().is_empty());
    let terms = a.terms("テレワークの補助金はありますか？").unwrap();
    assert!(terms.contains(&"テレワーク".to_string()), "{terms:?}");
    assert!(
        !terms.iter().any(|t| t == "の" || t == "は" || t == "か"),
        "{terms:?}"
    );
}

#[test]
fn katakana_long_vowel_is_stemmed() {
    let a = &testkit::engine().analyzer;
    assert_eq!(a.terms("サーバー").unwrap(), a.terms("サーバ").unwrap());
}

#[test]
fn kana_iteration_marks_are_expanded() {
    let a = &testkit::engine().analyzer;
    assert_eq!(a.normalize("こゝろ"), "こころ");
}

#[test]
fn invisible_characters_become_spaces() {
    let a = &testkit::engine().analyzer;
    let n = a.normalize("テレ\u{200B}ワーク\u{202E}\u{FEFF}\0");
    assert!(
        !n.contains(['\u{200B}', '\u{202E}', '\u{FEFF}', '\0']),
        "{n:?}"
    );
}

#[test]
fn user_dictionary_keeps_programme_names_whole() {
    let a = &testkit::engine().analyzer;
    assert_eq!(a.terms("スムーズビズ").unwrap(), vec!["スムーズビズ"]);
}

#[test]
fn synonym_groups_add_the_other_members_to_the_same_concept() {
    let syn = Synonyms {
        groups: vec![vec!["テレワーク".into(), "在宅勤務".into()]],
        rules: vec![],
    };
    let a = bare_analyzer(&syn);
    let q = a.question("在宅勤務を始めたい", &|_| false).unwrap();
    let concept = q
        .concepts
        .iter()
        .find(|c| c.alternatives.contains(&vec!["テレワーク".to_string()]))
        .unwrap_or_else(|| panic!("no concept took テレワーク: {:?}", q.concepts));
    // 在宅 and 勤務 were merged into the one concept the group names.
    assert!(concept.terms.contains(&"在宅".to_string()), "{concept:?}");
    assert!(concept.terms.contains(&"勤務".to_string()), "{concept:?}");
}

#[test]
fn rules_match_conjugated_forms_through_base_forms() {
    let syn = Synonyms {
        groups: vec![],
        rules: vec![Rule {
            when: vec!["人手が足りない".into()],
            add: vec!["人材確保".into()],
        }],
    };
    let a = bare_analyzer(&syn);
    let q = a.question("うちは人手が足りなくて", &|_| false).unwrap();
    assert!(
        q.concepts.iter().any(|c| c
            .alternatives
            .contains(&vec!["人材".to_string(), "確保".to_string()])),
        "{:?}",
        q.concepts
    );
}

#[test]
fn a_rule_applies_at_every_place_its_triggers_are() {
    let syn = Synonyms {
        groups: vec![],
        rules: vec![Rule {
            when: vec!["36協定".into(), "変形労働時間".into()],
            add: vec!["知識".into()],
        }],
    };
    let a = bare_analyzer(&syn);
    let q = a
        .question("36協定とか変形労働時間制とか", &|_| false)
        .unwrap();
    let with_addition: Vec<_> = q
        .concepts
        .iter()
        .filter(|c| c.alternatives.contains(&vec!["知識".to_string()]))
        .collect();
    assert_eq!(with_addition.len(), 2, "{:?}", q.concepts);
    // Each place is one concept: 36 with 協定, 変形 with 労働.
    assert!(
        with_addition.iter().all(|c| c.terms.len() >= 2),
        "{:?}",
        q.concepts
    );
}

#[test]
fn stop_words_in_a_kana_stretch_count_as_read() {
    let a = bare_analyzer(&Synonyms::default());
    // Romaji becomes one stretch of kana; ほしい and の are read, not asked.
    let known = |r: &str| ["ロド", "ジカン", "ジョホ", "マトメ"].contains(&r);
    let q = a
        .question("ろうどうじかんのほうのきまりじょうほうまとめほしい", &known)
        .unwrap();
    let readings: Vec<&str> = q
        .concepts
        .iter()
        .flat_map(|c| c.readings.iter().map(String::as_str))
        .collect();
    assert!(readings.contains(&"ロド"), "{:?}", q.concepts);
    assert!(readings.contains(&"ジョホ"), "{:?}", q.concepts);
}

#[test]
fn all_hiragana_questions_are_read_against_known_readings() {
    let a = bare_analyzer(&Synonyms::default());
    // Readings are compared with vowel length ignored (テレワーク → テレワク).
    let known = |r: &str| r == "テレワク" || r == "ホジョ";
    let q = a
        .question("てれわーくのほじょはありますか", &known)
        .unwrap();
    let readings: Vec<&str> = q
        .concepts
        .iter()
        .flat_map(|c| c.readings.iter().map(String::as_str))
        .collect();
    assert_eq!(readings, vec!["テレワク", "ホジョ"]);
}

#[test]
fn unknown_words_carry_bigrams() {
    let a = bare_analyzer(&Synonyms::default());
    let q = a.question("ズンドコベロンチョ", &|_| false).unwrap();
    assert!(
        q.concepts.iter().any(|c| c.unknown && c.bigrams.len() >= 2),
        "{:?}",
        q.concepts
    );
}

#[test]
fn compounds_also_give_their_parts() {
    let a = bare_analyzer(&Synonyms::default());
    let terms = a.terms("株式会社").unwrap();
    assert_eq!(terms, vec!["株式会社", "株式", "会社"]);
    // In a question the parts are alternatives of the compound's concept.
    let q = a.question("株式会社", &|_| false).unwrap();
    assert_eq!(q.concepts.len(), 1);
    assert_eq!(q.concepts[0].terms, vec!["株式会社"]);
    assert_eq!(q.concepts[0].alternatives, vec![vec!["株式", "会社"]]);
}
