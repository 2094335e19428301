-- Node: what the hub refused of a lead (a stage change the lifecycle rule forbids, a filing with
-- nothing that identifies an enterprise), shown on the lead and in `lead list` until a later
-- change of the lead is accepted. `hub_refusal_code` is the rule's stable code.
ALTER TABLE leads ADD COLUMN hub_refusal text;
ALTER TABLE leads ADD COLUMN hub_refusal_code text;
ALTER TABLE leads ADD COLUMN hub_refusal_at timestamptz;

-- Hub: a city dispatch to a county other than the office pursuing the enterprise needs a
-- coordinator's override reason; the claim it overrode, and (once the county accepts and files)
-- the transfer decision that moved the enterprise.
ALTER TABLE assignments ADD COLUMN override_reason text CHECK (length(override_reason) BETWEEN 1 AND 2000);
ALTER TABLE assignments ADD COLUMN overrides_claim bigint REFERENCES claims (id);
ALTER TABLE assignments ADD COLUMN transfer_decision bigint REFERENCES decisions (id);
-- When the county's first filing of the enterprise after accepting settled the override (ruled a
-- transfer or not: the holder may have let go meanwhile): it is never applied to a later filing.
ALTER TABLE assignments ADD COLUMN override_settled_at timestamptz;
CREATE INDEX assignments_pending_override ON assignments (county)
    WHERE override_reason IS NOT NULL AND status = 'accepted' AND override_settled_at IS NULL;

-- Hub: the claims waiting on a holder (hand-overs, dispatch pursuit look-ups) by index.
CREATE INDEX claims_holder_claim ON claims (holder_claim) WHERE holder_claim IS NOT NULL;
