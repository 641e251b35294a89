-- Inbound mail already handled, one row per message: the same message delivered twice (the
-- MTA retrying, a second pipe, the same POST again) is answered with the first outcome
-- instead of being appended, followed up or quarantined again. A message is its sender and
-- its Message-ID (a hash of the raw message when it has none); the row is written in the
-- transaction that handles the message, so two concurrent deliveries cannot both pass.
CREATE TABLE inbound_mail (
    sender TEXT NOT NULL,
    message_id TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    -- The outcome as JSON (`{"outcome":"appended","number":"HD-2026-000042"}`).
    outcome TEXT NOT NULL,
    PRIMARY KEY (sender, message_id)
);
