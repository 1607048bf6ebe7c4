DROP TABLE registry_cache;
DROP TABLE assessments;
DROP TABLE allocations;
DROP TABLE targets;
DROP TABLE tree_versions;
DROP TABLE indicators;
DROP TABLE plans;
