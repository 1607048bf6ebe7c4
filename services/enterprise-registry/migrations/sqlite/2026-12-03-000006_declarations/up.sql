-- Declared facts of a firm that registry data cannot show: national S&T awards, standards it
-- led, its clean-record declaration and expert scores entered after a review. Each is dated,
-- names its source and who entered it; withdrawn with a reason, never deleted.
CREATE TABLE declarations (
    id TEXT PRIMARY KEY,
    credit_code TEXT NOT NULL REFERENCES enterprises (credit_code),
    kind TEXT NOT NULL,
    dated_on DATE NOT NULL,
    holds BOOLEAN NOT NULL,
    title TEXT,
    standard_level TEXT,
    completer_rank INTEGER,
    score_item TEXT,
    score_centipoints INTEGER,
    source TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    withdrawn_on DATE,
    withdraw_reason TEXT
);
CREATE INDEX declarations_enterprise ON declarations (credit_code, dated_on);
