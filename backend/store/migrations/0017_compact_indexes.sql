-- Smaller indexes and keys; every read answers as before.

-- The listing's title and size orders sort the table, as its status and
-- type orders always have: the two indexes were a third of the space the
-- documents took, for a page of a listing a user rarely asks for. The
-- newest-first orders keep theirs, ascending (read backwards for the
-- listing): new rows then go at the index's end and fill its pages, where
-- descending keys left them half empty. The rowid ends every index entry,
-- so it is not named again.
DROP INDEX documents_title;
DROP INDEX documents_size;
DROP INDEX documents_updated;
DROP INDEX documents_created;
CREATE INDEX documents_updated ON documents(updated_at);
CREATE INDEX documents_created ON documents(created_at);

-- Nearly every document is indexed: only the others are counted through
-- an index (the indexed ones are the rest).
DROP INDEX documents_status;
CREATE INDEX documents_unindexed ON documents(status) WHERE status <> 'indexed';

-- A content hash in lowercase hex (what ingestion writes) is stored as its
-- bytes, half the size in the table and in its index; any other hash (one
-- an import brought) stays text. The store converts at its edges
-- (storedHash, hashText), so the two forms never meet.
UPDATE documents SET hash = unhex(hash)
    WHERE length(hash) > 0 AND length(hash) % 2 = 0 AND hash NOT GLOB '*[^0-9a-f]*';

-- An entity is looked up by a 32-bit hash of its name (key, filled in by
-- the store: SQLite has no hash function) rather than by a unique index of
-- the names, which held every name a second time. Names are kept distinct
-- by the writer, which looks before it adds within the write lock. Ids
-- are kept, so the references stand.
CREATE TABLE entities_keyed (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key  INTEGER NOT NULL
);
INSERT INTO entities_keyed (id, name, key) SELECT id, name, 0 FROM entities ORDER BY id;
DROP TABLE entities;
ALTER TABLE entities_keyed RENAME TO entities;
CREATE INDEX entities_key ON entities(key);

-- Chunk text is deflated against a dictionary of the vault's own frequent
-- words (a passage of a few hundred bytes has little of its own to refer
-- back to): learned from the first text a vault is given, stored here
-- once, named by a hash of its bytes (two processes that learn one each
-- cannot mix them up) and never changed while a chunk refers to it.
CREATE TABLE pack_dicts (
    id   INTEGER PRIMARY KEY,
    dict BLOB NOT NULL
);
