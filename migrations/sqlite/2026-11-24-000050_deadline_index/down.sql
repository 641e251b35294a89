DROP INDEX tickets_deadline;
CREATE INDEX tickets_deadline ON tickets (deadline_at);
