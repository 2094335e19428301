-- Reliable delivery (schemas/PROTOCOL.md, section 4) and the node's leads.
--
-- Hub and node databases use the same migrations; each role uses its own tables.

-- The highest sequence number applied from each sender (the receiver's high-water mark). At the
-- hub, peer is a tenant id; at a node, the hub is peer 'hub'.
CREATE TABLE peer_inbox (
    peer            text PRIMARY KEY,
    applied_through bigint NOT NULL DEFAULT 0 CHECK (applied_through >= 0),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- State-changing messages waiting for the receiver's acknowledgement, written in the same
-- transaction as the change that caused them. seq comes from sequence_counters stream
-- 'outbox:<peer>', so it is gap-free and commit-ordered per peer.
CREATE TABLE outbox (
    peer       text NOT NULL,
    seq        bigint NOT NULL CHECK (seq > 0),
    message_id text NOT NULL UNIQUE,
    type       text NOT NULL,
    -- Frame 1 of the message exactly as it is sent (the envelope JSON).
    envelope   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    acked_at   timestamptz,
    PRIMARY KEY (peer, seq)
);
CREATE INDEX outbox_unacked ON outbox (peer, seq) WHERE acked_at IS NULL;

-- A county office's leads in full (node). The hub receives the 报备 fields through claim.file.
CREATE TABLE leads (
    id               uuid PRIMARY KEY,
    investor_name    text NOT NULL CHECK (length(investor_name) BETWEEN 1 AND 200),
    credit_code      text,
    -- USCC_CHECK etc. when the code as typed has a problem (kept, matched by name).
    credit_code_issue text,
    project_name     text,
    industry         text,
    industry_chain   text,
    investment_wan   numeric(14, 2) CHECK (investment_wan >= 0),
    fixed_asset_wan  numeric(14, 2) CHECK (fixed_asset_wan >= 0),
    land_mu          numeric(12, 2) CHECK (land_mu >= 0),
    energy_tce       numeric(14, 2) CHECK (energy_tce >= 0),
    environment_note text,
    expected_output_wan numeric(14, 2) CHECK (expected_output_wan >= 0),
    expected_tax_wan numeric(14, 2) CHECK (expected_tax_wan >= 0),
    referrer         text,
    officer          text,
    first_contact_on date,
    stage            text NOT NULL DEFAULT 'lead' CHECK (stage IN ('lead', 'negotiating', 'signed', 'registered',
                                                                   'construction', 'production', 'dropped')),
    notes            text,
    filed_at         timestamptz NOT NULL DEFAULT now(),
    -- What the hub last said (claim.status), shown in lead list / show.
    claim_status     text,
    claim_detail     jsonb,
    claim_updated_at timestamptz
);

CREATE TABLE lead_stage_history (
    lead_id    uuid NOT NULL REFERENCES leads (id),
    stage      text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text,
    PRIMARY KEY (lead_id, stage, changed_at)
);
