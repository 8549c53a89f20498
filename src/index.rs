//! The tantivy index of measures and FAQ entries in `index/`.
//!
//! Documents are analysed by [`crate::analysis`] and stored as
//! whitespace-separated terms, so indexing and questions share one chain.
//! Every build goes into a fresh directory; the commit payload carries a
//! fingerprint of the data, the dictionary, the analysis chain and the schema;
//! only a finished build is switched to, by renaming it into place and then
//! atomically replacing the `CURRENT` pointer. A crash mid-build leaves the
//! previous index serving, and a stale or unreadable index is rebuilt: a
//! generation whose files fail their checksums counts as unreadable.
//! Generations are opened read-only, without lock files, so an index on a
//! read-only file system still serves; a build that cannot write (read-only,
//! disk full) fails with [`IndexError::Build`] and removes what it wrote.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Value;
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{TextAnalyzer, WhitespaceTokenizer};
use tantivy::{DocAddress, Index, IndexReader, ReloadPolicy, Searcher, TantivyDocument, doc};

use crate::analysis::{ANALYSIS_VERSION, Analysed, AnalysisError, Analyzer};
use crate::data::Knowledge;

/// Bumped when the schema or the way documents are put together changes.
const SCHEMA_VERSION: u32 = 5;
const CURRENT_FILE: &str = "CURRENT";
/// Held while a build publishes its generation and prunes older ones.
const PUBLISH_LOCK: &str = ".publish.lock";
const GENERATION_PREFIX: &str = "gen-";
const BUILDING_PREFIX: &str = ".building-";
const TOKENIZER: &str = "madoguchi_terms";
const WRITER_HEAP: usize = 32 * 1024 * 1024;

/// Errors from building or opening the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("index I/O at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("tantivy: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("the index at {dir} is damaged (checksum mismatch in {files})")]
    Corrupt { dir: PathBuf, files: String },
    #[error(
        "cannot build the index in {dir} ({reason}): the index directory must be writable and have free space; free some, or point --index / MADOGUCHI_INDEX elsewhere (the previous index, if any, is unchanged)"
    )]
    Build { dir: PathBuf, reason: String },
    #[error(
        "{path} is a directory: it must be the small file naming the current index; remove it (`rm -r {path}`) and the index is rebuilt"
    )]
    CurrentNotFile { path: PathBuf },
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The fields of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub kind: Field,
    /// What the document is: measure text, or FAQ question, alternates and
    /// tags.
    pub main: Field,
    /// What it says about it: FAQ answer; context (area, parent item and
    /// channels of a measure, the measures' texts of an FAQ entry).
    pub extra: Field,
    /// Katakana readings of the title, alternates and area name.
    pub reading: Field,
    /// Character bigrams of the title and alternates.
    pub ngram: Field,
    /// Search-only words of a measure: the owner's words (`owners.toml`)
    /// and its English (`en.toml`, each word stemmed).
    pub owner: Field,
    /// Stored only: every term, reading and bigram of the document, for
    /// measuring how much of a question a document covers.
    pub vocab: Field,
}

impl Fields {
    fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = Fields {
            id: b.add_text_field("id", STRING | STORED),
            kind: b.add_text_field("kind", STRING | STORED),
            main: b.add_text_field("main", text.clone()),
            extra: b.add_text_field("extra", text.clone()),
            reading: b.add_text_field("reading", text.clone()),
            ngram: b.add_text_field("ngram", text.clone()),
            owner: b.add_text_field("owner", text),
            vocab: b.add_text_field("vocab", STORED),
        };
        (b.build(), fields)
    }

    fn from_schema(schema: &Schema) -> Result<Fields, IndexError> {
        let f = |name: &str| {
            schema
                .get_field(name)
                .map_err(|e| IndexError::Tantivy(tantivy::TantivyError::SchemaError(e.to_string())))
        };
        Ok(Fields {
            id: f("id")?,
            kind: f("kind")?,
            main: f("main")?,
            extra: f("extra")?,
            reading: f("reading")?,
            ngram: f("ngram")?,
            owner: f("owner")?,
            vocab: f("vocab")?,
        })
    }
}

/// Prefixes that keep the three kinds of entry apart in the stored vocabulary.
pub const VOCAB_READING: char = '~';
pub const VOCAB_BIGRAM: char = '#';
/// The English side of a measure (`en.toml`), stemmed: `@subsidi`.
pub const VOCAB_ENGLISH: char = '@';

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Measure,
    Faq,
}

/// What search needs of a document without reading the doc store: its kind,
/// id and vocabulary (interned, sorted), split into what the document is
/// (measure text, FAQ question and alternates, their readings and bigrams)
/// and what it says about it (FAQ answer, context).
#[derive(Debug, Clone)]
pub struct DocInfo {
    pub kind: Kind,
    pub id: String,
    primary: Box<[u32]>,
    secondary: Box<[u32]>,
    owner: Box<[u32]>,
}

/// Where in a document a vocabulary entry was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Found {
    /// In the measure text or the FAQ question and alternates.
    Primary,
    /// Only in the FAQ answer or the context.
    Secondary,
    /// Only in the owner's words of a measure, or its English words.
    Owner,
}

/// Separates the primary from the secondary vocabulary in the stored field.
const VOCAB_SPLIT: &str = "|";

/// Every document's [`DocInfo`], by segment and doc id, read once when the
/// index is opened, and the interner of their vocabulary.
#[derive(Debug, Default)]
pub struct DocTable {
    segments: Vec<Vec<DocInfo>>,
    terms: HashMap<Box<str>, u32>,
    /// How many documents have each vocabulary entry.
    df: Vec<u32>,
    /// Whether an entry is a word of the knowledge itself (some document's
    /// primary or secondary vocabulary), not only of the owners' words.
    own: Vec<bool>,
    /// How many documents have each entry among their search-only words:
    /// the document frequency of a word only those have (the knowledge's
    /// own words keep theirs, so the owners' texts do not change how
    /// specific the plan's words are).
    owner_df: Vec<u32>,
    documents: u32,
}

impl DocTable {
    pub fn get(&self, addr: DocAddress) -> Option<&DocInfo> {
        self.segments
            .get(addr.segment_ord as usize)?
            .get(addr.doc_id as usize)
    }

    /// The id of a vocabulary entry (a term, `~reading` or `#bigram`), if any
    /// document has it.
    pub fn term_id(&self, entry: &str) -> Option<u32> {
        self.terms.get(entry).copied()
    }

    /// How specific a vocabulary entry is: BM25's inverse document frequency.
    pub fn idf(&self, term_id: u32) -> f32 {
        let i = term_id as usize;
        let df = match self.df.get(i).copied().unwrap_or(0) {
            0 => self.owner_df.get(i).copied().unwrap_or(0),
            n => n,
        } as f32;
        let n = self.documents as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Whether a vocabulary entry is a word of the knowledge itself, not
    /// only a search-only word ([`Found::Owner`]).
    pub fn is_own(&self, term_id: u32) -> bool {
        self.own.get(term_id as usize).copied().unwrap_or(false)
    }

    /// Where a document has a vocabulary entry, if it does.
    pub fn find(&self, doc: &DocInfo, term_id: u32) -> Option<Found> {
        if doc.primary.binary_search(&term_id).is_ok() {
            Some(Found::Primary)
        } else if doc.secondary.binary_search(&term_id).is_ok() {
            Some(Found::Secondary)
        } else if doc.owner.binary_search(&term_id).is_ok() {
            Some(Found::Owner)
        } else {
            None
        }
    }

    fn load(reader: &IndexReader, f: &Fields) -> Result<DocTable, IndexError> {
        let searcher = reader.searcher();
        let mut table = DocTable::default();
        for segment in searcher.segment_readers() {
            let store = segment
                .get_store_reader(0)
                .map_err(|e| IndexError::Tantivy(e.into()))?;
            let mut docs = Vec::with_capacity(segment.max_doc() as usize);
            for doc_id in 0..segment.max_doc() {
                let doc: TantivyDocument = store.get(doc_id)?;
                let text = |field: Field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                let kind = if text(f.kind) == "faq" {
                    Kind::Faq
                } else {
                    Kind::Measure
                };
                let vocab_text = text(f.vocab);
                let mut tiers = vocab_text.split(VOCAB_SPLIT);
                let (primary, secondary, owner) = (
                    tiers.next().unwrap_or_default(),
                    tiers.next().unwrap_or_default(),
                    tiers.next().unwrap_or_default(),
                );
                let mut intern = |part: &str| {
                    let mut ids: Vec<u32> = part
                        .split(' ')
                        .filter(|t| !t.is_empty())
                        .map(|t| {
                            let next = table.terms.len() as u32;
                            *table.terms.entry(t.into()).or_insert(next)
                        })
                        .collect();
                    ids.sort_unstable();
                    ids.dedup();
                    ids.into_boxed_slice()
                };
                let primary = intern(primary);
                let secondary = intern(secondary);
                let owner = intern(owner);
                table.df.resize(table.terms.len(), 0);
                table.own.resize(table.terms.len(), false);
                for &id in primary.iter().chain(secondary.iter()) {
                    table.own[id as usize] = true;
                }
                let mut all: Vec<u32> = primary.iter().chain(secondary.iter()).copied().collect();
                all.sort_unstable();
                all.dedup();
                for id in all {
                    table.df[id as usize] += 1;
                }
                table.owner_df.resize(table.terms.len(), 0);
                for &id in owner.iter() {
                    table.owner_df[id as usize] += 1;
                }
                table.documents += 1;
                docs.push(DocInfo {
                    kind,
                    id: text(f.id),
                    primary,
                    secondary,
                    owner,
                });
            }
            table.segments.push(docs);
        }
        Ok(table)
    }
}

/// BM25 statistics with the per-field totals read once: an index is never
/// changed after it is built, so only term frequencies need a lookup.
pub struct Statistics {
    total_docs: u64,
    total_tokens: HashMap<Field, u64>,
}

impl Statistics {
    fn load(reader: &IndexReader, fields: &Fields) -> Result<Statistics, IndexError> {
        let searcher = reader.searcher();
        let mut total_tokens = HashMap::new();
        for field in [fields.main, fields.extra, fields.reading, fields.ngram] {
            total_tokens.insert(field, searcher.total_num_tokens(field)?);
        }
        Ok(Statistics {
            total_docs: searcher.total_num_docs()?,
            total_tokens,
        })
    }

    /// The provider for one searcher's questions.
    pub fn with<'a>(&'a self, searcher: &'a Searcher) -> impl Bm25StatisticsProvider + 'a {
        CachedStatistics {
            stats: self,
            searcher,
        }
    }
}

struct CachedStatistics<'a> {
    stats: &'a Statistics,
    searcher: &'a Searcher,
}

impl Bm25StatisticsProvider for CachedStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        match self.stats.total_tokens.get(&field) {
            Some(n) => Ok(*n),
            None => self.searcher.total_num_tokens(field),
        }
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.stats.total_docs)
    }

    fn doc_freq(&self, term: &tantivy::Term) -> tantivy::Result<u64> {
        self.searcher.doc_freq(term)
    }
}

/// An open index: one reader for the life of the program.
pub struct KnowledgeIndex {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub docs: DocTable,
    pub statistics: Statistics,
    pub fingerprint: String,
    pub dir: PathBuf,
    /// Whether opening it needed a build.
    pub rebuilt: bool,
}

/// The fingerprint an index for this knowledge and dictionary must carry.
pub fn fingerprint(knowledge: &Knowledge, dictionary_fingerprint: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(knowledge.fingerprint.as_bytes());
    h.update(dictionary_fingerprint.as_bytes());
    h.update(&ANALYSIS_VERSION.to_le_bytes());
    h.update(&SCHEMA_VERSION.to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.finalize().to_hex()[..24].to_string()
}

fn register_tokenizer(index: &Index) {
    index.tokenizers().register(
        TOKENIZER,
        TextAnalyzer::builder(WhitespaceTokenizer::default()).build(),
    );
}

/// Opens the index under `root` if it carries `fingerprint`; otherwise builds
/// a new one and switches to it. `progress` hears what is happening.
pub fn open_or_build(
    root: &Path,
    knowledge: &Knowledge,
    analyzer: &Analyzer,
    fingerprint: &str,
    force: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<KnowledgeIndex, IndexError> {
    if !force && let Some(current) = read_current(root) {
        match open_generation(&root.join(&current)) {
            Ok(idx) if idx.fingerprint == fingerprint => return Ok(idx),
            Ok(_) => progress("the data, dictionary or analysis changed: rebuilding the index"),
            Err(e) => progress(&format!(
                "the index could not be opened ({e}): rebuilding it"
            )),
        }
    }
    let current = root.join(CURRENT_FILE);
    if current.is_dir() {
        return Err(IndexError::CurrentNotFile { path: current });
    }
    build(root, knowledge, analyzer, fingerprint, progress).map_err(|e| match e {
        e @ (IndexError::Analysis(_) | IndexError::CurrentNotFile { .. }) => e,
        other => IndexError::Build {
            dir: root.to_path_buf(),
            reason: other.to_string(),
        },
    })
}

/// The directory of the generation `CURRENT` names, if it is there.
pub fn current_generation(root: &Path) -> Option<PathBuf> {
    let dir = root.join(read_current(root)?);
    dir.is_dir().then_some(dir)
}

/// A fresh scratch directory name under `root`, removed with the builds
/// left by dead processes when it is not removed by its maker.
pub fn scratch_dir(root: &Path) -> PathBuf {
    staging(root).0
}

/// A fresh build directory name under `root`, and the time it names. The
/// name carries the maker's pid (not a random name) so that
/// [`remove_stale`] can tell a build whose process died from one still
/// running; the time orders generations built from it.
fn staging(root: &Path) -> (PathBuf, u128) {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = root.join(format!("{BUILDING_PREFIX}{}-{nonce}", std::process::id()));
    (dir, nonce)
}

fn read_current(root: &Path) -> Option<String> {
    let name = fs::read_to_string(root.join(CURRENT_FILE)).ok()?;
    let name = name.trim();
    (name.starts_with(GENERATION_PREFIX) && !name.contains(['/', '\\'])).then(|| name.to_string())
}

/// A generation opened for reading: files are memory-mapped and no lock file
/// is taken or created. A generation never changes once built (only whole
/// generations are removed), so there is nothing for a lock to guard, and an
/// index directory on a read-only file system is served as it is.
#[derive(Debug, Clone)]
struct ReadOnly(MmapDirectory);

impl Directory for ReadOnly {
    fn get_file_handle(
        &self,
        path: &Path,
    ) -> Result<std::sync::Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.0.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.0.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.0.atomic_write(path, data)
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        self.0.sync_directory()
    }

    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.0.watch(callback)
    }
}

fn open_generation(dir: &Path) -> Result<KnowledgeIndex, IndexError> {
    let directory = MmapDirectory::open(dir).map_err(tantivy::TantivyError::from)?;
    let index = Index::open(ReadOnly(directory))?;
    let damaged = index.validate_checksum()?;
    if !damaged.is_empty() {
        let mut files: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
        files.sort();
        return Err(IndexError::Corrupt {
            dir: dir.to_path_buf(),
            files: files.join(", "),
        });
    }
    register_tokenizer(&index);
    let fields = Fields::from_schema(&index.schema())?;
    let payload = index.load_metas()?.payload.unwrap_or_default();
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    let docs = DocTable::load(&reader, &fields)?;
    let statistics = Statistics::load(&reader, &fields)?;
    Ok(KnowledgeIndex {
        index,
        reader,
        fields,
        docs,
        statistics,
        fingerprint: payload,
        dir: dir.to_path_buf(),
        rebuilt: false,
    })
}

/// Builds a new index generation under `root` and makes it current.
pub fn build(
    root: &Path,
    knowledge: &Knowledge,
    analyzer: &Analyzer,
    fingerprint: &str,
    progress: &mut dyn FnMut(&str),
) -> Result<KnowledgeIndex, IndexError> {
    fs::create_dir_all(root).map_err(io_err(root))?;
    let (staging, nonce) = staging(root);
    fs::create_dir_all(&staging).map_err(io_err(&staging))?;
    let result = write_documents(&staging, knowledge, analyzer, fingerprint, progress);
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    // Opened before it is published: from then on its files are held open,
    // so another process pruning generations cannot pull them away.
    let mut idx = match open_generation(&staging) {
        Ok(idx) => idx,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let name = format!("{GENERATION_PREFIX}{fingerprint}-{nonce}");
    let target = root.join(&name);
    if let Err(e) = fs::rename(&staging, &target) {
        let _ = fs::remove_dir_all(&staging);
        return Err(io_err(&target)(e));
    }
    idx.dir = target.clone();
    // Publishing and pruning are one step at a time across processes: a
    // build never points CURRENT at a generation another build has pruned.
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(root.join(PUBLISH_LOCK))
        .and_then(|f| f.lock().map(|()| f));
    let lock = match lock {
        Ok(lock) => lock,
        Err(e) => {
            let _ = fs::remove_dir_all(&target);
            return Err(io_err(root)(e));
        }
    };
    let built_at = |name: &str| name.rsplit('-').next().and_then(|n| n.parse::<u128>().ok());
    if let Some(current) = read_current(root)
        && root.join(&current).is_dir()
        && built_at(&current) > Some(nonce)
    {
        // A newer build was published meanwhile (and may have pruned ours):
        // keep serving ours from its open files, and leave CURRENT alone.
        drop(lock);
        let _ = fs::remove_dir_all(&target);
        progress("a newer index is already current; this one is not published");
        idx.rebuilt = true;
        return Ok(idx);
    }
    let tmp = root.join(format!("{CURRENT_FILE}.{}-{nonce}", std::process::id()));
    // The pointer reaches the disk before it replaces the old one; if it
    // cannot be written (disk full), the new generation goes too.
    let switched = fs::File::create(&tmp)
        .and_then(|mut f| {
            std::io::Write::write_all(&mut f, name.as_bytes())?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, root.join(CURRENT_FILE)));
    if let Err(e) = switched {
        let _ = fs::remove_file(&tmp);
        let _ = fs::remove_dir_all(&target);
        return Err(io_err(root)(e));
    }
    remove_stale(root, &name);
    drop(lock);
    progress(&format!("index ready: {}", target.display()));
    idx.rebuilt = true;
    Ok(idx)
}

/// Removes generations other than `keep` and builds whose process is gone.
/// Readers that still have an old generation open keep their files (mmap).
/// A generation built later than `keep` (another process's, maybe about
/// to be switched to) is left alone, and so is whatever `CURRENT` names now,
/// so two builds at once never remove each other's current generation; the
/// next build removes what is left over.
fn remove_stale(root: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    let built_at = |name: &str| name.rsplit('-').next().and_then(|n| n.parse::<u128>().ok());
    let current = read_current(root);
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = if name.starts_with(GENERATION_PREFIX) {
            name != keep
                && current.as_deref() != Some(name.as_str())
                && built_at(&name) <= built_at(keep)
        } else if let Some(rest) = name.strip_prefix(BUILDING_PREFIX) {
            let pid = rest.split('-').next().unwrap_or("");
            pid != std::process::id().to_string() && !Path::new("/proc").join(pid).exists()
        } else {
            name.starts_with(&format!("{CURRENT_FILE}."))
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|e| e.as_secs() > 60))
        };
        if stale {
            let path = entry.path();
            let _ = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
        }
    }
}

fn write_documents(
    dir: &Path,
    knowledge: &Knowledge,
    analyzer: &Analyzer,
    fingerprint: &str,
    progress: &mut dyn FnMut(&str),
) -> Result<(), IndexError> {
    let (schema, f) = Fields::schema();
    let index = Index::create_in_dir(dir, schema)?;
    register_tokenizer(&index);
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, WRITER_HEAP)?;
    progress(&format!(
        "indexing {} measures and {} FAQ entries",
        knowledge.measures.len(),
        knowledge.faqs.len()
    ));
    // Measure texts are analysed once: FAQ entries reuse them as context.
    let measure_texts: Vec<Analysed> =
        parallel(&knowledge.measures, |m| analyzer.analyse(&m.text))?;
    let analysed_measure = |id: &str| {
        knowledge
            .measures
            .iter()
            .position(|m| m.id == id)
            .map(|i| &measure_texts[i])
    };
    let measure_docs = parallel(&knowledge.measures, |m| {
        let area = knowledge.area(m.area);
        let mut context = String::new();
        if let Some(a) = area {
            context.push_str(&a.title);
            context.push('\n');
            context.push_str(&a.short);
            context.push('\n');
        }
        if let Some(parent) = m.id.parent().and_then(|p| knowledge.measure(p.as_str())) {
            context.push_str(&parent.text);
            context.push('\n');
        }
        for c in knowledge.channels_for(m) {
            context.push_str(&c.name);
            context.push('\n');
        }
        let title = analysed_measure(m.id.as_str()).cloned().unwrap_or_default();
        let area_short = analyzer.analyse(area.map_or("", |a| a.short.as_str()))?;
        let mut readings = title.readings.clone();
        readings.extend(area_short.readings);
        let english = knowledge.english.measures.get(&m.id);
        let english_name = english.map(|e| english_terms(&e.name));
        let mut owner = Vec::new();
        if let Some(o) = knowledge.owners.get(&m.id) {
            owner.extend(analyzer.analyse(&o.text())?.terms);
        }
        if let Some(e) = english {
            owner.extend(english_terms(&e.description));
            owner.extend(english_terms(&e.words.join("\n")));
        }
        Ok(document(
            &f,
            DocParts {
                id: m.id.as_str(),
                kind: "measure",
                title: title.terms,
                alt: Vec::new(),
                english: english_name.unwrap_or_default(),
                body: Vec::new(),
                context: analyzer.analyse(&context)?.terms,
                readings,
                bigrams: title.bigrams,
                owner,
            },
        ))
    })?;
    for doc in measure_docs {
        writer.add_document(doc)?;
    }
    let faq_docs = parallel(&knowledge.faqs, |faq| {
        let question = analyzer.analyse(&faq.question)?;
        let mut alt = Analysed::default();
        for text in faq.alternates.iter().chain(&faq.tags) {
            let a = analyzer.analyse(text)?;
            alt.terms.extend(a.terms);
            alt.readings.extend(a.readings);
            alt.bigrams.extend(a.bigrams);
        }
        let context: Vec<String> = faq
            .measures
            .iter()
            .filter_map(|id| analysed_measure(id.as_str()))
            .flat_map(|a| a.terms.iter().cloned())
            .collect();
        Ok(document(
            &f,
            DocParts {
                id: &faq.id,
                kind: "faq",
                title: question.terms,
                alt: alt.terms,
                english: Vec::new(),
                body: analyzer.analyse(&faq.answer)?.terms,
                context,
                readings: question.readings.into_iter().chain(alt.readings).collect(),
                bigrams: question.bigrams.into_iter().chain(alt.bigrams).collect(),
                owner: Vec::new(),
            },
        ))
    })?;
    for (i, doc) in faq_docs.into_iter().enumerate() {
        writer.add_document(doc)?;
        if (i + 1) % 1000 == 0 {
            progress(&format!("{}/{} FAQ entries", i + 1, knowledge.faqs.len()));
        }
    }
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(fingerprint);
    prepared.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

/// The English words of `text` as vocabulary entries: each stemmed, lower
/// case, behind [`VOCAB_ENGLISH`], so that only an English question's words
/// meet them (a Japanese question's synonyms may hold Latin words too).
fn english_terms(text: &str) -> Vec<String> {
    crate::english::stemmed(text)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("{VOCAB_ENGLISH}{w}"))
        .collect()
}

/// Maps `f` over `items` on every core, keeping order; an error wins.
fn parallel<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R, AnalysisError> + Sync,
) -> Result<Vec<R>, AnalysisError> {
    use rayon::prelude::*;
    let f = &f;
    items.par_iter().map(f).collect()
}

/// A document's fields, analysed.
struct DocParts<'a> {
    id: &'a str,
    kind: &'a str,
    title: Vec<String>,
    alt: Vec<String>,
    /// A measure's English name (stemmed): what it is, for an English
    /// question, in a field of its own so the Japanese fields keep theirs.
    english: Vec<String>,
    body: Vec<String>,
    context: Vec<String>,
    readings: Vec<String>,
    bigrams: Vec<String>,
    /// Search-only words: found, they count less than the others.
    owner: Vec<String>,
}

fn document(f: &Fields, p: DocParts<'_>) -> TantivyDocument {
    let DocParts {
        id,
        kind,
        title,
        alt,
        english,
        body,
        context,
        readings,
        bigrams,
        owner,
    } = p;
    let mut primary: Vec<String> = title
        .iter()
        .chain(&alt)
        .chain(&english)
        .cloned()
        .chain(readings.iter().map(|r| format!("{VOCAB_READING}{r}")))
        .chain(bigrams.iter().map(|b| format!("{VOCAB_BIGRAM}{b}")))
        .collect();
    primary.sort();
    primary.dedup();
    let mut secondary: Vec<String> = body.iter().chain(&context).cloned().collect();
    secondary.sort();
    secondary.dedup();
    let mut search_only = owner.clone();
    search_only.sort();
    search_only.dedup();
    let vocab = format!(
        "{} {VOCAB_SPLIT} {} {VOCAB_SPLIT} {}",
        primary.join(" "),
        secondary.join(" "),
        search_only.join(" ")
    );
    doc!(
        f.id => id,
        f.kind => kind,
        f.main => format!("{} {}", title.join(" "), alt.join(" ")),
        f.extra => format!("{} {}", body.join(" "), context.join(" ")),
        f.reading => readings.join(" "),
        f.ngram => bigrams.join(" "),
        f.owner => format!("{} {}", english.join(" "), owner.join(" ")),
        f.vocab => vocab,
    )
}
