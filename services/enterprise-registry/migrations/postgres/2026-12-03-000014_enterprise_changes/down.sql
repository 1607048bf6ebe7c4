DROP TRIGGER pool_entries_truncated ON pool_entries;
DROP TRIGGER certificates_truncated ON certificates;
DROP TRIGGER enterprises_truncated ON enterprises;
DROP TRIGGER zones_changed ON zones;
DROP TRIGGER pool_entries_changed ON pool_entries;
DROP TRIGGER certificates_changed ON certificates;
DROP TRIGGER enterprises_changed ON enterprises;
DROP FUNCTION enterprises_all_changed();
DROP FUNCTION enterprise_changed();
