-- Counts the vector rows changed in place (a document moved to another
-- collection, a vector rewritten without a new write batch). With the row
-- count and the latest write batch it tells whether a saved copy of the
-- in-memory vector index still matches the table: additions raise the
-- batch, deletions lower the count, and everything else raises this.
INSERT OR IGNORE INTO settings(key, value) VALUES ('vector_changes', '0');
CREATE TRIGGER chunk_embeddings_changed AFTER UPDATE ON chunk_embeddings BEGIN
    UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'vector_changes';
END;
