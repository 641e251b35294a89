-- The index back in the database, rebuilt by the backfill from every document.
DROP TABLE ticket_fts_file;
CREATE VIRTUAL TABLE ticket_fts USING fts5(
    number,
    subject,
    body,
    notes,
    requester,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO ticket_fts (ticket_fts, rank) VALUES ('automerge', 0);
INSERT INTO ticket_fts_recent (ticket_fts_recent) VALUES ('delete-all');
DELETE FROM ticket_fts_recent_rows;
UPDATE ticket_search_docs SET indexed = FALSE;
