-- Every staff read of a ticket, a file or the requester panel: who, when, what, from where.
-- Kept HELPDESK_ACCESS_LOG_DAYS (purged by a job); no foreign keys, so the log outlives
-- an account's or a ticket's anonymisation unchanged.
CREATE TABLE access_log (
    id TEXT PRIMARY KEY NOT NULL,
    actor_id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    what TEXT NOT NULL,
    target TEXT,
    client_ip TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX access_log_ticket ON access_log (ticket_id, at);
CREATE INDEX access_log_actor ON access_log (actor_id, at);
CREATE INDEX access_log_at ON access_log (at);
