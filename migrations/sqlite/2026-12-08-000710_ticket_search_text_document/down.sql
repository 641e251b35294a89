-- PostgreSQL's search document function; SQLite computes its terms in Rust. This version
-- exists to match PostgreSQL's.
SELECT 1;
