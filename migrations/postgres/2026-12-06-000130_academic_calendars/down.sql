-- The windows are not moved back into the definitions: re-import the catalog after going down.
ALTER TABLE career_actions DROP COLUMN submitted_on;
DROP TABLE calendar_windows;
DROP TABLE academic_years;
