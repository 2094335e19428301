-- Limits that must survive a restart are read back from the audit chain at start: the checks each
-- office made in the last minute (the hub's check budget) and the console's failed logins in the
-- last 15 minutes (the login lockout). The chain already records both; this index finds them.
CREATE INDEX audit_chain_action_time ON audit_chain (action, recorded_at);
