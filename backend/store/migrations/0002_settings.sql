-- Vault-wide settings (the embedding model the vectors were made with, and
-- later the UI's preferences). The vector table itself is created when the
-- first embedder runs, because its width is the model's.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
