-- Staff console at a million tickets (src/console/queues.rs, src/console/search.rs).

-- Counts of the queues scoped to an agent (`waiting`, `at_risk`): queues.rs counts them in two
-- disjoint halves, the agent's teams and the tickets assigned to the agent in other teams, and
-- each half is read from one of these indexes alone (they hold every column its predicate
-- tests), never from the table. They extend the init migration's indexes, which they replace.
DROP INDEX tickets_team_status_due;
CREATE INDEX tickets_team_clocks
    ON tickets (team_id, status, due_at, first_responded_at, first_response_due_at);
DROP INDEX tickets_assignee;
-- Partial, so that a page of unassigned tickets is not read from it (and sorted) instead of
-- from its queue's index, already in due-time order.
CREATE INDEX tickets_assignee_clocks
    ON tickets (assignee_id, status, team_id, due_at, first_responded_at, first_response_due_at)
    WHERE assignee_id IS NOT NULL;
