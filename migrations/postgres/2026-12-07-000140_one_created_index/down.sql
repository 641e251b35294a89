CREATE INDEX tickets_created_at ON tickets (created_at);
