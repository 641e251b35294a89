DROP INDEX tickets_queue_waiting;
