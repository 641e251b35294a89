ALTER TABLE kb_articles DROP COLUMN past_year;
