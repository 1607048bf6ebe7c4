ALTER TABLE indicators DROP COLUMN pipeline;
ALTER TABLE indicators DROP COLUMN input_period;
ALTER TABLE indicators DROP COLUMN formula_json;
