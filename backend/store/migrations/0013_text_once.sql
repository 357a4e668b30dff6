-- A document's text is stored once: its chunks hold it, and documents.text
-- keeps only what no chunk covers (the gaps between sections, a heading's
-- line), from which the whole text is rebuilt in order. text_form says
-- which a row holds: 0 the whole text, not yet looked at (what a vault had
-- before); 1 only what the chunks leave out; 2 the whole text, kept because
-- the chunks are not the text at their offsets (or there are none). Opening
-- the vault turns the rows still at 0 into 1 or 2 (store.compactTexts);
-- the index finds them without reading a document's text.
ALTER TABLE documents ADD COLUMN text_form INTEGER NOT NULL DEFAULT 0;
CREATE INDEX documents_text_form ON documents(id) WHERE text_form = 0;
