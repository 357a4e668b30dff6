-- A collection renamed or re-weighted moves the count of document changes
-- (0016) too: search keeps candidate rows in memory, each with its
-- collection's name and weight, for as long as that count stays put.
CREATE TRIGGER collections_changed AFTER UPDATE ON collections BEGIN
    UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'document_changes';
END;
CREATE TRIGGER collections_removed AFTER DELETE ON collections BEGIN
    UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'document_changes';
END;
