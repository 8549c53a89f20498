-- Every question asked (deleted past --keep-days; the daily counts stay).
CREATE TABLE questions (
    id BIGSERIAL PRIMARY KEY,
    ts BIGINT NOT NULL,            -- seconds since the Unix epoch
    day BIGINT NOT NULL,           -- days since 1970-01-01, in Japan
    answer BIGINT NOT NULL,        -- the Discord message or interaction answered
    source TEXT NOT NULL,           -- mention, dm, channel, slash, pick
    guild BIGINT,                  -- the server; NULL: a direct message
    query TEXT NOT NULL,
    answered BOOLEAN NOT NULL,      -- programmes shown
    sure BOOLEAN NOT NULL,          -- at the "sure" level (else 「もしかして」)
    decision TEXT,                  -- answer, did_you_mean, decline, out_of_scope, greeting
    confidence DOUBLE PRECISION NOT NULL,
    shown TEXT NOT NULL,            -- measure ids shown, in order (JSON array)
    faq TEXT
);
CREATE INDEX questions_ts ON questions (ts);
CREATE INDEX questions_answer ON questions (answer);
CREATE INDEX questions_unanswered ON questions (guild, ts) WHERE NOT answered;
CREATE INDEX questions_unanswered_query ON questions (query, ts) WHERE NOT answered;

-- Each voter's latest vote on an answer.
CREATE TABLE votes (
    id BIGSERIAL PRIMARY KEY,
    ts BIGINT NOT NULL,
    answer BIGINT NOT NULL,
    vote TEXT NOT NULL,             -- up, down
    guild BIGINT,
    voter TEXT UNIQUE,              -- keyed hash of user and answer; never the user id
    query TEXT,                     -- NULL past --keep-days
    shown TEXT,
    faq TEXT
);
CREATE INDEX votes_guild ON votes (guild);

-- Counts per day (in Japan) and server (0: direct messages); kept forever.
CREATE TABLE daily (
    day BIGINT NOT NULL,
    guild BIGINT NOT NULL,
    questions BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    did_you_mean BIGINT NOT NULL,
    unanswered BIGINT NOT NULL,
    out_of_scope BIGINT NOT NULL,
    PRIMARY KEY (day, guild)
);
CREATE TABLE daily_shown (
    day BIGINT NOT NULL,
    guild BIGINT NOT NULL,
    measure TEXT NOT NULL,
    first_shown BIGINT NOT NULL,
    shown BIGINT NOT NULL,
    PRIMARY KEY (day, guild, measure)
);

-- Records not kept: lines of old files that did not parse, impossible times.
CREATE TABLE anomalies (kind TEXT PRIMARY KEY, n BIGINT NOT NULL);

-- Old JSON-lines files imported, by the hash of their content.
CREATE TABLE imported (
    hash TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    records BIGINT NOT NULL,
    skipped BIGINT NOT NULL,
    at BIGINT NOT NULL
);
