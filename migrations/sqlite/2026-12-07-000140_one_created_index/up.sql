-- tickets_created (created_at, id) serves every query tickets_created_at served; one index
-- fewer to write on every new ticket.
DROP INDEX tickets_created_at;
