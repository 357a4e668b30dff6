-- Chunk text is stored deflated (a BLOB, see packed.go); a TEXT value is a
-- row not packed yet, or too short to gain. Opening the vault packs the
-- rows still in TEXT (store.packTexts), which the partial index finds.
CREATE INDEX chunks_unpacked ON chunks(id) WHERE typeof(text) = 'text' AND length(text) >= 64;

-- The full-text index keeps no content of its own: it read the chunks'
-- columns through chunk_fts_source, which would now hand it packed bytes.
-- The store gives it each row's values when it writes the chunk, and a
-- deletion names only the row (contentless_delete). Same columns and
-- tokenizer, so the same ranking; the rows are indexed again here, from
-- the text as it was before packing.
DROP TABLE chunks_fts;
CREATE VIRTUAL TABLE chunks_fts USING fts5(
    title, heading, body,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO chunks_fts (rowid, title, heading, body) SELECT id, title, heading, body FROM chunk_fts_source ORDER BY id;
DROP VIEW chunk_fts_source;
