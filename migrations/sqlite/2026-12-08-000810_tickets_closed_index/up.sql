-- The retention job (src/privacy/retention.rs) reads a category's closed tickets past their
-- period every minute: without an index it read every ticket of the category (0.3 to 0.9 s at
-- a few hundred thousand tickets, on SQLite's one writer). Partial: only closed tickets are in
-- it, so opening and working a ticket does not write it; the predicate is, to the letter,
-- the query's.
CREATE INDEX tickets_closed ON tickets (category_id, closed_at) WHERE status = 'closed';
