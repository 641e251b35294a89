CREATE TABLE ticket_counters (
    year INTEGER PRIMARY KEY,
    last BIGINT NOT NULL
);
INSERT INTO ticket_counters (year, last) SELECT year, MAX(seq) FROM tickets GROUP BY year;
