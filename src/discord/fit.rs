//! Discord's limits, and replies fitted to them. A [`Reply`] (content,
//! embeds, rows of buttons and menus, an image) becomes a [`Fitted`] only
//! through [`Reply::fit`], which cuts and drops what exceeds a limit; only a
//! [`Fitted`] becomes the serenity builders for a channel message, an
//! interaction response, an edit or a followup — each with allowed mentions
//! empty, so nothing ever pings. So every reply the bot sends fits, by type.
//!
//! Lengths are measured in UTF-16 code units, which is never less than the
//! characters Discord counts, and text is cut on character boundaries with a
//! closing `…`. User text that is echoed back goes through [`escape`].

use std::ops::Deref;

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateAttachment, CreateButton,
    CreateEmbed, CreateEmbedFooter, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, CreateMessage, CreateSelectMenu, CreateSelectMenuKind,
    CreateSelectMenuOption, EditInteractionResponse,
};

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
    /// The longest address a link button takes.
    pub const URL: usize = 512;
    pub const SELECT_OPTIONS: usize = 25;
    pub const OPTION_LABEL: usize = 100;
    pub const OPTION_VALUE: usize = 100;
    pub const OPTION_DESCRIPTION: usize = 100;
    pub const PLACEHOLDER: usize = 150;
    pub const CHOICES: usize = 25;
    pub const CHOICE_NAME: usize = 100;
    pub const CHOICE_VALUE: usize = 100;
    /// Descriptions of commands and their options (`messages.toml` is
    /// checked against it too).
    pub const COMMAND_DESCRIPTION: usize = crate::data::COMMAND_DESCRIPTION;
    /// The longest `max_length` a string option of a command may have.
    pub const STRING_OPTION: usize = 6000;
    /// Bytes of the attachments of one message (Discord's least limit is
    /// 10 MiB; kept well below it).
    pub const ATTACHMENT: usize = 8 * 1024 * 1024;
}

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
fn fit_embeds(embeds: &mut Vec<Embed>) {
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

/// A button: one that acts (its `custom_id` comes back to the bot), or a
/// link (with `url`, and no custom id, drawn in Discord's link style).
#[derive(Debug, Clone, PartialEq)]
pub struct Button {
    pub custom_id: String,
    /// An https address the button opens.
    pub url: Option<String>,
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
    /// The one way to a [`Fitted`], the only reply that can be sent.
    pub fn fit(mut self) -> Fitted {
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
                            .filter(|b| match &b.url {
                                Some(url) => {
                                    url.starts_with("https://") && url.len() <= limits::URL
                                }
                                None => {
                                    !b.custom_id.is_empty()
                                        && discord_len(&b.custom_id) <= limits::CUSTOM_ID
                                }
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
        Fitted(self)
    }
}

/// A [`Reply`] within every Discord limit. Only [`Reply::fit`] makes one,
/// and only a `Fitted` becomes the serenity builders that the send paths
/// take, so every reply the bot sends fits by type. It reads as the
/// [`Reply`] it holds, and cannot be changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted(Reply);

impl Deref for Fitted {
    type Target = Reply;

    fn deref(&self) -> &Reply {
        &self.0
    }
}

/// A fitted reply's content, embeds, components and image on one of
/// serenity's message builders, with no mentions allowed (the builders share
/// no trait; `$attach` is the builder's method that adds a file).
macro_rules! with_parts {
    ($fitted:expr, $builder:expr, $attach:ident) => {{
        let mut m = $builder
            .embeds($fitted.embed_builders())
            .components($fitted.row_builders())
            .allowed_mentions(no_mentions());
        if let Some(c) = &$fitted.content {
            m = m.content(c);
        }
        if let Some(a) = $fitted.attachment() {
            m = m.$attach(a);
        }
        m
    }};
}

impl Fitted {
    /// A reply of one sentence, fitted.
    pub fn text(content: &str, ephemeral: bool) -> Fitted {
        Reply::text(content, ephemeral).fit()
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
                            let mut builder = match &b.url {
                                Some(url) => CreateButton::new_link(url),
                                None => CreateButton::new(&b.custom_id).style(b.style),
                            };
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

    /// A channel message.
    pub fn message(&self) -> CreateMessage {
        with_parts!(self, CreateMessage::new(), add_file)
    }

    /// The message of an interaction response.
    pub fn interaction(&self) -> CreateInteractionResponseMessage {
        with_parts!(
            self,
            CreateInteractionResponseMessage::new().ephemeral(self.ephemeral),
            add_file
        )
    }

    /// An edit of a deferred interaction response.
    pub fn edit(&self) -> EditInteractionResponse {
        with_parts!(self, EditInteractionResponse::new(), new_attachment)
    }

    /// A followup message of an interaction.
    pub fn followup(&self) -> CreateInteractionResponseFollowup {
        with_parts!(
            self,
            CreateInteractionResponseFollowup::new().ephemeral(self.ephemeral),
            add_file
        )
    }
}

/// The answer "thinking…" to an interaction whose reply comes later (as an
/// edit of it, or a followup): seen only by the user when `ephemeral`.
pub fn deferral(ephemeral: bool) -> CreateInteractionResponse {
    let mut m = CreateInteractionResponseMessage::new().allowed_mentions(no_mentions());
    if ephemeral {
        m = m.ephemeral(true);
    }
    CreateInteractionResponse::Defer(m)
}

/// Allowed mentions that allow nothing, not even the replied-to user.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new().replied_user(false)
}

fn non_blank(s: &str) -> &str {
    if s.trim().is_empty() { BLANK } else { s }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every limit this module promises, checked on the builders' JSON too.
    pub(crate) fn assert_within_limits(reply: &Fitted) {
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
                                url: None,
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
        .fit();
        assert_within_limits(&reply);
        assert_eq!(reply.rows.len(), limits::ROWS);
        assert!(
            reply.image.is_none(),
            "an attachment over the limit is left out"
        );
    }
}
