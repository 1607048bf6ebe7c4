-- Pool firms the registry's assessment found ready for recognition (可认定的入库企业) when a
-- snapshot was taken, per region: the pipeline term of the forecasts made from it.
CREATE TABLE snapshot_pipeline (
    snapshot_id TEXT NOT NULL REFERENCES snapshots (id),
    region_code TEXT NOT NULL,
    ready_firms BIGINT NOT NULL CHECK (ready_firms >= 0),
    PRIMARY KEY (snapshot_id, region_code)
);
