-- A guest's link stops working after a while unused (HELPDESK_GUEST_LINK_IDLE_DAYS).
ALTER TABLE tickets ADD COLUMN guest_seen_at TIMESTAMP;
