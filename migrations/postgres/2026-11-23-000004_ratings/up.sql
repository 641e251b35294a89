-- A student's rating of the answer to a resolved ticket: one per ticket, 1 to 5 stars and an
-- optional comment (empty text when none).
CREATE TABLE ticket_ratings (
    ticket_id TEXT PRIMARY KEY REFERENCES tickets(id),
    rated_by TEXT NOT NULL REFERENCES users(id),
    stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
