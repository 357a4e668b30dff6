-- A source added, moved or removed moves the count of document changes
-- (0016) too: search keeps each row's first path in memory (with the
-- in-memory postings) for as long as that count stays put.
CREATE TRIGGER sources_added AFTER INSERT ON sources BEGIN
    UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'document_changes';
END;
CREATE TRIGGER sources_changed AFTER UPDATE OF path, document_id ON sources BEGIN
    UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'document_changes';
END;
CREATE TRIGGER sources_removed AFTER DELETE ON sources BEGIN
    UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'document_changes';
END;
