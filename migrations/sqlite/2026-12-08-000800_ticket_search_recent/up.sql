-- The newest documents of the tickets' search index (src/db/ticket_search.rs). Every write of
-- a document goes here, a small FTS5 table searched together with ticket_fts, and the writer
-- moves them all into ticket_fts once a second in one statement: one large segment
-- instead of one tiny segment per writer batch, whose merges took most of the writer's time
-- as the index grew. A document is in exactly one of the two tables. External content, so
-- the move can read the terms back and empty the table at once ('delete-all').
CREATE TABLE ticket_fts_recent_rows (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    notes TEXT NOT NULL,
    requester TEXT NOT NULL
);
CREATE VIRTUAL TABLE ticket_fts_recent USING fts5(
    number,
    subject,
    body,
    notes,
    requester,
    content = 'ticket_fts_recent_rows',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
