-- Ticket numbers are now one more than the year's highest (src/db/counters.rs): the counter
-- row always held exactly that, and its upsert could not be a cached statement.
DROP TABLE ticket_counters;
