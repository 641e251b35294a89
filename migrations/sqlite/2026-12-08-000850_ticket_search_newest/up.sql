-- PostgreSQL's search reads its ranked window from the newest tickets' documents; SQLite's
-- index has nothing alike. This version exists to match PostgreSQL's.
SELECT 1;
