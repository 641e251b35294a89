DROP INDEX erasure_requests_one_pending;
DROP TABLE erasure_requests;
