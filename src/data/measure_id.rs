//! The id of a measure, `<area>.<tokyo|cci>.<item>[.<bullet>]` (e.g.
//! `2.tokyo.b.3`): parsed once, where it is read, into the area, the actor,
//! the item letter and the bullet number it names. Ids are part of the
//! product's interface (FAQ entries, channels, the index, the bot's
//! records), so an id prints exactly as it was written: only the canonical
//! form (no leading zeros, lowercase) parses.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::Actor;

/// A measure id in the scheme `<area>.<tokyo|cci>.<item>[.<bullet>]`.
///
/// Compares, hashes and borrows as its text, so a map keyed by ids is
/// looked up with a `&str` as well.
#[derive(Debug, Clone)]
pub struct MeasureId {
    text: Box<str>,
    area: u32,
    actor: Actor,
    item: char,
    bullet: Option<u32>,
}

/// A string that is not a measure id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a measure id of the form <area>.<tokyo|cci>.<item>[.<n>]")]
pub struct MeasureIdError(String);

impl MeasureId {
    /// The id of item `item` (a lowercase ASCII letter) of `actor` in
    /// `area`, e.g. `2.tokyo.b`; `None` for any other letter.
    pub fn item_of(area: u32, actor: Actor, item: char) -> Option<MeasureId> {
        item.is_ascii_lowercase().then(|| MeasureId {
            text: format!("{area}.{}.{item}", actor.id_word()).into(),
            area,
            actor,
            item,
            bullet: None,
        })
    }

    /// The id of bullet `n` under this id's item, e.g. `2.tokyo.b.3`.
    pub fn bullet_of(&self, n: u32) -> MeasureId {
        let item = self.item_id();
        MeasureId {
            text: format!("{item}.{n}").into(),
            bullet: Some(n),
            ..item
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The area number, the id's first part.
    pub fn area(&self) -> u32 {
        self.area
    }

    /// Who carries the measure out: `tokyo` is the metropolis, `cci` the
    /// chamber.
    pub fn actor(&self) -> Actor {
        self.actor
    }

    /// The item letter (`b` for ア, イ … read as a, b …).
    pub fn item_letter(&self) -> char {
        self.item
    }

    /// The bullet number under the item, if the id names a bullet.
    pub fn bullet(&self) -> Option<u32> {
        self.bullet
    }

    /// The item this bullet sits under (`2.tokyo.b` for `2.tokyo.b.3`);
    /// `None` for an item.
    pub fn parent(&self) -> Option<MeasureId> {
        self.bullet.map(|_| self.item_id())
    }

    /// The item id itself, or the item a bullet sits under.
    fn item_id(&self) -> MeasureId {
        match self.bullet {
            None => self.clone(),
            Some(_) => MeasureId {
                text: format!("{}.{}.{}", self.area, self.actor.id_word(), self.item).into(),
                bullet: None,
                ..self.clone()
            },
        }
    }
}

/// A decimal number without sign or leading zero, as ids write them.
fn number(part: &str) -> Option<u32> {
    let canonical = !part.is_empty()
        && part.bytes().all(|b| b.is_ascii_digit())
        && (part == "0" || !part.starts_with('0'));
    canonical.then(|| part.parse().ok()).flatten()
}

impl std::str::FromStr for MeasureId {
    type Err = MeasureIdError;

    fn from_str(s: &str) -> Result<MeasureId, MeasureIdError> {
        let bad = || MeasureIdError(s.to_string());
        let mut parts = s.split('.');
        let area = parts.next().and_then(number).ok_or_else(bad)?;
        let actor = match parts.next() {
            Some("tokyo") => Actor::Tokyo,
            Some("cci") => Actor::Chamber,
            _ => return Err(bad()),
        };
        let item = match parts.next().map(|p| p.as_bytes()) {
            Some(&[c]) if c.is_ascii_lowercase() => char::from(c),
            _ => return Err(bad()),
        };
        let bullet = match parts.next() {
            None => None,
            Some(p) => Some(number(p).filter(|&n| n > 0).ok_or_else(bad)?),
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(MeasureId {
            text: s.into(),
            area,
            actor,
            item,
            bullet,
        })
    }
}

impl fmt::Display for MeasureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for MeasureId {
    fn eq(&self, other: &MeasureId) -> bool {
        self.text == other.text
    }
}

impl Eq for MeasureId {}

impl PartialEq<str> for MeasureId {
    fn eq(&self, other: &str) -> bool {
        &*self.text == other
    }
}

impl PartialEq<&str> for MeasureId {
    fn eq(&self, other: &&str) -> bool {
        &*self.text == *other
    }
}

impl Hash for MeasureId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl PartialOrd for MeasureId {
    fn partial_cmp(&self, other: &MeasureId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MeasureId {
    fn cmp(&self, other: &MeasureId) -> Ordering {
        self.text.cmp(&other.text)
    }
}

impl Borrow<str> for MeasureId {
    fn borrow(&self) -> &str {
        &self.text
    }
}

impl AsRef<str> for MeasureId {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl Serialize for MeasureId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for MeasureId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<MeasureId, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Up to three of `ids` that look like `wanted`: the same item first, then
/// the same area and actor; in id order. None when `wanted` is no id.
pub(super) fn closest<'a>(
    wanted: &str,
    ids: impl Iterator<Item = &'a MeasureId>,
) -> Vec<&'a MeasureId> {
    /// The hint stays short: three ids are enough to see the numbering.
    const SHOWN: usize = 3;
    let Ok(wanted) = wanted.parse::<MeasureId>() else {
        return Vec::new();
    };
    let mut near: Vec<(bool, &MeasureId)> = ids
        .filter(|id| id.area == wanted.area && id.actor == wanted.actor)
        .map(|id| (id.item != wanted.item, id))
        .collect();
    near.sort();
    let mut out: Vec<&MeasureId> = near.into_iter().take(SHOWN).map(|(_, id)| id).collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> MeasureId {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn an_id_knows_its_parts_and_prints_as_written() {
        let b3 = id("2.tokyo.b.3");
        assert_eq!(
            (b3.area(), b3.actor(), b3.item_letter(), b3.bullet()),
            (2, Actor::Tokyo, 'b', Some(3))
        );
        assert_eq!(b3.to_string(), "2.tokyo.b.3");
        assert_eq!(b3.parent(), Some(id("2.tokyo.b")));
        assert_eq!(id("2.tokyo.b").parent(), None);
        let e = id("12.cci.f");
        assert_eq!(
            (e.area(), e.actor(), e.bullet()),
            (12, Actor::Chamber, None)
        );
    }

    #[test]
    fn only_the_scheme_parses() {
        for bad in [
            "",
            "2",
            "2.tokyo",
            "2.tokyo.B",
            "2.tokyo.bb",
            "2.osaka.b",
            "02.tokyo.b",
            "+2.tokyo.b",
            "2.tokyo.b.0",
            "2.tokyo.b.03",
            "2.tokyo.b.3.1",
            "2.tokyo.b.",
            "２.tokyo.b",
            "telework",
        ] {
            let e = bad.parse::<MeasureId>().unwrap_err();
            assert!(e.to_string().contains("<area>.<tokyo|cci>"), "{bad}: {e}");
        }
    }

    #[test]
    fn ids_are_built_as_the_import_numbers_them() {
        let item = MeasureId::item_of(4, Actor::Chamber, 'a').unwrap();
        assert_eq!(item, id("4.cci.a"));
        assert_eq!(item.bullet_of(2), id("4.cci.a.2"));
        assert_eq!(id("4.cci.a.2").bullet_of(5), id("4.cci.a.5"));
        assert!(MeasureId::item_of(4, Actor::Tokyo, 'ア').is_none());
    }

    #[test]
    fn ids_compare_and_look_up_as_their_text() {
        let mut map = std::collections::HashMap::new();
        map.insert(id("6.tokyo.a.5"), 1);
        assert_eq!(map.get("6.tokyo.a.5"), Some(&1));
        assert!(id("6.tokyo.a.5") == "6.tokyo.a.5");
        let json = serde_json::to_string(&id("6.tokyo.a.5")).unwrap();
        assert_eq!(json, "\"6.tokyo.a.5\"");
        assert_eq!(
            serde_json::from_str::<MeasureId>(&json).unwrap(),
            id("6.tokyo.a.5")
        );
        assert!(serde_json::from_str::<MeasureId>("\"6.tokyo\"").is_err());
    }

    #[test]
    fn the_closest_ids_share_the_item_then_the_area_and_actor() {
        let ids: Vec<MeasureId> = [
            "2.tokyo.a",
            "2.tokyo.b",
            "2.tokyo.b.1",
            "2.tokyo.b.2",
            "2.tokyo.c",
            "2.cci.b",
            "3.tokyo.b",
        ]
        .into_iter()
        .map(id)
        .collect();
        let names = |wanted| -> Vec<String> {
            closest(wanted, ids.iter())
                .iter()
                .map(|i| i.to_string())
                .collect()
        };
        assert_eq!(
            names("2.tokyo.b.99"),
            ["2.tokyo.b", "2.tokyo.b.1", "2.tokyo.b.2"]
        );
        assert_eq!(
            names("2.tokyo.z"),
            ["2.tokyo.a", "2.tokyo.b", "2.tokyo.b.1"]
        );
        assert_eq!(names("2.cci.z.1"), ["2.cci.b"]);
        assert!(names("9.tokyo.a").is_empty());
        assert!(names("not-an-id").is_empty());
    }
}
