DROP TABLE idempotency_keys;
DROP TABLE audit_log;
