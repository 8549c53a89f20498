//! Per-user cooldown with bounded memory: a user may ask again once the
//! cooldown has passed since their last accepted question. Within that
//! window the first question held back gets a notice and the later ones
//! none ([`Verdict`]), so repeating a message cannot make the bot repeat
//! itself. At most `capacity` users are remembered; when full, users whose
//! cooldown is over are forgotten first, then the least recently seen
//! ([`make_room`], which bounds every such map of the bot).

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// What to do with a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Answer it; the cooldown starts again.
    Ask,
    /// Held back: the first time in this window, so say why.
    Notify,
    /// Held back again in the same window: say nothing more.
    Quiet,
}

struct Last {
    at: Instant,
    notified: bool,
}

pub struct Cooldown {
    period: Duration,
    capacity: usize,
    last: HashMap<u64, Last>,
}

impl Cooldown {
    pub fn new(period: Duration, capacity: usize) -> Cooldown {
        Cooldown {
            period,
            capacity: capacity.max(1),
            last: HashMap::new(),
        }
    }

    /// Whether `user` may ask now; if so, the time is noted.
    pub fn allow(&mut self, user: u64, now: Instant) -> bool {
        self.check(user, now) == Verdict::Ask
    }

    /// Whether `user` may ask now (the time is then noted), and if not,
    /// whether this is the first question held back in the window.
    pub fn check(&mut self, user: u64, now: Instant) -> Verdict {
        if self.period.is_zero() {
            return Verdict::Ask;
        }
        if let Some(last) = self.last.get_mut(&user)
            && now.saturating_duration_since(last.at) < self.period
        {
            let first = !last.notified;
            last.notified = true;
            return if first {
                Verdict::Notify
            } else {
                Verdict::Quiet
            };
        }
        if !self.last.contains_key(&user) {
            let period = self.period;
            make_room(
                &mut self.last,
                self.capacity,
                |l| now.saturating_duration_since(l.at) >= period,
                |l| l.at,
            );
        }
        let fresh = Last {
            at: now,
            notified: false,
        };
        self.last.insert(user, fresh);
        Verdict::Ask
    }

    /// How many users are remembered.
    pub fn len(&self) -> usize {
        self.last.len()
    }

    pub fn is_empty(&self) -> bool {
        self.last.is_empty()
    }
}

/// Makes room for one more entry in `map`, which holds at most `capacity`:
/// when full, the entries that are `over` are forgotten, then, if it is
/// still full, the one with the least `age` key (the oldest).
pub fn make_room<K: Copy + Eq + Hash, V, T: Ord>(
    map: &mut HashMap<K, V>,
    capacity: usize,
    over: impl Fn(&V) -> bool,
    age: impl Fn(&V) -> T,
) {
    if map.len() < capacity {
        return;
    }
    map.retain(|_, v| !over(v));
    if map.len() >= capacity
        && let Some(oldest) = map.iter().min_by_key(|(_, v)| age(v)).map(|(k, _)| *k)
    {
        map.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_waits_out_the_cooldown() {
        let mut c = Cooldown::new(Duration::from_secs(3), 100);
        let t = Instant::now();
        assert!(c.allow(1, t));
        assert!(!c.allow(1, t + Duration::from_secs(1)));
        assert!(c.allow(2, t + Duration::from_secs(1)));
        assert!(c.allow(1, t + Duration::from_secs(3)));
    }

    #[test]
    fn one_notice_per_window() {
        let mut c = Cooldown::new(Duration::from_secs(3), 100);
        let t = Instant::now();
        let at = |ms| t + Duration::from_millis(ms);
        assert_eq!(c.check(1, t), Verdict::Ask);
        assert_eq!(c.check(1, at(100)), Verdict::Notify);
        for ms in [200, 1000, 2999] {
            assert_eq!(c.check(1, at(ms)), Verdict::Quiet);
        }
        assert_eq!(c.check(2, at(500)), Verdict::Ask);
        // A new window: asking is allowed, and the next hold-back says so.
        assert_eq!(c.check(1, at(3000)), Verdict::Ask);
        assert_eq!(c.check(1, at(3001)), Verdict::Notify);
        assert_eq!(c.check(1, at(3002)), Verdict::Quiet);
    }

    #[test]
    fn memory_is_bounded() {
        let mut c = Cooldown::new(Duration::from_secs(60), 10);
        let t = Instant::now();
        for u in 0..1000 {
            assert!(c.allow(u, t + Duration::from_millis(u)));
            assert!(c.len() <= 10);
        }
        // The most recent users are still held back.
        assert!(!c.allow(999, t + Duration::from_millis(1000)));
    }

    #[test]
    fn twenty_thousand_users_stay_within_the_default_capacity() {
        let capacity = 10_000;
        let mut c = Cooldown::new(Duration::from_secs(3), capacity);
        let t = Instant::now();
        let started = std::time::Instant::now();
        for u in 0..20_000u64 {
            // All within one cooldown: nobody's wait is over.
            assert!(c.allow(u, t + Duration::from_micros(u)));
            assert!(c.len() <= capacity);
        }
        assert_eq!(c.len(), capacity);
        // The newest users are still held back, the oldest forgotten.
        assert!(!c.allow(19_999, t + Duration::from_millis(100)));
        assert!(c.allow(0, t + Duration::from_millis(100)));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn zero_disables() {
        let mut c = Cooldown::new(Duration::ZERO, 1);
        let t = Instant::now();
        assert!(c.allow(1, t) && c.allow(1, t));
        assert!(c.is_empty());
    }
}
