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

-- An extractive gist repeats sentences of its document: it is stored as
-- references into the document's text (a BLOB, see packGist); a TEXT gist
-- is one a model wrote, or one that did not reduce. The gists' index keeps
-- no content either, so the store gives it the gist's words when it writes
-- one; a gist that goes, or is rewritten, leaves it by its row.
DROP TRIGGER gists_ai;
DROP TRIGGER gists_ad;
DROP TRIGGER gists_au;
DROP TABLE gists_fts;
CREATE VIRTUAL TABLE gists_fts USING fts5(
    gist, keyphrases,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO gists_fts (rowid, gist, keyphrases) SELECT document_id, gist, keyphrases FROM gists ORDER BY document_id;
CREATE TRIGGER gists_ad AFTER DELETE ON gists BEGIN
    DELETE FROM gists_fts WHERE rowid = old.document_id;
END;
CREATE TRIGGER gists_au AFTER UPDATE ON gists BEGIN
    DELETE FROM gists_fts WHERE rowid = old.document_id;
END;
