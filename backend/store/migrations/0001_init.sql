-- Collections group documents; every document belongs to exactly one.
CREATE TABLE collections (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    weight     REAL NOT NULL DEFAULT 1.0,
    created_at INTEGER NOT NULL
);
INSERT INTO collections (name, created_at) VALUES ('library', CAST(strftime('%s','now') AS INTEGER));

-- One row per distinct content. A failed file may have no hash (unreadable).
CREATE TABLE documents (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id),
    hash          TEXT,
    media_type    TEXT NOT NULL DEFAULT '',
    size          INTEGER NOT NULL DEFAULT 0,
    mtime         INTEGER NOT NULL DEFAULT 0,
    title         TEXT NOT NULL DEFAULT '',
    metadata      TEXT NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL CHECK (status IN ('queued','indexed','failed')),
    error         TEXT NOT NULL DEFAULT '',
    text          TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX documents_hash ON documents(hash) WHERE hash IS NOT NULL;
CREATE INDEX documents_collection ON documents(collection_id);
CREATE INDEX documents_status ON documents(status);

-- Where a document came from: a file path or an upload name. Identical content
-- under several paths is one document with several sources.
CREATE TABLE sources (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    path        TEXT NOT NULL UNIQUE,
    size        INTEGER NOT NULL DEFAULT 0,
    mtime       INTEGER NOT NULL DEFAULT 0,
    added_at    INTEGER NOT NULL
);
CREATE INDEX sources_document ON sources(document_id);

-- Spans of the extracted text with their page and heading path.
CREATE TABLE sections (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,
    page        INTEGER NOT NULL DEFAULT 0,
    heading     TEXT NOT NULL DEFAULT '',
    char_start  INTEGER NOT NULL,
    char_end    INTEGER NOT NULL
);
CREATE INDEX sections_document ON sections(document_id, ordinal);

CREATE TABLE chunks (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,
    text        TEXT NOT NULL,
    page_start  INTEGER NOT NULL DEFAULT 0,
    page_end    INTEGER NOT NULL DEFAULT 0,
    heading     TEXT NOT NULL DEFAULT '',
    char_start  INTEGER NOT NULL,
    char_end    INTEGER NOT NULL
);
CREATE INDEX chunks_document ON chunks(document_id, ordinal);

-- The full-text index reads its columns from this view (external content), so
-- chunk text is stored once. Rows are added and removed by the store in the
-- same transaction as the chunks.
CREATE VIEW chunk_fts_source AS
    SELECT c.id AS id, c.document_id AS document_id, d.title AS title, c.heading AS heading, c.text AS body
    FROM chunks c JOIN documents d ON d.id = c.document_id;

CREATE VIRTUAL TABLE chunks_fts USING fts5(
    title, heading, body,
    content = 'chunk_fts_source',
    content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
