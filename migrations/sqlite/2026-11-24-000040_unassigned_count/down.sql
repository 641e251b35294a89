DROP INDEX tickets_team_clocks;
CREATE INDEX tickets_team_clocks
    ON tickets (team_id, status, due_at, first_responded_at, first_response_due_at);
