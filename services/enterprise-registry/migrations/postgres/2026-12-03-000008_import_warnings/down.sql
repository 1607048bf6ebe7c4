ALTER TABLE imports DROP COLUMN warnings_json;
