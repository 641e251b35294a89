-- The reports read tickets opened in a range, ratings given in a range, and status changes since a day.
CREATE INDEX tickets_created_at ON tickets (created_at);
CREATE INDEX ticket_ratings_created_at ON ticket_ratings (created_at);
CREATE INDEX ticket_events_kind_created_at ON ticket_events (kind, created_at);
