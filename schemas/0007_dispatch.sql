-- City dispatch: county profiles and city-level leads at the hub, assignments with deadlines at both
-- ends (the hub's record, and the node's copy of what it was offered).

CREATE TABLE county_profiles (
    county           text PRIMARY KEY REFERENCES tenants (id),
    industries       text[] NOT NULL DEFAULT '{}',
    chains           text[] NOT NULL DEFAULT '{}',
    -- Available land by park, mu: {"城西工业园": 500}.
    land_mu          jsonb NOT NULL DEFAULT '{}',
    energy_tce       numeric(14, 2) NOT NULL DEFAULT 0 CHECK (energy_tce >= 0),
    environment      numeric(14, 2) NOT NULL DEFAULT 0 CHECK (environment >= 0),
    policy_tags      text[] NOT NULL DEFAULT '{}',
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE city_leads (
    id             uuid PRIMARY KEY,
    investor_name  text NOT NULL,
    credit_code    text,
    project_name   text,
    industry       text,
    industry_chain text,
    investment_wan numeric(14, 2),
    land_mu        numeric(12, 2),
    energy_tce     numeric(14, 2),
    environment    numeric(14, 2),
    filed_at       timestamptz NOT NULL,
    filed_by       text NOT NULL,
    -- pool: waiting for a county; offered: an assignment is pending; accepted: a county took it.
    status         text NOT NULL DEFAULT 'pool' CHECK (status IN ('pool', 'offered', 'accepted'))
);

CREATE TABLE assignments (
    id            bigserial PRIMARY KEY,
    city_lead     uuid NOT NULL REFERENCES city_leads (id),
    county        text NOT NULL REFERENCES tenants (id),
    note          text,
    score         numeric(6, 2),
    assigned_at   timestamptz NOT NULL,
    assigned_by   text NOT NULL,
    respond_by    timestamptz NOT NULL,
    assess_by     timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'offered' CHECK (status IN ('offered', 'accepted', 'declined')),
    responded_at  timestamptz,
    reason        text
);
CREATE UNIQUE INDEX assignments_one_pending_per_lead ON assignments (city_lead) WHERE status = 'offered';

-- At a node: what the city offered this office.
CREATE TABLE node_assignments (
    id             bigint PRIMARY KEY,
    city_lead      uuid NOT NULL,
    investor_name  text NOT NULL,
    credit_code    text,
    project_name   text,
    industry       text,
    investment_wan numeric(14, 2),
    land_mu        numeric(12, 2),
    note           text,
    explanation    text,
    offered_at     timestamptz NOT NULL,
    respond_by     timestamptz NOT NULL,
    assess_by      timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'offered' CHECK (status IN ('offered', 'accepted', 'declined')),
    responded_at   timestamptz,
    reason         text,
    lead_id        uuid
);
