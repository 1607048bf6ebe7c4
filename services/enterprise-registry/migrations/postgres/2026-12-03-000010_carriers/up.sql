-- Innovation carriers (创新创业载体): incubators, maker spaces, parks. city_code is the
-- county's city, kept so region filters need no division table.
CREATE TABLE carriers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    region_code TEXT NOT NULL,
    city_code TEXT NOT NULL,
    zone_id TEXT REFERENCES zones (id),
    operator_credit_code TEXT NOT NULL,
    recognition_year INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX carriers_region ON carriers (region_code, id);
CREATE INDEX carriers_city ON carriers (city_code, id);
