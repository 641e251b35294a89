-- Articles of a past academic year (the guide's 2024-2025 single courses): marked, ranked after the current ones.
ALTER TABLE kb_articles ADD COLUMN past_year BOOLEAN NOT NULL DEFAULT FALSE;
