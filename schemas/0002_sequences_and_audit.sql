-- Gap-free, commit-ordered sequences and the hash-chained audit log.
--
-- A reader that polls "WHERE seq > last_seen" on a bigserial loses rows: values are taken before
-- commit, so a later value can commit first. Every stream read by position (outboxes, the event
-- log, the audit chain) instead takes its next value by updating its row here. The row stays locked
-- until the writing transaction ends, so the next writer of the same stream waits: values commit
-- in order and a rolled-back transaction leaves no gap.
CREATE TABLE sequence_counters (
    stream text PRIMARY KEY,
    last   bigint NOT NULL DEFAULT 0 CHECK (last >= 0)
);

-- Every check, claim, conflict, decision and assignment, appended in the same transaction as the
-- action it records. Row n holds the hash of row n-1, so an edited or deleted row breaks the chain
-- (concord audit verify). The hash is SHA-256 over prev_hash followed by the UTF-8 bytes of
--   seq || '|' || recorded_at in microseconds since 1970-01-01 UTC || '|' || actor || '|' ||
--   action || '|' || subject || '|' || detail (jsonb's canonical text)
-- and prev_hash of row 1 is 32 zero bytes.
CREATE TABLE audit_chain (
    seq         bigint PRIMARY KEY CHECK (seq > 0),
    recorded_at timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    subject     text NOT NULL,
    detail      jsonb NOT NULL,
    prev_hash   bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash        bytea NOT NULL CHECK (length(hash) = 32)
);

CREATE FUNCTION audit_chain_hash(prev bytea, seq bigint, recorded_at timestamptz, actor text,
                                 action text, subject text, detail jsonb) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT sha256(prev || convert_to(
        seq::text || '|' || (extract(epoch FROM recorded_at) * 1000000)::bigint::text || '|' ||
        actor || '|' || action || '|' || subject || '|' || detail::text, 'UTF8'))
$$;

-- Defence in depth: the application never updates or deletes audit rows. (A superuser can still
-- bypass this; the hash chain is what detects it.)
CREATE FUNCTION audit_chain_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_chain is append-only (% refused)', TG_OP USING ERRCODE = '42501';
END
$$;

CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_append_only();
