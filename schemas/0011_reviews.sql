-- Combined review status (联审进度). The hub computes it from events, grants and opinions
-- (ReviewStatus); it remembers the last snapshot sent to the owning office so it sends a
-- review.status message only when something changed. The node keeps the latest snapshot per lead.
CREATE INDEX events_claim ON events ((payload ->> 'claim'));

CREATE TABLE review_snapshots (
    claim_id  bigint PRIMARY KEY REFERENCES claims (id),
    snapshot  jsonb NOT NULL,
    sent_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lead_reviews (
    lead_id         uuid NOT NULL,
    department      text NOT NULL,
    department_name text NOT NULL,
    since           timestamptz NOT NULL,
    answered_at     timestamptz,
    verdict         text,
    PRIMARY KEY (lead_id, department)
);
