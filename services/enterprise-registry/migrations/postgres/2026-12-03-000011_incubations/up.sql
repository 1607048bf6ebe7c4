-- Incubations (在孵记录): a carrier incubated an enterprise from started_on until ended_on
-- (graduation or leaving; open while incubating).
CREATE TABLE incubations (
    credit_code TEXT NOT NULL REFERENCES enterprises (credit_code),
    carrier_id TEXT NOT NULL REFERENCES carriers (id),
    started_on DATE NOT NULL,
    ended_on DATE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (credit_code, carrier_id, started_on)
);
CREATE INDEX incubations_carrier ON incubations (carrier_id, started_on);
