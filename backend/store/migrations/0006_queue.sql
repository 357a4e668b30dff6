-- The indexing queue: every path waiting to be indexed or removed. A row
-- leaves when its work is stored, so the queue survives crashes and restarts
-- and says what is left. gen counts enqueues: a change that arrives while a
-- path is being worked on keeps the row for another pass.
CREATE TABLE queue (
    id         INTEGER PRIMARY KEY,
    path       TEXT NOT NULL UNIQUE,
    op         TEXT NOT NULL CHECK (op IN ('index', 'remove')),
    collection TEXT NOT NULL DEFAULT '',
    state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'waiting')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    not_before INTEGER NOT NULL DEFAULT 0, -- unix milliseconds: retry backoff
    reason     TEXT NOT NULL DEFAULT '',
    gen        INTEGER NOT NULL DEFAULT 1,
    added_at   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX queue_due ON queue(state, not_before, id);

-- Folders Hoard watches; every long-running process resumes them.
CREATE TABLE watched (
    path       TEXT PRIMARY KEY,
    collection TEXT NOT NULL DEFAULT '',
    added_at   INTEGER NOT NULL
);

-- Transcripts: where a chunk's words were spoken, in milliseconds from the
-- start of the recording (NULL for text).
ALTER TABLE chunks ADD COLUMN time_start INTEGER;
ALTER TABLE chunks ADD COLUMN time_end INTEGER;
