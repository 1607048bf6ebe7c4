ALTER TABLE pool_entries
    DROP CONSTRAINT pool_entries_pkey,
    ADD CONSTRAINT pool_entries_pkey PRIMARY KEY (credit_code, year);
DROP INDEX certificates_enterprise;
CREATE INDEX certificates_enterprise ON certificates (credit_code, issued_on);
