DROP TABLE assessments;
ALTER TABLE assessments_legacy RENAME TO assessments;
ALTER INDEX assessments_legacy_plan RENAME TO assessments_plan;
ALTER INDEX assessments_legacy_pkey RENAME TO assessments_pkey;
ALTER TABLE allocations DROP COLUMN version;
ALTER TABLE allocations DROP COLUMN decision_reason;
ALTER TABLE plans DROP COLUMN archived_at;
DROP TABLE scoring_schemes;
