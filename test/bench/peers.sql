-- test/bench/peers.sql
--
-- The peers: validate_key and register_node as a DBA would write them
-- without auth_keys, in PL/pgSQL with pgcrypto, over tables of their own
-- that hold the same tailnet and keys as the extension's.
--
--   peer.validate_key / peer.register_node
--       the key's secret stored as pgcrypto's digest(secret, 'sha256');
--   peer.validate_key_bcrypt / peer.register_node_bcrypt
--       stored as crypt(secret, gen_salt('bf')), as some control servers
--       store keys; only the first :nbcrypt sampled keys get such a hash
--       (bcrypt is slow by design: hashing every key would take minutes).
--
-- Like the extension, the peers are SECURITY DEFINER with a pinned
-- search_path, parse the key (with a regular expression; they skip the
-- checksum, which PL/pgSQL would compute slowly), prove the secret, spend
-- a use with one conditional UPDATE, enrol the node with an upsert and
-- record an audit event.  They do not refuse a re-presented key for free
-- as the extension does, nor tell expired from used after the proof.
--
-- Run after setup.sql, in the same database, with -v nbcrypt=N.
--
-- Copyright (c) 2026, auth_keys developers

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE SCHEMA peer;

CREATE TABLE peer.tailnets (
    tailnet_id      bigint PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    device_approval boolean NOT NULL DEFAULT false,
    node_key_expiry interval NOT NULL DEFAULT '180 days'
);

CREATE TABLE peer.keys (
    key_id          text PRIMARY KEY,
    tailnet_id      bigint NOT NULL REFERENCES peer.tailnets,
    created_by      text NOT NULL,
    reusable        boolean NOT NULL DEFAULT false,
    ephemeral       boolean NOT NULL DEFAULT false,
    preauthorized   boolean NOT NULL DEFAULT false,
    tags            text[] NOT NULL DEFAULT '{}',
    max_uses        integer,
    uses            integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    last_used_at    timestamptz,
    used_up_at      timestamptz,
    secret_hash     bytea NOT NULL,
    secret_crypt    text
);

CREATE TABLE peer.nodes (
    node_id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tailnet_id          bigint NOT NULL REFERENCES peer.tailnets,
    node_key            bytea NOT NULL UNIQUE,
    hostname            text NOT NULL,
    user_login          text,
    tags                text[] NOT NULL DEFAULT '{}',
    auth_key_id         text,
    ephemeral           boolean NOT NULL DEFAULT false,
    authorized          boolean NOT NULL,
    key_expiry_disabled boolean NOT NULL DEFAULT false,
    node_key_expires_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_seen_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE peer.events (
    event_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    tailnet_id  bigint REFERENCES peer.tailnets,
    actor       text NOT NULL,
    action      text NOT NULL,
    key_id      text,
    node_id     bigint,
    detail      jsonb NOT NULL DEFAULT '{}'
);

INSERT INTO peer.tailnets
SELECT tailnet_id, name, device_approval, node_key_expiry FROM auth_keys.tailnets;

INSERT INTO peer.keys (key_id, tailnet_id, created_by, reusable, ephemeral, preauthorized,
                       tags, max_uses, uses, created_at, expires_at, secret_hash)
SELECT key_id, tailnet_id, created_by, reusable, ephemeral, preauthorized,
       tags, max_uses, uses, created_at, expires_at, secret_hash
  FROM auth_keys.keys;

UPDATE peer.keys pk
   SET secret_crypt = public.crypt(s.secret, public.gen_salt('bf'))
  FROM bench.sample s
 WHERE pk.key_id = s.key_id AND s.i <= :nbcrypt;

-- pgcrypto's digest gives the hash that the extension stores
DO $$
BEGIN
    IF EXISTS (SELECT FROM bench.sample s JOIN peer.keys pk USING (key_id)
                WHERE s.i <= 100 AND pk.secret_hash <> public.digest(s.secret, 'sha256')) THEN
        RAISE EXCEPTION 'digest(secret, ''sha256'') differs from the stored hash';
    END IF;
END $$;

--
-- validate_key: a dry run
--

CREATE FUNCTION peer.validate_key(key text)
    RETURNS TABLE (key_id text, tailnet text, status text, reusable boolean,
                   ephemeral boolean, preauthorized boolean, tags text[],
                   expires_at timestamptz, uses_left integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    parts text[];
    k record;
BEGIN
    parts := regexp_match(key,
        '^[a-z][a-z0-9]{0,15}-auth-([0-9A-Za-z]{12})-([0-9A-Za-z]{32})[0-9A-Za-z]{6}$');
    IF parts IS NOT NULL THEN
        SELECT pk.*, pt.name INTO k
          FROM peer.keys pk JOIN peer.tailnets pt ON pt.tailnet_id = pk.tailnet_id
         WHERE pk.key_id = parts[1];
        IF FOUND AND k.secret_hash = public.digest(parts[2], 'sha256') THEN
            RETURN QUERY SELECT k.key_id, k.name,
                CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked'
                     WHEN k.used_up_at IS NOT NULL THEN 'used'
                     WHEN k.expires_at <= now() THEN 'expired'
                     ELSE 'valid' END,
                k.reusable, k.ephemeral, k.preauthorized, k.tags, k.expires_at,
                CASE WHEN k.reusable AND k.max_uses IS NULL THEN NULL
                     ELSE greatest(CASE WHEN k.reusable THEN k.max_uses ELSE 1 END - k.uses, 0)
                END;
            RETURN;
        END IF;
    END IF;
    RETURN QUERY SELECT NULL::text, NULL::text, 'invalid'::text, NULL::boolean, NULL::boolean,
                        NULL::boolean, NULL::text[], NULL::timestamptz, NULL::integer;
END
$$;

CREATE FUNCTION peer.validate_key_bcrypt(key text)
    RETURNS TABLE (key_id text, tailnet text, status text, reusable boolean,
                   ephemeral boolean, preauthorized boolean, tags text[],
                   expires_at timestamptz, uses_left integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    parts text[];
    k record;
BEGIN
    parts := regexp_match(key,
        '^[a-z][a-z0-9]{0,15}-auth-([0-9A-Za-z]{12})-([0-9A-Za-z]{32})[0-9A-Za-z]{6}$');
    IF parts IS NOT NULL THEN
        SELECT pk.*, pt.name INTO k
          FROM peer.keys pk JOIN peer.tailnets pt ON pt.tailnet_id = pk.tailnet_id
         WHERE pk.key_id = parts[1];
        IF FOUND AND k.secret_crypt = public.crypt(parts[2], k.secret_crypt) THEN
            RETURN QUERY SELECT k.key_id, k.name,
                CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked'
                     WHEN k.used_up_at IS NOT NULL THEN 'used'
                     WHEN k.expires_at <= now() THEN 'expired'
                     ELSE 'valid' END,
                k.reusable, k.ephemeral, k.preauthorized, k.tags, k.expires_at,
                CASE WHEN k.reusable AND k.max_uses IS NULL THEN NULL
                     ELSE greatest(CASE WHEN k.reusable THEN k.max_uses ELSE 1 END - k.uses, 0)
                END;
            RETURN;
        END IF;
    END IF;
    RETURN QUERY SELECT NULL::text, NULL::text, 'invalid'::text, NULL::boolean, NULL::boolean,
                        NULL::boolean, NULL::text[], NULL::timestamptz, NULL::integer;
END
$$;

--
-- register_node: prove, spend a use, enrol, record
--

CREATE FUNCTION peer.register_node(key text, node_key text, hostname text)
    RETURNS TABLE (node_id bigint, tailnet text, user_login text, tags text[],
                   authorized boolean, ephemeral boolean, key_expiry_disabled boolean,
                   node_key_expires_at timestamptz, reauthenticated boolean)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    parts text[];
    k record;
    t record;
    n record;
    tagged boolean;
BEGIN
    parts := regexp_match(key,
        '^[a-z][a-z0-9]{0,15}-auth-([0-9A-Za-z]{12})-([0-9A-Za-z]{32})[0-9A-Za-z]{6}$');
    IF parts IS NULL THEN
        RAISE EXCEPTION 'invalid authentication key' USING ERRCODE = '28000';
    END IF;
    IF node_key !~ '^nodekey:[0-9a-fA-F]{64}$' THEN
        RAISE EXCEPTION 'invalid node key' USING ERRCODE = '22P02';
    END IF;
    UPDATE peer.keys pk
       SET uses = pk.uses + 1, last_used_at = now(),
           used_up_at = CASE WHEN pk.uses + 1 >= CASE WHEN pk.reusable
                                                      THEN coalesce(pk.max_uses, 2147483647)
                                                      ELSE 1 END
                             THEN now() END
     WHERE pk.key_id = parts[1]
       AND pk.secret_hash = public.digest(parts[2], 'sha256')
       AND pk.revoked_at IS NULL AND pk.used_up_at IS NULL AND pk.expires_at > now()
    RETURNING pk.key_id, pk.tailnet_id, pk.created_by, pk.tags, pk.ephemeral,
              pk.preauthorized INTO k;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invalid authentication key' USING ERRCODE = '28000';
    END IF;
    SELECT pt.name, pt.device_approval, pt.node_key_expiry INTO t
      FROM peer.tailnets pt WHERE pt.tailnet_id = k.tailnet_id;
    tagged := cardinality(k.tags) > 0;
    INSERT INTO peer.nodes AS pn
           (tailnet_id, node_key, hostname, user_login, tags, auth_key_id, ephemeral,
            authorized, key_expiry_disabled, node_key_expires_at)
    VALUES (k.tailnet_id, decode(substr(node_key, 9), 'hex'), hostname,
            CASE WHEN NOT tagged THEN k.created_by END, k.tags, k.key_id, k.ephemeral,
            NOT t.device_approval OR k.preauthorized, tagged,
            CASE WHEN NOT tagged THEN now() + t.node_key_expiry END)
    ON CONFLICT (node_key) DO UPDATE
       SET hostname = excluded.hostname, user_login = excluded.user_login,
           tags = excluded.tags, auth_key_id = excluded.auth_key_id,
           ephemeral = excluded.ephemeral,
           authorized = pn.authorized OR excluded.authorized,
           key_expiry_disabled = excluded.key_expiry_disabled,
           node_key_expires_at = excluded.node_key_expires_at, last_seen_at = now()
     WHERE pn.tailnet_id = excluded.tailnet_id
    RETURNING pn.node_id, pn.authorized, pn.user_login, pn.node_key_expires_at,
              pn.xmax::text <> '0' AS reauthenticated INTO n;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'node key is enrolled in another tailnet' USING ERRCODE = '42501';
    END IF;
    INSERT INTO peer.events (tailnet_id, actor, action, key_id, node_id, detail)
    VALUES (k.tailnet_id, 'role:' || session_user, 'key.used', k.key_id, n.node_id,
            jsonb_build_object('hostname', hostname, 'reauthenticated', n.reauthenticated));
    RETURN QUERY SELECT n.node_id, t.name, n.user_login, k.tags, n.authorized, k.ephemeral,
                        tagged, n.node_key_expires_at, n.reauthenticated;
END
$$;

CREATE FUNCTION peer.register_node_bcrypt(key text, node_key text, hostname text)
    RETURNS TABLE (node_id bigint, tailnet text, user_login text, tags text[],
                   authorized boolean, ephemeral boolean, key_expiry_disabled boolean,
                   node_key_expires_at timestamptz, reauthenticated boolean)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    parts text[];
    stored text;
    k record;
    t record;
    n record;
    tagged boolean;
BEGIN
    parts := regexp_match(key,
        '^[a-z][a-z0-9]{0,15}-auth-([0-9A-Za-z]{12})-([0-9A-Za-z]{32})[0-9A-Za-z]{6}$');
    IF parts IS NULL THEN
        RAISE EXCEPTION 'invalid authentication key' USING ERRCODE = '28000';
    END IF;
    IF node_key !~ '^nodekey:[0-9a-fA-F]{64}$' THEN
        RAISE EXCEPTION 'invalid node key' USING ERRCODE = '22P02';
    END IF;
    -- bcrypt hashes are salted: find the row by its id, then prove the secret
    SELECT pk.secret_crypt INTO stored FROM peer.keys pk WHERE pk.key_id = parts[1];
    IF stored IS NULL OR stored <> public.crypt(parts[2], stored) THEN
        RAISE EXCEPTION 'invalid authentication key' USING ERRCODE = '28000';
    END IF;
    UPDATE peer.keys pk
       SET uses = pk.uses + 1, last_used_at = now(),
           used_up_at = CASE WHEN pk.uses + 1 >= CASE WHEN pk.reusable
                                                      THEN coalesce(pk.max_uses, 2147483647)
                                                      ELSE 1 END
                             THEN now() END
     WHERE pk.key_id = parts[1]
       AND pk.revoked_at IS NULL AND pk.used_up_at IS NULL AND pk.expires_at > now()
    RETURNING pk.key_id, pk.tailnet_id, pk.created_by, pk.tags, pk.ephemeral,
              pk.preauthorized INTO k;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invalid authentication key' USING ERRCODE = '28000';
    END IF;
    SELECT pt.name, pt.device_approval, pt.node_key_expiry INTO t
      FROM peer.tailnets pt WHERE pt.tailnet_id = k.tailnet_id;
    tagged := cardinality(k.tags) > 0;
    INSERT INTO peer.nodes AS pn
           (tailnet_id, node_key, hostname, user_login, tags, auth_key_id, ephemeral,
            authorized, key_expiry_disabled, node_key_expires_at)
    VALUES (k.tailnet_id, decode(substr(node_key, 9), 'hex'), hostname,
            CASE WHEN NOT tagged THEN k.created_by END, k.tags, k.key_id, k.ephemeral,
            NOT t.device_approval OR k.preauthorized, tagged,
            CASE WHEN NOT tagged THEN now() + t.node_key_expiry END)
    ON CONFLICT (node_key) DO UPDATE
       SET hostname = excluded.hostname, user_login = excluded.user_login,
           tags = excluded.tags, auth_key_id = excluded.auth_key_id,
           ephemeral = excluded.ephemeral,
           authorized = pn.authorized OR excluded.authorized,
           key_expiry_disabled = excluded.key_expiry_disabled,
           node_key_expires_at = excluded.node_key_expires_at, last_seen_at = now()
     WHERE pn.tailnet_id = excluded.tailnet_id
    RETURNING pn.node_id, pn.authorized, pn.user_login, pn.node_key_expires_at,
              pn.xmax::text <> '0' AS reauthenticated INTO n;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'node key is enrolled in another tailnet' USING ERRCODE = '42501';
    END IF;
    INSERT INTO peer.events (tailnet_id, actor, action, key_id, node_id, detail)
    VALUES (k.tailnet_id, 'role:' || session_user, 'key.used', k.key_id, n.node_id,
            jsonb_build_object('hostname', hostname, 'reauthenticated', n.reauthenticated));
    RETURN QUERY SELECT n.node_id, t.name, n.user_login, k.tags, n.authorized, k.ephemeral,
                        tagged, n.node_key_expires_at, n.reauthenticated;
END
$$;

-- The peers answer as the extension does for the sampled keys.
SELECT set_config('bench.nbcrypt', :'nbcrypt', false) \g /dev/null
DO $$
BEGIN
    IF EXISTS (SELECT FROM bench.sample s,
                      LATERAL (SELECT * FROM auth_keys.validate_key(s.key)) a,
                      LATERAL (SELECT * FROM peer.validate_key(s.key)) p
                WHERE s.i <= 100 AND (a.*) IS DISTINCT FROM (p.*)) THEN
        RAISE EXCEPTION 'peer.validate_key differs from auth_keys.validate_key';
    END IF;
    IF EXISTS (SELECT FROM bench.sample s,
                      LATERAL (SELECT * FROM peer.validate_key_bcrypt(s.key)) p
                WHERE s.i <= current_setting('bench.nbcrypt')::integer AND p.status <> 'valid') THEN
        RAISE EXCEPTION 'peer.validate_key_bcrypt refuses a sampled key';
    END IF;
END $$;

VACUUM ANALYZE peer.keys;
VACUUM ANALYZE peer.tailnets;
