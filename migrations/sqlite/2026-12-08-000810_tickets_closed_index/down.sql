DROP INDEX tickets_closed;
