/* sql/auth_keys--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION auth_keys" to load this file. \quit

--
-- Everything below is schema-qualified, and every operator on a value the
-- extension does not define is spelt OPERATOR(pg_catalog.x), so that objects
-- planted in other schemas can capture nothing.  Functions that bypass
-- row-level security are SECURITY DEFINER with a pinned search_path, and
-- check permissions themselves; none of them is granted to PUBLIC.
--

--------------------------------------------------------------------------
-- Helpers used by constraints, policies and views (safe for anyone)
--------------------------------------------------------------------------

CREATE FUNCTION auth_keys.tag_is_valid(tag text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_tag_is_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION auth_keys.tags_are_valid(tags text[]) RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_tags_are_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION auth_keys.key_status(revoked_at timestamptz, used_up_at timestamptz,
                                     expires_at timestamptz) RETURNS text
    AS 'MODULE_PATHNAME', 'auth_keys_key_status'
    LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION auth_keys.key_uses_left(reusable boolean, max_uses integer, uses integer)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'auth_keys_key_uses_left'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- The actor, as row-level security sees it.  They read the member mapping,
-- which the caller may not, hence SECURITY DEFINER; each returns only what
-- concerns the caller.  PARALLEL RESTRICTED: the actor lives in the leader's
-- memory, not in parallel workers'.
CREATE FUNCTION auth_keys.actor_tailnet_id() RETURNS bigint
    AS 'MODULE_PATHNAME', 'auth_keys_actor_tailnet_id'
    LANGUAGE C STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION auth_keys.actor_login() RETURNS text
    AS 'MODULE_PATHNAME', 'auth_keys_actor_login'
    LANGUAGE C STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION auth_keys.actor_sees_all_keys() RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_actor_sees_all_keys'
    LANGUAGE C STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION auth_keys.actor_sees_all_nodes() RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_actor_sees_all_nodes'
    LANGUAGE C STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;

-- Row visibility, one definition for policies and views alike.  Written as
-- SQL-standard bodies, so they are bound at creation; simple expressions,
-- so the planner inlines them and "tailnet_id = actor_tailnet_id()" (a
-- stable function) can use the tailnet indexes.
CREATE FUNCTION auth_keys.tailnet_visible(tailnet_id bigint) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    RETURN tailnet_id OPERATOR(pg_catalog.=) auth_keys.actor_tailnet_id();

CREATE FUNCTION auth_keys.key_visible(tailnet_id bigint, created_by text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    RETURN tailnet_id OPERATOR(pg_catalog.=) auth_keys.actor_tailnet_id()
       AND (auth_keys.actor_sees_all_keys()
            OR created_by OPERATOR(pg_catalog.=) auth_keys.actor_login());

-- owners, admins, IT and network admins and auditors see every node;
-- other members their own
CREATE FUNCTION auth_keys.node_visible(tailnet_id bigint, user_login text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    RETURN tailnet_id OPERATOR(pg_catalog.=) auth_keys.actor_tailnet_id()
       AND (auth_keys.actor_sees_all_nodes()
            OR user_login OPERATOR(pg_catalog.=) auth_keys.actor_login());

CREATE FUNCTION auth_keys.node_status(authorized boolean, node_key_expires_at timestamptz)
    RETURNS text
    AS 'MODULE_PATHNAME', 'auth_keys_node_status'
    LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION auth_keys.keys_guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'auth_keys_keys_guard'
    LANGUAGE C;

--------------------------------------------------------------------------
-- Type nodekey
--------------------------------------------------------------------------

-- The nodekey type: a Curve25519 public key, written as "nodekey:" followed
-- by 64 hexadecimal digits and stored as 32 bytes.

CREATE TYPE auth_keys.nodekey;

CREATE FUNCTION auth_keys.nodekey_in(pg_catalog.cstring)
RETURNS auth_keys.nodekey
AS 'MODULE_PATHNAME', 'auth_keys_nodekey_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION auth_keys.nodekey_out(auth_keys.nodekey)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'auth_keys_nodekey_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION auth_keys.nodekey_recv(pg_catalog.internal)
RETURNS auth_keys.nodekey
AS 'MODULE_PATHNAME', 'auth_keys_nodekey_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION auth_keys.nodekey_send(auth_keys.nodekey)
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'auth_keys_nodekey_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE auth_keys.nodekey (
    INPUT = auth_keys.nodekey_in,
    OUTPUT = auth_keys.nodekey_out,
    RECEIVE = auth_keys.nodekey_recv,
    SEND = auth_keys.nodekey_send,
    INTERNALLENGTH = 32,
    ALIGNMENT = char,
    STORAGE = plain
);

COMMENT ON TYPE auth_keys.nodekey IS
    'Curve25519 public key, written as nodekey: followed by 64 hexadecimal digits';

-- Comparison functions.  They cannot fail and reveal nothing but their
-- result, so they are LEAKPROOF and can be used under row-level security.

CREATE FUNCTION auth_keys.nodekey_eq(auth_keys.nodekey, auth_keys.nodekey)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'auth_keys_nodekey_eq'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION auth_keys.nodekey_ne(auth_keys.nodekey, auth_keys.nodekey)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'auth_keys_nodekey_ne'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION auth_keys.nodekey_lt(auth_keys.nodekey, auth_keys.nodekey)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'auth_keys_nodekey_lt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION auth_keys.nodekey_le(auth_keys.nodekey, auth_keys.nodekey)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'auth_keys_nodekey_le'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION auth_keys.nodekey_gt(auth_keys.nodekey, auth_keys.nodekey)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'auth_keys_nodekey_gt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION auth_keys.nodekey_ge(auth_keys.nodekey, auth_keys.nodekey)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'auth_keys_nodekey_ge'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE FUNCTION auth_keys.nodekey_cmp(auth_keys.nodekey, auth_keys.nodekey)
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME', 'auth_keys_nodekey_cmp'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Hash support functions.

CREATE FUNCTION auth_keys.nodekey_hash(auth_keys.nodekey)
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME', 'auth_keys_nodekey_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION auth_keys.nodekey_hash_extended(auth_keys.nodekey, pg_catalog.int8)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'auth_keys_nodekey_hash_extended'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Operators.

CREATE OPERATOR auth_keys.= (
    LEFTARG = auth_keys.nodekey,
    RIGHTARG = auth_keys.nodekey,
    FUNCTION = auth_keys.nodekey_eq,
    COMMUTATOR = OPERATOR(auth_keys.=),
    NEGATOR = OPERATOR(auth_keys.<>),
    RESTRICT = pg_catalog.eqsel,
    JOIN = pg_catalog.eqjoinsel,
    HASHES,
    MERGES
);

CREATE OPERATOR auth_keys.<> (
    LEFTARG = auth_keys.nodekey,
    RIGHTARG = auth_keys.nodekey,
    FUNCTION = auth_keys.nodekey_ne,
    COMMUTATOR = OPERATOR(auth_keys.<>),
    NEGATOR = OPERATOR(auth_keys.=),
    RESTRICT = pg_catalog.neqsel,
    JOIN = pg_catalog.neqjoinsel
);

CREATE OPERATOR auth_keys.< (
    LEFTARG = auth_keys.nodekey,
    RIGHTARG = auth_keys.nodekey,
    FUNCTION = auth_keys.nodekey_lt,
    COMMUTATOR = OPERATOR(auth_keys.>),
    NEGATOR = OPERATOR(auth_keys.>=),
    RESTRICT = pg_catalog.scalarltsel,
    JOIN = pg_catalog.scalarltjoinsel
);

CREATE OPERATOR auth_keys.<= (
    LEFTARG = auth_keys.nodekey,
    RIGHTARG = auth_keys.nodekey,
    FUNCTION = auth_keys.nodekey_le,
    COMMUTATOR = OPERATOR(auth_keys.>=),
    NEGATOR = OPERATOR(auth_keys.>),
    RESTRICT = pg_catalog.scalarlesel,
    JOIN = pg_catalog.scalarlejoinsel
);

CREATE OPERATOR auth_keys.> (
    LEFTARG = auth_keys.nodekey,
    RIGHTARG = auth_keys.nodekey,
    FUNCTION = auth_keys.nodekey_gt,
    COMMUTATOR = OPERATOR(auth_keys.<),
    NEGATOR = OPERATOR(auth_keys.<=),
    RESTRICT = pg_catalog.scalargtsel,
    JOIN = pg_catalog.scalargtjoinsel
);

CREATE OPERATOR auth_keys.>= (
    LEFTARG = auth_keys.nodekey,
    RIGHTARG = auth_keys.nodekey,
    FUNCTION = auth_keys.nodekey_ge,
    COMMUTATOR = OPERATOR(auth_keys.<=),
    NEGATOR = OPERATOR(auth_keys.<),
    RESTRICT = pg_catalog.scalargesel,
    JOIN = pg_catalog.scalargejoinsel
);

-- Operator classes.  Equal keys have identical bytes, so btree
-- deduplication is safe (support function 4).

CREATE OPERATOR CLASS auth_keys.nodekey_ops
    DEFAULT FOR TYPE auth_keys.nodekey USING btree AS
        OPERATOR 1 auth_keys.< ,
        OPERATOR 2 auth_keys.<= ,
        OPERATOR 3 auth_keys.= ,
        OPERATOR 4 auth_keys.>= ,
        OPERATOR 5 auth_keys.> ,
        FUNCTION 1 auth_keys.nodekey_cmp(auth_keys.nodekey, auth_keys.nodekey),
        FUNCTION 4 pg_catalog.btequalimage(pg_catalog.oid);

CREATE OPERATOR CLASS auth_keys.nodekey_hash_ops
    DEFAULT FOR TYPE auth_keys.nodekey USING hash AS
        OPERATOR 1 auth_keys.= ,
        FUNCTION 1 auth_keys.nodekey_hash(auth_keys.nodekey),
        FUNCTION 2 auth_keys.nodekey_hash_extended(auth_keys.nodekey, pg_catalog.int8);

--------------------------------------------------------------------------
-- Tables
--------------------------------------------------------------------------

CREATE TABLE auth_keys.tailnets (
    tailnet_id      bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    device_approval boolean NOT NULL DEFAULT false,
    node_key_expiry interval NOT NULL DEFAULT '180 days',
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT tailnets_name_check
        CHECK (pg_catalog.octet_length(name) OPERATOR(pg_catalog.>=) 1
               AND pg_catalog.octet_length(name) OPERATOR(pg_catalog.<=) 100
               AND name OPERATOR(pg_catalog.!~) '[[:space:][:cntrl:]]'),
    CONSTRAINT tailnets_node_key_expiry_check
        CHECK (node_key_expiry OPERATOR(pg_catalog.>=) '1 day'::interval
               AND node_key_expiry OPERATOR(pg_catalog.<=) '180 days'::interval)
);

CREATE TABLE auth_keys.members (
    tailnet_id  bigint NOT NULL REFERENCES auth_keys.tailnets ON DELETE CASCADE,
    login       text NOT NULL,
    role        text NOT NULL,
    db_role     name UNIQUE,
    PRIMARY KEY (tailnet_id, login),
    CONSTRAINT members_login_check
        CHECK (pg_catalog.octet_length(login) OPERATOR(pg_catalog.>=) 1
               AND pg_catalog.octet_length(login) OPERATOR(pg_catalog.<=) 255
               AND login OPERATOR(pg_catalog.!~) '[[:space:][:cntrl:]]'
               AND login OPERATOR(pg_catalog.!~) '^(tag|autogroup|role):'),
    CONSTRAINT members_role_check
        CHECK (role OPERATOR(pg_catalog.=) ANY (ARRAY['owner', 'admin', 'it_admin',
               'network_admin', 'billing_admin', 'auditor', 'member']::text[]))
);

CREATE TABLE auth_keys.tag_owners (
    tailnet_id  bigint NOT NULL REFERENCES auth_keys.tailnets ON DELETE CASCADE,
    tag         text NOT NULL CHECK (auth_keys.tag_is_valid(tag)),
    owners      text[] NOT NULL,
    PRIMARY KEY (tailnet_id, tag)
);

CREATE TABLE auth_keys.keys (
    key_id          text PRIMARY KEY,
    tailnet_id      bigint NOT NULL REFERENCES auth_keys.tailnets ON DELETE CASCADE,
    created_by      text NOT NULL,
    description     text,
    reusable        boolean NOT NULL DEFAULT false,
    ephemeral       boolean NOT NULL DEFAULT false,
    preauthorized   boolean NOT NULL DEFAULT false,
    tags            text[] NOT NULL DEFAULT '{}',
    max_uses        integer,
    uses            integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_by      text,
    last_used_at    timestamptz,
    used_up_at      timestamptz,
    secret_hash     bytea NOT NULL,
    -- when the key stopped (or will stop) being valid: the sweep's index
    invalid_at      timestamptz GENERATED ALWAYS AS
                        (LEAST(revoked_at, used_up_at, expires_at)) STORED,
    CONSTRAINT keys_key_id_check
        CHECK (key_id OPERATOR(pg_catalog.~) '^[0-9A-Za-z]{12}$'),
    CONSTRAINT keys_description_check
        CHECK (pg_catalog.char_length(description) OPERATOR(pg_catalog.<=) 50),
    CONSTRAINT keys_tags_check CHECK (auth_keys.tags_are_valid(tags)),
    CONSTRAINT keys_max_uses_check
        CHECK (max_uses IS NULL OR (reusable AND max_uses OPERATOR(pg_catalog.>=) 1)),
    CONSTRAINT keys_uses_check
        CHECK (uses OPERATOR(pg_catalog.>=) 0
               AND uses OPERATOR(pg_catalog.<=) CASE WHEN NOT reusable THEN 1
                                                     ELSE COALESCE(max_uses, 2147483647) END),
    CONSTRAINT keys_used_up_check
        CHECK ((used_up_at IS NOT NULL) OPERATOR(pg_catalog.=)
               (uses OPERATOR(pg_catalog.>=) CASE WHEN NOT reusable THEN 1
                                                  ELSE COALESCE(max_uses, 2147483647) END)),
    CONSTRAINT keys_expiry_check
        CHECK ((expires_at OPERATOR(pg_catalog.-) created_at) OPERATOR(pg_catalog.>=) '1 day'::interval
               AND (expires_at OPERATOR(pg_catalog.-) created_at) OPERATOR(pg_catalog.<=) '90 days'::interval),
    CONSTRAINT keys_revoked_check
        CHECK ((revoked_at IS NULL) OPERATOR(pg_catalog.=) (revoked_by IS NULL)),
    CONSTRAINT keys_secret_hash_check
        CHECK (pg_catalog.length(secret_hash) OPERATOR(pg_catalog.=) 32)
);

CREATE INDEX keys_tailnet_idx ON auth_keys.keys (tailnet_id, created_by);
CREATE INDEX keys_invalid_at_idx ON auth_keys.keys (invalid_at);

CREATE TRIGGER keys_guard BEFORE UPDATE ON auth_keys.keys
    FOR EACH ROW EXECUTE FUNCTION auth_keys.keys_guard();

CREATE TABLE auth_keys.nodes (
    node_id             bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    tailnet_id          bigint NOT NULL REFERENCES auth_keys.tailnets ON DELETE CASCADE,
    node_key            auth_keys.nodekey NOT NULL UNIQUE,
    hostname            text NOT NULL,
    user_login          text,
    tags                text[] NOT NULL DEFAULT '{}',
    -- the key that enrolled the node last; no foreign key, since sweeps
    -- purge old keys while their nodes stay
    auth_key_id         text,
    ephemeral           boolean NOT NULL DEFAULT false,
    authorized          boolean NOT NULL,
    key_expiry_disabled boolean NOT NULL DEFAULT false,
    node_key_expires_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- no index may cover last_seen_at: node_seen relies on HOT updates
    last_seen_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT nodes_hostname_check
        CHECK (pg_catalog.char_length(hostname) OPERATOR(pg_catalog.>=) 1
               AND pg_catalog.char_length(hostname) OPERATOR(pg_catalog.<=) 255),
    CONSTRAINT nodes_tags_check CHECK (auth_keys.tags_are_valid(tags)),
    -- a node belongs to a user, or else takes the identity of its tags
    CONSTRAINT nodes_identity_check
        CHECK ((user_login IS NULL) OPERATOR(pg_catalog.=)
               (pg_catalog.cardinality(tags) OPERATOR(pg_catalog.>) 0)),
    CONSTRAINT nodes_key_expiry_check
        CHECK ((node_key_expires_at IS NULL) OPERATOR(pg_catalog.=) key_expiry_disabled)
) WITH (fillfactor = 85);

CREATE INDEX nodes_tailnet_idx ON auth_keys.nodes (tailnet_id, user_login);
CREATE INDEX nodes_ephemeral_idx ON auth_keys.nodes (tailnet_id) WHERE ephemeral;
-- the sweep's search for node keys that expired since the last sweep
CREATE INDEX nodes_key_expiry_idx ON auth_keys.nodes (node_key_expires_at);

CREATE TABLE auth_keys.events (
    event_id    bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    tailnet_id  bigint REFERENCES auth_keys.tailnets ON DELETE CASCADE,
    actor       text NOT NULL,
    action      text NOT NULL,
    key_id      text,
    node_id     bigint,
    detail      jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX events_tailnet_at_idx ON auth_keys.events (tailnet_id, at);

-- What the sweeps remember between runs: one row, made by the first sweep
-- (so that a restored dump never meets a second one made by CREATE
-- EXTENSION).  A sweep records the node keys that expired after
-- node_key_expiries_through and up to its own start, then moves it on.
CREATE TABLE auth_keys.sweep_state (
    singleton                   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    node_key_expiries_through   timestamptz NOT NULL DEFAULT '-infinity',
    swept_at                    timestamptz
);

-- pg_dump keeps the rows of every table and the state of every sequence.
SELECT pg_catalog.pg_extension_config_dump('auth_keys.tailnets', '');
SELECT pg_catalog.pg_extension_config_dump('auth_keys.tailnets_tailnet_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('auth_keys.members', '');
SELECT pg_catalog.pg_extension_config_dump('auth_keys.tag_owners', '');
SELECT pg_catalog.pg_extension_config_dump('auth_keys.keys', '');
SELECT pg_catalog.pg_extension_config_dump('auth_keys.nodes', '');
SELECT pg_catalog.pg_extension_config_dump('auth_keys.nodes_node_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('auth_keys.events', '');
SELECT pg_catalog.pg_extension_config_dump('auth_keys.events_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('auth_keys.sweep_state', '');

--------------------------------------------------------------------------
-- Row-level security: a tenant sees its own rows only
--------------------------------------------------------------------------

ALTER TABLE auth_keys.tailnets ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_keys.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_keys.tag_owners ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_keys.keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_keys.nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_keys.events ENABLE ROW LEVEL SECURITY;
-- no policy: only the sweep (as the extension's owner) reads it
ALTER TABLE auth_keys.sweep_state ENABLE ROW LEVEL SECURITY;

CREATE POLICY tailnet_rows ON auth_keys.tailnets
    USING (auth_keys.tailnet_visible(tailnet_id));
CREATE POLICY tailnet_rows ON auth_keys.members
    USING (auth_keys.tailnet_visible(tailnet_id));
CREATE POLICY tailnet_rows ON auth_keys.tag_owners
    USING (auth_keys.tailnet_visible(tailnet_id));
-- the audit trail is for owners, admins and auditors; other members see
-- what they did themselves
CREATE POLICY visible_events ON auth_keys.events
    USING (auth_keys.key_visible(tailnet_id, actor));
CREATE POLICY visible_nodes ON auth_keys.nodes
    USING (auth_keys.node_visible(tailnet_id, user_login));
-- members who are not owner, admin or auditor see only their own keys
CREATE POLICY visible_keys ON auth_keys.keys
    USING (auth_keys.key_visible(tailnet_id, created_by));

--------------------------------------------------------------------------
-- Views for members (the caller's rights and row-level security apply)
--------------------------------------------------------------------------

CREATE VIEW auth_keys.key_list WITH (security_invoker = true) AS
SELECT k.key_id, t.name AS tailnet, k.created_by, k.description,
       k.reusable, k.ephemeral, k.preauthorized, k.tags,
       k.max_uses, k.uses,
       auth_keys.key_uses_left(k.reusable, k.max_uses, k.uses) AS uses_left,
       k.created_at, k.expires_at, k.last_used_at,
       k.revoked_at, k.revoked_by,
       auth_keys.key_status(k.revoked_at, k.used_up_at, k.expires_at) AS status
  FROM auth_keys.keys k
  JOIN auth_keys.tailnets t ON t.tailnet_id OPERATOR(pg_catalog.=) k.tailnet_id
 WHERE auth_keys.key_visible(k.tailnet_id, k.created_by);

CREATE VIEW auth_keys.node_list WITH (security_invoker = true) AS
SELECT n.node_id, t.name AS tailnet, n.hostname, n.node_key, n.user_login, n.tags,
       n.auth_key_id, n.ephemeral, n.authorized, n.key_expiry_disabled,
       n.node_key_expires_at, n.created_at, n.last_seen_at,
       auth_keys.node_status(n.authorized, n.node_key_expires_at) AS status
  FROM auth_keys.nodes n
  JOIN auth_keys.tailnets t ON t.tailnet_id OPERATOR(pg_catalog.=) n.tailnet_id
 WHERE auth_keys.node_visible(n.tailnet_id, n.user_login);

CREATE FUNCTION auth_keys.invalid_key_retention() RETURNS interval
    AS 'MODULE_PATHNAME', 'auth_keys_invalid_key_retention'
    LANGUAGE C STABLE PARALLEL SAFE;

CREATE VIEW auth_keys.recent_invalid_keys WITH (security_invoker = true) AS
SELECT k.key_id, t.name AS tailnet, k.created_by, k.description,
       auth_keys.key_status(k.revoked_at, k.used_up_at, k.expires_at) AS status,
       k.invalid_at AS invalid_since,
       (k.invalid_at OPERATOR(pg_catalog.+) auth_keys.invalid_key_retention()) AS purge_after,
       k.revoked_by
  FROM auth_keys.keys k
  JOIN auth_keys.tailnets t ON t.tailnet_id OPERATOR(pg_catalog.=) k.tailnet_id
 WHERE auth_keys.key_visible(k.tailnet_id, k.created_by)
   AND k.invalid_at OPERATOR(pg_catalog.<=) pg_catalog.now()
   AND k.invalid_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) auth_keys.invalid_key_retention());

--------------------------------------------------------------------------
-- Operator tier
--------------------------------------------------------------------------

CREATE FUNCTION auth_keys.create_tailnet(name text, device_approval boolean DEFAULT false,
                                         node_key_expiry interval DEFAULT '180 days')
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'auth_keys_create_tailnet'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION auth_keys.set_member(tailnet text, login text, role text,
                                     db_role name DEFAULT NULL)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_set_member'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION auth_keys.remove_member(tailnet text, login text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_remove_member'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION auth_keys.set_tag_owners(tailnet text, tag text, owners text[])
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_set_tag_owners'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- also open to owners and admins of the tailnet, which it checks
CREATE FUNCTION auth_keys.configure_tailnet(tailnet text, device_approval boolean DEFAULT NULL,
                                            node_key_expiry interval DEFAULT NULL)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_configure_tailnet'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION auth_keys.act_as(tailnet text, login text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_act_as'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

--------------------------------------------------------------------------
-- Actor tier
--------------------------------------------------------------------------

CREATE FUNCTION auth_keys.create_key(reusable boolean DEFAULT false,
                                     ephemeral boolean DEFAULT false,
                                     preauthorized boolean DEFAULT false,
                                     tags text[] DEFAULT '{}',
                                     expiry interval DEFAULT '90 days',
                                     description text DEFAULT NULL,
                                     max_uses integer DEFAULT NULL)
    RETURNS TABLE (key_id text, key text, expires_at timestamptz)
    AS 'MODULE_PATHNAME', 'auth_keys_create_key'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    ROWS 1;

CREATE FUNCTION auth_keys.revoke_key(key_id text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_revoke_key'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION auth_keys.delete_node(node_id bigint)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_delete_node'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION auth_keys.approve_node(node_id bigint)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_approve_node'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION auth_keys.set_node_key_expiry(node_id bigint, disabled boolean)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_set_node_key_expiry'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION auth_keys.set_node_tags(node_id bigint, tags text[])
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_set_node_tags'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

--------------------------------------------------------------------------
-- Node-facing tier
--------------------------------------------------------------------------

CREATE FUNCTION auth_keys.validate_key(key text)
    RETURNS TABLE (key_id text, tailnet text, status text, reusable boolean,
                   ephemeral boolean, preauthorized boolean, tags text[],
                   expires_at timestamptz, uses_left integer)
    AS 'MODULE_PATHNAME', 'auth_keys_validate_key'
    LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    ROWS 1;

CREATE FUNCTION auth_keys.register_node(key text, node_key auth_keys.nodekey, hostname text)
    RETURNS TABLE (node_id bigint, tailnet text, user_login text, tags text[],
                   authorized boolean, ephemeral boolean, key_expiry_disabled boolean,
                   node_key_expires_at timestamptz, reauthenticated boolean)
    AS 'MODULE_PATHNAME', 'auth_keys_register_node'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    ROWS 1;

CREATE FUNCTION auth_keys.node_seen(node_key auth_keys.nodekey)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_node_seen'
    LANGUAGE C STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

--------------------------------------------------------------------------
-- Maintenance (operator tier)
--------------------------------------------------------------------------

CREATE FUNCTION auth_keys.sweep(batch_size integer DEFAULT 1000)
    RETURNS TABLE (keys_purged bigint, nodes_removed bigint, node_key_expiries bigint)
    AS 'MODULE_PATHNAME', 'auth_keys_sweep'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    ROWS 1;

CREATE FUNCTION auth_keys.schedule_sweep(schedule text DEFAULT '* * * * *')
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'auth_keys_schedule_sweep'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION auth_keys.unschedule_sweep()
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_unschedule_sweep'
    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

--------------------------------------------------------------------------
-- Privileges
--------------------------------------------------------------------------

REVOKE ALL ON ALL TABLES IN SCHEMA auth_keys FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA auth_keys FROM PUBLIC;

-- harmless helpers that policies, constraints and views call as the caller
GRANT EXECUTE ON FUNCTION
    auth_keys.tag_is_valid(text),
    auth_keys.tags_are_valid(text[]),
    auth_keys.key_status(timestamptz, timestamptz, timestamptz),
    auth_keys.key_uses_left(boolean, integer, integer),
    auth_keys.actor_tailnet_id(),
    auth_keys.actor_login(),
    auth_keys.actor_sees_all_keys(),
    auth_keys.actor_sees_all_nodes(),
    auth_keys.tailnet_visible(bigint),
    auth_keys.key_visible(bigint, text),
    auth_keys.node_visible(bigint, text),
    auth_keys.node_status(boolean, timestamptz),
    auth_keys.invalid_key_retention()
    TO PUBLIC;

-- The nodekey type's own functions: anyone who may see a node key may
-- compare it.
GRANT EXECUTE ON FUNCTION
    auth_keys.nodekey_in(pg_catalog.cstring),
    auth_keys.nodekey_out(auth_keys.nodekey),
    auth_keys.nodekey_recv(pg_catalog.internal),
    auth_keys.nodekey_send(auth_keys.nodekey),
    auth_keys.nodekey_eq(auth_keys.nodekey, auth_keys.nodekey),
    auth_keys.nodekey_ne(auth_keys.nodekey, auth_keys.nodekey),
    auth_keys.nodekey_lt(auth_keys.nodekey, auth_keys.nodekey),
    auth_keys.nodekey_le(auth_keys.nodekey, auth_keys.nodekey),
    auth_keys.nodekey_gt(auth_keys.nodekey, auth_keys.nodekey),
    auth_keys.nodekey_ge(auth_keys.nodekey, auth_keys.nodekey),
    auth_keys.nodekey_cmp(auth_keys.nodekey, auth_keys.nodekey),
    auth_keys.nodekey_hash(auth_keys.nodekey),
    auth_keys.nodekey_hash_extended(auth_keys.nodekey, pg_catalog.int8)
    TO PUBLIC;

-- The functions of each tier, in one place: grant_tier and revoke_tier use
-- it.  configure_tailnet is in two tiers: operators configure any tailnet,
-- owners and admins their own.
CREATE FUNCTION auth_keys.tier_functions(tier text) RETURNS SETOF regprocedure
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF tier = 'operator' THEN
        RETURN QUERY SELECT unnest(ARRAY[
            'auth_keys.create_tailnet(text, boolean, interval)',
            'auth_keys.set_member(text, text, text, name)',
            'auth_keys.remove_member(text, text)',
            'auth_keys.set_tag_owners(text, text, text[])',
            'auth_keys.configure_tailnet(text, boolean, interval)',
            'auth_keys.act_as(text, text)',
            'auth_keys.sweep(integer)',
            'auth_keys.schedule_sweep(text)',
            'auth_keys.unschedule_sweep()']::regprocedure[]);
    ELSIF tier = 'actor' THEN
        RETURN QUERY SELECT unnest(ARRAY[
            'auth_keys.create_key(boolean, boolean, boolean, text[], interval, text, integer)',
            'auth_keys.revoke_key(text)',
            'auth_keys.delete_node(bigint)',
            'auth_keys.approve_node(bigint)',
            'auth_keys.set_node_key_expiry(bigint, boolean)',
            'auth_keys.set_node_tags(bigint, text[])',
            'auth_keys.configure_tailnet(text, boolean, interval)']::regprocedure[]);
    ELSIF tier = 'node' THEN
        RETURN QUERY SELECT unnest(ARRAY[
            'auth_keys.validate_key(text)',
            'auth_keys.register_node(text, auth_keys.nodekey, text)',
            'auth_keys.node_seen(auth_keys.nodekey)']::regprocedure[]);
    ELSE
        RAISE EXCEPTION 'invalid tier "%"', tier
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The tiers are operator, actor and node.';
    END IF;
END;
$$;

-- The relations the operator and actor tiers read (the keys table apart:
-- every column of it but the secret's hash).
CREATE FUNCTION auth_keys.tier_relations() RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN 'auth_keys.tailnets, auth_keys.members, auth_keys.tag_owners, auth_keys.events, '
           'auth_keys.nodes, auth_keys.key_list, auth_keys.recent_invalid_keys, auth_keys.node_list';

CREATE FUNCTION auth_keys.grant_tier(tier text, grantee regrole) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fn regprocedure;
BEGIN
    FOR fn IN SELECT * FROM auth_keys.tier_functions(tier) LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', fn, grantee);
    END LOOP;
    EXECUTE format('GRANT USAGE ON SCHEMA auth_keys TO %s', grantee);
    IF tier IN ('operator', 'actor') THEN
        -- row-level security still limits the rows to the actor's tailnet
        EXECUTE format('GRANT SELECT ON %s TO %s', auth_keys.tier_relations(), grantee);
        EXECUTE format('GRANT SELECT (key_id, tailnet_id, created_by, description, reusable, '
                       'ephemeral, preauthorized, tags, max_uses, uses, created_at, expires_at, '
                       'revoked_at, revoked_by, last_used_at, used_up_at, invalid_at) '
                       'ON auth_keys.keys TO %s', grantee);
    END IF;
END;
$$;

-- Takes a tier away, and leaves what another tier the role still holds
-- grants: a role holds a tier when it may execute all of its functions.
CREATE FUNCTION auth_keys.revoke_tier(tier text, grantee regrole) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kept text[];
    fn regprocedure;
BEGIN
    SELECT COALESCE(array_agg(t), '{}') INTO kept
      FROM unnest(ARRAY['operator', 'actor', 'node']) AS t
     WHERE t <> tier
       AND NOT EXISTS (SELECT FROM auth_keys.tier_functions(t) AS f
                        WHERE NOT has_function_privilege(grantee::oid, f, 'EXECUTE'));
    FOR fn IN SELECT * FROM auth_keys.tier_functions(tier)
              EXCEPT
              SELECT f FROM unnest(kept) AS k, auth_keys.tier_functions(k) AS f LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM %s', fn, grantee);
    END LOOP;
    IF NOT kept && ARRAY['operator', 'actor'] THEN
        EXECUTE format('REVOKE SELECT ON %s, auth_keys.keys FROM %s',
                       auth_keys.tier_relations(), grantee);
    END IF;
    IF cardinality(kept) = 0 THEN
        EXECUTE format('REVOKE USAGE ON SCHEMA auth_keys FROM %s', grantee);
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION auth_keys.tier_functions(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_keys.tier_relations() FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_keys.grant_tier(text, regrole) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_keys.revoke_tier(text, regrole) FROM PUBLIC;
