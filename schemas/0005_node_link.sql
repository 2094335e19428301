-- The node's view of its link to the hub, written by `concord node run` and shown by the lead
-- commands: whether the link is up, since when, and when the hub was last heard.
CREATE TABLE node_link (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    state      text NOT NULL CHECK (state IN ('up', 'down')),
    since      timestamptz NOT NULL,
    last_heard timestamptz
);
