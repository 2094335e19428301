-- Tenants: every party that connects to the hub, and the CURVE public key that is its identity.
-- A peer's tenant is the one its key is registered to (ZAP User-Id); a message body's claimed
-- sender is never trusted (DESIGN.md, guarantee 3).

CREATE TABLE tenants (
    -- County offices use their GB/T 2260 code (e.g. 360402); the hub, coordinators and
    -- departments use a short lower-case code (e.g. hub, fgw, zrzy).
    id               text PRIMARY KEY CHECK (id ~ '^[0-9a-z][0-9a-z._-]{0,62}$'),
    kind             text NOT NULL CHECK (kind IN ('hub', 'county', 'department', 'coordinator')),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- 40 Z85 characters; NULL until a key is issued.
    curve_public_key text UNIQUE CHECK (curve_public_key ~ '^[0-9A-Za-z.:+=^!/*?&<>()\[\]{}@%$#-]{40}$'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz
);

COMMENT ON TABLE tenants IS 'Parties known to the hub; identity comes from curve_public_key only.';
