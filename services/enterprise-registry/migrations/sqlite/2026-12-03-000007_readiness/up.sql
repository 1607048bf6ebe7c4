-- Candidate screening at province scale: each firm's HTE readiness under a rule set on a
-- screening date, kept current by every write that changes the firm's facts, so ranking
-- pages are index reads instead of assessing every firm per request.
CREATE TABLE readiness_builds (
    rule_set_version TEXT NOT NULL,
    screened_on DATE NOT NULL,
    started_at TIMESTAMP NOT NULL,
    -- Null while the build runs; reads use the latest finished build.
    finished_at TIMESTAMP,
    firms_done BIGINT NOT NULL,
    firms_total BIGINT NOT NULL,
    PRIMARY KEY (rule_set_version, screened_on)
);
CREATE TABLE readiness (
    rule_set_version TEXT NOT NULL,
    screened_on DATE NOT NULL,
    credit_code TEXT NOT NULL REFERENCES enterprises (credit_code),
    region_code TEXT NOT NULL,
    city_code TEXT NOT NULL,
    tech_domain TEXT,
    -- In the cultivation pool on the screening date (the default scope).
    in_pool BOOLEAN NOT NULL,
    -- Active and not holding the HTE status beyond the screening year.
    eligible BOOLEAN NOT NULL,
    outcome TEXT NOT NULL,
    passing INTEGER NOT NULL,
    -- Conditions not known to pass (failing + unknown): the ranking's first key, ascending,
    -- so the whole order is ascending and a cursor seeks the index with one row comparison.
    not_passing INTEGER NOT NULL,
    failing INTEGER NOT NULL,
    unknown INTEGER NOT NULL,
    relative_gap_ppm BIGINT NOT NULL,
    -- The candidate row as the API shows it (gaps, advice), rank left to the read.
    candidate_json TEXT NOT NULL,
    PRIMARY KEY (rule_set_version, screened_on, credit_code)
);
-- The ranking order: more passing first, then failing, gap, unknown, credit code.
CREATE INDEX readiness_rank ON readiness
    (rule_set_version, screened_on, eligible, not_passing, failing, relative_gap_ppm, unknown, credit_code);
CREATE INDEX readiness_city ON readiness (rule_set_version, screened_on, city_code, outcome);
