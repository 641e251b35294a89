-- The writer merges the search index's segments itself, in small steps between batches
-- (src/db/ticket_search.rs, `merge_step`), instead of FTS5 doing it inside each move of the
-- recent documents: that merge work grows with the number of levels, and while a large level
-- merged, every move for 20-50 s held the writer 50-120 ms. The setting is kept in the table.
INSERT INTO ticket_fts (ticket_fts, rank) VALUES ('automerge', 0);
