DROP INDEX tickets_deadline;
ALTER TABLE tickets DROP COLUMN deadline_at;
DROP TABLE ticket_career_actions;
DROP TABLE career_action_history;
DROP TABLE career_actions;
DROP TABLE career_action_types;
