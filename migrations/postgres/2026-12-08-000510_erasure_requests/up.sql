-- Erasure requests (issue 17, item 2): a ticket the desk opened for a student who asked to
-- have their data erased, and the staff's decision on it. The row is what makes the ticket an
-- erasure request (not its subject); at most one pending request per student.
CREATE TABLE erasure_requests (
    ticket_id TEXT PRIMARY KEY NOT NULL REFERENCES tickets (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    state TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    decided_by TEXT REFERENCES users (id),
    decided_at TIMESTAMP,
    reason TEXT
);
CREATE UNIQUE INDEX erasure_requests_one_pending ON erasure_requests (user_id) WHERE state = 'pending';
