-- The keyed read (GET /enterprises/{credit_code}) joins a firm to its certificates and pool
-- entries: both indexes now hold every column that read takes, so neither table's rows are
-- visited (SQLite has no INCLUDE: the extra columns follow the key). The certificates index
-- keeps its leading (credit_code, issued_on); pool entries' primary key stays as it is.
DROP INDEX certificates_enterprise;
CREATE INDEX certificates_enterprise
    ON certificates (credit_code, issued_on, certificate_no, expires_on, revoked_on);
CREATE INDEX pool_entries_facts ON pool_entries (credit_code, year, entered_on, exited_on);
