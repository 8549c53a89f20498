-- Every question asked (deleted past --keep-days; the daily counts stay).
CREATE TABLE questions (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,            -- seconds since the Unix epoch
    day INTEGER NOT NULL,           -- days since 1970-01-01, in Japan
    answer INTEGER NOT NULL,        -- the Discord message or interaction answered
    source TEXT NOT NULL,           -- mention, dm, channel, slash, pick
    guild INTEGER,                  -- the server; NULL: a direct message
    query TEXT NOT NULL,
    answered BOOLEAN NOT NULL,      -- programmes shown
    sure BOOLEAN NOT NULL,          -- at the "sure" level (else 「もしかして」)
    decision TEXT,                  -- answer, did_you_mean, decline, out_of_scope, greeting
    confidence REAL NOT NULL,
    shown TEXT NOT NULL,            -- measure ids shown, in order (JSON array)
    faq TEXT
);
CREATE INDEX questions_ts ON questions (ts);
CREATE INDEX questions_answer ON questions (answer);
CREATE INDEX questions_unanswered ON questions (guild, ts) WHERE NOT answered;
CREATE INDEX questions_unanswered_query ON questions (query, ts) WHERE NOT answered;

-- Each voter's latest vote on an answer.
CREATE TABLE votes (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    answer INTEGER NOT NULL,
    vote TEXT NOT NULL,             -- up, down
    guild INTEGER,
    voter TEXT UNIQUE,              -- keyed hash of user and answer; never the user id
    query TEXT,                     -- NULL past --keep-days
    shown TEXT,
    faq TEXT
);
CREATE INDEX votes_guild ON votes (guild);

-- Counts per day (in Japan) and server (0: direct messages); kept forever.
CREATE TABLE daily (
    day INTEGER NOT NULL,
    guild INTEGER NOT NULL,
    questions INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    did_you_mean INTEGER NOT NULL,
    unanswered INTEGER NOT NULL,
    out_of_scope INTEGER NOT NULL,
    PRIMARY KEY (day, guild)
);
CREATE TABLE daily_shown (
    day INTEGER NOT NULL,
    guild INTEGER NOT NULL,
    measure TEXT NOT NULL,
    first_shown INTEGER NOT NULL,
    shown INTEGER NOT NULL,
    PRIMARY KEY (day, guild, measure)
);

-- Records not kept: lines of old files that did not parse, impossible times.
CREATE TABLE anomalies (kind TEXT PRIMARY KEY, n INTEGER NOT NULL);

-- Old JSON-lines files imported, by the hash of their content.
CREATE TABLE imported (
    hash TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    records INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    at INTEGER NOT NULL
);
