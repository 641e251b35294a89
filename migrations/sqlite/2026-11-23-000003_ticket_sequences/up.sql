-- SQLite keeps the per-year row counter (ticket_counters): its single writer takes the
-- write lock for the whole transaction anyway. This version exists to match PostgreSQL's.
SELECT 1;
