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

-- Full-text search (PostgreSQL). One tsvector per ticket, Italian and English stems, weighted:
-- A number and subject, B the requester's e-mail and matricola, C public messages, D internal
-- notes (ts_rank ranks a subject match above a body match). src/console/search.rs rewrites a
-- ticket's row in the transaction of every write of the ticket or of one of its messages.
CREATE FUNCTION ticket_search_document(tid TEXT) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('simple', t.number), 'A')
        || setweight(to_tsvector('italian', t.subject), 'A')
        || setweight(to_tsvector('english', t.subject), 'A')
        || setweight(to_tsvector('simple', u.email || ' ' || translate(u.email, '@.', '  ') || ' '
                                 || coalesce(t.fields::jsonb ->> 'matricola', '')), 'B')
        || setweight(to_tsvector('italian', coalesce(m.public, '')), 'C')
        || setweight(to_tsvector('english', coalesce(m.public, '')), 'C')
        || setweight(to_tsvector('italian', coalesce(m.internal, '')), 'D')
        || setweight(to_tsvector('english', coalesce(m.internal, '')), 'D')
    FROM tickets t
    JOIN users u ON u.id = t.requester_id
    CROSS JOIN LATERAL (
        SELECT string_agg(body, ' ' ORDER BY id) FILTER (WHERE kind = 'public') AS public,
               string_agg(body, ' ' ORDER BY id) FILTER (WHERE kind = 'internal') AS internal
        FROM messages WHERE messages.ticket_id = t.id
    ) m
    WHERE t.id = tid
$$;

CREATE TABLE ticket_search (
    ticket_id TEXT PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    document tsvector NOT NULL
);
CREATE INDEX ticket_search_document ON ticket_search USING GIN (document);
-- Backfill.
INSERT INTO ticket_search (ticket_id, document) SELECT id, ticket_search_document(id) FROM tickets;
