//! The weekly picture for staff: a PNG chart of the last [`WEEKS`] weeks
//! (questions per week above; the no-match and 「もしかして」 rates below),
//! made from the staff report ([`crate::report`], [`crate::chart`]). `/stats`
//! attaches it beside its numbers ([`chart`]); with a staff channel, the
//! bot posts it there every Monday from 09:00 in Japan ([`spawn`]).
//!
//! Once a week, even when several processes share the bot (shards split
//! between them, on one machine or several): before posting, a process
//! claims the week (`YYYY-Www`, the ISO week) in the records they share
//! ([`crate::records::Records::claim_week`]), which only one process can
//! do; the others find it claimed and post nothing. A post that fails
//! gives the claim back, and is tried again ten minutes later while it is
//! still Monday.

use std::sync::Arc;
use std::time::Duration;

use serenity::all::{ChannelId, Http};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::fit::{Embed, Fitted, Image, Reply};
use super::render::COLOUR_INFO;
use super::rest;
use super::state::Shared;
use crate::chart::{self, Picture};
use crate::clock;
use crate::data::{Date, ReportMessages};
use crate::records::{Records, Scope};
use crate::report::{self, Period, PeriodRate};

/// Weeks the chart shows, the current one last: two months show a trend
/// and still leave each week a readable bar.
pub const WEEKS: usize = 8;
/// The attachment's file name.
pub const CHART_FILE: &str = "weekly.png";
/// Size of each of the two panels of the chart, in pixels.
const PANEL: (u32, u32) = (720, 240);
/// The post is due from this hour on Mondays, in Japan: at the start of
/// the working day, when staff read the channel.
const POST_HOUR: i64 = 9;
/// The wait before a failed post is tried again: long enough for Discord
/// or the database to recover, short enough to post the same morning.
const RETRY: Duration = Duration::from_secs(10 * 60);
/// Japan's offset from UTC, in seconds.
const JAPAN: i64 = clock::JAPAN.whole_seconds() as i64;
const DAY: i64 = 86_400;

fn now_secs() -> i64 {
    i64::try_from(clock::now_secs()).unwrap_or(i64::MAX)
}

/// The weeks up to the week of `today` of `records`, of `scope` (none:
/// every record); `None` when there are no records or they cannot be read.
pub async fn weeks(
    records: &Records,
    scope: Option<Scope>,
    today: Date,
) -> Result<Option<Vec<PeriodRate>>, crate::records::RecordsError> {
    let days = records.days(scope).await?;
    if days.is_empty() {
        return Ok(None);
    }
    let weekly = report::over_time(&days, &[], Period::Week);
    Ok(Some(report::recent_weeks(&weekly, today, WEEKS)))
}

/// The chart of `weeks` as a PNG attachment.
pub fn chart(weeks: &[PeriodRate]) -> Option<Image> {
    let [questions, rates, _] = chart::trends(weeks);
    match chart::png(&[Picture::Chart(&questions), Picture::Chart(&rates)], PANEL) {
        Ok(png) => Some(Image {
            name: CHART_FILE.to_string(),
            png,
        }),
        Err(e) => {
            warn!(error = %e, "the weekly chart could not be drawn: sending the numbers only");
            None
        }
    }
}

/// The ISO week of a date, as `2026-W49`.
pub fn iso_week(d: Date) -> String {
    let (year, week, _) = d.to_time().to_iso_week_date();
    format!("{year}-W{week:02}")
}

/// Whether the post of the week is due at `now`: a Monday in Japan, from
/// [`POST_HOUR`].
pub fn due(now: i64) -> bool {
    let local = now + JAPAN;
    let date = Date::from_days(local.div_euclid(DAY));
    date.weekday() == 0 && local.rem_euclid(DAY) >= POST_HOUR * 3600
}

/// Time from `now` to the next Monday [`POST_HOUR`]:00 in Japan.
pub fn until_next(now: i64) -> Duration {
    let local = now + JAPAN;
    let today = local.div_euclid(DAY);
    let weekday = i64::from(Date::from_days(today).weekday());
    let mut next = (today - weekday) * DAY + POST_HOUR * 3600;
    while next <= local {
        next += 7 * DAY;
    }
    Duration::from_secs((next - local) as u64)
}

/// The post of the week that ended before `today` (a Monday).
pub fn post(weeks: &[PeriodRate], m: &ReportMessages) -> Fitted {
    let last = weeks.iter().rev().nth(1).or(weeks.last());
    let (from, to, summary) = match last {
        Some(w) => (
            w.start,
            Date::from_days(w.start.days() + 6),
            m.weekly_summary
                .replace("{questions}", &w.questions.to_string())
                .replace("{unanswered}", &w.unanswered.to_string())
                .replace("{no_match_rate}", &crate::report::percent(w.rate))
                .replace("{did_you_mean}", &w.did_you_mean.to_string())
                .replace(
                    "{did_you_mean_rate}",
                    &crate::report::percent(w.did_you_mean_rate),
                )
                .replace("{up}", &w.up.to_string())
                .replace("{down}", &w.down.to_string()),
        ),
        None => return Reply::default().fit(),
    };
    Reply {
        embeds: vec![Embed {
            title: Some(
                m.weekly_title
                    .replace("{from}", &from.to_string())
                    .replace("{to}", &to.to_string()),
            ),
            description: Some(summary),
            footer: Some(m.stats_chart.replace("{weeks}", &WEEKS.to_string())),
            colour: COLOUR_INFO,
            ..Embed::default()
        }],
        image: chart(weeks),
        ..Reply::default()
    }
    .fit()
}

/// Aborts the task when dropped, so the weekly post ends with the bot.
pub struct Weekly(JoinHandle<()>);

impl Drop for Weekly {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts the weekly post to the staff channel, if one is configured (and
/// the post is not turned off).
pub fn spawn(shared: Arc<Shared>, http: Arc<Http>) -> Option<Weekly> {
    let channel = shared
        .config
        .staff_channel
        .filter(|_| shared.config.weekly_post)?;
    Some(Weekly(tokio::spawn(follow(shared, http, channel))))
}

async fn follow(shared: Arc<Shared>, http: Arc<Http>, channel: u64) {
    loop {
        let now = now_secs();
        let wait = if due(now) && !post_due(&shared, &http, channel, now).await {
            RETRY
        } else {
            until_next(now)
        };
        tokio::time::sleep(wait).await;
    }
}

/// Posts the picture of the week of `now` (seconds since the epoch; the
/// post must be [`due`]) to `channel`, unless another process has; false
/// when it should be tried again.
pub async fn post_due(shared: &Shared, http: &Http, channel: u64, now: i64) -> bool {
    let today = Date::in_japan(now);
    let week = iso_week(today);
    match shared.records.claim_week(&week).await {
        Ok(true) => {}
        Ok(false) => return true,
        Err(e) => {
            warn!(week, error = %e, "cannot claim the weekly post in the records");
            return false;
        }
    }
    let posted = post_claimed(shared, http, channel, today).await;
    if !posted && let Err(e) = shared.records.release_week(&week).await {
        warn!(week, error = %e, "cannot give the weekly post's claim back");
    }
    posted
}

/// Posts the weekly picture of the week claimed; false (the claim is then
/// given back) when reading the records, drawing or posting failed.
async fn post_claimed(shared: &Shared, http: &Http, channel: u64, today: Date) -> bool {
    let scope = shared.config.guild_id.map(|home| Scope { home });
    let messages = shared.engine.load().knowledge.messages.report.clone();
    let weeks = match weeks(&shared.records, scope, today).await {
        Ok(Some(weeks)) => weeks,
        Ok(None) => {
            info!("no records: no weekly post");
            return true;
        }
        Err(e) => {
            warn!(error = %e, "the weekly chart could not read the records");
            return false;
        }
    };
    // (Drawing the chart is CPU work.)
    let Ok(reply) = tokio::task::spawn_blocking(move || post(&weeks, &messages)).await else {
        return false;
    };
    let message = reply.message();
    match rest::send(|| ChannelId::new(channel).send_message(http, message.clone())).await {
        Ok(_) => {
            info!("weekly picture posted to the staff channel");
            true
        }
        Err(f) => {
            shared.failed("posting the weekly picture", &f);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    /// Seconds at `date` `hour`:00 in Japan.
    fn at(d: &str, hour: i64) -> i64 {
        date(d).days() * DAY + hour * 3600 - JAPAN
    }

    #[test]
    fn iso_weeks_follow_their_thursday() {
        assert_eq!(iso_week(date("2026-12-01")), "2026-W49");
        assert_eq!(iso_week(date("2021-01-03")), "2020-W53");
        assert_eq!(iso_week(date("2024-12-30")), "2025-W01");
        assert_eq!(iso_week(date("2024-01-01")), "2024-W01");
    }

    #[test]
    fn the_post_is_due_on_monday_mornings_in_japan() {
        // 2026-11-30 is a Monday.
        assert!(!due(at("2026-11-30", 8)));
        assert!(due(at("2026-11-30", 9)));
        assert!(due(at("2026-11-30", 23)));
        assert!(!due(at("2026-12-01", 9)));
        // Sunday 23:00 UTC is Monday 08:00 in Japan: an hour to go.
        assert_eq!(until_next(at("2026-11-30", 8)), Duration::from_secs(3600));
        assert_eq!(
            until_next(at("2026-11-30", 9)),
            Duration::from_secs(7 * 86_400)
        );
        assert_eq!(
            until_next(at("2026-12-03", 9)),
            Duration::from_secs(4 * 86_400)
        );
    }

    #[test]
    fn the_post_shows_the_week_that_ended_with_the_chart() {
        let text = include_str!("../../data/messages.toml");
        let m: crate::data::Messages = toml::from_str(text).unwrap();
        let monday = date("2026-10-12").days();
        let weeks: Vec<PeriodRate> = (0..WEEKS as u64)
            .map(|i| PeriodRate {
                start: Date::from_days(monday + 7 * i as i64),
                questions: 10 * i,
                unanswered: i,
                rate: 0.1,
                did_you_mean: 2 * i,
                did_you_mean_rate: 0.2,
                up: 3,
                down: 1,
            })
            .collect();
        let reply = post(&weeks, &m.report);
        let embed = &reply.embeds[0];
        // The current week (2026-11-30) has just begun: the post is of the one before.
        assert_eq!(
            embed.title.as_deref(),
            Some(
                m.report
                    .weekly_title
                    .replace("{from}", "2026-11-23")
                    .replace("{to}", "2026-11-29")
                    .as_str()
            )
        );
        let summary = embed.description.as_deref().unwrap();
        assert!(
            summary.contains("60") && summary.contains("10.0%"),
            "{summary}"
        );
        let image = reply.image.as_ref().expect("the chart is attached");
        assert_eq!(image.name, CHART_FILE);
        assert!(image.png.starts_with(b"\x89PNG"));
    }
}
