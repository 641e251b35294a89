INSERT INTO ticket_fts (ticket_fts, rank) VALUES ('automerge', 4);
