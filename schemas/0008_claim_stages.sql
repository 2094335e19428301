-- When each claim reached each stage, at the hub (the cockpit report's durations and conversions).
CREATE TABLE claim_stages (
    claim_id bigint NOT NULL REFERENCES claims (id),
    stage    text NOT NULL,
    reached_at timestamptz NOT NULL,
    PRIMARY KEY (claim_id, stage)
);
INSERT INTO claim_stages (claim_id, stage, reached_at) SELECT id, stage, received_at FROM claims;
