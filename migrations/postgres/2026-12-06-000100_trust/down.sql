ALTER TABLE tickets DROP COLUMN guest_seen_at;
