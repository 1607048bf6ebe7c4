-- Webhook subscriptions (事件订阅): another system's URL for a region's events. The secret
-- is kept to sign deliveries and is never shown after creation. A subscription that keeps
-- failing is paused with the reason; a deleted one is kept for the record of its deliveries.
-- consecutive_failures and failing_since (the first failure since the last success) drive
-- the pause rule.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    region_code TEXT NOT NULL,
    event_kinds TEXT NOT NULL,
    target_url TEXT NOT NULL,
    secret TEXT NOT NULL,
    description TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'deleted')),
    status_reason TEXT,
    status_changed_at TIMESTAMP NOT NULL,
    consecutive_failures INTEGER NOT NULL CHECK (consecutive_failures >= 0),
    failing_since TIMESTAMP,
    last_success_at TIMESTAMP,
    version INTEGER NOT NULL
);
CREATE INDEX subscriptions_active ON subscriptions (status, region_code);
CREATE INDEX subscriptions_created ON subscriptions (created_at, id);

-- The delivery queue: one row per event and subscription, written in the event's
-- transaction. A worker claims due rows for a while (claimed_by, claimed_until); a claim
-- that runs out (a worker that died) makes the row due again, so nothing is lost.
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id),
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at TIMESTAMP,
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    last_status_code INTEGER,
    last_latency_ms BIGINT,
    last_error TEXT,
    UNIQUE (event_id, subscription_id),
    CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_subscription ON deliveries (subscription_id, created_at);

-- Every attempt: when, the answer's status code (none when no answer came), how long it
-- took, the error, and which worker's claim made it.
CREATE TABLE delivery_attempts (
    id TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES deliveries (id),
    attempt INTEGER NOT NULL CHECK (attempt >= 1),
    started_at TIMESTAMP NOT NULL,
    status_code INTEGER,
    latency_ms BIGINT NOT NULL CHECK (latency_ms >= 0),
    error TEXT,
    succeeded BOOLEAN NOT NULL,
    claimed_by TEXT NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, started_at);
