-- The write batch a vector row came in, increasing: the in-memory vector
-- index reads only the rows added since it last looked (chunk ids can be
-- reused, so they cannot say what is new). The index on it also makes
-- count(*) cheap, which tells the vector index whether rows went away.
ALTER TABLE chunk_embeddings ADD COLUMN added INTEGER;
CREATE INDEX chunk_embeddings_added ON chunk_embeddings(added);
