-- New documents go straight into the GIN index. With GIN's default pending list (fastupdate),
-- the creation that finds the 4 MB list full merges it into the index itself: every ~8,000
-- tickets one creation took 0.2–1.6 s (p99 27–59 ms, p999 230–350 ms at 2,600 creations/s).
-- Written in place, a creation costs a little more (−5 to −10 % creations/s) and none stalls
-- (p99 9–11 ms, max 30–95 ms). BENCHMARKS.md, "PostgreSQL: one statement a creation".
ALTER INDEX ticket_search_document SET (fastupdate = off);
