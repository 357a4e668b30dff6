-- A path that came in an export records where a document came from (on
-- another machine, or in a crafted file); it is not a file to open. Hoard
-- never serves, re-reads or re-indexes an imported path until the user
-- adds it again, which clears the mark.
ALTER TABLE sources ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;
