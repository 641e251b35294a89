-- The "mine" queue always names its assignee (src/console/queues.rs), and `assignee_id = ?`
-- implies `assignee_id IS NOT NULL` to both planners: unassigned tickets (every new one) need
-- no entry in its index, one B-tree fewer to write a creation.
DROP INDEX tickets_queue_mine;
CREATE INDEX tickets_queue_mine ON tickets (assignee_id, due_at, id)
    WHERE assignee_id IS NOT NULL AND status IN ('new', 'open', 'waiting_student', 'resolved');
