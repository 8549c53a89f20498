//! Search on the real data: the quality floor on the public questions, every
//! FAQ entry and measure reachable, out-of-scope questions declined, hostile
//! input answered or declined without panicking.

use std::time::{Duration, Instant};

use madoguchi::eval;
use madoguchi::search::{Decision, Kind};

fn report(path: &std::path::Path) -> eval::Report {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let questions = eval::parse(&text).expect("question file parses");
    eval::evaluate(testkit::engine(), &questions, 3).expect("evaluation runs")
}

fn group<'a>(r: &'a eval::Report, name: &str) -> &'a eval::GroupScore {
    r.groups
        .iter()
        .find(|g| g.group == name)
        .unwrap_or_else(|| panic!("no group {name} in report"))
}

#[test]
fn public_questions_meet_the_quality_floor() {
    let r = report(&testkit::dev_questions());
    let core = group(&r, "core");
    let stretch = group(&r, "stretch");
    let negative = group(&r, "negative");
    let misses = format!("{:#?}", r.misses);
    assert_eq!(core.hit_at_k, 1.0, "core hit@3; misses: {misses}");
    assert!(
        core.hit_at_1 >= 0.9,
        "core hit@1 {}; misses: {misses}",
        core.hit_at_1
    );
    assert!(
        stretch.hit_at_k >= 0.5,
        "stretch hit@3 {}; misses: {misses}",
        stretch.hit_at_k
    );
    assert_eq!(
        negative.declined, 1.0,
        "negatives declined; misses: {misses}"
    );
}

/// Every group of a realistic question file at or above its floor.
fn assert_floors(r: &eval::Report, floors: &[(&str, f64)]) {
    let misses = format!("{:#?}", r.misses);
    for (name, floor) in floors {
        let g = group(r, name);
        let got = if *name == "negative" {
            g.declined
        } else {
            g.hit_at_1
        };
        assert!(
            got >= *floor,
            "{name}: {got:.3} below {floor}; misses: {misses}"
        );
    }
}

/// The real questions of public pages (`dev-questions-real.tsv`): floors at
/// what the product does today, so a change that loses ground fails.
#[test]
fn real_public_questions_meet_the_floor() {
    let path = testkit::dev_questions().with_file_name("dev-questions-real.tsv");
    let r = report(&path);
    assert_floors(
        &r,
        &[
            ("core", 0.78),
            ("hard", 0.50),
            ("english", 0.38),
            ("negative", 0.73),
        ],
    );
}

#[test]
fn realistic_public_messages_meet_the_floor() {
    let path = testkit::dev_questions().with_file_name("dev-questions-realistic.tsv");
    let r = report(&path);
    assert_floors(
        &r,
        &[
            ("core", 0.95),
            ("hard", 0.90),
            ("adjacent", 0.93),
            ("english", 0.80),
            ("kana", 0.92),
            ("negative", 0.95),
        ],
    );
}

#[test]
fn realistic_own_messages_meet_the_floor() {
    let r = report(&testkit::repo().join("tests/questions-realistic.tsv"));
    assert_floors(
        &r,
        &[
            ("core", 0.92),
            ("hard", 0.89),
            ("adjacent", 0.85),
            ("english", 0.96),
            ("kana", 0.90),
            ("negative", 1.0),
        ],
    );
}

#[test]
fn own_questions_meet_the_quality_floor() {
    let r = report(&testkit::repo().join("tests/questions.tsv"));
    let misses = format!("{:#?}", r.misses);
    let core = group(&r, "core");
    assert!(
        core.hit_at_k >= 0.95,
        "hit@3 {}; misses: {misses}",
        core.hit_at_k
    );
    assert!(
        core.hit_at_1 >= 0.85,
        "hit@1 {}; misses: {misses}",
        core.hit_at_1
    );
    assert_eq!(group(&r, "negative").declined, 1.0, "misses: {misses}");
}

#[test]
fn every_faq_entry_is_found_by_its_own_question() {
    let engine = testkit::engine();
    for faq in &engine.knowledge.faqs {
        let outcome = engine.search(&faq.question).unwrap();
        assert!(outcome.answered, "{} declined", faq.id);
        let top3: Vec<&str> = outcome.hits.iter().take(3).map(|h| h.id.as_str()).collect();
        assert!(
            top3.contains(&faq.id.as_str()),
            "{}: top 3 were {top3:?}",
            faq.id
        );
    }
}

#[test]
fn every_measure_is_found_by_its_own_text() {
    let engine = testkit::engine();
    for m in &engine.knowledge.measures {
        let outcome = engine.search(&m.text).unwrap();
        let top3: Vec<&str> = outcome
            .measures
            .iter()
            .take(3)
            .map(String::as_str)
            .collect();
        assert!(
            top3.contains(&m.id.as_str()),
            "{}: top 3 were {top3:?}",
            m.id
        );
    }
}

#[test]
fn an_faq_hit_is_replaced_in_place_by_its_measures() {
    let engine = testkit::engine();
    let ids_of = |f: &madoguchi::data::Faq| -> Vec<String> {
        f.measures.iter().map(ToString::to_string).collect()
    };
    // An FAQ about one area: its first measure is its main one. (An FAQ
    // about several areas has none; its measures follow their relevance.)
    let one_area = |f: &&madoguchi::data::Faq| {
        let areas: std::collections::HashSet<u32> = f
            .measures
            .iter()
            .filter_map(|m| engine.knowledge.measure(m.as_str()))
            .map(|m| m.area)
            .collect();
        areas.len() == 1 && f.measures.len() > 1
    };
    let faq = engine
        .knowledge
        .faqs
        .iter()
        .find(one_area)
        .expect("data has an FAQ entry about one area with several measures");
    let outcome = engine.search(&faq.question).unwrap();
    let pos = outcome
        .hits
        .iter()
        .position(|h| h.kind == Kind::Faq && h.id == faq.id)
        .expect("the FAQ is a hit");
    // Measures up to the FAQ's come from the hits ranked above it and the FAQ.
    let mut expected: Vec<String> = Vec::new();
    for h in &outcome.hits[..=pos] {
        let ids = match h.kind {
            Kind::Measure => vec![h.id.clone()],
            Kind::Faq => ids_of(engine.knowledge.faq(&h.id).unwrap()),
        };
        for id in ids {
            if !expected.contains(&id) {
                expected.push(id);
            }
        }
    }
    // The same measures, up to the FAQ's; the FAQ's main (first) measure
    // leads its others, which follow by their own relevance.
    let mut got = outcome.measures[..expected.len()].to_vec();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    let earlier: Vec<String> = outcome.hits[..pos]
        .iter()
        .flat_map(|h| match h.kind {
            Kind::Measure => vec![h.id.clone()],
            Kind::Faq => ids_of(engine.knowledge.faq(&h.id).unwrap()),
        })
        .collect();
    let at = |id: &str| outcome.measures.iter().position(|m| m == id).unwrap();
    let measures = ids_of(faq);
    if !earlier.contains(&measures[0]) {
        let main = at(&measures[0]);
        for other in measures[1..].iter().filter(|m| !earlier.contains(m)) {
            assert!(
                main < at(other),
                "{} after {other}: {:?}",
                measures[0],
                outcome.measures
            );
        }
    }
}

#[test]
fn out_of_scope_questions_are_declined() {
    let engine = testkit::engine();
    for q in [
        "今日の天気は？",
        "明日は雨が降りますか",
        "おいしいカレーの作り方",
        "日経平均株価の見通しを教えて",
        "Pythonでソートするには",
        "こんにちは",
        "ありがとう",
        "東京タワーの高さは",
        "猫がかわいい",
        "サッカーの試合結果",
    ] {
        let answer = engine.ask(q).unwrap();
        assert!(
            !answer.answered,
            "{q}: answered with confidence {} and {:?}",
            answer.confidence, answer.measures
        );
        assert!(answer.measures.is_empty());
        assert!(answer.message.is_some(), "{q}: a declined answer says so");
        assert_eq!(
            answer.referrals.first().map(|r| r.id.as_str()),
            Some("keiei-shidouin"),
            "{q}: a declined answer points to the default channel"
        );
    }
}

#[test]
fn greetings_alone_get_the_help_text() {
    let engine = testkit::engine();
    for q in [
        "ありがとうございました、助かりました🙏",
        "おはようございます〜",
        "お疲れ様です！",
    ] {
        let answer = engine.ask(q).unwrap();
        assert_eq!(answer.decision, Decision::Greeting, "{q}");
        let m = &engine.knowledge.messages;
        let help = m.help_text(
            &format!("/{}", m.bot.ask_name),
            &format!("/{}", m.bot.programs_name),
        );
        assert_eq!(answer.message.as_deref(), Some(help.as_str()), "{q}");
    }
    // Greetings around a question leave the question.
    let answer = engine
        .ask("お世話になっております。テレワーク用のパソコン購入に補助はありますか。よろしくお願いいたします。")
        .unwrap();
    assert_eq!(answer.decision, Decision::Answer);
    assert_eq!(
        answer.measures.first().map(String::as_str),
        Some("2.tokyo.b.3")
    );
}

#[test]
fn topics_out_of_scope_are_declined_with_their_referral() {
    let engine = testkit::engine();
    for q in [
        "神奈川県のテレワーク補助金を使いたい",
        "IT導入補助金の申請期限は？",
        "Is there a telework subsidy in Osaka?",
        "インボイスの登録ってどうやるの",
        // Whether the law obliges something is a legal question.
        "診断書があれば休職を認めなければならないのでしょうか",
        // Each topic in English too.
        "How do I file a consumption tax return for my company?",
        "I want to start my own company in Tokyo. What should I do?",
        "Can we get a bank loan for new telework equipment?",
    ] {
        let answer = engine.ask(q).unwrap();
        assert_eq!(answer.decision, Decision::OutOfScope, "{q}");
        assert!(answer.measures.is_empty(), "{q}");
        assert!(answer.topic.is_some(), "{q}");
        assert!(!answer.referrals.is_empty(), "{q}");
    }
    // What the question excludes is not what it asks.
    let answer = engine
        .ask("IT導入補助金じゃなくて、都のテレワーク機器の補助を知りたい")
        .unwrap();
    assert!(answer.answered, "{:?}", answer.decision);
    // A word of a topic inside the plan's own English is not the topic.
    for q in [
        "Can someone help us build an HR strategy? We're a 30-person startup.",
        "Can we borrow staff from another company in the busy season?",
    ] {
        let answer = engine.ask(q).unwrap();
        assert!(answer.answered, "{q}: {:?}", answer.decision);
    }
}

#[test]
fn english_romaji_and_katakana_find_the_programme() {
    let engine = testkit::engine();
    for (q, id) in [
        ("Is there a subsidy for telework equipment?", "2.tokyo.b.3"),
        ("terewaaku no kiki no hojo", "2.tokyo.b.3"),
        ("terewāku no kiki no hojo", "2.tokyo.b.3"),
        ("ﾃﾚﾜｰｸﾉｷｷﾉﾎｼﾞｮ", "2.tokyo.b.3"),
        (
            "<@123456789012345678> @everyone テレワークの機器の補助は？",
            "2.tokyo.b.3",
        ),
    ] {
        let answer = engine.ask(q).unwrap();
        assert!(answer.answered, "{q}: {:?}", answer.decision);
        assert_eq!(answer.measures.first().map(String::as_str), Some(id), "{q}");
    }
}

#[test]
fn a_question_naming_one_actor_prefers_its_measures() {
    let engine = testkit::engine();
    let chamber = engine
        .ask("東商のメルマガでスムーズビズの情報はもらえますか")
        .unwrap();
    assert_eq!(
        chamber.measures.first().map(String::as_str),
        Some("3.cci.a")
    );
    let answer = engine
        .ask("会議所のメルマガで人材確保の情報は届く？")
        .unwrap();
    let first = answer
        .measures
        .first()
        .and_then(|id| engine.knowledge.measure(id));
    assert_eq!(
        first.map(|m| (m.area, m.actor)),
        Some((6, madoguchi::data::Actor::Chamber)),
        "{:?}",
        answer.measures
    );
}

#[test]
fn referrals_follow_the_matched_measures() {
    let engine = testkit::engine();
    let a = engine
        .ask("テレワークを導入したいので相談に乗ってほしい")
        .unwrap();
    assert!(a.answered);
    let ids: Vec<&str> = a.referrals.iter().map(|r| r.id.as_str()).collect();
    assert!(
        ids.contains(&"telework-center") || ids.contains(&"telework-desk"),
        "{ids:?}"
    );
    let a = engine.ask("外国人を採用したい").unwrap();
    let ids: Vec<&str> = a.referrals.iter().map(|r| r.id.as_str()).collect();
    assert!(ids.contains(&"gaikoku-navi"), "{ids:?}");
}

#[test]
fn every_answer_names_the_plan_it_rests_on() {
    let engine = testkit::engine();
    for q in ["テレワークの補助金", "天気"] {
        let a = engine.ask(q).unwrap();
        assert!(a.plan.basis.contains("令和5年度"), "{}", a.plan.basis);
        assert!(a.plan.basis.contains("2023-04-01"), "{}", a.plan.basis);
    }
}

#[test]
fn hiragana_only_questions_are_understood() {
    let engine = testkit::engine();
    let a = engine.ask("てれわーくのほじょきん").unwrap();
    assert!(a.answered, "confidence {}", a.confidence);
    let top3: Vec<&str> = a.measures.iter().take(3).map(String::as_str).collect();
    assert!(
        top3.contains(&"2.tokyo.b.3") || top3.contains(&"2.tokyo.b.4"),
        "{top3:?}"
    );
}

#[test]
fn hostile_questions_answer_or_decline_quickly() {
    let engine = testkit::engine();
    let long_text = "テレワークの補助金について。".repeat(5_000); // 70,000 characters
    let one_token = "あ".repeat(70_000);
    let cases: Vec<String> = vec![
        String::new(),
        "   \t\u{3000}\n".into(),
        "😀🎉👍🏽👨‍👩‍👧‍👦".into(),
        "(".repeat(3_200),
        "(((テレワーク)))".into(),
        "\"".into(),
        "*".into(),
        "title:テレワーク AND OR NOT -補助金 ^2 ~ \"".into(),
        long_text,
        one_token,
        "ｶﾞ①㍻\u{0}\u{202E}\u{FEFF}\u{200B}e\u{0301}".into(),
        "@everyone テレワーク".into(),
        // Each of the named cases on its own too.
        "\t\t\t".into(),
        "\u{3000}\u{3000}".into(),
        "。、！？…・「」『』（）【】!?.,;:-_/\\".into(),
        "テレワークの補助金について".repeat(154)[..]
            .chars()
            .take(2_000)
            .collect(),
        "テレワークの補助金について".repeat(462)[..]
            .chars()
            .take(6_000)
            .collect(),
        "a".repeat(70_000), // one 70,000-byte token
        "field:".into(),
        "title:".into(),
        "AND OR NOT".into(),
        "👍🏽👍🏿👨‍👩‍👧‍👦🏳️‍🌈".into(),
        "e\u{0301}\u{0300}\u{0323}a\u{0308}".into(),
        "ｶﾞ".into(),
        "①".into(),
        "㍻".into(),
        "\u{0}".into(),
        "テレワーク\u{0}の補助".into(),
        "\u{202E}テレワークの補助金".into(),
        "\u{FEFF}テレワークの補助金".into(),
        "\u{200B}\u{200C}\u{200D}\u{2060}".into(),
        "テ\u{200B}レ\u{200D}ワーク".into(),
    ];
    for q in &cases {
        let started = Instant::now();
        let a = engine
            .ask(q)
            .unwrap_or_else(|e| panic!("{:?}: {e}", q.chars().take(20).collect::<String>()));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?} took {:?}",
            q.chars().take(20).collect::<String>(),
            started.elapsed()
        );
        assert!(a.confidence.is_finite());
        // Declined with somewhere to go, or answered with programmes.
        assert_eq!(a.answered, !a.measures.is_empty(), "{q:?}");
        assert!(!a.referrals.is_empty());
    }
    for declined in [
        "",
        "😀🎉",
        "\t\t\t",
        "\u{3000}\u{3000}",
        "。、！？…・「」『』（）【】!?.,;:-_/\\",
        "(".repeat(3_200).as_str(),
        "\"",
        "*",
        "field:",
        "AND OR NOT",
        "\u{0}",
        "\u{200B}\u{200C}\u{200D}\u{2060}",
    ] {
        assert!(!engine.ask(declined).unwrap().answered, "{declined:?}");
    }
    for answered in [
        "(((テレワーク)))",
        "\u{202E}テレワークの補助金",
        "\u{FEFF}テレワークの補助金",
        "テ\u{200B}レ\u{200D}ワーク",
    ] {
        assert!(engine.ask(answered).unwrap().answered, "{answered:?}");
    }
}

/// The example questions a decline offers (`messages.toml`, Japanese and
/// English) are answered for sure: an owner who tries one gets an answer.
#[test]
fn the_examples_a_decline_offers_are_answered() {
    let engine = testkit::engine();
    let m = &engine.knowledge.messages;
    for q in m.examples.iter().chain(&m.en.examples) {
        let a = engine.ask(q).unwrap();
        assert_eq!(a.decision, madoguchi::search::Decision::Answer, "{q}");
        assert!(!a.programmes.is_empty(), "{q}");
    }
}

/// What an answer shows is the programmes that answer the question: one
/// that only shares 「助成金」 with it is left out, and the referral follows
/// what the FAQ entry it rests on says to ask.
#[test]
fn an_answer_shows_only_programmes_that_answer_it_and_the_referral_its_faq_names() {
    let engine = testkit::engine();
    let a = engine
        .ask("外国人社員の日本語教育に助成金はありますか")
        .unwrap();
    let shown: Vec<&str> = a.programmes.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(shown.first(), Some(&"6.tokyo.e"), "{shown:?}");
    for p in &a.programmes {
        assert_eq!(p.area, 6, "{} answers something else", p.id);
    }
    let a = engine
        .ask("テレワークの導入に使える補助金はありますか")
        .unwrap();
    let faq = a.faq.as_ref().expect("an FAQ entry answers it");
    let first = &a.referrals[0];
    assert!(
        faq.answer.contains(&first.name),
        "{} not in {}",
        first.name,
        faq.answer
    );
}
