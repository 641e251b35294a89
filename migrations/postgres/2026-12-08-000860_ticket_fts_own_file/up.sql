-- SQLite's search index moves into a file of its own; PostgreSQL's stays in its tables. This
-- version exists to match SQLite's.
SELECT 1;
