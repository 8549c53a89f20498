//! From a message as typed to what search reads: the message cleaned of
//! noise ([`crate::clean`]), its Latin letters rewritten as Japanese
//! ([`crate::english`]), and the topic out of scope it is about, if any
//! ([`crate::scope`]). Built once per knowledge, shared by every surface.

use crate::clean::{self, Cleaned, Manners};
use crate::data::{Actor, Language};
use crate::english::Translator;
use crate::kana::fold;
use crate::scope::Scope;

/// What search reads of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    /// What is asked, in Japanese.
    pub asked: String,
    /// What the message says it is not asking about, in Japanese.
    pub excluded: String,
    /// The message held set phrases (greetings, thanks) and nothing else.
    pub only_phrases: bool,
    /// The topic out of scope the message asks about.
    pub topic: Option<String>,
    /// Some English was read.
    pub english: bool,
    /// Some romaji was read.
    pub romaji: bool,
    /// The one actor the question names (都 or 東京商工会議所), if it names
    /// exactly one.
    pub actor: Option<Actor>,
}

/// Reads messages with the staff's phrases, English vocabulary and scope.
pub struct Reader {
    manners: Manners,
    translator: Translator,
    scope: Scope,
    /// How owners name 都 and 東京商工会議所, folded.
    tokyo: Vec<String>,
    chamber: Vec<String>,
}

impl Reader {
    pub fn new(language: &Language) -> Reader {
        let folded = |names: &[String]| -> Vec<String> {
            names
                .iter()
                .map(|n| fold(&n.to_lowercase()))
                .filter(|n| !n.is_empty())
                .collect()
        };
        Reader {
            tokyo: folded(&language.phrases.actors.tokyo),
            chamber: folded(&language.phrases.actors.chamber),
            translator: Translator::new(&language.english),
            scope: Scope::new(&language.scope),
            manners: Manners::new(&language.phrases),
        }
    }

    /// The one actor a text names, if it names exactly one.
    fn actor(&self, text: &str) -> Option<Actor> {
        let folded = fold(&text.to_lowercase());
        let names = |list: &[String]| list.iter().any(|n| folded.contains(n.as_str()));
        match (names(&self.tokyo), names(&self.chamber)) {
            (true, false) => Some(Actor::Tokyo),
            (false, true) => Some(Actor::Chamber),
            _ => None,
        }
    }

    pub fn read(&self, message: &str) -> Reading {
        let Cleaned {
            asked,
            excluded,
            only_phrases,
        } = clean::clean(message, &self.manners);
        // Only what is asked counts: 「IT導入補助金じゃなくて都の…」 is in scope.
        let topic = self.scope.topic(&asked).map(str::to_owned);
        let translated = self.translator.translate(&asked);
        let topic = topic.or_else(|| self.scope.topic(&translated.text).map(str::to_owned));
        let excluded = self.translator.translate(&excluded);
        let actor = self.actor(&format!("{asked} {}", translated.text));
        let asked = translated;
        Reading {
            actor,
            topic,
            only_phrases,
            english: asked.english,
            romaji: asked.romaji,
            asked: asked.text,
            excluded: excluded.text,
        }
    }
}
