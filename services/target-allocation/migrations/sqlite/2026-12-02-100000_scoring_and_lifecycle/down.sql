DROP TABLE assessments;
DROP INDEX assessments_legacy_plan;
ALTER TABLE assessments_legacy RENAME TO assessments;
CREATE INDEX assessments_plan ON assessments (plan_id, created_at, id);
ALTER TABLE allocations DROP COLUMN version;
ALTER TABLE allocations DROP COLUMN decision_reason;
ALTER TABLE plans DROP COLUMN archived_at;
DROP TABLE scoring_schemes;
