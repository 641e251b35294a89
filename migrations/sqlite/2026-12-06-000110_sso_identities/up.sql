-- Single sign-on (issue 12). An account is tied to the identity provider's `iss` + `sub`;
-- how the identity got its account (`created` by the first sign-in, or `email`: linked once to
-- an existing account through a verified e-mail claim, or `account`: linked by its signed-in
-- owner), what the provider last said (e-mail, matricola, codice fiscale) and the staff role
-- its groups granted (NULL: none; a role set in the desk is never taken away by the groups).
CREATE TABLE user_identities (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    email TEXT,
    matricola TEXT,
    codice_fiscale TEXT,
    granted_role TEXT,
    linked_by TEXT NOT NULL,
    linked_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- A sign-in under way: the hash of its `state`, with the nonce, the PKCE verifier and where to
-- go after. Deleted when the callback uses it (single use on every instance); 10 minutes.
CREATE TABLE sso_flows (
    state_hash TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path TEXT NOT NULL,
    link_user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL
);

-- Sessions that single sign-on issued (by token id), so the account page can say how the
-- holder signed in. Rows go when the token would have expired.
CREATE TABLE sso_sessions (
    jti TEXT PRIMARY KEY,
    identity_id TEXT NOT NULL REFERENCES user_identities(id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL
);
