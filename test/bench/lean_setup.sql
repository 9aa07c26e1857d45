-- test/bench/lean_setup.sql
--
-- The lean tables a DBA would write for the same job without the
-- extension (scale.sh): a key row with its hash, a node row with a unique
-- node key, an audit row; no CHECK constraints, no foreign keys, no index
-- beyond the two that the job needs.  They hold the same keys as
-- auth_keys.keys, so that scripts/register_lean.sql presents the sampled
-- keys of setup.sql.
--
-- Copyright (c) 2026, auth_keys developers

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE SCHEMA lean;
CREATE TABLE lean.keys (
    key_id          text PRIMARY KEY,
    tailnet_id      bigint NOT NULL,
    created_by      text,
    tags            text[] NOT NULL DEFAULT '{}',
    reusable        boolean NOT NULL,
    max_uses        integer,
    uses            integer NOT NULL DEFAULT 0,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    used_up_at      timestamptz,
    last_used_at    timestamptz,
    secret_hash     bytea NOT NULL
);
INSERT INTO lean.keys (key_id, tailnet_id, created_by, reusable, expires_at, secret_hash)
SELECT key_id, tailnet_id, created_by, reusable, expires_at, secret_hash
  FROM auth_keys.keys k
 WHERE k.key_id IN (SELECT key_id FROM bench.sample);
CREATE TABLE lean.nodes (
    node_id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tailnet_id          bigint NOT NULL,
    node_key            bytea NOT NULL UNIQUE,
    hostname            text NOT NULL,
    user_login          text,
    tags                text[] NOT NULL,
    auth_key_id         text,
    authorized          boolean NOT NULL,
    node_key_expires_at timestamptz,
    last_seen_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE lean.events (
    at          timestamptz NOT NULL DEFAULT now(),
    tailnet_id  bigint,
    actor       text NOT NULL,
    action      text NOT NULL,
    key_id      text,
    node_id     bigint,
    detail      jsonb NOT NULL
);
VACUUM ANALYZE lean.keys;
