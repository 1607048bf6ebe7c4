DROP TABLE snapshot_pipeline;
