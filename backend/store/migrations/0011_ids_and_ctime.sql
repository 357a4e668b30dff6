-- Document ids are never given out twice: SQLite reuses the largest rowid
-- once its row is deleted, so an id someone still holds (an agent, a link)
-- could name another document. id_floor keeps the highest id ever deleted;
-- new documents are numbered above both it and every id in use.
CREATE TABLE id_floor (
    name TEXT PRIMARY KEY,
    hi   INTEGER NOT NULL
);
INSERT INTO id_floor (name, hi) SELECT 'documents', coalesce(max(id), 0) FROM documents;
CREATE TRIGGER documents_id_floor AFTER DELETE ON documents BEGIN
    UPDATE id_floor SET hi = OLD.id WHERE name = 'documents' AND hi < OLD.id;
END;

-- A source's inode change time (unix nanoseconds; 0 when not known): an
-- edit that keeps the size and restores the modification time still moves
-- it, so catch-up after a restart notices.
ALTER TABLE sources ADD COLUMN ctime INTEGER NOT NULL DEFAULT 0;
