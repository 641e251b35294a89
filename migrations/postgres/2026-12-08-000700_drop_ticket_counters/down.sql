CREATE TABLE ticket_counters (
    year INTEGER PRIMARY KEY,
    last BIGINT NOT NULL
);
