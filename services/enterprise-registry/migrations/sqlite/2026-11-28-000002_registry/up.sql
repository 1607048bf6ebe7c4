-- Enterprises keyed by the unified social credit code. Status is derived from the facts
-- below (certificates, pool entries), never stored.
CREATE TABLE enterprises (
    credit_code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    region_code TEXT NOT NULL,
    -- The prefecture-level city of region_code, kept so subtree filters and grouped
    -- statistics need no join with the division table.
    city_code TEXT NOT NULL,
    registered_on DATE NOT NULL,
    industry_code TEXT NOT NULL,
    tech_domain TEXT,
    zone_level TEXT NOT NULL,
    zone_id TEXT,
    above_scale BOOLEAN NOT NULL,
    carrier_id TEXT,
    listing_status TEXT NOT NULL,
    deregistered_on DATE,
    deregistration_reason TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX enterprises_region ON enterprises (region_code, credit_code);
CREATE INDEX enterprises_city ON enterprises (city_code, credit_code);
CREATE INDEX enterprises_name ON enterprises (name, credit_code);
CREATE INDEX enterprises_updated ON enterprises (updated_at, credit_code);

CREATE TABLE annual_reports (
    credit_code TEXT NOT NULL REFERENCES enterprises (credit_code),
    year INTEGER NOT NULL,
    employees BIGINT,
    st_staff BIGINT,
    total_income_yuan BIGINT,
    sales_revenue_yuan BIGINT,
    hightech_income_yuan BIGINT,
    rd_expense_yuan BIGINT,
    rd_expense_domestic_yuan BIGINT,
    total_costs_yuan BIGINT,
    net_assets_yuan BIGINT,
    total_assets_yuan BIGINT,
    industrial_output_yuan BIGINT,
    tax_paid_yuan BIGINT,
    invention_patents BIGINT,
    class1_ip BIGINT,
    class2_ip BIGINT,
    new_ip BIGINT,
    conversions BIGINT,
    rd_institution TEXT,
    version INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (credit_code, year)
);

CREATE TABLE pool_entries (
    credit_code TEXT NOT NULL REFERENCES enterprises (credit_code),
    year INTEGER NOT NULL,
    batch INTEGER NOT NULL,
    source TEXT NOT NULL,
    entered_on DATE NOT NULL,
    exited_on DATE,
    exit_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (credit_code, year)
);

CREATE TABLE certificates (
    certificate_no TEXT PRIMARY KEY,
    credit_code TEXT NOT NULL REFERENCES enterprises (credit_code),
    issued_on DATE NOT NULL,
    expires_on DATE NOT NULL,
    revoked_on DATE,
    revoke_reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX certificates_enterprise ON certificates (credit_code, issued_on);

CREATE TABLE labels (
    credit_code TEXT NOT NULL REFERENCES enterprises (credit_code),
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    level TEXT NOT NULL,
    issuer TEXT,
    revoked_on DATE,
    revoke_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (credit_code, kind, year)
);
CREATE INDEX labels_kind ON labels (kind, year);
