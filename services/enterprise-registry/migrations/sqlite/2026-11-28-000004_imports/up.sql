-- Each bulk import, with its counts and rejected rows, readable afterwards.
CREATE TABLE imports (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    file_format TEXT NOT NULL,
    encoding TEXT NOT NULL,
    rows_total BIGINT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    errors_json TEXT NOT NULL,
    errors_truncated BOOLEAN NOT NULL,
    created_by TEXT NOT NULL,
    created_by_region TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL
);
