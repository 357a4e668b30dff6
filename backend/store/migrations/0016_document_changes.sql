-- Counts the changes to documents: a document added, changed in any way
-- (indexed again, moved, failed) or removed. Search keeps the entities
-- the documents define in memory and reads them again when this moves;
-- reading one setting replaces reading every document's row on every
-- query, and a change within the same second as the last is not missed.
-- A document's chunks and entity references are written in the same
-- transaction as its row.
INSERT OR IGNORE INTO settings(key, value) VALUES ('document_changes', '0');
CREATE TRIGGER documents_added AFTER INSERT ON documents BEGIN
    UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'document_changes';
END;
CREATE TRIGGER documents_changed AFTER UPDATE ON documents BEGIN
    UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'document_changes';
END;
CREATE TRIGGER documents_removed AFTER DELETE ON documents BEGIN
    UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'document_changes';
END;
