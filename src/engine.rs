//! The engine: knowledge, analysis and index opened together from three
//! paths, answering questions. Both surfaces (CLI and Discord) hold one
//! [`Engine`] and call [`Engine::ask`]; a reload builds a new engine aside and
//! swaps it in, so the last good knowledge keeps serving if the new one fails.
//! Each index generation keeps the knowledge it was built from
//! ([`crate::last_good`]), so [`Engine::open_last_good`] can start on it
//! when `data/` is broken.

use std::path::PathBuf;

use crate::analysis::{AnalysisError, Analyzer};
use crate::answer::Answer;
use crate::data::{self, Date, Knowledge, Problems};
use crate::dictionary::{self, DictionaryError};
use crate::index::{self, IndexError, KnowledgeIndex};
use crate::last_good::{self, LastGoodError};
use crate::question::Reader;
use crate::search::{self, Outcome, SearchError, Settings};

/// Where things are. The binary fills this in from flags, environment
/// variables and defaults; the library takes it as given.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The knowledge staff edit (`data/`).
    pub data: PathBuf,
    /// The generated index and built dictionary (`index/`).
    pub index: PathBuf,
    /// The MeCab IPADIC source (EUC-JP CSVs).
    pub ipadic_source: PathBuf,
    /// Where the dictionary built from that source lives (usually
    /// `index/ipadic`).
    pub dictionary: PathBuf,
    /// The date the current plan is chosen for: the newest plan whose start
    /// is on or before it. `None` takes the newest plan. The binary fills it
    /// in from the clock (the date in Japan).
    pub today: Option<Date>,
}

impl Paths {
    /// The usual layout: the built dictionary inside the index directory.
    pub fn new(data: PathBuf, index: PathBuf, ipadic_source: PathBuf) -> Paths {
        let dictionary = index.join("ipadic");
        Paths {
            data,
            index,
            ipadic_source,
            dictionary,
            today: None,
        }
    }
}

/// Anything that can stop the engine from opening.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Data(#[from] Problems),
    #[error(transparent)]
    Dictionary(#[from] DictionaryError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    LastGood(#[from] LastGoodError),
}

/// Knowledge, analysis and index, ready to answer.
pub struct Engine {
    pub knowledge: Knowledge,
    pub analyzer: Analyzer,
    pub index: KnowledgeIndex,
    /// Cleans and translates messages, recognises topics out of scope.
    pub reader: Reader,
    pub settings: Settings,
    /// Opened from the last good knowledge kept with the index, because
    /// `data/` had problems ([`Engine::open_last_good`]).
    pub last_good: bool,
}

/// How [`Engine::open`] treats the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rebuild {
    /// Rebuild only when the fingerprint differs.
    IfStale,
    /// Always rebuild.
    Always,
}

impl Engine {
    /// Loads `data/`, makes sure the dictionary is built, and opens (or
    /// builds) the index. `progress` hears about slow steps.
    pub fn open(
        paths: &Paths,
        rebuild: Rebuild,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Engine, EngineError> {
        let knowledge = data::load_on(&paths.data, paths.today)?;
        let (dictionary, dict_fingerprint) = load_dictionary(paths, progress)?;
        let user = dictionary::user_dictionary(
            &knowledge
                .user_words
                .iter()
                .map(|w| {
                    [
                        w.surface.clone(),
                        w.part_of_speech.clone(),
                        w.reading.clone(),
                    ]
                })
                .collect::<Vec<_>>(),
        )?;
        let analyzer = Analyzer::new(dictionary, user, &knowledge.synonyms)?;
        let fingerprint = index::fingerprint(&knowledge, &dict_fingerprint);
        let index = index::open_or_build(
            &paths.index,
            &knowledge,
            &analyzer,
            &fingerprint,
            rebuild == Rebuild::Always,
            progress,
        )?;
        let reader = Reader::new(&knowledge.language);
        if let Err(e) = last_good::save(&paths.data, &index.dir, &knowledge, paths.today) {
            tracing::warn!(
                index = %index.dir.display(),
                error = %e,
                "cannot keep a copy of the knowledge with the index: a start on broken data/ will have none"
            );
        }
        Ok(Engine {
            reader,
            knowledge,
            analyzer,
            index,
            settings: Settings::default(),
            last_good: false,
        })
    }

    /// Opens the knowledge the current index generation was built from
    /// (the last that passed validation), for when `data/` is broken.
    pub fn open_last_good(
        paths: &Paths,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Engine, EngineError> {
        let copy = last_good::restore(&paths.index)?;
        let mut from_copy = paths.clone();
        from_copy.data.clone_from(&copy);
        let opened = Engine::open(&from_copy, Rebuild::IfStale, progress);
        let _ = std::fs::remove_dir_all(&copy);
        let mut engine = opened?;
        engine.last_good = true;
        Ok(engine)
    }

    /// Searches for a question.
    pub fn search(&self, question: &str) -> Result<Outcome, EngineError> {
        Ok(search::search(
            &self.knowledge,
            &self.analyzer,
            &self.index,
            &self.reader,
            &self.settings,
            question,
        )?)
    }

    /// Answers a question.
    pub fn ask(&self, question: &str) -> Result<Answer, EngineError> {
        let outcome = self.search(question)?;
        Ok(Answer::build(&self.knowledge, question, &outcome))
    }
}

#[cfg(not(feature = "embed-ipadic"))]
fn load_dictionary(
    paths: &Paths,
    progress: &mut dyn FnMut(&str),
) -> Result<(lindera::dictionary::Dictionary, String), EngineError> {
    let built = dictionary::ensure_built(&paths.ipadic_source, &paths.dictionary, progress)?;
    Ok((dictionary::load(&built.dir)?, built.fingerprint))
}

#[cfg(feature = "embed-ipadic")]
fn load_dictionary(
    _paths: &Paths,
    _progress: &mut dyn FnMut(&str),
) -> Result<(lindera::dictionary::Dictionary, String), EngineError> {
    let dict = lindera::dictionary::load_dictionary("embedded://ipadic").map_err(|e| {
        DictionaryError::Load {
            path: "embedded://ipadic".into(),
            message: format!("{e:#}"),
        }
    })?;
    Ok((dict, format!("embedded-{}", lindera::get_version())))
}
