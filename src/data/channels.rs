//! `channels.toml`: the referral channels, each linked to measures and
//! areas of the plans, exactly one of them the default.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::source::{Loader, Source, valid_id};
use super::{Channel, ChannelKind};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannelFile {
    #[serde(default)]
    channel: Vec<Spanned<RawChannel>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    id: String,
    name: String,
    kind: ChannelKind,
    operator: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    measures: Vec<String>,
    #[serde(default)]
    areas: Vec<u32>,
    #[serde(default)]
    default: bool,
    url: Option<String>,
    phone: Option<String>,
    place: Option<String>,
    hours: Option<String>,
}

/// What channels may name: the measures and areas of every plan loaded.
pub(super) struct PlanParts<'a> {
    pub(super) measures: HashSet<&'a str>,
    pub(super) areas: HashSet<u32>,
}

/// Reads and validates `channels.toml`; `plans` is `None` when no plan
/// loaded (then the missing plan is the one problem, not every link).
pub(super) fn load(ld: &mut Loader, path: &Path, plans: Option<&PlanParts>) -> Vec<Channel> {
    match ld.read_toml::<RawChannelFile>(path, true) {
        Some((src, raw)) => channels(ld, &src, raw, plans),
        None => Vec::new(),
    }
}

fn channels(
    ld: &mut Loader,
    src: &Source,
    raw: RawChannelFile,
    plans: Option<&PlanParts>,
) -> Vec<Channel> {
    let mut seen = HashSet::new();
    let mut channels = Vec::new();
    for c in raw.channel {
        let span = c.span();
        let c = c.into_inner();
        let mut problem = |message: String, fix: &str| {
            ld.problem_at(src, Some(span.clone()), Some(&c.id), message, fix);
        };
        if !valid_id(&c.id) {
            problem(
                "a channel id may hold only ASCII letters, digits, '.', '-' and '_'".into(),
                "use a short ASCII id such as telework-center",
            );
        }
        if !seen.insert(c.id.clone()) {
            problem(
                "channel id used twice".into(),
                "give each [[channel]] its own id",
            );
        }
        for m in &c.measures {
            if plans.is_some_and(|p| !p.measures.contains(m.as_str())) {
                problem(
                    format!("measure `{m}` is not in the plan"),
                    "use a measure id from data/plan.toml (`madoguchi check` lists them with \
                     --measures)",
                );
            }
        }
        for a in &c.areas {
            if plans.is_some_and(|p| !p.areas.contains(a)) {
                problem(
                    format!("area {a} is not in the plan"),
                    "use an area number from data/plan.toml",
                );
            }
        }
        ld.nonempty(src, &span, &c.id, "name", &c.name);
        if let Some(url) = &c.url
            && !(url.starts_with("https://") && url.len() > 8 && !url.contains(char::is_whitespace))
        {
            ld.problem_at(
                src,
                Some(span.clone()),
                Some(&c.id),
                format!("`url` is not an https address: `{url}`"),
                "write the page's address as it is shown, starting with https://",
            );
        }
        if let Some(phone) = &c.phone
            && !is_phone(phone)
        {
            ld.problem_at(
                src,
                Some(span.clone()),
                Some(&c.id),
                format!("`phone` is not a Japanese phone number: `{phone}`"),
                "write it as the page shows it, with hyphens, e.g. 03-1234-5678 or 0120-123-456",
            );
        }
        for (key, value) in [("place", &c.place), ("hours", &c.hours)] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                ld.problem_at(
                    src,
                    Some(span.clone()),
                    Some(&c.id),
                    format!("`{key}` is empty"),
                    "write it as the public page states it, or leave the key out",
                );
            }
        }
        channels.push(Channel {
            measures: c.measures.iter().filter_map(|m| m.parse().ok()).collect(),
            id: c.id,
            name: c.name,
            kind: c.kind,
            operator: c.operator,
            description: c.description,
            areas: c.areas,
            default: c.default,
            url: c.url,
            phone: c.phone,
            place: c.place,
            hours: c.hours,
        });
    }
    one_default(ld, src, &channels);
    channels
}

/// Whether `s` is a Japanese phone number as pages print it: a leading 0,
/// three groups of digits joined by hyphens, ten or eleven digits in all.
fn is_phone(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    let digits: usize = groups.iter().map(|g| g.len()).sum();
    groups.len() == 3
        && s.starts_with('0')
        && groups
            .iter()
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
        && (10..=11).contains(&digits)
}

/// Exactly one channel is where owners go when nothing more specific
/// applies.
fn one_default(ld: &mut Loader, src: &Source, channels: &[Channel]) {
    let (message, fix) = match channels.iter().filter(|c| c.default).count() {
        1 => return,
        0 => (
            "no channel is marked `default = true`",
            "mark the general referral (経営指導員) with `default = true`",
        ),
        _ => (
            "more than one channel is marked `default = true`",
            "keep `default = true` on one channel only",
        ),
    };
    ld.problem_at(src, None, None, message, fix);
}

#[cfg(test)]
mod tests {
    use super::super::source::tests::{loaded, said};
    use super::*;

    fn load(text: &str, plans: Option<&PlanParts>) -> (Loader, Vec<Channel>) {
        let (mut ld, src) = loaded("channels.toml", text);
        let raw = ld.parse::<RawChannelFile>(&src).expect("parses");
        let channels = channels(&mut ld, &src, raw, plans);
        (ld, channels)
    }

    fn channel(id: &str, extra: &str) -> String {
        format!(
            "[[channel]]\nid = \"{id}\"\nname = \"窓口\"\nkind = \"contact\"\noperator = \"都\"\n{extra}\n"
        )
    }

    fn plan() -> PlanParts<'static> {
        PlanParts {
            measures: ["2.tokyo.b", "2.tokyo.b.3"].into(),
            areas: [2].into(),
        }
    }

    #[test]
    fn links_name_measures_and_areas_of_the_plans() {
        let text = channel(
            "desk",
            "default = true\nmeasures = [\"2.tokyo.b.3\", \"2.tokyo.z\"]\nareas = [2, 7]",
        );
        let (ld, channels) = load(&text, Some(&plan()));
        assert_eq!(
            said(&ld),
            [
                "1: [desk]: measure `2.tokyo.z` is not in the plan",
                "1: [desk]: area 7 is not in the plan"
            ]
        );
        assert_eq!(channels[0].measures.len(), 2, "both ids parse");
        // Without a plan, the plan's absence is the problem, not the links.
        let (ld, _) = load(&text, None);
        assert!(ld.problems.is_empty(), "{:?}", said(&ld));
    }

    #[test]
    fn a_url_is_an_https_address() {
        let text = [
            channel(
                "a",
                "default = true\nurl = \"https://example.jp/madoguchi/\"",
            ),
            channel("b", "url = \"http://example.jp/\""),
            channel("c", "url = \"https://example.jp/a b\""),
        ]
        .concat();
        let (ld, _) = load(&text, Some(&plan()));
        let told = said(&ld);
        assert_eq!(told.len(), 2, "{told:?}");
        assert!(
            told[0].contains("[b]: `url` is not an https address"),
            "{told:?}"
        );
        assert!(
            told[1].contains("[c]: `url` is not an https address"),
            "{told:?}"
        );
    }

    #[test]
    fn a_phone_is_a_japanese_number_and_place_and_hours_are_not_empty() {
        let text = [
            channel(
                "a",
                "default = true\nphone = \"03-1234-5678\"\nplace = \"千代田区\"\nhours = \"平日9時〜17時\"",
            ),
            channel("b", "phone = \"0120-123-456\""),
            channel("c", "phone = \"+81 3 1234 5678\""),
            channel("d", "phone = \"3-1234-5678\""),
            channel("e", "hours = \" \""),
        ]
        .concat();
        let (ld, channels) = load(&text, Some(&plan()));
        let told = said(&ld);
        assert_eq!(told.len(), 3, "{told:?}");
        assert!(told[0].contains("[c]: `phone` is not a Japanese phone number"));
        assert!(told[1].contains("[d]: `phone` is not a Japanese phone number"));
        assert!(told[2].contains("[e]: `hours` is empty"));
        assert_eq!(channels[0].phone.as_deref(), Some("03-1234-5678"));
        assert_eq!(channels[0].place.as_deref(), Some("千代田区"));
    }

    #[test]
    fn ids_are_ascii_and_unique_and_one_channel_is_the_default() {
        let text = [
            channel("desk", "default = true"),
            channel("desk", "default = true"),
            channel("相談", ""),
        ]
        .concat();
        let (ld, _) = load(&text, Some(&plan()));
        let told = said(&ld);
        assert_eq!(told[0], "7: [desk]: channel id used twice");
        assert!(
            told[1].starts_with("13: [相談]: a channel id may hold only ASCII"),
            "{told:?}"
        );
        assert_eq!(
            told[2],
            "0: []: more than one channel is marked `default = true`"
        );
        let (ld, _) = load(&channel("desk", ""), Some(&plan()));
        assert_eq!(said(&ld), ["0: []: no channel is marked `default = true`"]);
    }
}
