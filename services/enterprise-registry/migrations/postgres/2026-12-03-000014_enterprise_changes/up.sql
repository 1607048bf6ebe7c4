-- Every committed change to what the keyed read returns (a firm's row, its certificates,
-- pool entries and zone) is announced on the channel enterprise_changed, so each replica's
-- cache of that read (app::keyed_read) drops the firm: the payload is the credit code, or
-- '*' when a change may touch many firms (a zone's level, a truncation). NOTIFY is
-- delivered at commit and not at all on rollback. SQLite has no counterpart: one process
-- owns its file and counts its own writes.
CREATE FUNCTION enterprise_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The same payload twice in one transaction is delivered once.
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('enterprise_changed', OLD.credit_code);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('enterprise_changed', NEW.credit_code);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION enterprises_all_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('enterprise_changed', '*');
    RETURN NULL;
END $$;

-- A new firm was in no cache (a firm not found is not kept), so only its changes count.
CREATE TRIGGER enterprises_changed AFTER UPDATE OR DELETE ON enterprises
    FOR EACH ROW EXECUTE FUNCTION enterprise_changed();
CREATE TRIGGER certificates_changed AFTER INSERT OR UPDATE OR DELETE ON certificates
    FOR EACH ROW EXECUTE FUNCTION enterprise_changed();
CREATE TRIGGER pool_entries_changed AFTER INSERT OR UPDATE OR DELETE ON pool_entries
    FOR EACH ROW EXECUTE FUNCTION enterprise_changed();

CREATE TRIGGER zones_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON zones
    FOR EACH STATEMENT EXECUTE FUNCTION enterprises_all_changed();
CREATE TRIGGER enterprises_truncated AFTER TRUNCATE ON enterprises
    FOR EACH STATEMENT EXECUTE FUNCTION enterprises_all_changed();
CREATE TRIGGER certificates_truncated AFTER TRUNCATE ON certificates
    FOR EACH STATEMENT EXECUTE FUNCTION enterprises_all_changed();
CREATE TRIGGER pool_entries_truncated AFTER TRUNCATE ON pool_entries
    FOR EACH STATEMENT EXECUTE FUNCTION enterprises_all_changed();
