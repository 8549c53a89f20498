//! The bot's records live in the core ([`crate::records`]); this module
//! keeps their old path for the bot's code and its tests.

pub use crate::records::*;
