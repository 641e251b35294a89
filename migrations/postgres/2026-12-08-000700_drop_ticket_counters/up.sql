-- Unused since the per-year sequences (2026-11-23-000003); SQLite no longer has it either.
DROP TABLE ticket_counters;
