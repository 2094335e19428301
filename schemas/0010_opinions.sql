-- Review opinions from approval departments (联审联办), at the hub and, for its own leads, at the node.
CREATE TABLE opinions (
    id          uuid PRIMARY KEY,
    claim_id    bigint NOT NULL REFERENCES claims (id),
    department  text NOT NULL REFERENCES tenants (id),
    verdict     text NOT NULL CHECK (verdict IN ('approve', 'conditional', 'reject')),
    text        text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
    conditions  text,
    given_at    timestamptz NOT NULL
);
CREATE INDEX opinions_claim ON opinions (claim_id, given_at);

CREATE TABLE lead_opinions (
    id          uuid PRIMARY KEY,
    lead_id     uuid NOT NULL,
    department  text NOT NULL,
    verdict     text NOT NULL,
    text        text NOT NULL,
    conditions  text,
    given_at    timestamptz NOT NULL
);
CREATE INDEX lead_opinions_lead ON lead_opinions (lead_id, given_at);
