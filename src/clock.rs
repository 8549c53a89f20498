//! Time as the product sees it: the clock in Unix seconds, Japan's offset
//! from UTC, and calendar dates (`YYYY-MM-DD`) such as a plan's start or
//! "today in Japan". The calendar arithmetic is the `time` crate's.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use time::{Month, OffsetDateTime, UtcOffset};

/// Japan Standard Time, UTC+9 all year (Japan keeps no daylight saving):
/// a plan comes into force, and a report's day begins, at midnight there.
pub const JAPAN: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("+09:00 is a valid offset"),
};

/// Seconds since the Unix epoch now (0 if the clock is set before it).
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Time from `now` (Unix seconds) to just after the next midnight in Japan,
/// when the plan in force may change.
pub fn until_tomorrow_in_japan(now: u64) -> Duration {
    let day = Duration::from_secs(86_400);
    let Some(t) = i64::try_from(now)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
    else {
        return day;
    };
    let t = t.to_offset(JAPAN);
    t.date().next_day().map_or(day, |d| {
        (d.midnight().assume_offset(JAPAN) - t).unsigned_abs()
    }) + Duration::from_secs(1)
}

/// A calendar date (`YYYY-MM-DD`), for plan start dates and "today".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

/// A date that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date in the form YYYY-MM-DD")]
pub struct DateError(String);

/// The Julian day of 1970-01-01, to count days from the Unix epoch.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

impl Date {
    /// A date from its parts, if it exists.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
        let day = u8::try_from(day).ok()?;
        time::Date::from_calendar_date(year, month, day)
            .ok()
            .map(Date)
    }

    /// The date `days` days after 1970-01-01 (proleptic Gregorian), held
    /// to the years `time` knows (±9999).
    pub fn from_days(days: i64) -> Date {
        let julian = days.saturating_add(UNIX_EPOCH_JULIAN_DAY).clamp(
            i64::from(time::Date::MIN.to_julian_day()),
            i64::from(time::Date::MAX.to_julian_day()),
        );
        // Within `time`'s range by the clamp, so the fallback is never taken.
        Date(time::Date::from_julian_day(julian as i32).unwrap_or(time::Date::MIN))
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        i64::from(self.0.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
    }

    /// Day of the week, 0 for Monday to 6 for Sunday.
    pub fn weekday(self) -> u32 {
        u32::from(self.0.weekday().number_days_from_monday())
    }

    /// The date in Japan ([`JAPAN`]) at `secs` seconds after the Unix epoch.
    pub fn in_japan(secs: i64) -> Date {
        let day = 86_400;
        Date::from_days((secs.saturating_add(i64::from(JAPAN.whole_seconds()))).div_euclid(day))
    }

    /// The date in Japan now.
    pub fn today_in_japan() -> Date {
        Date::in_japan(i64::try_from(now_secs()).unwrap_or(i64::MAX))
    }

    /// The `time` crate's date.
    pub fn to_time(self) -> time::Date {
        self.0
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;

    /// Exactly `YYYY-MM-DD`: four-digit year, two-digit month and day.
    fn from_str(s: &str) -> Result<Date, DateError> {
        let bad = || DateError(s.to_string());
        let b = s.as_bytes();
        let shaped = b.len() == 10
            && b.iter().enumerate().all(|(i, &c)| {
                if i == 4 || i == 7 {
                    c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !shaped {
            return Err(bad());
        }
        let number = |range: std::ops::Range<usize>| s[range].parse::<u32>().map_err(|_| bad());
        let year = i32::try_from(number(0..4)?).map_err(|_| bad())?;
        Date::new(year, number(5..7)?, number(8..10)?).ok_or_else(bad)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        )
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_only_in_the_one_form_and_print_back() {
        for good in ["2024-02-29", "2023-04-01", "0001-01-01", "9999-12-31"] {
            assert_eq!(good.parse::<Date>().unwrap().to_string(), good);
        }
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-4-1",
            "2024-04-00",
            "+024-04-01",
            "2024/04/01",
            "2024-04-01 ",
            "",
        ] {
            let e = bad.parse::<Date>().unwrap_err();
            assert!(e.to_string().contains("YYYY-MM-DD"), "{bad}: {e}");
        }
    }

    #[test]
    fn days_count_from_the_unix_epoch_both_ways() {
        let epoch = Date::new(1970, 1, 1).unwrap();
        assert_eq!(epoch.days(), 0);
        assert_eq!(epoch.weekday(), 3, "1970-01-01 was a Thursday");
        let d = Date::new(2024, 4, 29).unwrap();
        assert_eq!(d.weekday(), 0, "2024-04-29 was a Monday");
        assert_eq!(Date::from_days(d.days()), d);
        assert_eq!(Date::from_days(-1).to_string(), "1969-12-31");
        assert_eq!(Date::from_days(i64::MAX).to_string(), "9999-12-31");
    }

    #[test]
    fn midnight_in_japan_is_at_15_utc() {
        // 2024-03-31T15:00:00Z is 2024-04-01T00:00:00+09:00.
        let t = 1_711_897_200;
        assert_eq!(Date::in_japan(t - 1).to_string(), "2024-03-31");
        assert_eq!(Date::in_japan(t).to_string(), "2024-04-01");
        // 2024-03-31 14:59:59 UTC is 23:59:59 in Japan.
        assert_eq!(
            until_tomorrow_in_japan(t as u64 - 1),
            Duration::from_secs(2)
        );
        assert_eq!(
            until_tomorrow_in_japan(t as u64),
            Duration::from_secs(86_401)
        );
    }

    #[test]
    fn dates_round_trip_through_serde_as_text() {
        let d = Date::new(2023, 4, 1).unwrap();
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, "\"2023-04-01\"");
        assert_eq!(serde_json::from_str::<Date>(&json).unwrap(), d);
        assert!(serde_json::from_str::<Date>("\"2023-4-1\"").is_err());
    }
}
