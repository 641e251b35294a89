-- Back to one table: the recent documents join the index first.
INSERT INTO ticket_fts (rowid, number, subject, body, notes, requester)
    SELECT id, number, subject, body, notes, requester FROM ticket_fts_recent_rows;
DROP TABLE ticket_fts_recent;
DROP TABLE ticket_fts_recent_rows;
