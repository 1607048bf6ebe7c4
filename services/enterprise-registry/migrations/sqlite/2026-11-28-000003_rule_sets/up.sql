-- Assessment rule sets: immutable versions (thresholds, bands) the province can add and
-- activate without a release. The built-in national 2016 rules apply until one is activated.
CREATE TABLE rule_sets (
    version TEXT PRIMARY KEY,
    rules_json TEXT NOT NULL,
    description TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    activated_at TIMESTAMP
);
