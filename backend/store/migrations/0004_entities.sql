-- The entity index: names (normalized) and the chunks that define them
-- (kind 1: the document's title, a heading) or mention them (kind 2: a
-- capitalized multi-word name, a wikilink). Multi-hop search follows it.
CREATE TABLE entities (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE entity_refs (
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    chunk_id  INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    kind      INTEGER NOT NULL CHECK (kind IN (1, 2)),
    PRIMARY KEY (entity_id, chunk_id)
) WITHOUT ROWID;
CREATE INDEX entity_refs_chunk ON entity_refs(chunk_id);
