//! The serenity event handler: which messages are questions (mentions, DMs,
//! answer channels; never bots or itself), the slash commands (`/ask` with
//! autocomplete, `/programs`, `/help`, and the staff commands `/reload`,
//! `/unanswered`, `/stats`, checked server-side), the buttons and menus, the
//! cooldown and length cap, and answering within Discord's 3-second deadline
//! (search runs on the blocking pool, bounded by a semaphore; a slow answer
//! is deferred and then edited in). Every REST call goes through
//! [`super::rest::send`]: a revoked token stops the bot, a channel where the
//! bot may not post is skipped for a while (logged once), an interaction
//! answered too late is logged.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serenity::all::{
    CommandInteraction, ComponentInteraction, ComponentInteractionDataKind, Context,
    CreateAutocompleteResponse, CreateInteractionResponse, EventHandler, GuildId, Http,
    Interaction, InteractionId, Message, Nonce, Ready, ResolvedValue, ShardStageUpdateEvent,
    UserId,
};
use serenity::builder::Builder;
use serenity::gateway::ConnectionStage;
use tracing::{debug, error, info, warn};

use super::commands::{self, commands, names, shown_name};
use super::cooldown::Verdict;
use super::fit::{self, Fitted};
use super::home::Decision;
use super::ids::{Candidate, CustomId};
use super::live::{self, Reloaded};
use super::metrics::Outcome;
use super::render::{self, Audience};
use super::rest::{self, Kind as Failed};
use super::state::Shared;
use super::weekly;
use crate::data::Date;
use crate::records::{QuestionRecord, Scope, Source};
use crate::report::{self, QuestionKey};
use crate::search;

/// Groups of unanswered questions `/unanswered` lists, most asked first:
/// enough to see what owners miss, few enough to read on a phone.
const UNANSWERED_SHOWN: usize = 10;
/// The period `/unanswered` covers, in days.
const UNANSWERED_DAYS: u64 = 7;
/// The most recent unanswered questions `/unanswered` reads to group.
const UNANSWERED_READ: usize = 1_000;
/// Programmes `/stats` lists as shown most: the head of the list is what
/// owners ask about; more would push the figures off the screen.
const STATS_TOP: usize = 5;
/// What a reply says when building it panicked: the rendering may be what
/// failed, so this reply needs nothing from the knowledge.
const WARNING_SIGN: &str = "\u{26A0}";

/// A question held back by the length cap or the cooldown.
struct Held {
    /// Why, for the asker.
    notice: String,
    /// Held back by the cooldown again within one window: a message gets no
    /// reply (an interaction must be answered: it gets the notice, seen only
    /// by the asker).
    again: bool,
}

/// The event handler given to serenity.
#[derive(Clone)]
pub struct Handler(pub Arc<Shared>);

/// The question in a message, without mention markup: the bot's own
/// mentions, other users', roles', channels' (`<@id>`, `<@!id>`, `<@&id>`,
/// `<#id>`) and `@everyone` / `@here`. They address people, not the topic,
/// and would otherwise count as words the plan does not know.
pub fn question_text(content: &str, me: UserId) -> String {
    let _ = me; // every user mention goes, the bot's own included
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            let inner = &rest[1..];
            let body = inner
                .strip_prefix("@!")
                .or_else(|| inner.strip_prefix("@&"))
                .or_else(|| inner.strip_prefix('@'))
                .or_else(|| inner.strip_prefix('#'));
            if let Some(body) = body {
                let digits = body.bytes().take_while(u8::is_ascii_digit).count();
                if digits > 0 && body[digits..].starts_with('>') {
                    out.push(' ');
                    rest = &body[digits + 1..];
                    continue;
                }
            }
        }
        if let Some(after) = ["@everyone", "@here"]
            .iter()
            .find_map(|m| rest.strip_prefix(m))
        {
            out.push(' ');
            rest = after;
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    crate::clean::collapse_spaces(&out)
}

/// Sends interaction responses by interaction id and token.
struct Responder {
    http: Arc<Http>,
    id: InteractionId,
    token: String,
    shared: Arc<Shared>,
}

impl Responder {
    /// Sends the interaction response; whether Discord has it.
    async fn respond(&self, response: CreateInteractionResponse) -> bool {
        let sent =
            rest::send(|| response.clone().execute(&self.http, (self.id, &self.token))).await;
        match sent {
            Ok(()) => true,
            Err(f) => {
                self.shared.failed("interaction response", &f);
                f.kind == Failed::Acknowledged
            }
        }
    }

    async fn reply(&self, reply: &Fitted) {
        self.respond(CreateInteractionResponse::Message(reply.interaction()))
            .await;
    }

    /// Answers with what `work` produces: at once when it is ready within
    /// the configured time, otherwise deferred ("thinking…") and edited in.
    /// A deferred reply that turns out ephemeral becomes an ephemeral
    /// followup, and the public placeholder is deleted.
    async fn in_time(&self, defer_after: Duration, work: tokio::task::JoinHandle<Fitted>) {
        let mut work = work;
        let early = if defer_after.is_zero() {
            None
        } else {
            tokio::time::timeout(defer_after, &mut work).await.ok()
        };
        if let Some(done) = early {
            self.reply(&done.unwrap_or_else(|e| internal_error(&e)))
                .await;
            return;
        }
        let deferred = self.respond(fit::deferral(false)).await;
        let reply = work.await.unwrap_or_else(|e| internal_error(&e));
        if !deferred {
            // Expired or refused: there is nothing to edit.
            return;
        }
        if reply.ephemeral {
            let followup = reply.followup();
            if let Err(f) =
                rest::send(|| followup.clone().execute(&self.http, (None, &self.token))).await
            {
                self.shared.failed("followup", &f);
            }
            if let Err(f) =
                rest::send(|| self.http.delete_original_interaction_response(&self.token)).await
            {
                self.shared.failed("deleting the placeholder", &f);
            }
        } else {
            let edit = reply.edit();
            if let Err(f) = rest::send(|| edit.clone().execute(&self.http, &self.token)).await {
                self.shared.failed("editing the deferred response", &f);
            }
        }
    }
}

/// The records could not be read for a staff command: logged, and the
/// staff member is told.
fn records_failed(e: &crate::records::RecordsError, shared: &Shared) -> Fitted {
    error!(error = %e, "reading the records failed");
    let msgs = &shared.engine.load().knowledge.messages;
    Fitted::text(&msgs.bot.records_unreadable, true)
}

fn internal_error(e: &tokio::task::JoinError) -> Fitted {
    // Only reachable if building a reply panicked (see WARNING_SIGN).
    error!(error = %e, "answering task failed");
    Fitted::text(WARNING_SIGN, true)
}

impl Handler {
    fn shared(&self) -> &Arc<Shared> {
        &self.0
    }

    /// Answers a question asked in `guild` (none: a direct message) on the
    /// blocking pool and records it.
    fn answer(
        &self,
        query: String,
        (answer_id, asker): (u64, UserId),
        (source, guild): (Source, Option<GuildId>),
        audience: Audience,
    ) -> tokio::task::JoinHandle<Fitted> {
        let asker = asker.get();
        let ephemeral_decline =
            matches!(audience, Audience::DeclinePrivately | Audience::Privately);
        let guild = guild.map(GuildId::get);
        let shared = Arc::clone(self.shared());
        tokio::spawn(async move {
            let permit = shared.searches.acquire().await;
            let engine = shared.engine.load_full();
            let records = Arc::clone(&shared.records);
            let started = Instant::now();
            let metrics = Arc::clone(&shared.config.metrics);
            let reply = tokio::task::spawn_blocking(move || match engine.ask(&query) {
                Ok(answer) => {
                    metrics.question(source, Outcome::of(answer.decision));
                    let record = QuestionRecord::new(answer_id, source, guild, &answer);
                    records.question(&record);
                    render::answer(&answer, &engine.knowledge, (answer_id, asker), audience)
                }
                Err(e) => {
                    error!(error = %e, "search failed; declining the question");
                    metrics.question(source, Outcome::Declined);
                    let record = QuestionRecord::declined(answer_id, source, guild, &query);
                    records.question(&record);
                    render::failure(&engine.knowledge, ephemeral_decline)
                }
            })
            .await;
            drop(permit);
            shared.config.metrics.answered_in(started.elapsed());
            debug!(
                elapsed_us = started.elapsed().as_micros() as u64,
                "answered"
            );
            match reply {
                Ok(r) => r,
                Err(e) => {
                    error!(error = %e, "search task failed; declining the question");
                    let engine = shared.engine.load();
                    render::failure(&engine.knowledge, ephemeral_decline)
                }
            }
        })
    }

    /// The cooldown or length notice for a question asked in `source`, if
    /// one applies (counted as refused).
    fn gate(&self, user: UserId, source: Source, question: &str) -> Option<Held> {
        let held = self.held(user, question);
        if held.is_some() {
            self.shared()
                .config
                .metrics
                .question(source, Outcome::Refused);
        }
        held
    }

    fn held(&self, user: UserId, question: &str) -> Option<Held> {
        let shared = self.shared();
        let msgs = &shared.engine.load().knowledge.messages;
        let max = shared.config.max_question_chars;
        if question.chars().count() > max {
            return Some(Held {
                notice: msgs.too_long.replace("{max}", &max.to_string()),
                again: false,
            });
        }
        let verdict = shared
            .cooldown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .check(user.get(), Instant::now());
        let notice = msgs.cooldown.clone();
        match verdict {
            Verdict::Ask => None,
            Verdict::Notify => Some(Held {
                notice,
                again: false,
            }),
            Verdict::Quiet => Some(Held {
                notice,
                again: true,
            }),
        }
    }

    async fn register(&self, ctx: &Context) {
        let shared = self.shared();
        if shared.registered.swap(true, Ordering::SeqCst) {
            return;
        }
        let cmds = commands(
            shared.config.max_question_chars,
            &shared.engine.load().knowledge.messages.bot,
        );
        let result = rest::send(|| {
            let cmds = cmds.clone();
            async move {
                match shared.config.guild_id {
                    Some(g) => GuildId::new(g).set_commands(&ctx.http, cmds).await,
                    None => serenity::all::Command::set_global_commands(&ctx.http, cmds).await,
                }
            }
        })
        .await;
        match result {
            Ok(c) => {
                info!(commands = c.len(), guild = ?shared.config.guild_id, "commands registered")
            }
            Err(f) => {
                shared.failed("registering the commands", &f);
                error!("the commands are not registered; will try again on the next READY");
                shared.registered.store(false, Ordering::SeqCst);
            }
        }
    }

    async fn on_message(&self, ctx: Context, msg: Message) {
        let shared = self.shared();
        if msg.author.bot || msg.author.id == shared.me || msg.webhook_id.is_some() {
            return;
        }
        let mentioned = msg.mentions.iter().any(|u| u.id == shared.me);
        let source = if msg.guild_id.is_none() {
            Source::Dm
        } else if mentioned {
            Source::Mention
        } else if shared
            .config
            .answer_channels
            .contains(&msg.channel_id.get())
        {
            Source::Channel
        } else {
            return;
        };
        let question = question_text(&msg.content, shared.me);
        if question.is_empty() && source == Source::Channel {
            // An attachment or sticker in an answer channel: not a question.
            return;
        }
        let channel = msg.channel_id.get();
        if shared.is_muted(channel) {
            debug!(channel, "no permission to answer here: skipped");
            return;
        }
        let reply = if question.is_empty() {
            render::help(&shared.engine.load().knowledge.messages, None)
        } else if let Some(held) = self.gate(msg.author.id, source, &question) {
            if held.again {
                debug!(user = %msg.author.id, "held back again within the cooldown: no reply");
                return;
            }
            Fitted::text(&held.notice, false)
        } else {
            match self
                .answer(
                    question,
                    (msg.id.get(), msg.author.id),
                    (source, msg.guild_id),
                    if source == Source::Dm {
                        Audience::Public
                    } else {
                        Audience::Channel
                    },
                )
                .await
            {
                Ok(r) => r,
                Err(e) => internal_error(&e),
            }
        };
        // The nonce makes a repeated create (after a 5xx) post only once.
        let message = reply
            .message()
            .reference_message(&msg)
            .nonce(Nonce::Number(msg.id.get()))
            .enforce_nonce(true);
        let sent = rest::send(|| msg.channel_id.send_message(&ctx.http, message.clone())).await;
        match sent {
            Ok(_) => {}
            Err(f) if f.kind == Failed::Forbidden => shared.mute(channel, &f),
            Err(f) => shared.failed("sending an answer", &f),
        }
    }

    async fn on_command(&self, ctx: Context, cmd: CommandInteraction) {
        let shared = self.shared();
        let responder = Responder {
            http: Arc::clone(&ctx.http),
            id: cmd.id,
            token: cmd.token.clone(),
            shared: Arc::clone(self.shared()),
        };
        let engine = shared.engine.load_full();
        let msgs = &engine.knowledge.messages;
        match cmd.data.name.as_str() {
            names::ASK => {
                let question = cmd
                    .data
                    .options()
                    .into_iter()
                    .find_map(|o| match o.value {
                        ResolvedValue::String(s) if o.name == names::ASK_OPTION => {
                            Some(s.trim().to_string())
                        }
                        _ => None,
                    })
                    .unwrap_or_default();
                if question.is_empty() {
                    responder
                        .reply(&render::help(msgs, Some(cmd.locale.as_str())))
                        .await;
                } else if let Some(held) = self.gate(cmd.user.id, Source::Slash, &question) {
                    responder.reply(&Fitted::text(&held.notice, true)).await;
                } else {
                    let work = self.answer(
                        question,
                        (cmd.id.get(), cmd.user.id),
                        (Source::Slash, cmd.guild_id),
                        Audience::DeclinePrivately,
                    );
                    responder.in_time(shared.config.defer_after, work).await;
                }
            }
            names::PROGRAMS => {
                let reply = render::areas(&shared.engine.load().knowledge);
                responder.reply(&reply).await;
            }
            names::HELP => {
                responder
                    .reply(&render::help(msgs, Some(cmd.locale.as_str())))
                    .await
            }
            names::RELOAD | names::UNANSWERED | names::STATS => {
                let decision = shared
                    .home
                    .check(&ctx.http, cmd.guild_id, cmd.member.as_deref())
                    .await;
                let scope = match decision {
                    Decision::Staff(scope) => scope,
                    Decision::Refused | Decision::Unconfigured => {
                        let refusal = if decision == Decision::Unconfigured {
                            warn!(command = %cmd.data.name, "staff command refused: configure guild_id or staff_role to name the server whose staff may use it");
                            &msgs.staff_unconfigured
                        } else {
                            info!(user = %cmd.user.id, guild = ?cmd.guild_id, command = %cmd.data.name, "staff command refused");
                            &msgs.staff_only
                        };
                        responder.reply(&Fitted::text(refusal, true)).await;
                        return;
                    }
                };
                match cmd.data.name.as_str() {
                    names::RELOAD => self.reload(&responder).await,
                    names::UNANSWERED => responder.reply(&self.unanswered(scope).await).await,
                    _ => {
                        let shared = Arc::clone(shared);
                        let work = tokio::spawn(async move { stats(&shared, scope).await });
                        responder.in_time(self.0.config.defer_after, work).await;
                    }
                }
            }
            other => debug!(command = other, "unknown command"),
        }
    }

    /// `/unanswered`: the queue of `scope`'s unanswered questions of the
    /// last [`UNANSWERED_DAYS`] days, grouped on the blocking pool.
    async fn unanswered(&self, scope: Scope) -> Fitted {
        let shared = self.shared();
        let recent = match shared.records.unanswered(UNANSWERED_READ, scope).await {
            Ok(recent) => recent,
            Err(e) => return records_failed(&e, shared),
        };
        let engine = shared.engine.load_full();
        let since = crate::clock::now_secs().saturating_sub(UNANSWERED_DAYS * 86_400);
        let grouped = tokio::task::spawn_blocking(move || {
            let key = |q: &str| QuestionKey::analysed(&engine.analyzer, q);
            let queue = report::unanswered_queue(&recent, since, &key, UNANSWERED_SHOWN);
            render::unanswered(&queue, UNANSWERED_DAYS, &engine.knowledge.messages)
        })
        .await;
        grouped.unwrap_or_else(|e| internal_error(&e))
    }

    async fn reload(&self, responder: &Responder) {
        let shared = Arc::clone(self.shared());
        responder.respond(fit::deferral(true)).await;
        let msgs = shared.engine.load().knowledge.messages.clone();
        let reply = match live::reload(&shared).await {
            Reloaded::Done { summary, .. } => Fitted::text(&summary, true),
            Reloaded::Failed { problems } => {
                render::problems_reply(&msgs.reload_failed, &problems.join("\n"))
            }
        };
        let edit = reply.edit();
        if let Err(f) = rest::send(|| edit.clone().execute(&responder.http, &responder.token)).await
        {
            shared.failed("reporting the reload", &f);
        }
    }

    async fn on_autocomplete(&self, ctx: Context, cmd: CommandInteraction) {
        let typed = cmd
            .data
            .autocomplete()
            .map(|o| o.value.to_string())
            .unwrap_or_default();
        let engine = self.shared().engine.load_full();
        let choices =
            commands::choices(&engine.knowledge, &typed, |s| engine.analyzer.normalize(s));
        let mut response = CreateAutocompleteResponse::new();
        for (name, value) in choices {
            response = response.add_string_choice(name, value);
        }
        let responder = Responder {
            http: Arc::clone(&ctx.http),
            id: cmd.id,
            token: cmd.token.clone(),
            shared: Arc::clone(self.shared()),
        };
        responder
            .respond(CreateInteractionResponse::Autocomplete(response))
            .await;
    }

    async fn on_component(&self, ctx: Context, c: ComponentInteraction) {
        let shared = self.shared();
        let responder = Responder {
            http: Arc::clone(&ctx.http),
            id: c.id,
            token: c.token.clone(),
            shared: Arc::clone(self.shared()),
        };
        let custom_id = c.data.custom_id.as_str();
        let value = match &c.data.kind {
            ComponentInteractionDataKind::StringSelect { values } => values.first().cloned(),
            _ => None,
        };
        let Ok(id) = custom_id.parse::<CustomId>() else {
            debug!(custom_id, "unknown component");
            return;
        };
        match id {
            CustomId::Vote { .. } if !carries_button(&c.message, custom_id) => {
                // Not a button of the message it came with: a forged id
                // would record a vote for an answer nobody was shown.
                debug!(custom_id, "a vote from no button of its message: ignored");
            }
            CustomId::Vote { vote, answer } => {
                let r = shared.records.vote(
                    answer,
                    vote,
                    c.guild_id.map(GuildId::get),
                    c.user.id.get(),
                );
                info!(answer, vote = ?r.vote, "vote recorded");
                let thanks = shared.engine.load().knowledge.messages.vote_thanks.clone();
                responder.reply(&Fitted::text(&thanks, true)).await;
            }
            CustomId::Pick { asker: Some(asker) } if asker != c.user.id.get() => {
                // Someone else's menu: the choice would answer a question
                // they did not ask.
                let engine = shared.engine.load();
                let msgs = &engine.knowledge.messages;
                let ask = shown_name(names::ASK, Some(c.locale.as_str()), &msgs.bot);
                let text = msgs.pick_not_yours.replace("{ask}", &ask);
                responder.reply(&Fitted::text(&text, true)).await;
            }
            CustomId::Pick { .. } => {
                let engine = shared.engine.load_full();
                let k = &engine.knowledge;
                let candidate = value.and_then(|v| v.parse::<Candidate>().ok());
                let question = candidate.and_then(|c| match c.kind {
                    search::Kind::Measure => k.measure(&c.id).map(|m| m.text.clone()),
                    search::Kind::Faq => k.faq(&c.id).map(|f| f.question.clone()),
                });
                let Some(question) = question else {
                    // The knowledge changed since the menu was sent.
                    responder.reply(&render::failure(k, true)).await;
                    return;
                };
                if let Some(held) = self.gate(c.user.id, Source::Pick, &question) {
                    responder.reply(&Fitted::text(&held.notice, true)).await;
                    return;
                }
                // Answered to the one who chose only: the channel already
                // has the question's reply.
                let work = self.answer(
                    question,
                    (c.id.get(), c.user.id),
                    (Source::Pick, c.guild_id),
                    Audience::Privately,
                );
                responder.in_time(shared.config.defer_after, work).await;
            }
            CustomId::Programs => {
                let reply = render::areas(&shared.engine.load().knowledge);
                responder.reply(&reply).await;
            }
            CustomId::Area => {
                let engine = shared.engine.load();
                let reply = value
                    .and_then(|v| v.parse::<u32>().ok())
                    .and_then(|n| render::area_page(&engine.knowledge, n, 0))
                    .unwrap_or_else(|| render::areas(&engine.knowledge));
                responder.reply(&reply).await;
            }
            CustomId::Page { area, page } => {
                let engine = shared.engine.load();
                let reply = render::area_page(&engine.knowledge, area, page)
                    .unwrap_or_else(|| render::areas(&engine.knowledge));
                responder
                    .respond(CreateInteractionResponse::UpdateMessage(
                        reply.interaction(),
                    ))
                    .await;
            }
        }
    }
}

/// `/stats`: the figures of `scope`, with the chart of the last weeks
/// (drawn on the blocking pool).
async fn stats(shared: &Shared, scope: Scope) -> Fitted {
    let s = match shared.records.stats(STATS_TOP, scope).await {
        Ok(s) => s,
        Err(e) => return records_failed(&e, shared),
    };
    let weeks = weekly::weeks(&shared.records, Some(scope), Date::today_in_japan()).await;
    // Drawing the PNG takes milliseconds of CPU: off the async workers.
    let chart = match weeks {
        Ok(Some(weeks)) => tokio::task::spawn_blocking(move || weekly::chart(&weeks))
            .await
            .ok()
            .flatten(),
        Ok(None) => None,
        Err(e) => {
            warn!(error = %e, "the /stats chart could not read the records");
            None
        }
    }
    .map(|image| (image, weekly::WEEKS));
    render::stats(&s, &shared.engine.load().knowledge, chart)
}

/// Whether `message` has a button whose custom id is `custom_id`.
fn carries_button(message: &Message, custom_id: &str) -> bool {
    use serenity::all::{ActionRowComponent, ButtonKind};
    message
        .components
        .iter()
        .flat_map(|row| &row.components)
        .any(|c| {
            matches!(c, ActionRowComponent::Button(b)
                if matches!(&b.data, ButtonKind::NonLink { custom_id: id, .. } if id == custom_id))
        })
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        info!(
            user = %ready.user.name,
            shard = ?ready.shard,
            guilds = ready.guilds.len(),
            "connected to the gateway"
        );
        ctx.http.set_application_id(ready.application.id);
        self.0.config.metrics.session(ctx.shard_id.0);
        self.register(&ctx).await;
    }

    async fn resume(&self, ctx: Context, _: serenity::all::ResumedEvent) {
        info!("gateway session resumed");
        self.0.config.metrics.session(ctx.shard_id.0);
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        debug!(shard = event.shard_id.0, stage = %event.new, "shard stage");
        // Connected is noted with its session (READY, RESUMED); here only
        // a shard that leaves it.
        if event.old == ConnectionStage::Connected && event.new != ConnectionStage::Connected {
            self.0.config.metrics.shard(event.shard_id.0, false);
        }
    }

    async fn message(&self, ctx: Context, msg: Message) {
        self.on_message(ctx, msg).await;
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match interaction {
            Interaction::Command(cmd) => self.on_command(ctx, cmd).await,
            Interaction::Autocomplete(cmd) => self.on_autocomplete(ctx, cmd).await,
            Interaction::Component(c) => self.on_component(ctx, c).await,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bots_mentions_are_removed_from_the_question() {
        let me = UserId::new(42);
        assert_eq!(
            question_text("<@42> テレワークの補助は？", me),
            "テレワークの補助は？"
        );
        assert_eq!(question_text("<@!42>補助 <@7>", me), "補助");
        assert_eq!(question_text("<@42>", me), "");
        assert_eq!(
            question_text("@everyone <@&9> <#3> テレワーク @here", me),
            "テレワーク"
        );
        // Not mention markup: kept as typed.
        assert_eq!(question_text("<@abc> <#> 3<4", me), "<@abc> <#> 3<4");
    }
}
