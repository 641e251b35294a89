-- PostgreSQL's GIN index writes new documents in place; SQLite has no GIN index. This version
-- exists to match PostgreSQL's.
SELECT 1;
