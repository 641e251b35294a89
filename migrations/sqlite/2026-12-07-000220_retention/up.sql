-- Retention (issue 17): per category how long a closed ticket is kept before it is anonymised
-- and, where shorter, its identity documents; per ticket when it was anonymised; the messages
-- staff marked to keep. Tables of their own, beside the ones they describe.
CREATE TABLE category_retention (
    category_id TEXT PRIMARY KEY NOT NULL REFERENCES categories (id),
    retention_days INTEGER NOT NULL,
    identity_documents_days INTEGER
);
CREATE TABLE ticket_privacy (
    ticket_id TEXT PRIMARY KEY NOT NULL REFERENCES tickets (id),
    anonymised_at TIMESTAMP
);
CREATE TABLE kept_messages (
    message_id TEXT PRIMARY KEY NOT NULL REFERENCES messages (id),
    marked_by TEXT NOT NULL,
    marked_at TIMESTAMP NOT NULL
);
