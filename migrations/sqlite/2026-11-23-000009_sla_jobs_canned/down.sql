DROP INDEX tickets_unverified_created;
DROP INDEX tickets_resolved_at;
DROP TABLE canned_responses;
DROP TABLE job_leases;
DROP TABLE sla_alerts;
DROP TABLE ticket_sla;
DROP TABLE closures;
DROP TABLE office_hours;
