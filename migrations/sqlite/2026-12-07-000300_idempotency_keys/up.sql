-- Idempotency keys (issue 16): `Idempotency-Key` on POST /api/v1/tickets and
-- POST /api/v1/tickets/{number}/messages. One row per caller (`scope`: the account, or a guest's
-- e-mail) and key, written in the same transaction as the ticket or message it answered, with
-- a digest of the request (route and body) and the first answer (status, Location, body) to
-- replay. The primary key decides between concurrent duplicates. Kept 24 hours.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    location TEXT,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
