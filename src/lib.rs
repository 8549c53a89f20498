//! madoguchi (窓口): answers small and medium business owners' questions about
//! the support programmes of the Tokyo Metropolitan Government and the Tokyo
//! Chamber of Commerce and Industry, in Japanese.
//!
//! Code map (each module opens with what it owns):
//! - [`clock`]: Unix seconds, Japan's offset, calendar dates.
//! - [`data`]: the knowledge in `data/`, loaded and validated.
//! - [`dictionary`]: IPADIC built from the MeCab source at run time.
//! - [`clean`], [`english`], [`scope`], [`question`]: a message as typed to
//!   what search reads (noise out, English and romaji to Japanese, topics
//!   out of scope recognised).
//! - [`kana`]: hiragana ↔ katakana and the folded form text is matched in.
//! - [`analysis`]: normalisation, segmentation, terms, readings, synonyms.
//! - [`index`]: the tantivy index, its fingerprint and atomic rebuilds.
//! - [`search`]: a question to ranked measures, confidence and referrals.
//! - [`answer`]: the answer a user sees, as text or JSON.
//! - [`eval`]: hit@k and MRR over a question file.
//! - [`records`]: the bot's records (questions, votes, daily counts) in
//!   SQLite or PostgreSQL, behind a bounded queue.
//! - [`report`]: the staff report from the bot's records; [`chart`] its
//!   charts (SVG and PNG), [`html`] the report as a self-contained page.
//! - [`faq`]: new FAQ entries scaffolded and appended (`faq new`).
//! - [`import`]: a plan's text into areas and measures with ids.
//! - [`engine`]: ties the above together from three paths.
//! - [`last_good`]: the knowledge each index generation was built from,
//!   to start on when `data/` is broken.
//! - [`watch`]: edits of `data/`, debounced, for the bot's live reload.
//! - [`files`]: files written whole (aside, then renamed over).
//! - [`memory`]: memory a burst freed handed back to the system.
//! - [`discord`]: the Discord bot (`madoguchi serve`), the only module that
//!   knows serenity and the network.
//!
//! The binary (`src/main.rs` and the `cli` modules it declares, not part of
//! this library) is the only code that knows clap and reads the
//! environment.
//!
//! Layer rule: no module here but [`discord`] imports [`discord`]; no two
//! files import each other, directly or round a circle.
//!
//! Invariants: apart from [`discord`] and the PostgreSQL client of
//! [`records`] (when records are given a `postgres://` URL), the library
//! does no network I/O; it
//! never reads environment variables (paths come in through
//! [`engine::Paths`]); user text is data and never query syntax; nothing
//! here writes to `data/` but [`faq::append`], which only adds an entry at
//! the end of an FAQ file when staff ask for one.

pub mod analysis;
pub mod answer;
pub mod chart;
pub mod clean;
pub mod clock;
pub mod data;
pub mod dictionary;
pub mod discord;
pub mod engine;
pub mod english;
pub mod eval;
pub mod faq;
pub mod files;
pub mod html;
pub mod import;
pub mod index;
pub mod kana;
pub mod last_good;
pub mod memory;
pub mod question;
pub mod records;
pub mod report;
pub mod scope;
pub mod search;
pub mod watch;
