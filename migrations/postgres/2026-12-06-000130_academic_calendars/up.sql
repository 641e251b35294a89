-- Academic years as data: a year (1 August – 31 July, named '2025/2026') is a draft until an
-- admin publishes it; `dates` holds its dated rules (instalments, ISEEU…) as JSON.
CREATE TABLE academic_years (
    code TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    dates TEXT NOT NULL DEFAULT '{}',
    copied_from TEXT,
    published_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);

-- The windows of each procedure type in a year, per cohort where the guide distinguishes them
-- (NULL: any programme, year of course or access). Days are ISO text (YYYY-MM-DD), Italian days.
CREATE TABLE calendar_windows (
    academic_year TEXT NOT NULL REFERENCES academic_years(code) ON DELETE CASCADE,
    type_slug TEXT NOT NULL REFERENCES career_action_types(slug) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    programme TEXT CHECK (programme IN ('laurea', 'laurea-magistrale', 'ciclo-unico')),
    course_year INTEGER,
    access TEXT CHECK (access IN ('libero', 'programmato')),
    opens_on TEXT,
    closes_on TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('regular', 'late')),
    late_fee_cents BIGINT,
    after_close TEXT NOT NULL DEFAULT 'closed' CHECK (after_close IN ('closed', 'excluded')),
    note_it TEXT,
    note_en TEXT,
    PRIMARY KEY (academic_year, type_slug, position)
);

-- The windows kept so far in each type's definition move into the year their last day is in.
CREATE TEMPORARY TABLE migrated_windows AS
SELECT t.slug, (w.n - 1)::int AS position, w.value,
       (substr(w.value->>'to', 1, 4)::int - CASE WHEN substr(w.value->>'to', 6, 2)::int >= 8 THEN 0 ELSE 1 END) AS y
FROM career_action_types t, json_array_elements(t.definition::json->'windows') WITH ORDINALITY AS w(value, n);

INSERT INTO academic_years (code, status, dates, published_at, updated_at)
SELECT DISTINCT y::text || '/' || (y + 1)::text, 'published', '{}', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
FROM migrated_windows;

INSERT INTO calendar_windows (academic_year, type_slug, position, opens_on, closes_on, kind, late_fee_cents, note_it, note_en)
SELECT y::text || '/' || (y + 1)::text, slug, position, value->>'from', value->>'to', value->>'kind',
       round((value->>'late_fee_eur')::numeric * 100)::bigint, value->'note'->>'it', value->'note'->>'en'
FROM migrated_windows;

DROP TABLE migrated_windows;

-- The dated rules the code held for 2025/2026 (cap. 10 and 12 of the guide).
UPDATE academic_years SET dates = '{"renewal_due":"2025-10-03","first_instalment_due":"2026-02-17","second_instalment_due":"2026-05-15","iseeu_due":"2025-12-31","iseeu_late_until":"2026-09-30","tolc_due":"2025-09-26","tolc_late_due":"2025-11-20","tolc_valid_from":"2024-01-01"}'
WHERE code = '2025/2026';

UPDATE career_action_types SET definition = (definition::jsonb - 'windows')::text;

-- A procedure's lateness is judged on the day it was submitted: existing ones on the Italian
-- day of their creation.
ALTER TABLE career_actions ADD COLUMN submitted_on TEXT NOT NULL DEFAULT '';
UPDATE career_actions SET submitted_on = to_char((created_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Rome', 'YYYY-MM-DD');
ALTER TABLE career_actions ALTER COLUMN submitted_on DROP DEFAULT;
