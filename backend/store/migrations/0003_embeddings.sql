-- Each embedded chunk's vector in the forms search reads by id or scans in
-- memory: the sign bits (the binary shortlist), int8 and/or float32 blobs
-- (rescoring). A plain table: search reads a few hundred rows by id per
-- query and loads all sign bits at once, both far faster than through the
-- vec0 table. A row here also marks the chunk as embedded. The vec0 table
-- (created with the model's width) is the vector index proper, partitioned
-- by collection.
CREATE TABLE chunk_embeddings (
    chunk_id      INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
    collection_id INTEGER NOT NULL,
    bits          BLOB,
    int8          BLOB,
    f32           BLOB
);
