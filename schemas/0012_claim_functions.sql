-- Server-side functions for the hub's hot paths (issue 8). A claim used to cost about 19 round
-- trips, each statement parsed and planned anew; these functions do the same work in two calls per
-- claim, and PL/pgSQL keeps each statement's plan for the life of the connection.
--
-- Every function runs in the caller's transaction and changes nothing about the guarantees:
-- numbers still come from sequence_counters (the row stays locked until commit), holders are
-- still decided under the same advisory locks, and each statement of a VOLATILE PL/pgSQL function
-- under READ COMMITTED takes a fresh snapshot, so a statement after a wait sees what the
-- transaction it waited for committed.

-- The next number of a gap-free, commit-ordered stream (see 0002).
CREATE FUNCTION sequence_next(p_stream text) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    INSERT INTO sequence_counters (stream, last) VALUES (p_stream, 1)
    ON CONFLICT (stream) DO UPDATE SET last = sequence_counters.last + 1
    RETURNING last
$$;

-- Appends one audit row and returns its number. The counter is taken first (that waits for any
-- other appender to commit); the previous row's hash is then read by a new statement with a new
-- snapshot, which sees the row the other transaction committed. Doing both in one SQL statement
-- would read the previous hash from a snapshot taken before the wait and break the chain.
CREATE FUNCTION audit_chain_append(p_actor text, p_action text, p_subject text, p_detail jsonb) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_seq  bigint;
    v_prev bytea;
    v_at   timestamptz := now();
BEGIN
    v_seq := sequence_next('audit');
    SELECT hash INTO v_prev FROM audit_chain WHERE seq = v_seq - 1;
    IF NOT FOUND THEN
        v_prev := decode(repeat('00', 32), 'hex');
    END IF;
    INSERT INTO audit_chain (seq, recorded_at, actor, action, subject, detail, prev_hash, hash)
    VALUES (v_seq, v_at, p_actor, p_action, p_subject, p_detail, v_prev,
            audit_chain_hash(v_prev, v_seq, v_at, p_actor, p_action, p_subject, p_detail));
    RETURN v_seq;
END
$$;

-- Appends one event to the departments' log and returns its number.
CREATE FUNCTION event_log_append(p_topic text, p_county text, p_payload jsonb) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    INSERT INTO events (seq, topic, county, payload) VALUES (sequence_next('events'), p_topic, p_county, p_payload)
    RETURNING seq
$$;

-- The distinct two-character pieces of a brand: a brand that contains another contains all of its
-- pieces, so a GIN index on them finds containing brands (pg_trgm cannot for two-character brands).
CREATE FUNCTION brand_bigrams(p_brand text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(p_brand, i, 2)), '{}') FROM generate_series(1, length(p_brand) - 1) AS i
$$;

-- Fuzzy candidates are found by brand, not by brand and industry together: industry words are
-- shared by a large part of all names (科技, 新能源), so a trigram search over the whole name
-- rechecked tens of thousands of rows per query at a million enterprises.
CREATE INDEX claims_brand_trgm ON claims USING gin (brand gin_trgm_ops) WHERE brand <> '';
CREATE INDEX claims_brand_bigrams ON claims USING gin (brand_bigrams(brand)) WHERE brand <> '';

-- Other offices' holding claims that may be the same enterprise as a name with brand p_brand
-- (p_parts: every piece of p_brand, itself included; p_search: brand and industry words), most
-- similar first, at most 20: the same brand, a brand inside this one, a brand containing this one,
-- or a trigram-similar brand. A name without a brand is compared by its whole text.
-- EnterpriseMatch (Swift) then decides on each.
CREATE FUNCTION claim_candidates(p_office text, p_brand text, p_parts text[], p_search text)
RETURNS TABLE (id bigint, office text, investor_name text, credit_code text, since timestamptz)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
    IF p_brand = '' THEN
        RETURN QUERY
            SELECT c.id, c.office, c.investor_name, c.credit_code, c.received_at FROM claims c
            WHERE c.normalized_name % p_search
              AND c.office <> p_office AND c.status IN ('held', 'contested') AND c.holder_claim IS NULL
            ORDER BY similarity(c.normalized_name, p_search) DESC, c.id
            LIMIT 20;
    ELSE
        RETURN QUERY
            SELECT c.id, c.office, c.investor_name, c.credit_code, c.received_at FROM claims c
            WHERE c.brand <> ''
              AND (c.brand = ANY (p_parts) OR c.brand % p_brand
                   OR (length(p_brand) >= 2 AND brand_bigrams(c.brand) @> brand_bigrams(p_brand)))
              AND c.office <> p_office AND c.status IN ('held', 'contested') AND c.holder_claim IS NULL
            ORDER BY similarity(c.normalized_name, p_search) DESC, c.id
            LIMIT 20;
    END IF;
END
$$;

-- A filing's first call: locks its keys (p_lock_keys, sorted by the caller, so two filings never
-- wait on each other crosswise), then returns in one result what the decision needs:
--   'existing'  the office already filed this lead (a redelivery): id, status, holder_claim;
--   'holder'    who holds any of p_keys, earliest first: id, office, since, held_key, code_key;
--   'similar'   the fuzzy candidates of claim_candidates: id, office, investor_name, credit_code, since.
-- Nothing else is returned after an 'existing' row.
CREATE FUNCTION claim_lookup(p_office text, p_lead_ref text, p_keys text[], p_lock_keys text[],
                             p_brand text, p_parts text[], p_search text)
RETURNS TABLE (kind text, id bigint, office text, investor_name text, credit_code text, since timestamptz,
               held_key text, code_key text, status text, holder_claim bigint)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    v_key text;
BEGIN
    FOREACH v_key IN ARRAY p_lock_keys LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(v_key, 0));
    END LOOP;
    RETURN QUERY
        SELECT 'existing'::text, c.id, c.office, c.investor_name, c.credit_code, c.received_at,
               NULL::text, c.code_key, c.status, c.holder_claim
        FROM claims c WHERE c.office = p_office AND c.lead_ref = p_lead_ref;
    IF FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT 'holder'::text, c.id, c.office, c.investor_name, c.credit_code, h.since,
               h.key, c.code_key, c.status, c.holder_claim
        FROM enterprise_holders h JOIN claims c ON c.id = h.claim_id
        WHERE h.key = ANY (p_keys) ORDER BY h.since, c.id;
    RETURN QUERY
        SELECT 'similar'::text, s.id, s.office, s.investor_name, s.credit_code, s.since,
               NULL::text, NULL::text, NULL::text, NULL::bigint
        FROM claim_candidates(p_office, p_brand, p_parts, p_search) AS s;
END
$$;

-- A filing's second call, once the hub has decided the holder (p_holder NULL: this claim holds):
-- inserts the claim and its first stage, the holder keys, and joins or opens the conflict when
-- another office holds the enterprise; returns what the notices need. Its events and audit rows
-- are appended by the caller (event_log_append_many, audit_chain_append_many), at the end of the
-- transaction, so the counters' row locks are held only from there to the commit.
CREATE FUNCTION claim_register(
    p_office text, p_lead_ref text, p_investor_name text, p_credit_code text, p_code_key text, p_name_key text,
    p_normalized text, p_brand text, p_project text, p_industry text, p_investment numeric, p_stage text,
    p_reported_at timestamptz, p_status text, p_holder bigint, p_holder_office text, p_keys text[])
RETURNS TABLE (claim_id bigint, conflict_id bigint, opened boolean, holder_office text, holder_lead_ref text,
               holder_received_at timestamptz, contested_by text[])
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    v_id       bigint;
    v_conflict bigint;
    v_opened   boolean := false;
BEGIN
    INSERT INTO claims (office, lead_ref, investor_name, credit_code, code_key, name_key, normalized_name,
                        brand, project_name, industry, investment_wan, stage, reported_at, status, holder_claim)
    VALUES (p_office, p_lead_ref, p_investor_name, p_credit_code, p_code_key, p_name_key, p_normalized,
            p_brand, p_project, p_industry, p_investment, p_stage, p_reported_at, p_status, p_holder)
    RETURNING claims.id INTO v_id;
    INSERT INTO claim_stages (claim_id, stage, reached_at) VALUES (v_id, p_stage, p_reported_at);

    -- The holder takes the keys it lacked (a code this filing brought); a name key that already
    -- belongs to an enterprise with another code stays with that one.
    INSERT INTO enterprise_holders (key, claim_id) SELECT k, coalesce(p_holder, v_id) FROM unnest(p_keys) AS k
    ON CONFLICT (key) DO NOTHING;

    IF p_holder IS NOT NULL AND p_holder_office <> p_office THEN
        SELECT c.id INTO v_conflict FROM conflicts c WHERE c.holder_claim = p_holder AND c.status = 'open';
        IF NOT FOUND THEN
            INSERT INTO conflicts (holder_claim) VALUES (p_holder) RETURNING conflicts.id INTO v_conflict;
            v_opened := true;
            INSERT INTO conflict_parties (conflict_id, claim_id) VALUES (v_conflict, p_holder);
        END IF;
        INSERT INTO conflict_parties (conflict_id, claim_id) VALUES (v_conflict, v_id) ON CONFLICT DO NOTHING;
    END IF;

    IF v_conflict IS NULL THEN
        RETURN QUERY SELECT v_id, NULL::bigint, false, NULL::text, NULL::text, NULL::timestamptz, NULL::text[];
    ELSE
        RETURN QUERY
            SELECT v_id, v_conflict, v_opened, h.office, h.lead_ref, h.received_at,
                   coalesce((SELECT array_agg(DISTINCT c.office ORDER BY c.office)
                             FROM conflict_parties p JOIN claims c ON c.id = p.claim_id
                             WHERE p.conflict_id = v_conflict AND c.id <> p_holder), '{}')
            FROM claims h WHERE h.id = p_holder;
    END IF;
END
$$;

-- Many audit rows in one call, in the order given (details as JSON text).
CREATE FUNCTION audit_chain_append_many(p_actors text[], p_actions text[], p_subjects text[], p_details text[])
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_actors, 1), 0) LOOP
        PERFORM audit_chain_append(p_actors[i], p_actions[i], p_subjects[i], p_details[i]::jsonb);
    END LOOP;
END
$$;

-- Many events in one call, in the order given ('' as county means none; payloads as JSON text).
CREATE FUNCTION event_log_append_many(p_topics text[], p_counties text[], p_payloads text[])
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_topics, 1), 0) LOOP
        PERFORM event_log_append(p_topics[i], nullif(p_counties[i], ''), p_payloads[i]::jsonb);
    END LOOP;
END
$$;

-- A generic plan for every statement inside: PL/pgSQL would otherwise re-plan the candidate
-- search (about 1 ms of planning for 0.4 ms of execution) on every call whose custom plan it
-- judges cheaper.
ALTER FUNCTION claim_candidates(text, text, text[], text) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION claim_lookup(text, text, text[], text[], text, text[], text) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION claim_register(text, text, text, text, text, text, text, text, text, text, numeric, text,
                              timestamptz, text, bigint, text, text[]) SET plan_cache_mode = force_generic_plan;
