DROP TABLE sso_sessions;
DROP TABLE sso_flows;
DROP TABLE user_identities;
