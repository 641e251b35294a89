-- SQLite's search index merges; PostgreSQL's GIN index has nothing alike. This version exists
-- to match SQLite's.
SELECT 1;
