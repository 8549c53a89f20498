//! Rendering for Discord: an [`Answer`] (or a fixed sentence, an area of the
//! plan, a staff report) becomes a [`Reply`] of embeds and components that
//! honours every Discord limit by construction, and a [`Reply`] becomes the
//! serenity builders for a channel message, an interaction response, an edit
//! or a followup — each with allowed mentions empty, so nothing ever pings.
//!
//! Lengths are measured in UTF-16 code units, which is never less than the
//! characters Discord counts, and text is cut on character boundaries with a
//! closing `…`. User text that is echoed back goes through [`escape`].

use std::fmt;
use std::str::FromStr;

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateAttachment, CreateButton,
    CreateEmbed, CreateEmbedFooter, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, CreateMessage, CreateSelectMenu, CreateSelectMenuKind,
    CreateSelectMenuOption, EditInteractionResponse,
};

use super::records::Vote;
use crate::answer::Answer;
use crate::data::{Knowledge, Messages};
use crate::search::Kind;

/// Discord's limits, as documented.
pub mod limits {
    pub const CONTENT: usize = 2000;
    pub const EMBEDS: usize = 10;
    pub const EMBED_TITLE: usize = 256;
    pub const EMBED_DESCRIPTION: usize = 4096;
    pub const EMBED_FIELDS: usize = 25;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FOOTER: usize = 2048;
    /// Titles, descriptions, field names and values and footers of all the
    /// embeds of one message together.
    pub const EMBED_TOTAL: usize = 6000;
    pub const ROWS: usize = 5;
    pub const BUTTONS_PER_ROW: usize = 5;
    pub const BUTTON_LABEL: usize = 80;
    pub const CUSTOM_ID: usize = 100;
    pub const SELECT_OPTIONS: usize = 25;
    pub const OPTION_LABEL: usize = 100;
    pub const OPTION_VALUE: usize = 100;
    pub const OPTION_DESCRIPTION: usize = 100;
    pub const PLACEHOLDER: usize = 150;
    pub const CHOICES: usize = 25;
    pub const CHOICE_NAME: usize = 100;
    pub const CHOICE_VALUE: usize = 100;
    /// The longest `max_length` a string option of a command may have.
    pub const STRING_OPTION: usize = 6000;
    /// Bytes of the attachments of one message (Discord's least limit is
    /// 10 MiB; kept well below it).
    pub const ATTACHMENT: usize = 8 * 1024 * 1024;
}

/// Measures in programmes of an area shown per page of `/programs`.
pub const AREA_PAGE: usize = 10;

const COLOUR_SURE: u32 = 0x2E7D32;
const COLOUR_UNSURE: u32 = 0xF9A825;
const COLOUR_NONE: u32 = 0x757575;
pub(super) const COLOUR_INFO: u32 = 0x1565C0;
const ELLIPSIS: char = '…';
/// Shown where Discord needs text and the data has none.
const BLANK: &str = "\u{200B}";

/// Length as Discord may count it: UTF-16 code units (a character outside
/// the Basic Multilingual Plane counts two).
pub fn discord_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// `s` cut to at most `max` (in [`discord_len`]) on a character boundary,
/// ending with `…` when anything was cut.
pub fn clip(s: &str, max: usize) -> String {
    if discord_len(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let budget = max - ELLIPSIS.len_utf16();
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        if used + c.len_utf16() > budget {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    // Do not leave a dangling escape or a space before the ellipsis.
    while out.ends_with(|c: char| c == '\\' || c.is_whitespace()) {
        out.pop();
    }
    out.push(ELLIPSIS);
    out
}

/// User text made inert for Discord: markdown characters are
/// backslash-escaped and every `@` and `<` gets a zero-width space after
/// it, so neither `@everyone`, `@here`, `<@id>` nor `<#id>` can form a
/// mention; control characters (NUL, ESC …) and invisible format and
/// direction characters ([`is_hidden`]) are left out, so echoed text cannot
/// reorder or hide what the bot says.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if is_hidden(c) => {}
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '-' | '[' | ']' | '(' | ')' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '@' | '<' => {
                out.push(c);
                out.push('\u{200B}');
            }
            _ => out.push(c),
        }
    }
    out
}

/// Whether `c` is a control character other than whitespace (NUL, ESC …)
/// or an invisible format character that can reorder or hide text:
/// bidirectional marks, embeddings, overrides and isolates, zero-width
/// spaces, soft hyphens, the BOM. Line breaks and tabs are whitespace, and
/// the joiners (U+200C, U+200D) stay: emoji sequences and scripts need them.
pub fn is_hidden(c: char) -> bool {
    (c.is_control() && !c.is_whitespace())
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// Escaped user text on one line (for titles and lists).
pub fn escape_line(s: &str) -> String {
    let visible: String = s.chars().filter(|&c| !is_hidden(c)).collect();
    escape(&crate::clean::collapse_spaces(&visible))
}

/// One field of an embed.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

/// An embed, before it is fitted to the limits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embed {
    pub title: Option<String>,
    pub description: Option<String>,
    pub fields: Vec<Field>,
    pub footer: Option<String>,
    pub colour: u32,
}

impl Embed {
    /// What counts against the 6,000 of a message.
    pub fn total_len(&self) -> usize {
        self.title.as_deref().map_or(0, discord_len)
            + self.description.as_deref().map_or(0, discord_len)
            + self.footer.as_deref().map_or(0, discord_len)
            + self
                .fields
                .iter()
                .map(|f| discord_len(&f.name) + discord_len(&f.value))
                .sum::<usize>()
    }

    /// Each part within its own limit; empty parts removed; at most 25
    /// fields, none with an empty name or value.
    fn clip_parts(&mut self) {
        let tidy = |t: &mut Option<String>, max| {
            *t = t
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| clip(s, max));
        };
        tidy(&mut self.title, limits::EMBED_TITLE);
        tidy(&mut self.description, limits::EMBED_DESCRIPTION);
        tidy(&mut self.footer, limits::FOOTER);
        self.fields.truncate(limits::EMBED_FIELDS);
        for f in &mut self.fields {
            let name = f.name.trim();
            f.name = if name.is_empty() {
                BLANK.into()
            } else {
                clip(name, limits::FIELD_NAME)
            };
            let value = f.value.trim();
            f.value = if value.is_empty() {
                BLANK.into()
            } else {
                clip(value, limits::FIELD_VALUE)
            };
        }
    }

    fn to_builder(&self) -> CreateEmbed {
        let mut e = CreateEmbed::new().colour(self.colour);
        if let Some(t) = &self.title {
            e = e.title(t);
        }
        if let Some(d) = &self.description {
            e = e.description(d);
        }
        for f in &self.fields {
            e = e.field(&f.name, &f.value, f.inline);
        }
        if let Some(f) = &self.footer {
            e = e.footer(CreateEmbedFooter::new(f));
        }
        e
    }
}

/// Shortest a description or field value is cut to before whole fields are
/// dropped instead.
const SHRINK_FLOOR: usize = 120;

/// Fits the embeds of one message: each part within its limit, at most 10
/// embeds, and at most 6,000 in all. The longest text is cut first, so short
/// items (a programme, a referral) survive a long FAQ answer; only when every
/// text is already short are trailing fields dropped.
pub fn fit_embeds(embeds: &mut Vec<Embed>) {
    embeds.truncate(limits::EMBEDS);
    for e in embeds.iter_mut() {
        e.clip_parts();
    }
    loop {
        let total: usize = embeds.iter().map(Embed::total_len).sum();
        if total <= limits::EMBED_TOTAL {
            return;
        }
        let over = total - limits::EMBED_TOTAL;
        // The longest description or field value.
        let mut longest: Option<(usize, Option<usize>, usize)> = None;
        for (i, e) in embeds.iter().enumerate() {
            if let Some(d) = &e.description {
                let n = discord_len(d);
                if longest.is_none_or(|l| n > l.2) {
                    longest = Some((i, None, n));
                }
            }
            for (j, f) in e.fields.iter().enumerate() {
                let n = discord_len(&f.value);
                if longest.is_none_or(|l| n > l.2) {
                    longest = Some((i, Some(j), n));
                }
            }
        }
        match longest {
            Some((i, part, n)) if n > SHRINK_FLOOR => {
                let target = n.saturating_sub(over).max(SHRINK_FLOOR);
                let e = &mut embeds[i];
                match part {
                    None => e.description = e.description.as_deref().map(|d| clip(d, target)),
                    Some(j) => e.fields[j].value = clip(&e.fields[j].value, target),
                }
            }
            _ => {
                // Everything is short: drop a trailing field, else a
                // description, else a whole trailing embed.
                if let Some(e) = embeds.iter_mut().rev().find(|e| !e.fields.is_empty()) {
                    e.fields.pop();
                } else if let Some(e) = embeds.iter_mut().rev().find(|e| e.description.is_some()) {
                    e.description = None;
                } else if embeds.len() > 1 {
                    embeds.pop();
                } else {
                    // One embed with a title and a footer only: both are
                    // within their limits, which together are below 6,000.
                    return;
                }
            }
        }
    }
}

/// A button.
#[derive(Debug, Clone, PartialEq)]
pub struct Button {
    pub custom_id: String,
    pub label: Option<String>,
    pub emoji: Option<char>,
    pub style: ButtonStyle,
}

/// One option of a select menu.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectOption {
    pub label: String,
    pub value: String,
    pub description: Option<String>,
}

/// A string select menu.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub custom_id: String,
    pub placeholder: String,
    pub options: Vec<SelectOption>,
}

/// A row of components.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Buttons(Vec<Button>),
    Select(Select),
}

/// Everything one message shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    pub content: Option<String>,
    pub embeds: Vec<Embed>,
    pub rows: Vec<Row>,
    /// Seen only by the user (interaction responses only).
    pub ephemeral: bool,
    /// A picture attached and shown in the first embed.
    pub image: Option<Image>,
}

/// A PNG attached to a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// The file name (ASCII, ends in `.png`).
    pub name: String,
    pub png: Vec<u8>,
}

impl Reply {
    /// A reply of one sentence.
    pub fn text(content: &str, ephemeral: bool) -> Reply {
        Reply {
            content: Some(content.to_string()),
            ephemeral,
            ..Reply::default()
        }
    }

    /// Adds buttons, five to a row.
    pub fn push_buttons(&mut self, buttons: Vec<Button>) {
        for chunk in buttons.chunks(limits::BUTTONS_PER_ROW) {
            self.rows.push(Row::Buttons(chunk.to_vec()));
        }
    }

    /// The reply within every limit: content, embeds, rows, buttons, menus.
    pub fn fitted(mut self) -> Reply {
        self.content = self
            .content
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| clip(c, limits::CONTENT));
        fit_embeds(&mut self.embeds);
        if self
            .image
            .as_ref()
            .is_some_and(|i| i.png.len() > limits::ATTACHMENT)
        {
            self.image = None;
        }
        let mut rows = Vec::new();
        for row in self.rows {
            match row {
                Row::Buttons(buttons) => {
                    for chunk in buttons.chunks(limits::BUTTONS_PER_ROW) {
                        let chunk: Vec<Button> = chunk
                            .iter()
                            .filter(|b| {
                                !b.custom_id.is_empty()
                                    && discord_len(&b.custom_id) <= limits::CUSTOM_ID
                            })
                            .map(|b| Button {
                                label: b.label.as_deref().map(|l| clip(l, limits::BUTTON_LABEL)),
                                ..b.clone()
                            })
                            .collect();
                        if !chunk.is_empty() {
                            rows.push(Row::Buttons(chunk));
                        }
                    }
                }
                Row::Select(select) => {
                    let options: Vec<SelectOption> = select
                        .options
                        .into_iter()
                        .filter(|o| {
                            !o.value.is_empty() && discord_len(&o.value) <= limits::OPTION_VALUE
                        })
                        .take(limits::SELECT_OPTIONS)
                        .map(|o| SelectOption {
                            label: clip(non_blank(&o.label), limits::OPTION_LABEL),
                            value: o.value,
                            description: o
                                .description
                                .filter(|d| !d.trim().is_empty())
                                .map(|d| clip(&d, limits::OPTION_DESCRIPTION)),
                        })
                        .collect();
                    if !options.is_empty() && discord_len(&select.custom_id) <= limits::CUSTOM_ID {
                        rows.push(Row::Select(Select {
                            custom_id: select.custom_id,
                            placeholder: clip(&select.placeholder, limits::PLACEHOLDER),
                            options,
                        }));
                    }
                }
            }
        }
        rows.truncate(limits::ROWS);
        self.rows = rows;
        if self.content.is_none() && self.embeds.is_empty() {
            // Discord refuses an empty message.
            self.content = Some(BLANK.into());
        }
        self
    }

    fn embed_builders(&self) -> Vec<CreateEmbed> {
        let mut embeds: Vec<CreateEmbed> = self.embeds.iter().map(Embed::to_builder).collect();
        if let (Some(image), Some(first)) = (&self.image, embeds.first_mut()) {
            *first = first.clone().image(format!("attachment://{}", image.name));
        }
        embeds
    }

    fn attachment(&self) -> Option<CreateAttachment> {
        self.image
            .as_ref()
            .map(|i| CreateAttachment::bytes(i.png.clone(), i.name.clone()))
    }

    fn row_builders(&self) -> Vec<CreateActionRow> {
        self.rows
            .iter()
            .map(|row| match row {
                Row::Buttons(buttons) => CreateActionRow::Buttons(
                    buttons
                        .iter()
                        .map(|b| {
                            let mut builder = CreateButton::new(&b.custom_id).style(b.style);
                            if let Some(l) = &b.label {
                                builder = builder.label(l);
                            }
                            if let Some(e) = b.emoji {
                                builder = builder.emoji(e);
                            }
                            builder
                        })
                        .collect(),
                ),
                Row::Select(s) => CreateActionRow::SelectMenu(
                    CreateSelectMenu::new(
                        &s.custom_id,
                        CreateSelectMenuKind::String {
                            options: s
                                .options
                                .iter()
                                .map(|o| {
                                    let mut opt = CreateSelectMenuOption::new(&o.label, &o.value);
                                    if let Some(d) = &o.description {
                                        opt = opt.description(d);
                                    }
                                    opt
                                })
                                .collect(),
                        },
                    )
                    .placeholder(&s.placeholder),
                ),
            })
            .collect()
    }

    /// A channel message (a reply to `reference` when given).
    pub fn message(&self) -> CreateMessage {
        let mut m = CreateMessage::new()
            .embeds(self.embed_builders())
            .components(self.row_builders())
            .allowed_mentions(no_mentions());
        if let Some(c) = &self.content {
            m = m.content(c);
        }
        if let Some(a) = self.attachment() {
            m = m.add_file(a);
        }
        m
    }

    /// The message of an interaction response.
    pub fn interaction(&self) -> CreateInteractionResponseMessage {
        let mut m = CreateInteractionResponseMessage::new()
            .embeds(self.embed_builders())
            .components(self.row_builders())
            .allowed_mentions(no_mentions())
            .ephemeral(self.ephemeral);
        if let Some(c) = &self.content {
            m = m.content(c);
        }
        if let Some(a) = self.attachment() {
            m = m.add_file(a);
        }
        m
    }

    /// An edit of a deferred interaction response.
    pub fn edit(&self) -> EditInteractionResponse {
        let mut m = EditInteractionResponse::new()
            .embeds(self.embed_builders())
            .components(self.row_builders())
            .allowed_mentions(no_mentions());
        if let Some(c) = &self.content {
            m = m.content(c);
        }
        if let Some(a) = self.attachment() {
            m = m.new_attachment(a);
        }
        m
    }

    /// A followup message of an interaction.
    pub fn followup(&self) -> CreateInteractionResponseFollowup {
        let mut m = CreateInteractionResponseFollowup::new()
            .embeds(self.embed_builders())
            .components(self.row_builders())
            .allowed_mentions(no_mentions())
            .ephemeral(self.ephemeral);
        if let Some(c) = &self.content {
            m = m.content(c);
        }
        if let Some(a) = self.attachment() {
            m = m.add_file(a);
        }
        m
    }
}

/// Allowed mentions that allow nothing, not even the replied-to user.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new().replied_user(false)
}

fn non_blank(s: &str) -> &str {
    if s.trim().is_empty() { BLANK } else { s }
}

/// What a button or menu of this bot's messages does: its custom id,
/// written with `Display` and read back with `FromStr`. The texts stay as
/// they are, so the components of messages already sent keep working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomId {
    /// 👍 or 👎 under an answer: `vote:up:<answer id>`, `vote:down:…`.
    Vote { vote: Vote, answer: u64 },
    /// The menu of candidates of a low-confidence answer (`pick`); its
    /// values are [`Candidate`]s.
    Pick,
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
            CustomId::Pick => f.write_str("pick"),
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
            ["pick"] => Ok(CustomId::Pick),
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

/// The reply to a question: the question, the "did you mean" or no-match
/// sentence and the FAQ answer; the programmes with their place in the plan;
/// where to go; the plan it rests on. Low confidence offers the candidates in
/// a menu; an answer gets 👍/👎 buttons. A declined question is ephemeral
/// when `ephemeral_decline` (slash commands).
pub fn answer(answer: &Answer, msgs: &Messages, answer_id: u64, ephemeral_decline: bool) -> Reply {
    let colour = if !answer.answered {
        COLOUR_NONE
    } else if answer.sure {
        COLOUR_SURE
    } else {
        COLOUR_UNSURE
    };
    let mut description = Vec::new();
    if let Some(m) = &answer.message {
        description.push(m.clone());
    }
    if let Some(faq) = &answer.faq {
        description.push(format!(
            "**{}：{}**\n{}",
            msgs.faq_heading, faq.question, faq.answer
        ));
    }
    let mut embeds = vec![Embed {
        title: Some(escape_line(&answer.query)),
        description: (!description.is_empty()).then(|| description.join("\n\n")),
        colour,
        ..Embed::default()
    }];
    if !answer.programmes.is_empty() {
        embeds.push(Embed {
            title: Some(msgs.programmes_heading.clone()),
            fields: answer
                .programmes
                .iter()
                .map(|p| Field {
                    name: p.place.clone(),
                    value: p.text.clone(),
                    inline: false,
                })
                .collect(),
            colour,
            ..Embed::default()
        });
    }
    if !answer.referrals.is_empty() {
        embeds.push(Embed {
            title: Some(msgs.referrals_heading.clone()),
            fields: answer
                .referrals
                .iter()
                .map(|r| {
                    let mut value = vec![r.description.clone()];
                    value.extend(r.url.clone());
                    value.extend(r.contact.clone());
                    Field {
                        name: format!("{}（{}）", r.name, r.operator),
                        value: value.join("\n"),
                        inline: false,
                    }
                })
                .collect(),
            colour,
            ..Embed::default()
        });
    }
    if let Some(last) = embeds.last_mut() {
        last.footer = Some(answer.plan.basis.clone());
    }
    let mut reply = Reply {
        embeds,
        ephemeral: ephemeral_decline && !answer.answered,
        ..Reply::default()
    };
    if answer.answered && !answer.sure {
        let options = answer
            .results
            .iter()
            .map(|r| SelectOption {
                label: r.title.clone(),
                value: Candidate {
                    kind: r.kind,
                    id: r.id.clone(),
                }
                .to_string(),
                description: None,
            })
            .collect();
        reply.rows.push(Row::Select(Select {
            custom_id: CustomId::Pick.to_string(),
            placeholder: msgs.candidates_placeholder.clone(),
            options,
        }));
    }
    if answer.answered {
        reply.push_buttons(vote_buttons(answer_id));
    }
    reply.fitted()
}

/// 👍 and 👎 for an answer.
pub fn vote_buttons(answer_id: u64) -> Vec<Button> {
    [(Vote::Up, '👍'), (Vote::Down, '👎')]
        .into_iter()
        .map(|(vote, emoji)| Button {
            custom_id: CustomId::Vote {
                vote,
                answer: answer_id,
            }
            .to_string(),
            label: None,
            emoji: Some(emoji),
            style: ButtonStyle::Secondary,
        })
        .collect()
}

/// The reply when a question could not be searched at all: the no-match
/// sentence and the default referral, from the knowledge.
pub fn failure(knowledge: &Knowledge, query: &str, ephemeral: bool) -> Reply {
    let msgs = &knowledge.messages;
    let mut embeds = vec![Embed {
        title: Some(escape_line(query)),
        description: Some(msgs.no_match.clone()),
        colour: COLOUR_NONE,
        ..Embed::default()
    }];
    if let Some(c) = knowledge.default_channel() {
        embeds.push(Embed {
            title: Some(msgs.referrals_heading.clone()),
            fields: vec![Field {
                name: format!("{}（{}）", c.name, c.operator),
                value: c.description.clone(),
                inline: false,
            }],
            colour: COLOUR_NONE,
            ..Embed::default()
        });
    }
    Reply {
        embeds,
        ephemeral,
        ..Reply::default()
    }
    .fitted()
}

/// `/help`.
pub fn help(msgs: &Messages) -> Reply {
    Reply {
        embeds: vec![Embed {
            description: Some(msgs.help.clone()),
            colour: COLOUR_INFO,
            ..Embed::default()
        }],
        ephemeral: true,
        ..Reply::default()
    }
    .fitted()
}

/// `/programs`: the areas of the plan in a menu.
pub fn areas(knowledge: &Knowledge) -> Reply {
    let plan = &knowledge.plan;
    Reply {
        embeds: vec![Embed {
            title: Some(plan.title.clone()),
            description: Some(basis(knowledge)),
            colour: COLOUR_INFO,
            ..Embed::default()
        }],
        rows: vec![Row::Select(Select {
            custom_id: CustomId::Area.to_string(),
            placeholder: knowledge.messages.area_prompt.clone(),
            options: knowledge
                .areas
                .iter()
                .map(|a| SelectOption {
                    label: format!("{}. {}", a.number, a.short),
                    value: a.number.to_string(),
                    description: Some(a.title.clone()),
                })
                .collect(),
        })],
        ephemeral: true,
        ..Reply::default()
    }
    .fitted()
}

/// One page of the programmes of an area, with page buttons when there are
/// more. `None` when the area does not exist.
pub fn area_page(knowledge: &Knowledge, number: u32, page: usize) -> Option<Reply> {
    let area = knowledge.area(number)?;
    let measures: Vec<_> = knowledge
        .measures
        .iter()
        .filter(|m| m.area == number)
        .collect();
    let pages = measures.len().div_ceil(AREA_PAGE).max(1);
    let page = page.min(pages - 1);
    let fields = measures
        .iter()
        .skip(page * AREA_PAGE)
        .take(AREA_PAGE)
        .map(|m| Field {
            name: format!("{} › {}", m.actor.as_str(), m.label),
            value: m.text.clone(),
            inline: false,
        })
        .collect();
    let mut reply = Reply {
        embeds: vec![Embed {
            title: Some(area.title.clone()),
            description: Some(area.aims.join("\n")),
            fields,
            footer: Some(if pages > 1 {
                format!("{} ({}/{pages})", basis(knowledge), page + 1)
            } else {
                basis(knowledge)
            }),
            colour: COLOUR_INFO,
        }],
        ephemeral: true,
        ..Reply::default()
    };
    if pages > 1 {
        let mut buttons = Vec::new();
        if page > 0 {
            buttons.push(page_button(number, page - 1, '◀'));
        }
        if page + 1 < pages {
            buttons.push(page_button(number, page + 1, '▶'));
        }
        reply.push_buttons(buttons);
    }
    Some(reply.fitted())
}

/// The sentence naming the plan, as an answer shows it.
fn basis(knowledge: &Knowledge) -> String {
    let plan = &knowledge.plan;
    knowledge
        .messages
        .basis
        .replace("{title}", &plan.title)
        .replace("{year}", &plan.year)
        .replace("{start}", &plan.start.to_string())
}

fn page_button(area: u32, page: usize, emoji: char) -> Button {
    Button {
        custom_id: CustomId::Page { area, page }.to_string(),
        label: None,
        emoji: Some(emoji),
        style: ButtonStyle::Secondary,
    }
}

/// A staff report: a title from code, lines of already-escaped text.
pub fn report(title: &str, lines: &[String]) -> Reply {
    Reply {
        embeds: vec![Embed {
            title: Some(title.to_string()),
            description: Some(lines.join("\n")),
            colour: COLOUR_INFO,
            ..Embed::default()
        }],
        ephemeral: true,
        ..Reply::default()
    }
    .fitted()
}

/// A sentence followed by a block of problems (from `/reload`).
pub fn problems(sentence: &str, problems: &str) -> Reply {
    let block = problems.replace("```", "`\u{200B}``");
    let fence = "\n```\n";
    let room =
        limits::EMBED_DESCRIPTION.saturating_sub(discord_len(sentence) + 2 * discord_len(fence));
    Reply {
        embeds: vec![Embed {
            description: Some(format!("{sentence}{fence}{}{fence}", clip(&block, room))),
            colour: COLOUR_NONE,
            ..Embed::default()
        }],
        ephemeral: true,
        ..Reply::default()
    }
    .fitted()
}

/// Autocomplete choices: FAQ questions first, then programme titles, that
/// contain what was typed (after normalisation); with nothing typed, the FAQ
/// questions. Names and values within 100, at most 25 choices.
pub fn choices(
    knowledge: &Knowledge,
    typed: &str,
    normalize: impl Fn(&str) -> String,
) -> Vec<(String, String)> {
    let typed = normalize(typed.trim());
    let candidates = knowledge
        .faqs
        .iter()
        .map(|f| f.question.as_str())
        .chain(knowledge.measures.iter().map(|m| m.text.as_str()));
    let mut out: Vec<(String, String)> = Vec::new();
    for c in candidates {
        if out.len() >= limits::CHOICES {
            break;
        }
        if !typed.is_empty() && !normalize(c).contains(&typed) {
            continue;
        }
        let value = clip(c, limits::CHOICE_VALUE);
        if out.iter().any(|(_, v)| *v == value) {
            continue;
        }
        out.push((clip(c, limits::CHOICE_NAME), value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::{FaqAnswer, PlanRef, Programme, Referral, ResultItem};
    use crate::data::ChannelKind;

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
            CustomId::Pick,
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
            "pick:1",
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

    fn messages() -> Messages {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/messages.toml"),
        )
        .unwrap();
        toml::from_str(&text).unwrap()
    }

    fn programme(i: usize, text: String) -> Programme {
        Programme {
            id: format!("2.tokyo.b.{i}"),
            place: format!("テレワークの推進 › 都 › イ・{i}"),
            area: 2,
            area_title: "テレワークの推進".into(),
            actor: "都".into(),
            label: format!("イ・{i}"),
            text,
        }
    }

    fn sample(query: &str, faq_answer: Option<String>, programmes: Vec<Programme>) -> Answer {
        Answer {
            query: query.into(),
            answered: true,
            decision: crate::search::Decision::Answer,
            topic: None,
            sure: true,
            confidence: 0.9,
            measures: programmes.iter().map(|p| p.id.clone()).collect(),
            results: programmes
                .iter()
                .map(|p| ResultItem {
                    kind: Kind::Measure,
                    id: p.id.clone(),
                    title: p.text.clone(),
                    score: 1.0,
                })
                .collect(),
            referrals: vec![Referral {
                id: "keiei-shidouin".into(),
                name: "経営指導員".into(),
                kind: ChannelKind::Contact,
                operator: "東京商工会議所".into(),
                description: "東京商工会議所の経営指導員が資料を届けます。".into(),
                url: None,
                contact: None,
            }],
            faq: faq_answer.map(|a| FaqAnswer {
                id: "q".into(),
                question: "テレワークの補助は？".into(),
                answer: a,
            }),
            programmes,
            message: None,
            plan: PlanRef {
                title: "実施計画".into(),
                year: "令和5年度".into(),
                start: "2023-04-01".into(),
                basis: "実施計画（令和5年度、2023-04-01から実施）に基づく回答です。".into(),
            },
        }
    }

    /// Every limit this module promises, checked on the builders' JSON too.
    fn assert_within_limits(reply: &Reply) {
        if let Some(c) = &reply.content {
            assert!(discord_len(c) <= limits::CONTENT);
        }
        assert!(reply.embeds.len() <= limits::EMBEDS);
        let total: usize = reply.embeds.iter().map(Embed::total_len).sum();
        assert!(total <= limits::EMBED_TOTAL, "total {total}");
        for e in &reply.embeds {
            assert!(e.title.as_deref().map_or(0, discord_len) <= limits::EMBED_TITLE);
            assert!(e.description.as_deref().map_or(0, discord_len) <= limits::EMBED_DESCRIPTION);
            assert!(e.footer.as_deref().map_or(0, discord_len) <= limits::FOOTER);
            assert!(e.fields.len() <= limits::EMBED_FIELDS);
            for f in &e.fields {
                assert!(!f.name.trim().is_empty() && !f.value.trim().is_empty());
                assert!(discord_len(&f.name) <= limits::FIELD_NAME);
                assert!(discord_len(&f.value) <= limits::FIELD_VALUE);
            }
        }
        assert!(reply.rows.len() <= limits::ROWS);
        for row in &reply.rows {
            match row {
                Row::Buttons(b) => {
                    assert!(!b.is_empty() && b.len() <= limits::BUTTONS_PER_ROW);
                    for b in b {
                        assert!(discord_len(&b.custom_id) <= limits::CUSTOM_ID);
                        assert!(b.label.as_deref().map_or(0, discord_len) <= limits::BUTTON_LABEL);
                    }
                }
                Row::Select(s) => {
                    assert!(!s.options.is_empty() && s.options.len() <= limits::SELECT_OPTIONS);
                    assert!(discord_len(&s.placeholder) <= limits::PLACEHOLDER);
                    for o in &s.options {
                        assert!(discord_len(&o.label) <= limits::OPTION_LABEL);
                        assert!(discord_len(&o.value) <= limits::OPTION_VALUE);
                        assert!(
                            o.description.as_deref().map_or(0, discord_len)
                                <= limits::OPTION_DESCRIPTION
                        );
                    }
                }
            }
        }
        // The JSON serenity sends.
        let json = serde_json::to_value(reply.message()).unwrap();
        let embeds = json["embeds"].as_array().unwrap();
        let mut total = 0;
        for e in embeds {
            for key in ["title", "description"] {
                if let Some(s) = e[key].as_str() {
                    total += discord_len(s);
                }
            }
            if let Some(s) = e["footer"]["text"].as_str() {
                total += discord_len(s);
            }
            for f in e["fields"].as_array().into_iter().flatten() {
                total += discord_len(f["name"].as_str().unwrap());
                total += discord_len(f["value"].as_str().unwrap());
            }
        }
        assert!(total <= limits::EMBED_TOTAL);
        assert_eq!(json["allowed_mentions"]["parse"], serde_json::json!([]));
        assert_eq!(json["allowed_mentions"]["replied_user"], false);
    }

    #[test]
    fn clip_cuts_on_character_boundaries() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "ab…");
        // 𠮷 is four bytes in UTF-8 and two UTF-16 units.
        let s = "𠮷".repeat(10);
        let c = clip(&s, 7);
        assert!(discord_len(&c) <= 7);
        assert_eq!(c, "𠮷𠮷𠮷…");
        let mixed = format!("a{}", "😀".repeat(5));
        for max in 0..12 {
            let c = clip(&mixed, max);
            assert!(discord_len(&c) <= max, "{max}: {c}");
            assert!(mixed.starts_with(c.trim_end_matches('…')));
        }
        assert_eq!(clip("ab\\cd", 4), "ab…");
    }

    #[test]
    fn escape_neutralises_mentions_and_markdown() {
        let e = escape("@everyone @here <@123> <@&4> **太字** `x` > q");
        assert!(!e.contains("@everyone") && !e.contains("@here"));
        assert!(!e.contains("<@"));
        assert!(!e.contains("**"));
        assert!(e.contains("\\*\\*太字\\*\\*"));
        assert_eq!(escape_line("a\n\nb"), "a b");
        assert_eq!(
            escape_line("テレ\u{202E}ワーク\u{0}\u{1b}[31m\u{2066}補助\u{FEFF}\u{200B}"),
            "テレワーク\\[31m補助"
        );
        assert_eq!(escape("👨\u{200D}👩"), "👨\u{200D}👩", "joiners stay");
    }

    #[test]
    fn a_5000_character_faq_answer_fits_with_programmes_kept() {
        let long = "テレワーク導入の補助について。".repeat(340);
        assert!(long.chars().count() > 5000);
        let a = sample(
            "テレワークの補助",
            Some(long),
            (1..=5)
                .map(|i| programme(i, format!("支援策{i}")))
                .collect(),
        );
        let reply = answer(&a, &messages(), 42, true);
        assert_within_limits(&reply);
        let d = reply.embeds[0].description.as_deref().unwrap();
        assert_eq!(discord_len(d), limits::EMBED_DESCRIPTION);
        assert!(d.ends_with('…'));
        // The programmes, the referral and the basis all survive.
        assert_eq!(reply.embeds[1].fields.len(), 5);
        assert_eq!(
            reply.embeds[2].fields[0].name,
            "経営指導員（東京商工会議所）"
        );
        assert!(
            reply.embeds[2]
                .footer
                .as_deref()
                .unwrap()
                .contains("令和5年度")
        );
    }

    #[test]
    fn thirty_long_matches_fit() {
        let programmes = (1..=30)
            .map(|i| programme(i, format!("{i}番目の支援策。").repeat(200)))
            .collect();
        let mut a = sample("x", Some("短い答え".into()), programmes);
        a.sure = false;
        a.message = Some(messages().did_you_mean);
        let reply = answer(&a, &messages(), 7, false);
        assert_within_limits(&reply);
        assert_eq!(reply.embeds[1].fields.len(), limits::EMBED_FIELDS);
        // The candidate menu holds at most 25 options; the vote row follows.
        match &reply.rows[0] {
            Row::Select(s) => assert_eq!(s.options.len(), limits::SELECT_OPTIONS),
            other => panic!("expected the candidate menu, got {other:?}"),
        }
        assert!(matches!(&reply.rows[1], Row::Buttons(b) if b.len() == 2));
    }

    #[test]
    fn four_byte_characters_at_every_cut() {
        for len in [255, 256, 257, 1023, 1024, 1025, 4095, 4096, 4097] {
            let s = "𠮷".repeat(len);
            let mut a = sample(&s, Some(s.clone()), vec![programme(1, s.clone())]);
            a.programmes[0].place = s.clone();
            let reply = answer(&a, &messages(), 1, false);
            assert_within_limits(&reply);
            let title = reply.embeds[0].title.as_deref().unwrap();
            let kept = title.trim_end_matches('…');
            assert!(kept.chars().all(|c| c == '𠮷'), "{title}");
            assert_eq!(title.ends_with('…'), len > limits::EMBED_TITLE / 2);
            let value = &reply.embeds[1].fields[0].value;
            assert!(value.trim_end_matches('…').chars().all(|c| c == '𠮷'));
        }
    }

    #[test]
    fn every_part_at_its_limit_still_fits_in_6000() {
        let mut embeds = vec![Embed {
            title: Some("t".repeat(300)),
            description: Some("d".repeat(5000)),
            fields: (0..30)
                .map(|i| Field {
                    name: format!("{i}").repeat(300),
                    value: "v".repeat(2000),
                    inline: false,
                })
                .collect(),
            footer: Some("f".repeat(3000)),
            colour: 0,
        }];
        for _ in 0..12 {
            embeds.push(embeds[0].clone());
        }
        let reply = Reply {
            content: Some("c".repeat(2500)),
            embeds,
            rows: (0..8)
                .map(|i| {
                    Row::Buttons(
                        (0..7)
                            .map(|j| Button {
                                custom_id: format!("b{i}-{j}"),
                                label: Some("l".repeat(100)),
                                emoji: None,
                                style: ButtonStyle::Primary,
                            })
                            .collect(),
                    )
                })
                .collect(),
            ephemeral: false,
            image: Some(Image {
                name: "big.png".into(),
                png: vec![0; limits::ATTACHMENT + 1],
            }),
        }
        .fitted();
        assert_within_limits(&reply);
        assert_eq!(reply.rows.len(), limits::ROWS);
        assert!(
            reply.image.is_none(),
            "an attachment over the limit is left out"
        );
    }

    #[test]
    fn declined_answers_are_ephemeral_for_slash_commands_and_have_no_votes() {
        let mut a = sample("明日の天気", None, vec![]);
        a.answered = false;
        a.sure = false;
        a.results.clear();
        a.message = Some(messages().no_match);
        let slash = answer(&a, &messages(), 1, true);
        assert!(slash.ephemeral);
        assert!(slash.rows.is_empty());
        assert_eq!(
            slash.embeds[0].description.as_deref(),
            Some(messages().no_match.as_str())
        );
        assert!(!answer(&a, &messages(), 1, false).ephemeral);
    }

    #[test]
    fn the_question_is_echoed_escaped() {
        let a = sample(
            "@everyone <@1> 補助**は**?",
            None,
            vec![programme(1, "x".into())],
        );
        let reply = answer(&a, &messages(), 1, false);
        let title = reply.embeds[0].title.as_deref().unwrap();
        assert!(!title.contains("@everyone") && !title.contains("<@"));
    }
}
