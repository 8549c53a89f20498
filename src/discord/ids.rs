//! The ids of the components of this bot's messages: what a button or a
//! menu does ([`CustomId`]) and which candidate a menu option names
//! ([`Candidate`]), each written with `Display` and read back with
//! `FromStr`, the one place that knows their texts.

use std::fmt;
use std::str::FromStr;

use crate::records::Vote;
use crate::search::Kind;

/// What a button or menu of this bot's messages does: its custom id,
/// written with `Display` and read back with `FromStr`. The texts stay as
/// they are, so the components of messages already sent keep working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomId {
    /// 👍 or 👎 under an answer: `vote:up:<answer id>`, `vote:down:…`.
    Vote { vote: Vote, answer: u64 },
    /// The menu of candidates of a low-confidence answer: `pick:<asker>`,
    /// only the user who asked may choose (`pick` of older messages: anyone);
    /// its values are [`Candidate`]s.
    Pick { asker: Option<u64> },
    /// The button of a decline that opens the programmes by area
    /// (`programs`).
    Programs,
    /// The area menu of `/programs` (`area`); its values are area numbers.
    Area,
    /// A page button of an area: `page:<area>:<page>`.
    Page { area: u32, page: usize },
}

/// A custom id this bot did not write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a component id of this bot")]
pub struct UnknownId(String);

impl fmt::Display for CustomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CustomId::Vote { vote, answer } => {
                let v = match vote {
                    Vote::Up => "up",
                    Vote::Down => "down",
                };
                write!(f, "vote:{v}:{answer}")
            }
            CustomId::Pick { asker: None } => f.write_str("pick"),
            CustomId::Pick { asker: Some(a) } => write!(f, "pick:{a}"),
            CustomId::Programs => f.write_str("programs"),
            CustomId::Area => f.write_str("area"),
            CustomId::Page { area, page } => write!(f, "page:{area}:{page}"),
        }
    }
}

impl FromStr for CustomId {
    type Err = UnknownId;

    fn from_str(s: &str) -> Result<CustomId, UnknownId> {
        let unknown = || UnknownId(s.to_string());
        let parts: Vec<&str> = s.split(':').collect();
        match parts[..] {
            ["vote", v, answer] => Ok(CustomId::Vote {
                vote: match v {
                    "up" => Vote::Up,
                    "down" => Vote::Down,
                    _ => return Err(unknown()),
                },
                answer: answer.parse().map_err(|_| unknown())?,
            }),
            ["pick"] => Ok(CustomId::Pick { asker: None }),
            ["pick", asker] => Ok(CustomId::Pick {
                asker: Some(asker.parse().map_err(|_| unknown())?),
            }),
            ["programs"] => Ok(CustomId::Programs),
            ["area"] => Ok(CustomId::Area),
            ["page", area, page] => Ok(CustomId::Page {
                area: area.parse().map_err(|_| unknown())?,
                page: page.parse().map_err(|_| unknown())?,
            }),
            _ => Err(unknown()),
        }
    }
}

/// A value of the candidates menu: a measure (`m:<id>`) or an FAQ entry
/// (`f:<id>`) to ask about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub kind: Kind,
    pub id: String,
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = match self.kind {
            Kind::Measure => "m",
            Kind::Faq => "f",
        };
        write!(f, "{k}:{}", self.id)
    }
}

impl FromStr for Candidate {
    type Err = UnknownId;

    fn from_str(s: &str) -> Result<Candidate, UnknownId> {
        let kind = match s.split_once(':') {
            Some(("m", id)) => (Kind::Measure, id),
            Some(("f", id)) => (Kind::Faq, id),
            _ => return Err(UnknownId(s.to_string())),
        };
        Ok(Candidate {
            kind: kind.0,
            id: kind.1.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discord::fit::{discord_len, limits};

    #[test]
    fn every_component_id_reads_back_as_written_and_fits() {
        let ids = [
            CustomId::Vote {
                vote: Vote::Up,
                answer: u64::MAX,
            },
            CustomId::Vote {
                vote: Vote::Down,
                answer: 0,
            },
            CustomId::Pick { asker: None },
            CustomId::Pick {
                asker: Some(u64::MAX),
            },
            CustomId::Programs,
            CustomId::Area,
            CustomId::Page {
                area: u32::MAX,
                page: usize::MAX,
            },
        ];
        for id in ids {
            let text = id.to_string();
            assert_eq!(text.parse::<CustomId>(), Ok(id), "{text}");
            assert!(discord_len(&text) <= limits::CUSTOM_ID, "{text}");
        }
        // The texts of messages already sent.
        let sent = ["vote:up:42", "vote:down:7", "pick", "area", "page:2:1"];
        for text in sent {
            assert_eq!(text.parse::<CustomId>().unwrap().to_string(), text);
        }
        for other in [
            "",
            "vote:sideways:1",
            "vote:up",
            "vote:up:x",
            "page:2",
            "pick:x",
            "pick:1:2",
            "b1-2",
        ] {
            assert!(other.parse::<CustomId>().is_err(), "{other}");
        }
        for kind in [Kind::Measure, Kind::Faq] {
            let c = Candidate {
                kind,
                id: "2.tokyo.b.3".into(),
            };
            assert_eq!(c.to_string().parse::<Candidate>(), Ok(c));
        }
        assert_eq!(
            "m:2.tokyo.b:x".parse::<Candidate>().unwrap().id,
            "2.tokyo.b:x"
        );
        assert!("x:1".parse::<Candidate>().is_err());
    }
}
