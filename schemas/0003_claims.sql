-- The hub's registry of claims: which office pursues which enterprise.
--
-- Exactly one holder: a claim takes transaction-scoped advisory locks on its enterprise keys
-- (uscc:… and name:…, in sorted order) before it reads enterprise_holders, so two claims on one
-- enterprise are decided one after the other by PostgreSQL, however they race.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE claims (
    id              bigserial PRIMARY KEY,
    office          text NOT NULL REFERENCES tenants (id),
    -- The node's own id of the lead; (office, lead_ref) names a claim from the office's side.
    lead_ref        text NOT NULL CHECK (length(lead_ref) BETWEEN 1 AND 100),
    investor_name   text NOT NULL CHECK (length(investor_name) BETWEEN 1 AND 200),
    credit_code     text CHECK (credit_code ~ '^[0-9A-Z]{18}$'),
    code_key        text,
    name_key        text,
    -- Brand and industry words, for trigram similarity (pg_trgm) across spellings.
    normalized_name text NOT NULL,
    -- The brand alone: finds the same brand with other industry words.
    brand           text NOT NULL,
    project_name    text,
    industry        text,
    investment_wan  numeric(14, 2) CHECK (investment_wan >= 0),
    stage           text NOT NULL CHECK (stage IN ('lead', 'negotiating', 'signed', 'registered',
                                                   'construction', 'production', 'dropped')),
    -- When the office first reported it (首报): decides first-report protection.
    reported_at     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL CHECK (status IN ('held', 'contested', 'settled', 'released')),
    -- For a contested claim: the claim that holds the enterprise. For a second lead of the holding
    -- office on the same enterprise: that office's holding claim.
    holder_claim    bigint REFERENCES claims (id),
    UNIQUE (office, lead_ref),
    CHECK (code_key IS NOT NULL OR name_key IS NOT NULL)
);

CREATE INDEX claims_normalized_name_trgm ON claims USING gin (normalized_name gin_trgm_ops);
CREATE INDEX claims_brand ON claims (brand) WHERE brand <> '';
CREATE INDEX claims_office ON claims (office, received_at);

-- One row per key of an enterprise that an active claim holds.
CREATE TABLE enterprise_holders (
    key      text PRIMARY KEY,
    claim_id bigint NOT NULL REFERENCES claims (id),
    since    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enterprise_holders_claim ON enterprise_holders (claim_id);

-- A conflict: other offices' claims on an enterprise someone holds. One open conflict per holding
-- claim; every contesting claim is a party.
CREATE TABLE conflicts (
    id           bigserial PRIMARY KEY,
    holder_claim bigint NOT NULL REFERENCES claims (id),
    opened_at    timestamptz NOT NULL DEFAULT now(),
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided', 'withdrawn')),
    closed_at    timestamptz
);
CREATE UNIQUE INDEX conflicts_one_open_per_holder ON conflicts (holder_claim) WHERE status = 'open';

CREATE TABLE conflict_parties (
    conflict_id bigint NOT NULL REFERENCES conflicts (id),
    claim_id    bigint NOT NULL REFERENCES claims (id),
    joined_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conflict_id, claim_id)
);
