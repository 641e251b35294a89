-- A re-queued dead letter gets a new 24-hour window from the moment it was re-queued.
ALTER TABLE outbox ADD COLUMN requeued_at TIMESTAMP;

-- Inbound mail that could not be appended (unknown sender, no ticket found): kept, not lost.
CREATE TABLE mail_quarantine (
    id TEXT PRIMARY KEY,
    received_at TIMESTAMP NOT NULL,
    sender TEXT NOT NULL,
    subject TEXT NOT NULL,
    ticket_number TEXT,
    reason TEXT NOT NULL,
    raw_path TEXT NOT NULL,
    released BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX mail_quarantine_received ON mail_quarantine (received_at);

-- Tickets opened by a reply to a closed ticket point back to it.
ALTER TABLE tickets ADD COLUMN follow_up_of TEXT REFERENCES tickets(id);
