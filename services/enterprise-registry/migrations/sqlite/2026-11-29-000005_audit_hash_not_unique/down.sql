CREATE UNIQUE INDEX audit_log_hash_key ON audit_log (hash);
