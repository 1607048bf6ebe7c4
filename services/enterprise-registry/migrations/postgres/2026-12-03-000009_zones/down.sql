DROP TABLE unmatched_zone_values;
DROP TABLE zones;
