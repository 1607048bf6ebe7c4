-- Scoring schemes (考核办法) per plan, as data: each change is a new version; an assessment
-- keeps a copy of the version it was scored by, so publishing freezes it.
CREATE TABLE scoring_schemes (
    plan_id TEXT NOT NULL REFERENCES plans (id),
    version INTEGER NOT NULL,
    scheme_json TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (plan_id, version)
);

-- An archived plan (已归档) is left out of lists unless asked for.
ALTER TABLE plans ADD COLUMN archived_at TIMESTAMP;

-- Proposals can be withdrawn or rejected with a reason; `version` is a proposal's ETag.
ALTER TABLE allocations ADD COLUMN decision_reason TEXT;
ALTER TABLE allocations ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- Assessments are now scored by a scheme, for the cities or one city's counties. The
-- single-formula assessments made before stay stored, unchanged, in assessments_legacy.
ALTER TABLE assessments RENAME TO assessments_legacy;
-- SQLite cannot rename an index: the old one is dropped and made again under the new name.
DROP INDEX assessments_plan;
CREATE INDEX assessments_legacy_plan ON assessments_legacy (plan_id, created_at, id);
CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    period TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_code TEXT NOT NULL,
    as_of DATE NOT NULL,
    scheme_version INTEGER NOT NULL,
    scheme_json TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    tree_version INTEGER NOT NULL,
    rows_json TEXT NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    published_by TEXT,
    published_at TIMESTAMP
);
CREATE INDEX assessments_plan ON assessments (plan_id, created_at, id);

-- The 2019–2020 plan's scheme: its yearly new-HTE count, min(completion rate, 1.2) × 100,
-- the formula its assessments used so far.
INSERT INTO scoring_schemes (plan_id, version, scheme_json, reason, created_by, created_at)
SELECT id, 1,
    '{"items":[{"indicator":"new_hte","weight":100,"rule":{"kind":"linear","cap":1.2}}],"max_bonus_points":0,"max_penalty_points":0}',
    '沿用原计分公式: 得分 = min(完成率, 1.2) × 100', 'system:seed', CURRENT_TIMESTAMP
FROM plans WHERE id = 'jiangsu-2019-57';
