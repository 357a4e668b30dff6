-- Transcripts: when each word of a chunk is spoken, so a hit cites the
-- moment its matched words are heard rather than its passage's start.
-- A compact run of (character offset in the chunk, milliseconds) pairs
-- (see marks.go); NULL for text. It lives and dies with its chunk.
ALTER TABLE chunks ADD COLUMN time_marks BLOB;
