-- The library lists documents a page at a time in several orders; these
-- indexes let a page be read without sorting the whole table.
CREATE INDEX documents_updated ON documents(updated_at DESC, id DESC);
CREATE INDEX documents_created ON documents(created_at DESC, id DESC);
CREATE INDEX documents_title ON documents(title COLLATE NOCASE, id);
CREATE INDEX documents_size ON documents(size DESC, id DESC);
