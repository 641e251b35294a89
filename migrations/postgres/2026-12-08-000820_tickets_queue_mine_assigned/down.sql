DROP INDEX tickets_queue_mine;
CREATE INDEX tickets_queue_mine ON tickets (assignee_id, due_at, id)
    WHERE status IN ('new', 'open', 'waiting_student', 'resolved');
