-- The hub's append-only event log for departments (联审联办): one global, gap-free, commit-ordered
-- sequence (sequence_counters stream 'events'), written in the transaction of the change it reports.
CREATE TABLE events (
    seq         bigint PRIMARY KEY CHECK (seq > 0),
    topic       text NOT NULL,
    -- The county the event is about, if any: readable as county.<code>.<topic>.
    county      text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    -- Only what a granted reader may see: the project, never another office's notes or contacts.
    payload     jsonb NOT NULL
);

-- Topic patterns granted to departments (TopicPattern). A change takes effect at the next read.
CREATE TABLE grants (
    tenant     text NOT NULL REFERENCES tenants (id),
    pattern    text NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, pattern)
);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only (% refused)', TG_OP USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
