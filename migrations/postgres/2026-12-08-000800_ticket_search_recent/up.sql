-- SQLite's recent search documents; PostgreSQL's index is a GIN index of tsvectors, written in
-- place. This version exists to match SQLite's.
SELECT 1;
