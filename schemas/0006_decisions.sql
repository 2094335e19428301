-- Arbitration decisions on conflicts. A decision is never edited: a new decision that names the one
-- it supersedes replaces it, and both stay (and both are in the audit chain).
CREATE TABLE decisions (
    id           bigserial PRIMARY KEY,
    conflict_id  bigint NOT NULL REFERENCES conflicts (id),
    kind         text NOT NULL CHECK (kind IN ('award', 'transfer', 'joint', 'distinct', 'taskforce', 'reject')),
    -- The decision's parameters (office, from/to, shares, years, claim) and its summary.
    detail       jsonb NOT NULL,
    reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    coordinator  text NOT NULL REFERENCES tenants (id),
    decided_at   timestamptz NOT NULL,
    supersedes   bigint UNIQUE REFERENCES decisions (id)
);
CREATE INDEX decisions_conflict ON decisions (conflict_id, id);

ALTER TABLE conflicts ADD COLUMN current_decision bigint REFERENCES decisions (id);
ALTER TABLE conflicts DROP CONSTRAINT conflicts_status_check;
ALTER TABLE conflicts ADD CONSTRAINT conflicts_status_check CHECK (status IN ('open', 'decided', 'withdrawn'));

-- What a decision made of each claim: won, lost, transferred_in, transferred_out, joint, distinct,
-- taskforce, rejected, upheld.
ALTER TABLE claims ADD COLUMN decision_outcome text;
ALTER TABLE claims DROP CONSTRAINT claims_status_check;
ALTER TABLE claims ADD CONSTRAINT claims_status_check
    CHECK (status IN ('held', 'contested', 'settled', 'released', 'joint', 'taskforce', 'distinct'));

-- Stage progress renews first-report protection (ProtectionPolicy).
ALTER TABLE claims ADD COLUMN last_progress_at timestamptz;
