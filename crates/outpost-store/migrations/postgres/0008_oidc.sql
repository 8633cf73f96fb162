-- Issue 24: sign-in through an OpenID Provider. A user created or updated by an OIDC login
-- is linked to the provider's (name, subject) pair; `disabled_by = 'oidc'` marks a user the
-- claim mapping disabled (mapped again later, the login re-enables it), any other disabling
-- (an admin's) stays until an admin lifts it.
ALTER TABLE users ADD COLUMN oidc_provider TEXT;
ALTER TABLE users ADD COLUMN oidc_subject TEXT;
ALTER TABLE users ADD COLUMN disabled_by TEXT;
CREATE UNIQUE INDEX users_oidc_identity ON users (oidc_provider, oidc_subject);
-- The ID token of a session started through a provider: the `id_token_hint` of its
-- RP-initiated logout (some providers, e.g. Okta, require it).
ALTER TABLE sessions ADD COLUMN oidc_id_token TEXT;

-- Logins in progress: the SHA-256 of the `state` sent to the provider, with the nonce and
-- the PKCE verifier it must come back to. Consumed once; purged when expired.
CREATE TABLE oidc_logins (
    state_hash    TEXT PRIMARY KEY,
    provider      TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
