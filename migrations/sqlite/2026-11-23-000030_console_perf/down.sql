DROP INDEX tickets_assignee_clocks;
CREATE INDEX tickets_assignee ON tickets (assignee_id, status, due_at);
DROP INDEX tickets_team_clocks;
CREATE INDEX tickets_team_status_due ON tickets (team_id, status, due_at);
