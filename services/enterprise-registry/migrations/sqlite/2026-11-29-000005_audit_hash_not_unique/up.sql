-- The chain itself proves each hash (verification recomputes it from the entry and its
-- predecessor), and nothing looks entries up by hash: the unique index only cost a random
-- B-tree insert per audited row. SQLite cannot drop an inline constraint: rebuild the table.
CREATE TABLE audit_log_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_region TEXT NOT NULL,
    request_id TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_log_rebuilt SELECT * FROM audit_log;
-- Carry the id high-water mark over, so ids of removed tail entries are never reused.
DELETE FROM sqlite_sequence WHERE name = 'audit_log_rebuilt';
INSERT INTO sqlite_sequence (name, seq) SELECT 'audit_log_rebuilt', seq FROM sqlite_sequence WHERE name = 'audit_log';
DROP TABLE audit_log;
ALTER TABLE audit_log_rebuilt RENAME TO audit_log;
CREATE INDEX audit_log_entity ON audit_log (entity_key, id);
