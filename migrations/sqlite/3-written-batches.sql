-- The batches of records written, by a key the writer gives each batch: a
-- batch tried again after a commit whose acknowledgement was lost (the
-- connection dropped) is found here and not written twice. Kept a day.
CREATE TABLE written_batches (
    key TEXT PRIMARY KEY,
    written INTEGER NOT NULL             -- seconds since the Unix epoch
);
CREATE INDEX written_batches_written ON written_batches (written);
