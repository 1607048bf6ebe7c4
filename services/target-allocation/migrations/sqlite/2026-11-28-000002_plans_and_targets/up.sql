-- Plans (规划/工作方案): name, period, status draft → published → closed. `version` is the
-- plan record's ETag; `tree_version` is the current version of its target tree.
CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_en TEXT,
    document_no TEXT,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    tree_version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    closed_at TIMESTAMP
);

-- Indicators (指标) of a plan, as data. target_value is a decimal kept as text (exact).
CREATE TABLE indicators (
    plan_id TEXT NOT NULL REFERENCES plans (id),
    indicator_key TEXT NOT NULL,
    position INTEGER NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    unit TEXT NOT NULL,
    comparator TEXT NOT NULL,
    target_value TEXT,
    source TEXT NOT NULL,
    splittable BOOLEAN NOT NULL,
    measure TEXT,
    aggregation TEXT NOT NULL,
    PRIMARY KEY (plan_id, indicator_key)
);

-- One row per version of a plan's target tree: who changed it, how and why.
CREATE TABLE tree_versions (
    plan_id TEXT NOT NULL REFERENCES plans (id),
    version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_region TEXT NOT NULL,
    allocation_id TEXT,
    changes INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (plan_id, version)
);

-- Target values (目标值), valid from tree version from_version up to (not including)
-- to_version; to_version is NULL while the value is current. Old versions stay readable.
CREATE TABLE targets (
    plan_id TEXT NOT NULL REFERENCES plans (id),
    indicator TEXT NOT NULL,
    region_code TEXT NOT NULL,
    period TEXT NOT NULL,
    value BIGINT NOT NULL,
    from_version INTEGER NOT NULL,
    to_version INTEGER,
    PRIMARY KEY (plan_id, indicator, region_code, period, from_version)
);
CREATE INDEX targets_versions ON targets (plan_id, from_version, to_version);

-- Proposed splits (分解方案) of one region's target among its children, awaiting acceptance.
CREATE TABLE allocations (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    indicator TEXT NOT NULL,
    period TEXT NOT NULL,
    parent_code TEXT NOT NULL,
    parent_value BIGINT NOT NULL,
    method TEXT NOT NULL,
    request_json TEXT NOT NULL,
    children_json TEXT NOT NULL,
    status TEXT NOT NULL,
    base_tree_version INTEGER NOT NULL,
    accepted_tree_version INTEGER,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    decided_by TEXT,
    decided_at TIMESTAMP
);
CREATE INDEX allocations_plan ON allocations (plan_id, created_at, id);

-- Year-end assessments (考核). rows_json holds the computed table; once published it is
-- never recomputed.
CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    indicator TEXT NOT NULL,
    period TEXT NOT NULL,
    as_of DATE NOT NULL,
    cap TEXT NOT NULL,
    weight TEXT NOT NULL,
    status TEXT NOT NULL,
    tree_version INTEGER NOT NULL,
    rows_json TEXT NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    published_by TEXT,
    published_at TIMESTAMP
);
CREATE INDEX assessments_plan ON assessments (plan_id, created_at, id);

-- Last good registry figures per plan and query, served (marked stale) when the registry
-- is unreachable.
CREATE TABLE registry_cache (
    plan_id TEXT NOT NULL,
    query_key TEXT NOT NULL,
    body TEXT NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    PRIMARY KEY (plan_id, query_key)
);

-- The 2019–2020 plan (苏政办发〔2019〕57号) as data: its six 2020 indicators (DESIGN.md §1),
-- the yearly new-HTE count the cities are assessed on (no provincial number in the plan
-- text), and the 30,000 provincial HTE target for 2020 as tree version 1. Seeded as a draft
-- so the province can split it among the cities before publishing.
INSERT INTO plans (id, name, name_en, document_no, starts_on, ends_on, status, version,
    tree_version, created_at, updated_at, published_at, closed_at)
VALUES ('jiangsu-2019-57', '江苏省高新技术企业培育“小升高”行动工作方案(2019-2020年)',
    'Jiangsu action plan for growing tech SMEs into HTEs (2019–2020)', '苏政办发〔2019〕57号',
    '2019-01-01', '2020-12-31', 'draft', 1, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, NULL, NULL);

INSERT INTO indicators (plan_id, indicator_key, position, name_zh, name_en, unit, comparator,
    target_value, source, splittable, measure, aggregation) VALUES
('jiangsu-2019-57', 'hte_count', 1, '高新技术企业总数', 'Valid HTEs in the province',
    'enterprises', 'at_least', '30000', 'registry', 1, 'hte', 'stock'),
('jiangsu-2019-57', 'rd_institution_rate', 2, '规模以上高新技术企业研发机构建有率',
    'Share of above-scale HTEs that run an R&D institution', 'ratio', 'at_least', '1',
    'registry', 0, NULL, 'stock'),
('jiangsu-2019-57', 'hte_rd_share', 3, '高新技术企业研发经费投入占全省企业研发经费投入比重',
    'HTE R&D spend as a share of all enterprises'' R&D spend', 'ratio', 'at_least', '0.6',
    'registry_and_external', 0, NULL, 'stock'),
('jiangsu-2019-57', 'hte_invention_patents', 4, '高新技术企业有效发明专利拥有量',
    'Effective invention patents held by HTEs', 'patents', 'more_than', '150000', 'registry',
    1, 'hte_invention_patents', 'stock'),
('jiangsu-2019-57', 'zone_hte_share', 5, '省级以上高新区内高新技术企业数量占全省比重',
    'Share of HTEs located in provincial or national high-tech zones', 'ratio', 'more_than',
    '0.5', 'registry', 0, NULL, 'stock'),
('jiangsu-2019-57', 'hightech_output_share', 6, '高新技术产业产值占规模以上工业产值比重',
    'High-tech industry output as a share of above-scale industrial output', 'ratio',
    'at_least', '0.45', 'external', 0, NULL, 'stock'),
('jiangsu-2019-57', 'new_hte', 7, '新增高新技术企业数(年度)',
    'New HTEs certified in the year', 'enterprises', 'at_least', NULL, 'registry', 1,
    'new_certificates', 'annual');

INSERT INTO tree_versions (plan_id, version, kind, reason, actor, actor_role, actor_region,
    allocation_id, changes, created_at)
VALUES ('jiangsu-2019-57', 1, 'seed', '苏政办发〔2019〕57号: 到2020年全省高新技术企业总数达30000家',
    'system:seed', 'system', '320000', NULL, 1, CURRENT_TIMESTAMP);

INSERT INTO targets (plan_id, indicator, region_code, period, value, from_version, to_version)
VALUES ('jiangsu-2019-57', 'hte_count', '320000', '2020', 30000, 1, NULL);
