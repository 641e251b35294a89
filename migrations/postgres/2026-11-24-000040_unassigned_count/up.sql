-- The unassigned queue's count (src/console/queues.rs) read from one index alone: with the
-- assignee in it, its team and status range answers `assignee_id IS NULL` without visiting the
-- table (SQLite's planner picked this index for that count and read 10,000 rows of the table
-- for it at a million tickets).
DROP INDEX tickets_team_clocks;
CREATE INDEX tickets_team_clocks
    ON tickets (team_id, status, due_at, first_responded_at, first_response_due_at, assignee_id);
