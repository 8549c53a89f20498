-- The weekly picture for staff, claimed by the one process that posts it.
CREATE TABLE weekly_posts (
    week TEXT PRIMARY KEY,          -- the ISO week, e.g. 2026-W49
    claimed BIGINT NOT NULL         -- seconds since the Unix epoch
);
