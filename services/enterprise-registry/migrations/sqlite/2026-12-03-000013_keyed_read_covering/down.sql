DROP INDEX pool_entries_facts;
DROP INDEX certificates_enterprise;
CREATE INDEX certificates_enterprise ON certificates (credit_code, issued_on);
