-- The web consoles' users and sessions (issue 9). The same tables exist at the hub and at every
-- node; each database holds its own office's users only.
--
-- A password is stored as a bcrypt hash (cost in the hash). A session is known by the SHA-256 of
-- its cookie value, so a copy of this table does not let anyone log in; its CSRF token is sent in
-- every form and compared with the one stored here.
CREATE TABLE console_users (
    username      text PRIMARY KEY CHECK (username ~ '^[0-9a-z][0-9a-z._-]{0,62}$'),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    role          text NOT NULL CHECK (role IN ('coordinator', 'viewer', 'officer')),
    password_hash text NOT NULL CHECK (password_hash LIKE '$2%'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

CREATE TABLE console_sessions (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    username   text NOT NULL REFERENCES console_users (username) ON DELETE CASCADE,
    csrf_token text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

COMMENT ON TABLE console_users IS 'Web console users: coordinator/viewer at the hub, officer/viewer at a node.';
COMMENT ON TABLE console_sessions IS 'Web console sessions, by SHA-256 of the cookie value; expired rows are deleted at login.';
