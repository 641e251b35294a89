-- The deadline_soon queue (src/console/queues.rs) reads the tickets linked to a career
-- procedure by their deadline. Partial: only those tickets are in it, so its statistics tell
-- the planner how few they are (with every ticket in it, SQLite's sampled statistics made it
-- prefer the agent's teams and read 60 ms at a million tickets, none of them linked).
DROP INDEX tickets_deadline;
CREATE INDEX tickets_deadline ON tickets (deadline_at) WHERE deadline_at IS NOT NULL;
