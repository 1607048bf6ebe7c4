-- What monitoring needs of an indicator: its formula (a quantity, or a share with numerator
-- and denominator; each term a registry statistic or a statistics input), which period of
-- the statistics inputs it reads, and whether ready pool firms add to its forecast.
ALTER TABLE indicators ADD COLUMN formula_json TEXT;
ALTER TABLE indicators ADD COLUMN input_period TEXT NOT NULL DEFAULT 'latest';
ALTER TABLE indicators ADD COLUMN pipeline BOOLEAN NOT NULL DEFAULT 0;

-- Existing indicators with a registry measure keep working: a one-term quantity of it.
UPDATE indicators SET formula_json = '{"quantity":[{"registry":"' || measure || '"}]}'
WHERE measure IS NOT NULL;

-- The 2019–2020 plan's formulas (苏政办发〔2019〕57号), where it was seeded.
UPDATE indicators SET pipeline = 1
WHERE plan_id = 'jiangsu-2019-57' AND indicator_key IN ('hte_count', 'new_hte');
UPDATE indicators SET formula_json =
    '{"share":{"numerator":[{"registry":"hte_above_scale_with_rd_institution"}],"denominator":[{"registry":"hte_above_scale"}]}}'
WHERE plan_id = 'jiangsu-2019-57' AND indicator_key = 'rd_institution_rate';
UPDATE indicators SET input_period = 'report_year', formula_json =
    '{"share":{"numerator":[{"registry":"hte_rd_expense_yuan"}],"denominator":[{"input":"enterprise_rd_expense_yuan"}]}}'
WHERE plan_id = 'jiangsu-2019-57' AND indicator_key = 'hte_rd_share';
UPDATE indicators SET formula_json =
    '{"share":{"numerator":[{"registry":"hte_in_provincial_zone"},{"registry":"hte_in_national_zone"}],"denominator":[{"registry":"hte"}]}}'
WHERE plan_id = 'jiangsu-2019-57' AND indicator_key = 'zone_hte_share';
UPDATE indicators SET formula_json =
    '{"share":{"numerator":[{"input":"hightech_industry_output_yuan"}],"denominator":[{"input":"above_scale_industrial_output_yuan"}]}}'
WHERE plan_id = 'jiangsu-2019-57' AND indicator_key = 'hightech_output_share';
