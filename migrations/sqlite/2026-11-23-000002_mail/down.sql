ALTER TABLE tickets DROP COLUMN follow_up_of;
DROP TABLE mail_quarantine;
ALTER TABLE outbox DROP COLUMN requeued_at;
