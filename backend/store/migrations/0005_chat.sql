-- Conversations with the vault and their messages. An assistant message keeps
-- the citations and trace it was given, as JSON, so the chat can show them
-- again; a user message keeps the query it was resolved to (follow-ups).
CREATE TABLE conversations (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content         TEXT NOT NULL,
    query           TEXT NOT NULL DEFAULT '',
    citations       TEXT NOT NULL DEFAULT '[]',
    trace           TEXT NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages(conversation_id, id);

-- The global memory (MemoRAG): a gist per document, with its keyphrases,
-- searchable on its own so a question can find which documents it is about.
CREATE TABLE gists (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    gist        TEXT NOT NULL,
    keyphrases  TEXT NOT NULL DEFAULT '',
    by_llm      INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
);
CREATE VIRTUAL TABLE gists_fts USING fts5(
    gist, keyphrases,
    content = 'gists', content_rowid = 'document_id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER gists_ai AFTER INSERT ON gists BEGIN
    INSERT INTO gists_fts (rowid, gist, keyphrases) VALUES (new.document_id, new.gist, new.keyphrases);
END;
CREATE TRIGGER gists_ad AFTER DELETE ON gists BEGIN
    INSERT INTO gists_fts (gists_fts, rowid, gist, keyphrases) VALUES ('delete', old.document_id, old.gist, old.keyphrases);
END;
CREATE TRIGGER gists_au AFTER UPDATE ON gists BEGIN
    INSERT INTO gists_fts (gists_fts, rowid, gist, keyphrases) VALUES ('delete', old.document_id, old.gist, old.keyphrases);
    INSERT INTO gists_fts (rowid, gist, keyphrases) VALUES (new.document_id, new.gist, new.keyphrases);
END;

-- Atomic facts (Engram) a language model read from a chunk; subject and
-- object are routed to the entity index. facts_read marks chunks already
-- read, so extraction resumes where it stopped.
CREATE TABLE facts (
    id             INTEGER PRIMARY KEY,
    chunk_id       INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    subject        TEXT NOT NULL,
    relation       TEXT NOT NULL,
    object         TEXT NOT NULL,
    subject_entity INTEGER REFERENCES entities(id),
    object_entity  INTEGER REFERENCES entities(id)
);
CREATE INDEX facts_chunk ON facts(chunk_id);
CREATE INDEX facts_subject ON facts(subject_entity);
CREATE INDEX facts_object ON facts(object_entity);
CREATE TABLE facts_read (
    chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
    model    TEXT NOT NULL
);
