DROP TABLE labels;
DROP TABLE certificates;
DROP TABLE pool_entries;
DROP TABLE annual_reports;
DROP TABLE enterprises;
