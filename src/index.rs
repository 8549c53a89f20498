//! The tantivy index of measures and FAQ entries in `index/`.
//!
//! Documents are analysed by [`crate::analysis`] and stored as
//! whitespace-separated terms, so indexing and questions share one chain.
//! Every build goes into a fresh directory; the commit payload carries a
//! fingerprint of the data, the dictionary, the analysis chain and the schema;
//! only a finished build is switched to, by renaming it into place and then
//! atomically replacing the `CURRENT` pointer. A crash mid-build leaves the
//! previous index serving, and a stale or unreadable index is rebuilt.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{TextAnalyzer, WhitespaceTokenizer};
use tantivy::schema::Value;
use tantivy::{DocAddress, Index, IndexReader, ReloadPolicy, TantivyDocument, doc};

use crate::analysis::{ANALYSIS_VERSION, AnalysisError, Analyzer};
use crate::data::Knowledge;

/// Bumped when the schema or the way documents are put together changes.
const SCHEMA_VERSION: u32 = 2;
const CURRENT_FILE: &str = "CURRENT";
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
    /// Measure text or FAQ question.
    pub title: Field,
    /// FAQ alternates and tags.
    pub alt: Field,
    /// FAQ answer.
    pub body: Field,
    /// Area, parent item, channels (measures); the measures' texts (FAQ).
    pub context: Field,
    /// Katakana readings of the title, alternates and area name.
    pub reading: Field,
    /// Character bigrams of the title and alternates.
    pub ngram: Field,
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
            title: b.add_text_field("title", text.clone()),
            alt: b.add_text_field("alt", text.clone()),
            body: b.add_text_field("body", text.clone()),
            context: b.add_text_field("context", text.clone()),
            reading: b.add_text_field("reading", text.clone()),
            ngram: b.add_text_field("ngram", text),
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
            title: f("title")?,
            alt: f("alt")?,
            body: f("body")?,
            context: f("context")?,
            reading: f("reading")?,
            ngram: f("ngram")?,
            vocab: f("vocab")?,
        })
    }
}

/// Prefixes that keep the three kinds of entry apart in the stored vocabulary.
pub const VOCAB_READING: char = '~';
pub const VOCAB_BIGRAM: char = '#';

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
}

/// Where in a document a vocabulary entry was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Found {
    /// In the measure text or the FAQ question and alternates.
    Primary,
    /// Only in the FAQ answer or the context.
    Secondary,
}

/// Separates the primary from the secondary vocabulary in the stored field.
const VOCAB_SPLIT: &str = "|";

/// Every document's [`DocInfo`], by segment and doc id, read once when the
/// index is opened, and the interner of their vocabulary.
#[derive(Debug, Default)]
pub struct DocTable {
    segments: Vec<Vec<DocInfo>>,
    terms: HashMap<Box<str>, u32>,
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

    /// Where a document has a vocabulary entry, if it does.
    pub fn find(&self, doc: &DocInfo, term_id: u32) -> Option<Found> {
        if doc.primary.binary_search(&term_id).is_ok() {
            Some(Found::Primary)
        } else if doc.secondary.binary_search(&term_id).is_ok() {
            Some(Found::Secondary)
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
                let (primary, secondary) = vocab_text
                    .split_once(VOCAB_SPLIT)
                    .unwrap_or((vocab_text.as_str(), ""));
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
                docs.push(DocInfo {
                    kind,
                    id: text(f.id),
                    primary,
                    secondary,
                });
            }
            table.segments.push(docs);
        }
        Ok(table)
    }
}

/// An open index: one reader for the life of the program.
pub struct KnowledgeIndex {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub docs: DocTable,
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
    index
        .tokenizers()
        .register(TOKENIZER, TextAnalyzer::builder(WhitespaceTokenizer::default()).build());
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
            Err(e) => progress(&format!("the index could not be opened ({e}): rebuilding it")),
        }
    }
    build(root, knowledge, analyzer, fingerprint, progress)
}

fn read_current(root: &Path) -> Option<String> {
    let name = fs::read_to_string(root.join(CURRENT_FILE)).ok()?;
    let name = name.trim();
    (name.starts_with(GENERATION_PREFIX) && !name.contains(['/', '\\'])).then(|| name.to_string())
}

fn open_generation(dir: &Path) -> Result<KnowledgeIndex, IndexError> {
    let index = Index::open_in_dir(dir)?;
    register_tokenizer(&index);
    let fields = Fields::from_schema(&index.schema())?;
    let payload = index
        .load_metas()?
        .payload
        .unwrap_or_default();
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    let docs = DocTable::load(&reader, &fields)?;
    Ok(KnowledgeIndex {
        index,
        reader,
        fields,
        docs,
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
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let staging = root.join(format!("{BUILDING_PREFIX}{}-{nonce}", std::process::id()));
    fs::create_dir_all(&staging).map_err(io_err(&staging))?;
    let result = write_documents(&staging, knowledge, analyzer, fingerprint, progress);
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    let name = format!("{GENERATION_PREFIX}{fingerprint}-{nonce}");
    let target = root.join(&name);
    fs::rename(&staging, &target).map_err(io_err(&target))?;
    let tmp = root.join(format!("{CURRENT_FILE}.{}-{nonce}", std::process::id()));
    fs::write(&tmp, &name).map_err(io_err(&tmp))?;
    fs::rename(&tmp, root.join(CURRENT_FILE)).map_err(io_err(root))?;
    remove_stale(root, &name);
    progress(&format!("index ready: {}", target.display()));
    let mut idx = open_generation(&target)?;
    idx.rebuilt = true;
    Ok(idx)
}

/// Removes generations other than `keep` and builds whose process is gone.
/// Readers that still have an old generation open keep their files (mmap).
fn remove_stale(root: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = if name.starts_with(GENERATION_PREFIX) {
            name != keep
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
    let total = knowledge.measures.len() + knowledge.faqs.len();
    progress(&format!(
        "indexing {} measures and {} FAQ entries",
        knowledge.measures.len(),
        knowledge.faqs.len()
    ));
    let mut done = 0;
    for m in &knowledge.measures {
        let area = knowledge.area(m.area);
        let mut context = String::new();
        if let Some(a) = area {
            context.push_str(&a.title);
            context.push('\n');
            context.push_str(&a.short);
            context.push('\n');
        }
        if let Some(parent) = m.parent_id().and_then(|p| knowledge.measure(p)) {
            context.push_str(&parent.text);
            context.push('\n');
        }
        for c in knowledge.channels_for(m) {
            context.push_str(&c.name);
            context.push('\n');
        }
        let reading_src = format!("{}\n{}", m.text, area.map_or("", |a| a.short.as_str()));
        let doc = document(
            &f,
            analyzer,
            DocText {
                id: &m.id,
                kind: "measure",
                title: &m.text,
                alt: "",
                body: "",
                context: &context,
                reading: &reading_src,
                ngram: &m.text,
            },
        )?;
        writer.add_document(doc)?;
        done += 1;
    }
    for faq in &knowledge.faqs {
        let mut alt = faq.alternates.join("\n");
        alt.push('\n');
        alt.push_str(&faq.tags.join("\n"));
        let context: String = faq
            .measures
            .iter()
            .filter_map(|id| knowledge.measure(id))
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let qa = format!("{}\n{alt}", faq.question);
        let doc = document(
            &f,
            analyzer,
            DocText {
                id: &faq.id,
                kind: "faq",
                title: &faq.question,
                alt: &alt,
                body: &faq.answer,
                context: &context,
                reading: &qa,
                ngram: &qa,
            },
        )?;
        writer.add_document(doc)?;
        done += 1;
        if done % 1000 == 0 {
            progress(&format!("{done}/{total} documents"));
        }
    }
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(fingerprint);
    prepared.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

struct DocText<'a> {
    id: &'a str,
    kind: &'a str,
    title: &'a str,
    alt: &'a str,
    body: &'a str,
    context: &'a str,
    reading: &'a str,
    ngram: &'a str,
}

fn document(f: &Fields, a: &Analyzer, t: DocText<'_>) -> Result<TantivyDocument, IndexError> {
    let title = a.terms(t.title)?;
    let alt = a.terms(t.alt)?;
    let body = a.terms(t.body)?;
    let context = a.terms(t.context)?;
    let readings = a.readings(t.reading)?;
    let bigrams = a.bigrams(t.ngram);
    let mut primary: Vec<String> = title
        .iter()
        .chain(&alt)
        .cloned()
        .chain(readings.iter().map(|r| format!("{VOCAB_READING}{r}")))
        .chain(bigrams.iter().map(|b| format!("{VOCAB_BIGRAM}{b}")))
        .collect();
    primary.sort();
    primary.dedup();
    let mut secondary: Vec<String> = body.iter().chain(&context).cloned().collect();
    secondary.sort();
    secondary.dedup();
    let vocab = format!("{} {VOCAB_SPLIT} {}", primary.join(" "), secondary.join(" "));
    Ok(doc!(
        f.id => t.id,
        f.kind => t.kind,
        f.title => title.join(" "),
        f.alt => alt.join(" "),
        f.body => body.join(" "),
        f.context => context.join(" "),
        f.reading => readings.join(" "),
        f.ngram => bigrams.join(" "),
        f.vocab => vocab,
    ))
}
