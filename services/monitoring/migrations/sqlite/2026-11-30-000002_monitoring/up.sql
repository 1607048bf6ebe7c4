-- External statistics inputs (统计部门数据), one row per version. The current figure of a
-- (measure, period, region) is its highest version; a correction adds a version with its
-- reason and keeps the earlier ones. The period's first and last days are stored for
-- choosing "the latest period ended by a date" in SQL.
CREATE TABLE statistics_inputs (
    measure TEXT NOT NULL,
    period TEXT NOT NULL,
    region_code TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    period_starts_on DATE NOT NULL,
    period_ends_on DATE NOT NULL,
    value BIGINT NOT NULL CHECK (value >= 0),
    unit TEXT NOT NULL,
    entered_value TEXT NOT NULL,
    entered_unit TEXT NOT NULL,
    source_document TEXT NOT NULL,
    note TEXT,
    reason TEXT,
    actor TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (measure, period, region_code, version)
);
CREATE INDEX statistics_inputs_region ON statistics_inputs (region_code, measure, period_ends_on);

-- Snapshots (快照): a plan's figures for a period frozen on an as-of date. Never updated;
-- retaking a period adds a revision. At most one complete scheduled snapshot per period,
-- whatever the number of replicas.
CREATE TABLE snapshots (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL,
    period TEXT NOT NULL,
    revision INTEGER NOT NULL CHECK (revision >= 1),
    as_of DATE NOT NULL,
    report_year INTEGER NOT NULL,
    triggered_by TEXT NOT NULL,
    status TEXT NOT NULL,
    partial_reason TEXT,
    plan_tree_version INTEGER,
    taken_by TEXT NOT NULL,
    taken_at TIMESTAMP NOT NULL,
    UNIQUE (plan_id, period, revision)
);
CREATE UNIQUE INDEX snapshots_one_scheduled ON snapshots (plan_id, period)
    WHERE triggered_by = 'scheduled' AND status = 'complete';
CREATE INDEX snapshots_plan_as_of ON snapshots (plan_id, as_of, taken_at);

-- The indicators a snapshot evaluated: their definitions as they were, and the 时序进度
-- window and share on the as-of date.
CREATE TABLE snapshot_indicators (
    snapshot_id TEXT NOT NULL REFERENCES snapshots (id),
    indicator_key TEXT NOT NULL,
    position INTEGER NOT NULL,
    definition_json TEXT NOT NULL,
    window_starts_on DATE NOT NULL,
    window_ends_on DATE NOT NULL,
    expected_completion REAL NOT NULL,
    PRIMARY KEY (snapshot_id, indicator_key)
);

-- One indicator's figure for one region in a snapshot: exact numerator (and denominator for
-- a share), or the reason it is missing; the target in force (an exact decimal); and the
-- sources (service, route, as-of, fetched time, input version) as JSON.
CREATE TABLE snapshot_values (
    snapshot_id TEXT NOT NULL REFERENCES snapshots (id),
    indicator_key TEXT NOT NULL,
    region_code TEXT NOT NULL,
    numerator BIGINT,
    denominator BIGINT CHECK (denominator > 0),
    value REAL,
    missing_reason TEXT,
    target TEXT,
    sources_json TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, indicator_key, region_code),
    CHECK ((numerator IS NULL) = (missing_reason IS NOT NULL))
);
CREATE INDEX snapshot_values_series ON snapshot_values (indicator_key, region_code, snapshot_id);

-- Leases: one holder at a time for a named job (a period's scheduled snapshot) across
-- replicas. The token grows with every new holder and fences out one whose lease expired.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    token BIGINT NOT NULL,
    acquired_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- Alerts (预警). The fingerprint names the condition; while an alert is open (resolved_at
-- NULL) the same condition updates it. Resolved alerts are kept.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    plan_id TEXT,
    indicator_key TEXT,
    region_code TEXT NOT NULL,
    figures_json TEXT NOT NULL,
    message_zh TEXT NOT NULL,
    message_en TEXT NOT NULL,
    last_snapshot_id TEXT,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    acknowledged_by TEXT,
    acknowledged_at TIMESTAMP,
    acknowledgement_note TEXT,
    version INTEGER NOT NULL
);
CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts (fingerprint) WHERE resolved_at IS NULL;
CREATE INDEX alerts_first_seen ON alerts (first_seen, id);
CREATE INDEX alerts_region ON alerts (region_code, first_seen);

-- Outbox of events (snapshot taken, alert opened/escalated/resolved), written in the same
-- transaction as the change, for webhook deliveries to fan out (issue #15). dispatched_at
-- marks events already fanned out; a worker picks undispatched ones, so an event committed
-- late with a lower seq is not skipped.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    region_code TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    dispatched_at TIMESTAMP
);
CREATE INDEX events_undispatched ON events (seq) WHERE dispatched_at IS NULL;
