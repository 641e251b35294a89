DROP INDEX ticket_events_kind_created_at;
DROP INDEX ticket_ratings_created_at;
DROP INDEX tickets_created_at;
