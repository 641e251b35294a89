-- The staff console (src/console/): queue indexes, then full-text search over tickets.

-- Queues. Each partial index's WHERE is, to the letter, the predicate src/console/queues.rs
-- writes, so the planner may use it; the columns after it are the sort key and the id of the
-- keyset pages, so a queue sorted by due time is read in index order and counted from the index.
CREATE INDEX tickets_queue_unassigned ON tickets (team_id, due_at, id)
    WHERE assignee_id IS NULL AND status IN ('new', 'open', 'waiting_student');
CREATE INDEX tickets_queue_team ON tickets (team_id, due_at, id)
    WHERE status IN ('new', 'open', 'waiting_student');
CREATE INDEX tickets_queue_mine ON tickets (assignee_id, due_at, id)
    WHERE status IN ('new', 'open', 'waiting_student', 'resolved');
-- At risk: the two SLA clocks of tickets whose clock runs.
CREATE INDEX tickets_queue_first_response ON tickets (first_response_due_at)
    WHERE first_responded_at IS NULL AND status IN ('new', 'open');
CREATE INDEX tickets_queue_resolution ON tickets (due_at)
    WHERE status IN ('new', 'open');
-- The other sorts (and the created range filter).
CREATE INDEX tickets_updated ON tickets (updated_at, id);
CREATE INDEX tickets_created ON tickets (created_at, id);

-- Full-text search (SQLite). One document per ticket in a contentless FTS5 table: the Italian
-- and English Snowball stems (src/kb/text.rs) of its number, subject, public messages,
-- internal notes, and the requester's e-mail and matricola. src/console/search.rs writes it in
-- the transaction of every write of a ticket or of one of its messages; ticket_search_docs
-- gives each ticket its FTS rowid.
CREATE TABLE ticket_search_docs (
    id INTEGER PRIMARY KEY,
    ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets(id),
    indexed BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX ticket_search_docs_pending ON ticket_search_docs (id) WHERE NOT indexed;
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
-- Backfill: stems are computed in Rust, so the existing tickets are marked here and indexed
-- right after the migrations run (console::search::backfill, called by Db::migrate).
INSERT INTO ticket_search_docs (ticket_id, indexed) SELECT id, FALSE FROM tickets;
