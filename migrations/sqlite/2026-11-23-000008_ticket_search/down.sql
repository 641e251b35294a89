DROP INDEX tickets_created;
DROP INDEX tickets_updated;
DROP INDEX tickets_queue_resolution;
DROP INDEX tickets_queue_first_response;
DROP INDEX tickets_queue_mine;
DROP INDEX tickets_queue_team;
DROP INDEX tickets_queue_unassigned;
