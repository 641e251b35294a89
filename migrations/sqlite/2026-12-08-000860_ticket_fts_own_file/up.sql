-- The tickets' search index moves into a file of its own beside the database
-- (src/db/search_file.rs), so that its merges never hold the desk's one writer. That file is
-- derived data, made by the desk at start: the token below tells it this database's, and every
-- document is marked for the backfill, which writes them there.
DROP TABLE ticket_fts;
UPDATE ticket_search_docs SET indexed = FALSE;
CREATE TABLE ticket_fts_file (token TEXT NOT NULL);
INSERT INTO ticket_fts_file (token) VALUES (lower(hex(randomblob(16))));
