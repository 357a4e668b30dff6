-- Each int8 rescoring vector keeps its own scale (component = code ×
-- int8_scale): the largest component maps to ±127, which keeps about twice
-- the precision of one width-wide scale on spread-out vectors. NULL: a row
-- written before, quantized with the vault's global scale.
ALTER TABLE chunk_embeddings ADD COLUMN int8_scale REAL;
