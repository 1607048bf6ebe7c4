DROP TABLE events;
DROP TABLE alerts;
DROP TABLE leases;
DROP TABLE snapshot_values;
DROP TABLE snapshot_indicators;
DROP TABLE snapshots;
DROP TABLE statistics_inputs;
