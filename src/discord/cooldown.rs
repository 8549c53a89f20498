//! Per-user cooldown with bounded memory: a user may ask again once the
//! cooldown has passed since their last accepted question. At most
//! `capacity` users are remembered; when full, users whose cooldown is over
//! are forgotten first, then the least recently seen.

use std::collections::HashMap;
use std::time::{Duration, Instant};

pub struct Cooldown {
    period: Duration,
    capacity: usize,
    last: HashMap<u64, Instant>,
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
        if self.period.is_zero() {
            return true;
        }
        if let Some(t) = self.last.get(&user)
            && now.saturating_duration_since(*t) < self.period
        {
            return false;
        }
        if !self.last.contains_key(&user) && self.last.len() >= self.capacity {
            let period = self.period;
            self.last
                .retain(|_, t| now.saturating_duration_since(*t) < period);
            if self.last.len() >= self.capacity
                && let Some(oldest) = self.last.iter().min_by_key(|(_, t)| **t).map(|(u, _)| *u)
            {
                self.last.remove(&oldest);
            }
        }
        self.last.insert(user, now);
        true
    }

    /// How many users are remembered.
    pub fn len(&self) -> usize {
        self.last.len()
    }

    pub fn is_empty(&self) -> bool {
        self.last.is_empty()
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
