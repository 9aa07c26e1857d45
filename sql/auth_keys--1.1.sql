/* sql/auth_keys--1.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION auth_keys" to load this file. \quit

--
-- Everything below is schema-qualified, and every operator on a value the
-- extension does not define is spelt OPERATOR(pg_catalog.x), so that objects
-- planted in other schemas can capture nothing.  Functions that bypass
-- row-level security are SECURITY DEFINER with a pinned search_path, and
-- check permissions themselves; none of them is granted to PUBLIC.
--
-- The script makes the nodekey type, the helpers of the tables' CHECK
-- constraints, the tables, row-level security, the views, then the
-- functions tier by tier; each helper stands beside what uses it.
-- Privileges are set in one section at the end rather than beside each
-- object as pg_cron does, because a REVOKE there of everything in the
-- schema reaches every object the script made, so that no function is
-- left to PUBLIC by a REVOKE forgotten beside it, and the GRANTs that
-- follow it list all that PUBLIC may use.
--

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
COMMENT ON FUNCTION auth_keys.nodekey_in(cstring) IS
    'Input function of type nodekey: "nodekey:" and 64 hexadecimal digits, in either case.';

CREATE FUNCTION auth_keys.nodekey_out(auth_keys.nodekey)
    RETURNS pg_catalog.cstring
    AS 'MODULE_PATHNAME', 'auth_keys_nodekey_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.nodekey_out(auth_keys.nodekey) IS
    'Output function of type nodekey: "nodekey:" and 64 lower-case hexadecimal digits.';

CREATE FUNCTION auth_keys.nodekey_recv(pg_catalog.internal)
    RETURNS auth_keys.nodekey
    AS 'MODULE_PATHNAME', 'auth_keys_nodekey_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.nodekey_recv(internal) IS
    'Binary input function of type nodekey: exactly 32 bytes.';

CREATE FUNCTION auth_keys.nodekey_send(auth_keys.nodekey)
    RETURNS pg_catalog.bytea
    AS 'MODULE_PATHNAME', 'auth_keys_nodekey_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.nodekey_send(auth_keys.nodekey) IS
    'Binary output function of type nodekey: the 32 bytes.';

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
    'Curve25519 public key of a node: "nodekey:" followed by 64 hexadecimal digits (either case in, lower case out), stored as 32 bytes.';

-- Comparison functions.  They cannot fail and reveal nothing but their
-- result, so they are LEAKPROOF and can be used under row-level security.
CREATE FUNCTION auth_keys.nodekey_eq(auth_keys.nodekey, auth_keys.nodekey)
    RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'auth_keys_nodekey_eq'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION auth_keys.nodekey_eq(auth_keys.nodekey, auth_keys.nodekey) IS
    'Whether the first node key is equal to the second, comparing their bytes.';

CREATE FUNCTION auth_keys.nodekey_ne(auth_keys.nodekey, auth_keys.nodekey)
    RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'auth_keys_nodekey_ne'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION auth_keys.nodekey_ne(auth_keys.nodekey, auth_keys.nodekey) IS
    'Whether the first node key is not equal to the second, comparing their bytes.';

CREATE FUNCTION auth_keys.nodekey_lt(auth_keys.nodekey, auth_keys.nodekey)
    RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'auth_keys_nodekey_lt'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION auth_keys.nodekey_lt(auth_keys.nodekey, auth_keys.nodekey) IS
    'Whether the first node key is less than the second, comparing their bytes.';

CREATE FUNCTION auth_keys.nodekey_le(auth_keys.nodekey, auth_keys.nodekey)
    RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'auth_keys_nodekey_le'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION auth_keys.nodekey_le(auth_keys.nodekey, auth_keys.nodekey) IS
    'Whether the first node key is less than or equal to the second, comparing their bytes.';

CREATE FUNCTION auth_keys.nodekey_gt(auth_keys.nodekey, auth_keys.nodekey)
    RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'auth_keys_nodekey_gt'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION auth_keys.nodekey_gt(auth_keys.nodekey, auth_keys.nodekey) IS
    'Whether the first node key is greater than the second, comparing their bytes.';

CREATE FUNCTION auth_keys.nodekey_ge(auth_keys.nodekey, auth_keys.nodekey)
    RETURNS pg_catalog.bool
    AS 'MODULE_PATHNAME', 'auth_keys_nodekey_ge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION auth_keys.nodekey_ge(auth_keys.nodekey, auth_keys.nodekey) IS
    'Whether the first node key is greater than or equal to the second, comparing their bytes.';

CREATE FUNCTION auth_keys.nodekey_cmp(auth_keys.nodekey, auth_keys.nodekey)
    RETURNS pg_catalog.int4
    AS 'MODULE_PATHNAME', 'auth_keys_nodekey_cmp'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION auth_keys.nodekey_cmp(auth_keys.nodekey, auth_keys.nodekey) IS
    'B-tree comparison of two node keys by their bytes: -1, 0 or 1.';

-- Hash support functions, for hash indexes, hash joins and hash
-- partitioning.
CREATE FUNCTION auth_keys.nodekey_hash(auth_keys.nodekey)
    RETURNS pg_catalog.int4
    AS 'MODULE_PATHNAME', 'auth_keys_nodekey_hash'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.nodekey_hash(auth_keys.nodekey) IS
    'Hash of a node key, for hash indexes and hash joins.';

CREATE FUNCTION auth_keys.nodekey_hash_extended(auth_keys.nodekey, pg_catalog.int8)
    RETURNS pg_catalog.int8
    AS 'MODULE_PATHNAME', 'auth_keys_nodekey_hash_extended'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.nodekey_hash_extended(auth_keys.nodekey, int8) IS
    'Seeded 64-bit hash of a node key, for hash partitioning.';

-- The operators, with their commutators and negators, so that the planner
-- can turn and negate comparisons of node keys.
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
COMMENT ON OPERATOR auth_keys.= (auth_keys.nodekey, auth_keys.nodekey) IS 'node keys are equal';

CREATE OPERATOR auth_keys.<> (
    LEFTARG = auth_keys.nodekey,
    RIGHTARG = auth_keys.nodekey,
    FUNCTION = auth_keys.nodekey_ne,
    COMMUTATOR = OPERATOR(auth_keys.<>),
    NEGATOR = OPERATOR(auth_keys.=),
    RESTRICT = pg_catalog.neqsel,
    JOIN = pg_catalog.neqjoinsel
);
COMMENT ON OPERATOR auth_keys.<> (auth_keys.nodekey, auth_keys.nodekey) IS 'node keys are not equal';

CREATE OPERATOR auth_keys.< (
    LEFTARG = auth_keys.nodekey,
    RIGHTARG = auth_keys.nodekey,
    FUNCTION = auth_keys.nodekey_lt,
    COMMUTATOR = OPERATOR(auth_keys.>),
    NEGATOR = OPERATOR(auth_keys.>=),
    RESTRICT = pg_catalog.scalarltsel,
    JOIN = pg_catalog.scalarltjoinsel
);
COMMENT ON OPERATOR auth_keys.< (auth_keys.nodekey, auth_keys.nodekey) IS 'node key sorts before';

CREATE OPERATOR auth_keys.<= (
    LEFTARG = auth_keys.nodekey,
    RIGHTARG = auth_keys.nodekey,
    FUNCTION = auth_keys.nodekey_le,
    COMMUTATOR = OPERATOR(auth_keys.>=),
    NEGATOR = OPERATOR(auth_keys.>),
    RESTRICT = pg_catalog.scalarlesel,
    JOIN = pg_catalog.scalarlejoinsel
);
COMMENT ON OPERATOR auth_keys.<= (auth_keys.nodekey, auth_keys.nodekey) IS 'node key sorts before or equals';

CREATE OPERATOR auth_keys.> (
    LEFTARG = auth_keys.nodekey,
    RIGHTARG = auth_keys.nodekey,
    FUNCTION = auth_keys.nodekey_gt,
    COMMUTATOR = OPERATOR(auth_keys.<),
    NEGATOR = OPERATOR(auth_keys.<=),
    RESTRICT = pg_catalog.scalargtsel,
    JOIN = pg_catalog.scalargtjoinsel
);
COMMENT ON OPERATOR auth_keys.> (auth_keys.nodekey, auth_keys.nodekey) IS 'node key sorts after';

CREATE OPERATOR auth_keys.>= (
    LEFTARG = auth_keys.nodekey,
    RIGHTARG = auth_keys.nodekey,
    FUNCTION = auth_keys.nodekey_ge,
    COMMUTATOR = OPERATOR(auth_keys.<=),
    NEGATOR = OPERATOR(auth_keys.<),
    RESTRICT = pg_catalog.scalargesel,
    JOIN = pg_catalog.scalargejoinsel
);
COMMENT ON OPERATOR auth_keys.>= (auth_keys.nodekey, auth_keys.nodekey) IS 'node key sorts after or equals';

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
COMMENT ON OPERATOR CLASS auth_keys.nodekey_ops USING btree IS
    'B-tree operator class of type nodekey: byte order, deduplication safe.';

CREATE OPERATOR CLASS auth_keys.nodekey_hash_ops
    DEFAULT FOR TYPE auth_keys.nodekey USING hash AS
        OPERATOR 1 auth_keys.= ,
        FUNCTION 1 auth_keys.nodekey_hash(auth_keys.nodekey),
        FUNCTION 2 auth_keys.nodekey_hash_extended(auth_keys.nodekey, pg_catalog.int8);
COMMENT ON OPERATOR CLASS auth_keys.nodekey_hash_ops USING hash IS
    'Hash operator class of type nodekey.';

--------------------------------------------------------------------------
-- Rules of names and tags, for the CHECK constraints of the tables
--------------------------------------------------------------------------

-- Written in C, so that a name is judged as Unicode code points whatever
-- the database encoding.

CREATE FUNCTION auth_keys.tag_is_valid(tag text)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_tag_is_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.tag_is_valid(text) IS
    'Whether a text is a well-formed tag: "tag:", a lower-case letter, then up to 62 lower-case letters, digits or dashes.';

CREATE FUNCTION auth_keys.tags_are_valid(tags text[])
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_tags_are_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.tags_are_valid(text[]) IS
    'Whether every element of an array is a well-formed tag, with no NULL among them (the CHECK constraints of keys and nodes).';

CREATE FUNCTION auth_keys.tailnet_name_is_valid(name text)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_tailnet_name_is_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.tailnet_name_is_valid(text) IS
    'Whether a text is a valid tailnet name: 1 to 100 bytes, no space, control or invisible character (judged as Unicode code points in every encoding).';

CREATE FUNCTION auth_keys.login_is_valid(login text)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_login_is_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.login_is_valid(text) IS
    'Whether a text is a valid login: 1 to 255 bytes, no space, control or invisible character (judged as Unicode code points in every encoding), not starting with tag:, autogroup: or role:.';

CREATE FUNCTION auth_keys.hostname_is_valid(hostname text)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_hostname_is_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.hostname_is_valid(text) IS
    'Whether a text is a valid hostname: 1 to 255 characters, no control character (judged as Unicode code points in every encoding).';

--------------------------------------------------------------------------
-- Tables
--------------------------------------------------------------------------

-- Each table comes with its indexes, its triggers and their function, and
-- the call that makes pg_dump keep its rows (pg_dump keeps the rows of
-- every table and the state of every sequence); a table comes after those
-- it references.

CREATE TABLE auth_keys.tailnets (
    tailnet_id      bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    device_approval boolean NOT NULL DEFAULT false,
    node_key_expiry interval NOT NULL DEFAULT '180 days',
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT tailnets_name_check CHECK (auth_keys.tailnet_name_is_valid(name)),
    CONSTRAINT tailnets_node_key_expiry_check
        CHECK (node_key_expiry OPERATOR(pg_catalog.>=) '1 day'::interval
               AND node_key_expiry OPERATOR(pg_catalog.<=) '180 days'::interval)
);
COMMENT ON TABLE auth_keys.tailnets IS
    'Tenants: one private network each, with its own members, tags, keys and nodes.';
COMMENT ON COLUMN auth_keys.tailnets.tailnet_id IS 'Identifier of the tailnet.';
COMMENT ON COLUMN auth_keys.tailnets.name IS 'Unique name, 1 to 100 bytes, without spaces, control or invisible characters.';
COMMENT ON COLUMN auth_keys.tailnets.device_approval IS 'Whether nodes enrolled by keys that are not pre-approved wait for approval.';
COMMENT ON COLUMN auth_keys.tailnets.node_key_expiry IS 'How long a node key stays valid after enrolment, 1 to 180 days.';
COMMENT ON COLUMN auth_keys.tailnets.created_at IS 'When the tailnet was created.';

SELECT pg_catalog.pg_extension_config_dump('auth_keys.tailnets', '');
SELECT pg_catalog.pg_extension_config_dump('auth_keys.tailnets_tailnet_id_seq', '');

CREATE TABLE auth_keys.members (
    tailnet_id  bigint NOT NULL REFERENCES auth_keys.tailnets ON DELETE CASCADE,
    login       text NOT NULL,
    role        text NOT NULL,
    -- The role itself (its OID), not its name: a role dropped and created
    -- again under the same name is not this member.
    db_role     regrole UNIQUE,
    PRIMARY KEY (tailnet_id, login),
    CONSTRAINT members_login_check CHECK (auth_keys.login_is_valid(login)),
    CONSTRAINT members_role_check
        CHECK (role OPERATOR(pg_catalog.=) ANY (ARRAY['owner', 'admin', 'it_admin',
               'network_admin', 'billing_admin', 'auditor', 'member']::text[]))
);
COMMENT ON TABLE auth_keys.members IS
    'People of a tailnet, by login, each with one role and optionally a database role that acts as them.';
COMMENT ON COLUMN auth_keys.members.tailnet_id IS 'The member''s tailnet.';
COMMENT ON COLUMN auth_keys.members.login IS 'The member''s login, 1 to 255 bytes, without spaces, control or invisible characters, not starting with tag:, autogroup:, role: or client:.';
COMMENT ON COLUMN auth_keys.members.role IS 'owner, admin, it_admin, network_admin, billing_admin, auditor or member.';
COMMENT ON COLUMN auth_keys.members.db_role IS 'The database role (by OID) that acts as this member when no act_as is in force.';

SELECT pg_catalog.pg_extension_config_dump('auth_keys.members', '');

CREATE TABLE auth_keys.tag_owners (
    tailnet_id  bigint NOT NULL REFERENCES auth_keys.tailnets ON DELETE CASCADE,
    tag         text NOT NULL CHECK (auth_keys.tag_is_valid(tag)),
    owners      text[] NOT NULL,
    PRIMARY KEY (tailnet_id, tag)
);
COMMENT ON TABLE auth_keys.tag_owners IS
    'Tags defined in a tailnet, with who may apply them.';
COMMENT ON COLUMN auth_keys.tag_owners.tailnet_id IS 'The tag''s tailnet.';
COMMENT ON COLUMN auth_keys.tag_owners.tag IS 'The tag: "tag:" followed by lower-case letters, digits and dashes.';
COMMENT ON COLUMN auth_keys.tag_owners.owners IS 'Who may apply the tag: member logins, autogroup:admin, or other tags.';

SELECT pg_catalog.pg_extension_config_dump('auth_keys.tag_owners', '');

-- An OAuth client: a credential of its tailnet, not of a person.  Its
-- secret is kept as a SHA-256 only, readable by no tier.  There are no
-- CHECK constraints: a violated one would print the row, hash included
-- (see keys_guard); the functions that write the rows hold the rules.
-- The clients come before the keys, which name the client that minted
-- them.
CREATE TABLE auth_keys.oauth_clients (
    client_id       text PRIMARY KEY,
    tailnet_id      bigint NOT NULL REFERENCES auth_keys.tailnets ON DELETE CASCADE,
    description     text,
    scopes          text[] NOT NULL,
    tags            text[] NOT NULL DEFAULT '{}',
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- When the client last got an access token, kept when it is revoked;
    -- until then oauth_client_list reads it from the tokens.
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    revoked_by      text,
    secret_hash     bytea NOT NULL,
    CONSTRAINT oauth_clients_tailnet_client_key UNIQUE (tailnet_id, client_id)
);
COMMENT ON TABLE auth_keys.oauth_clients IS
    'OAuth clients: credentials of a tailnet (not of a person) that get access tokens to mint tagged keys; the SHA-256 of the secret, never the secret.';
COMMENT ON COLUMN auth_keys.oauth_clients.client_id IS 'The client id: 12 base62 characters, the part of the secret shown in lists.';
COMMENT ON COLUMN auth_keys.oauth_clients.tailnet_id IS 'The client''s tailnet.';
COMMENT ON COLUMN auth_keys.oauth_clients.description IS 'Free text, at most 50 characters.';
COMMENT ON COLUMN auth_keys.oauth_clients.scopes IS 'What the client''s tokens may allow: auth_keys, auth_keys:read, devices:core, devices:core:read; sorted.';
COMMENT ON COLUMN auth_keys.oauth_clients.tags IS 'The client''s tags, sorted: its keys carry them or tags they own; required with auth_keys and devices:core.';
COMMENT ON COLUMN auth_keys.oauth_clients.created_by IS 'Login of the member who created the client.';
COMMENT ON COLUMN auth_keys.oauth_clients.created_at IS 'When the client was created.';
COMMENT ON COLUMN auth_keys.oauth_clients.last_used_at IS 'When the client last got an access token, as recorded at its revocation (until then the tokens tell).';
COMMENT ON COLUMN auth_keys.oauth_clients.revoked_at IS 'When the client was revoked, or NULL; its tokens end then.';
COMMENT ON COLUMN auth_keys.oauth_clients.revoked_by IS 'Who revoked the client, or NULL.';
COMMENT ON COLUMN auth_keys.oauth_clients.secret_hash IS 'SHA-256 of the secret; readable by the extension''s own functions only.';

SELECT pg_catalog.pg_extension_config_dump('auth_keys.oauth_clients', '');

-- Access tokens from oauth_token: the SHA-256 of the secret part, and what
-- the token allows (the client's scopes and tags, or fewer).  Deleted when
-- their client is revoked; expired ones when the client gets its next.
CREATE TABLE auth_keys.oauth_tokens (
    token_id    text PRIMARY KEY,
    tailnet_id  bigint NOT NULL,
    client_id   text NOT NULL,
    scopes      text[] NOT NULL,
    tags        text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at  timestamptz NOT NULL,
    token_hash  bytea NOT NULL,
    CONSTRAINT oauth_tokens_client_fkey FOREIGN KEY (tailnet_id, client_id)
        REFERENCES auth_keys.oauth_clients (tailnet_id, client_id) ON DELETE CASCADE
);
COMMENT ON TABLE auth_keys.oauth_tokens IS
    'OAuth access tokens (one hour at most): the token id and the SHA-256 of the secret, never the token; only the extension reads them.';
COMMENT ON COLUMN auth_keys.oauth_tokens.token_id IS 'The token id: 12 base62 characters, the lookup selector (never shown).';
COMMENT ON COLUMN auth_keys.oauth_tokens.tailnet_id IS 'The tailnet of the token''s client.';
COMMENT ON COLUMN auth_keys.oauth_tokens.client_id IS 'The client the token was granted to.';
COMMENT ON COLUMN auth_keys.oauth_tokens.scopes IS 'The token''s scopes: the client''s, or fewer.';
COMMENT ON COLUMN auth_keys.oauth_tokens.tags IS 'The token''s tags: the client''s, or fewer.';
COMMENT ON COLUMN auth_keys.oauth_tokens.created_at IS 'When the token was granted.';
COMMENT ON COLUMN auth_keys.oauth_tokens.expires_at IS 'When the token expires: auth_keys.oauth_token_lifetime (one hour at most) after its grant.';
COMMENT ON COLUMN auth_keys.oauth_tokens.token_hash IS 'SHA-256 of the secret part of the token; readable by the extension''s own functions only.';

CREATE INDEX oauth_tokens_client_idx ON auth_keys.oauth_tokens (client_id, expires_at);

SELECT pg_catalog.pg_extension_config_dump('auth_keys.oauth_tokens', '');

CREATE TABLE auth_keys.keys (
    key_id          text PRIMARY KEY,
    tailnet_id      bigint NOT NULL REFERENCES auth_keys.tailnets ON DELETE CASCADE,
    -- NULL for a key that an OAuth client minted (see oauth_client_id).
    created_by      text,
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
    -- When the key stopped (or will stop) being valid, which the sweep
    -- finds keys to purge by.
    invalid_at      timestamptz GENERATED ALWAYS AS
                        (LEAST(revoked_at, used_up_at, expires_at)) STORED,
    -- The OAuth client that minted the key, which then belongs to the
    -- tailnet rather than to a member; the client is one of the key's own
    -- tailnet, hence the foreign key on both columns.
    oauth_client_id text,
    CONSTRAINT keys_oauth_client_fkey FOREIGN KEY (tailnet_id, oauth_client_id)
        REFERENCES auth_keys.oauth_clients (tailnet_id, client_id) ON DELETE CASCADE
);
COMMENT ON TABLE auth_keys.keys IS
    'Authentication keys (pre-authentication keys): the key id and the SHA-256 of the secret, never the secret.';
COMMENT ON COLUMN auth_keys.keys.key_id IS 'The key id: 12 base62 characters, the part of the key shown in lists.';
COMMENT ON COLUMN auth_keys.keys.tailnet_id IS 'The key''s tailnet.';
COMMENT ON COLUMN auth_keys.keys.created_by IS 'Login of the member who generated the key, or NULL for a key an OAuth client minted (oauth_client_id); nodes it enrols belong to them unless the key has tags.';
COMMENT ON COLUMN auth_keys.keys.description IS 'Free text, at most 50 characters.';
COMMENT ON COLUMN auth_keys.keys.reusable IS 'Whether the key enrols more than one node.';
COMMENT ON COLUMN auth_keys.keys.ephemeral IS 'Whether nodes it enrols are removed after a period offline.';
COMMENT ON COLUMN auth_keys.keys.preauthorized IS 'Whether nodes it enrols need no device approval.';
COMMENT ON COLUMN auth_keys.keys.tags IS 'Tags that nodes enrolled with the key take, sorted, without duplicates.';
COMMENT ON COLUMN auth_keys.keys.max_uses IS 'Use limit of a reusable key, or NULL for none.';
COMMENT ON COLUMN auth_keys.keys.uses IS 'How many registrations have spent the key.';
COMMENT ON COLUMN auth_keys.keys.created_at IS 'When the key was generated.';
COMMENT ON COLUMN auth_keys.keys.expires_at IS 'When the key expires: 1 to 90 days after its creation.';
COMMENT ON COLUMN auth_keys.keys.revoked_at IS 'When the key was revoked, or NULL.';
COMMENT ON COLUMN auth_keys.keys.revoked_by IS 'Who revoked the key, or NULL.';
COMMENT ON COLUMN auth_keys.keys.last_used_at IS 'When a registration last spent the key.';
COMMENT ON COLUMN auth_keys.keys.used_up_at IS 'When the key reached its use limit, or NULL.';
COMMENT ON COLUMN auth_keys.keys.secret_hash IS 'SHA-256 of the secret; readable by the extension''s own functions only.';
COMMENT ON COLUMN auth_keys.keys.invalid_at IS 'When the key stopped (or will stop) being valid: the earliest of revocation, use-up and expiry.';
COMMENT ON COLUMN auth_keys.keys.oauth_client_id IS 'The OAuth client that minted the key (created_by is then NULL), or NULL for a key a member generated.';

CREATE INDEX keys_tailnet_idx ON auth_keys.keys (tailnet_id, created_by);
CREATE INDEX keys_invalid_at_idx ON auth_keys.keys (invalid_at);
CREATE INDEX keys_oauth_client_idx ON auth_keys.keys (oauth_client_id)
    WHERE oauth_client_id IS NOT NULL;

CREATE FUNCTION auth_keys.keys_guard()
    RETURNS trigger
    AS 'MODULE_PATHNAME', 'auth_keys_keys_guard'
    LANGUAGE C;
COMMENT ON FUNCTION auth_keys.keys_guard() IS
    'Trigger function of auth_keys.keys: every row keeps the rules of a key, an UPDATE changes only description, revocation and use, a direct INSERT is a new key; changes the extension did not make are recorded as events.';

-- The rules of a key live in this trigger, not in CHECK constraints: its
-- messages say which rule a change broke without printing the row, whose
-- hash a constraint's "Failing row contains" would show (key_guard.c).
CREATE TRIGGER keys_guard BEFORE INSERT OR UPDATE OR DELETE ON auth_keys.keys
    FOR EACH ROW EXECUTE FUNCTION auth_keys.keys_guard();
COMMENT ON TRIGGER keys_guard ON auth_keys.keys IS
    'The rules of a key, for every writer: required columns set; key id of 12 letters and digits; description of at most 50 characters; well-formed tags, each once; max_uses only on a reusable key, at least 1; uses from 0 to the limit (1 for a one-off key), used_up_at set exactly at the limit; expiry 1 to 90 days after creation; revoked_at and revoked_by together; a 32-byte hash.  An UPDATE changes only description, revocation, uses (upwards) and the times of use; revoking and using up are one-way.  A direct INSERT is a new key (created now, unused, by a member who may generate keys, with tags they may apply); COPY restores keys as dumped.  Direct changes are recorded as events.';

CREATE TRIGGER keys_guard_truncate BEFORE TRUNCATE ON auth_keys.keys
    FOR EACH STATEMENT EXECUTE FUNCTION auth_keys.keys_guard();
COMMENT ON TRIGGER keys_guard_truncate ON auth_keys.keys IS
    'Records a direct TRUNCATE of the keys as an event.';

SELECT pg_catalog.pg_extension_config_dump('auth_keys.keys', '');

-- The uses of reusable keys without a limit, which registrations count
-- here rather than in the key's row, so that a fleet enrolling at once
-- with one key never queues on that row: one row per key and server
-- process (a process runs one registration at a time).  The sweep adds
-- them to keys.uses and keys.last_used_at; key_list adds them at once.
-- A registration holds the key's row FOR SHARE instead (key_store.c).
CREATE TABLE auth_keys.key_use_counts (
    key_id          text NOT NULL REFERENCES auth_keys.keys ON DELETE CASCADE,
    process         integer NOT NULL,
    uses            integer NOT NULL,
    last_used_at    timestamptz NOT NULL,
    PRIMARY KEY (key_id, process)
);
COMMENT ON TABLE auth_keys.key_use_counts IS
    'Uses of reusable keys without a limit not yet added to keys.uses: one row per key and server process that spent it; the sweep adds them up, and key_list includes them.';
COMMENT ON COLUMN auth_keys.key_use_counts.key_id IS 'The key.';
COMMENT ON COLUMN auth_keys.key_use_counts.process IS 'The server process that counted the uses (its number among the server''s processes, not its PID).';
COMMENT ON COLUMN auth_keys.key_use_counts.uses IS 'Registrations that spent the key in that process since the last sweep.';
COMMENT ON COLUMN auth_keys.key_use_counts.last_used_at IS 'The last of them.';

SELECT pg_catalog.pg_extension_config_dump('auth_keys.key_use_counts', '');

CREATE TABLE auth_keys.nodes (
    node_id             bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    tailnet_id          bigint NOT NULL REFERENCES auth_keys.tailnets ON DELETE CASCADE,
    node_key            auth_keys.nodekey NOT NULL UNIQUE,
    hostname            text NOT NULL,
    user_login          text,
    tags                text[] NOT NULL DEFAULT '{}',
    -- The key that enrolled the node last.  There is no foreign key, since
    -- sweeps purge old keys while their nodes stay.
    auth_key_id         text,
    ephemeral           boolean NOT NULL DEFAULT false,
    authorized          boolean NOT NULL,
    key_expiry_disabled boolean NOT NULL DEFAULT false,
    node_key_expires_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- No index may cover last_seen_at, since heartbeats rely on HOT updates.
    last_seen_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
) WITH (fillfactor = 85);
COMMENT ON TABLE auth_keys.nodes IS
    'Enrolled devices, each identified by its node key.';
COMMENT ON COLUMN auth_keys.nodes.node_id IS 'Identifier of the node.';
COMMENT ON COLUMN auth_keys.nodes.tailnet_id IS 'The node''s tailnet.';
COMMENT ON COLUMN auth_keys.nodes.node_key IS 'The node''s Curve25519 public key, unique across tailnets.';
COMMENT ON COLUMN auth_keys.nodes.hostname IS 'Host name the node gave, 1 to 255 characters, without control characters.';
COMMENT ON COLUMN auth_keys.nodes.user_login IS 'The member the node belongs to, or NULL when it takes the identity of its tags.';
COMMENT ON COLUMN auth_keys.nodes.tags IS 'The node''s tags.';
COMMENT ON COLUMN auth_keys.nodes.auth_key_id IS 'The key that enrolled or last re-authenticated the node (no foreign key: sweeps purge old keys).';
COMMENT ON COLUMN auth_keys.nodes.ephemeral IS 'Whether the node is removed after auth_keys.ephemeral_inactivity_timeout without a heartbeat.';
COMMENT ON COLUMN auth_keys.nodes.authorized IS 'Whether the node is authorized (false while it waits for device approval).';
COMMENT ON COLUMN auth_keys.nodes.key_expiry_disabled IS 'Whether the node key never expires.';
COMMENT ON COLUMN auth_keys.nodes.node_key_expires_at IS 'When the node key expires; NULL exactly when key expiry is disabled.';
COMMENT ON COLUMN auth_keys.nodes.created_at IS 'When the node was enrolled.';
COMMENT ON COLUMN auth_keys.nodes.last_seen_at IS 'The node''s last heartbeat or registration.';

-- A tailnet's nodes are read by node_list, and a member's by row-level
-- security; the sweep walks through the ephemeral nodes in node_id order,
-- and looks for the node keys that expired since the last sweep in
-- (expiry, node_id) order, a batch at a time.
CREATE INDEX nodes_tailnet_idx ON auth_keys.nodes (tailnet_id, user_login);
CREATE INDEX nodes_ephemeral_idx ON auth_keys.nodes (node_id) WHERE ephemeral;
CREATE INDEX nodes_key_expiry_idx ON auth_keys.nodes (node_key_expires_at, node_id);

CREATE FUNCTION auth_keys.nodes_guard()
    RETURNS trigger
    AS 'MODULE_PATHNAME', 'auth_keys_nodes_guard'
    LANGUAGE C;
COMMENT ON FUNCTION auth_keys.nodes_guard() IS
    'Trigger function of auth_keys.nodes: every row keeps the rules of a node; changes the extension did not make are recorded as events naming the database role.';

-- The rules of a node, for every writer, live in this trigger rather than
-- in CHECK constraints, which PostgreSQL prepares again from their text in
-- every statement that writes the table (node_guard.c).  Changes the
-- extension did not make leave an event.
CREATE TRIGGER nodes_guard BEFORE INSERT OR UPDATE OR DELETE ON auth_keys.nodes
    FOR EACH ROW EXECUTE FUNCTION auth_keys.nodes_guard();
COMMENT ON TRIGGER nodes_guard ON auth_keys.nodes IS
    'The rules of a node, for every writer: a hostname of 1 to 255 characters without control characters; well-formed tags, each once; a user (user_login) or else tags, never both; node_key_expires_at NULL exactly when key expiry is disabled.  Records each INSERT, UPDATE and DELETE of a node that the extension''s functions did not make (COPY apart) as an event naming the database role.';

CREATE TRIGGER nodes_guard_truncate BEFORE TRUNCATE ON auth_keys.nodes
    FOR EACH STATEMENT EXECUTE FUNCTION auth_keys.nodes_guard();
COMMENT ON TRIGGER nodes_guard_truncate ON auth_keys.nodes IS
    'Records a direct TRUNCATE of the nodes as an event.';

SELECT pg_catalog.pg_extension_config_dump('auth_keys.nodes', '');
SELECT pg_catalog.pg_extension_config_dump('auth_keys.nodes_node_id_seq', '');

-- One row per tailnet with Tailnet Lock on: made by its genesis AUM,
-- deleted (with the log, the trusted keys and the signatures) when the
-- lock is disabled.  The log and the trusted keys reference it, so that
-- deleting it takes them along.
CREATE TABLE auth_keys.lock_authorities (
    tailnet_id      bigint PRIMARY KEY REFERENCES auth_keys.tailnets ON DELETE CASCADE,
    genesis_hash    bytea NOT NULL,
    head_hash       bytea NOT NULL,
    enabled_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    head_moved_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT lock_authorities_hash_check
        CHECK (pg_catalog.length(genesis_hash) OPERATOR(pg_catalog.=) 32
               AND pg_catalog.length(head_hash) OPERATOR(pg_catalog.=) 32)
);
COMMENT ON TABLE auth_keys.lock_authorities IS
    'Tailnets with Tailnet Lock on: the genesis and the head of each one''s authority log.';
COMMENT ON COLUMN auth_keys.lock_authorities.tailnet_id IS 'The locked tailnet.';
COMMENT ON COLUMN auth_keys.lock_authorities.genesis_hash IS 'BLAKE2s-256 hash of the first AUM, the checkpoint that turned the lock on.';
COMMENT ON COLUMN auth_keys.lock_authorities.head_hash IS 'Hash of the head: the AUM reached from the genesis by following the child each fork chooses.';
COMMENT ON COLUMN auth_keys.lock_authorities.enabled_at IS 'When the genesis was stored.';
COMMENT ON COLUMN auth_keys.lock_authorities.head_moved_at IS 'When the head last moved.';

SELECT pg_catalog.pg_extension_config_dump('auth_keys.lock_authorities', '');

-- Every AUM stored, forks included, with the state after it, so that an
-- AUM naming it as parent is verified without replaying the log.
CREATE TABLE auth_keys.lock_updates (
    tailnet_id      bigint NOT NULL REFERENCES auth_keys.lock_authorities ON DELETE CASCADE,
    aum_hash        bytea NOT NULL,
    parent_hash     bytea,
    depth           integer NOT NULL,
    kind            smallint NOT NULL,
    weight          bigint NOT NULL,
    aum             bytea NOT NULL,
    state           bytea NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (tailnet_id, aum_hash),
    CONSTRAINT lock_updates_hash_check
        CHECK (pg_catalog.length(aum_hash) OPERATOR(pg_catalog.=) 32
               AND (parent_hash IS NULL OR pg_catalog.length(parent_hash) OPERATOR(pg_catalog.=) 32)),
    -- The genesis, and only it, has no parent and depth 0.
    CONSTRAINT lock_updates_depth_check
        CHECK ((parent_hash IS NULL) OPERATOR(pg_catalog.=) (depth OPERATOR(pg_catalog.=) 0)
               AND depth OPERATOR(pg_catalog.>=) 0),
    CONSTRAINT lock_updates_kind_check
        CHECK (kind OPERATOR(pg_catalog.>=) 1 AND kind OPERATOR(pg_catalog.<=) 5),
    CONSTRAINT lock_updates_weight_check CHECK (weight OPERATOR(pg_catalog.>=) 0)
);
COMMENT ON TABLE auth_keys.lock_updates IS
    'The authority log of each locked tailnet: every verified AUM (authority update message), forks included, with the state after it.';
COMMENT ON COLUMN auth_keys.lock_updates.tailnet_id IS 'The locked tailnet.';
COMMENT ON COLUMN auth_keys.lock_updates.aum_hash IS 'BLAKE2s-256 hash of the AUM''s canonical encoding, signatures included.';
COMMENT ON COLUMN auth_keys.lock_updates.parent_hash IS 'Hash of the AUM it follows; NULL for the genesis.';
COMMENT ON COLUMN auth_keys.lock_updates.depth IS 'AUMs between it and the genesis (0 for the genesis).';
COMMENT ON COLUMN auth_keys.lock_updates.kind IS 'AUM kind: 1 AddKey, 2 RemoveKey, 3 NoOp, 4 UpdateKey, 5 Checkpoint.';
COMMENT ON COLUMN auth_keys.lock_updates.weight IS 'Votes of the distinct keys, trusted in the parent''s state, that signed it: what a fork is decided by first.';
COMMENT ON COLUMN auth_keys.lock_updates.aum IS 'The AUM as received: canonical CBOR (see lock_decode).';
COMMENT ON COLUMN auth_keys.lock_updates.state IS 'The authority''s state after the AUM, canonical CBOR (see lock_decode with ''state'').';
COMMENT ON COLUMN auth_keys.lock_updates.received_at IS 'When the AUM was stored.';

CREATE INDEX lock_updates_parent_idx ON auth_keys.lock_updates (tailnet_id, parent_hash);

SELECT pg_catalog.pg_extension_config_dump('auth_keys.lock_updates', '');

-- The keys trusted in the head's state, recomputed whenever the head
-- moves: what node key signatures are checked against, and what decides
-- each node's lock status.
CREATE TABLE auth_keys.lock_trusted_keys (
    tailnet_id      bigint NOT NULL REFERENCES auth_keys.lock_authorities ON DELETE CASCADE,
    key_id          bytea NOT NULL,
    votes           integer NOT NULL,
    key             bytea NOT NULL,
    PRIMARY KEY (tailnet_id, key_id),
    CONSTRAINT lock_trusted_keys_key_id_check
        CHECK (pg_catalog.length(key_id) OPERATOR(pg_catalog.=) 32),
    CONSTRAINT lock_trusted_keys_votes_check
        CHECK (votes OPERATOR(pg_catalog.>=) 1 AND votes OPERATOR(pg_catalog.<=) 4096)
);
COMMENT ON TABLE auth_keys.lock_trusted_keys IS
    'The keys the authority of each locked tailnet trusts at its head; recomputed when the head moves.';
COMMENT ON COLUMN auth_keys.lock_trusted_keys.tailnet_id IS 'The locked tailnet.';
COMMENT ON COLUMN auth_keys.lock_trusted_keys.key_id IS 'The key''s id: its 32-byte Ed25519 public key.';
COMMENT ON COLUMN auth_keys.lock_trusted_keys.votes IS 'The key''s votes, 1 to 4096.';
COMMENT ON COLUMN auth_keys.lock_trusted_keys.key IS 'The key as the head''s state holds it, canonical CBOR with its meta (see lock_decode with ''key'').';

SELECT pg_catalog.pg_extension_config_dump('auth_keys.lock_trusted_keys', '');

-- The node key signature of each signed node, the trusted key at the
-- bottom of its chain, and the authority (by its genesis) it was verified
-- under: a node is "signed" while that key is trusted at the head of that
-- authority, "key_removed" once it is not, with no signature verified
-- again.  Registrations take no lock on the authority: a signature stored
-- while the lock is being disabled counts for no later authority.
CREATE TABLE auth_keys.lock_node_signatures (
    node_id         bigint PRIMARY KEY REFERENCES auth_keys.nodes ON DELETE CASCADE,
    tailnet_id      bigint NOT NULL,
    genesis_hash    bytea NOT NULL,
    signature       bytea NOT NULL,
    authorizing_key bytea NOT NULL,
    signed_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT lock_node_signatures_key_check
        CHECK (pg_catalog.length(authorizing_key) OPERATOR(pg_catalog.=) 32
               AND pg_catalog.length(genesis_hash) OPERATOR(pg_catalog.=) 32)
);
COMMENT ON TABLE auth_keys.lock_node_signatures IS
    'Node key signatures of the nodes of locked tailnets, each verified when it was stored.';
COMMENT ON COLUMN auth_keys.lock_node_signatures.node_id IS 'The signed node.';
COMMENT ON COLUMN auth_keys.lock_node_signatures.tailnet_id IS 'The node''s tailnet.';
COMMENT ON COLUMN auth_keys.lock_node_signatures.genesis_hash IS 'Genesis of the authority the signature was verified under.';
COMMENT ON COLUMN auth_keys.lock_node_signatures.signature IS 'The node key signature, canonical CBOR (see lock_decode).';
COMMENT ON COLUMN auth_keys.lock_node_signatures.authorizing_key IS 'Id of the trusted key at the bottom of the signature''s chain.';
COMMENT ON COLUMN auth_keys.lock_node_signatures.signed_at IS 'When the signature was verified and stored.';

CREATE INDEX lock_node_signatures_key_idx
    ON auth_keys.lock_node_signatures (tailnet_id, authorizing_key);

SELECT pg_catalog.pg_extension_config_dump('auth_keys.lock_node_signatures', '');

-- The audit trail, a partition a week (events_YYYYMMDD, after the Monday,
-- UTC), which sweeps make ahead and remove whole once past
-- auth_keys.event_retention (event_partition.c).  event_id comes from its
-- identity, in order; no query looks an event up by it, so no index costs
-- every event an entry.
CREATE TABLE auth_keys.events (
    event_id    bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
    at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    tailnet_id  bigint REFERENCES auth_keys.tailnets ON DELETE CASCADE,
    actor       text NOT NULL,
    action      text NOT NULL,
    key_id      text,
    node_id     bigint,
    detail      jsonb NOT NULL DEFAULT '{}'
) PARTITION BY RANGE (at);
COMMENT ON TABLE auth_keys.events IS
    'The audit trail: who did what to which key or node, and when; never key material.  A partition a week, removed once past auth_keys.event_retention.';
COMMENT ON COLUMN auth_keys.events.event_id IS 'Identifier of the event, in the order events were recorded.';
COMMENT ON COLUMN auth_keys.events.at IS 'When it happened.';
COMMENT ON COLUMN auth_keys.events.tailnet_id IS 'The tailnet concerned.';
COMMENT ON COLUMN auth_keys.events.actor IS 'Who acted: a member''s login, "client:" and an OAuth client''s id, or "role:" and the database role.';
COMMENT ON COLUMN auth_keys.events.action IS 'What was done, such as key.created, key.used, node.deleted.';
COMMENT ON COLUMN auth_keys.events.key_id IS 'The key concerned, if any.';
COMMENT ON COLUMN auth_keys.events.node_id IS 'The node concerned, if any.';
COMMENT ON COLUMN auth_keys.events.detail IS 'Further facts about the event, as JSON.';

-- A tailnet's audit trail (event_list), in time order, is read through an
-- index of (tailnet_id, at) on each partition, which the sweep makes with
-- the partition (event_partition.c), rather than through one partitioned
-- index on events: a partitioned index of the extension makes every
-- restore of a dump fail, since attaching a restored partition makes its
-- index, and pg_dump then creates that index again.

-- What no week's partition takes: events restored from 1.0, rows a DBA
-- backdates.  The sweep deletes its expired rows in batches, by "at".
CREATE TABLE auth_keys.events_default PARTITION OF auth_keys.events DEFAULT;
COMMENT ON TABLE auth_keys.events_default IS
    'The partition of auth_keys.events for events that no week''s partition takes; the sweep deletes its rows past auth_keys.event_retention.';

CREATE INDEX events_default_tailnet_at_idx ON auth_keys.events_default (tailnet_id, at);
CREATE INDEX events_default_at_idx ON auth_keys.events_default (at);

SELECT pg_catalog.pg_extension_config_dump('auth_keys.events_default', '');
SELECT pg_catalog.pg_extension_config_dump('auth_keys.events_event_id_seq', '');

-- What the sweeps remember between runs: one row, made by the first sweep
-- (so that a restored dump never meets a second one made by CREATE
-- EXTENSION).  A sweep records the node keys that expired after
-- node_key_expiries_through and up to its own start, then moves it on.
CREATE TABLE auth_keys.sweep_state (
    singleton                   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    node_key_expiries_through   timestamptz NOT NULL DEFAULT '-infinity',
    swept_at                    timestamptz,
    node_key_expiries_through_node_id bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE auth_keys.sweep_state IS
    'What sweeps remember between runs: one row, made by the first sweep.';
COMMENT ON COLUMN auth_keys.sweep_state.singleton IS 'Always true: the table has one row at most.';
COMMENT ON COLUMN auth_keys.sweep_state.node_key_expiries_through IS 'Node key expiries up to this time have been recorded as events.';
COMMENT ON COLUMN auth_keys.sweep_state.swept_at IS 'When the last sweep that recorded expiries ran.';
COMMENT ON COLUMN auth_keys.sweep_state.node_key_expiries_through_node_id IS 'Of the nodes whose key expired at node_key_expiries_through, those up to this node_id are recorded (sweeps record expiries a batch at a time).';

SELECT pg_catalog.pg_extension_config_dump('auth_keys.sweep_state', '');

-- Since when the server has run without a restart or a crash: unlogged,
-- so that crash recovery empties it, and written again by the first sweep
-- after a restart or a crash.  No ephemeral node is removed before the
-- server has run for a whole inactivity timeout since then: heartbeats of
-- the moments before a crash, and of the time the server was down, are
-- lost (sweep_nodes.c).
CREATE UNLOGGED TABLE auth_keys.server_run (
    since                   timestamptz NOT NULL,
    postmaster_start_time   timestamptz NOT NULL
);
COMMENT ON TABLE auth_keys.server_run IS
    'Since when the server has run without a restart or a crash (crash recovery empties this unlogged table); sweeps remove no ephemeral node until a whole auth_keys.ephemeral_inactivity_timeout has passed since then.';
COMMENT ON COLUMN auth_keys.server_run.since IS 'When the first sweep after the last restart or crash ran.';
COMMENT ON COLUMN auth_keys.server_run.postmaster_start_time IS 'The server''s start (pg_postmaster_start_time()) when the row was written: another start means a restart.';

-- Which tailnets each delegate may act in (see grant_tier): a row with a
-- NULL tailnet_id means every tailnet.  The role is a regrole, so that a
-- dump keeps it by name and a role made again under the same name is not
-- the old one.  Only superusers read it.
CREATE TABLE auth_keys.delegates (
    delegate    regrole NOT NULL,
    tailnet_id  bigint REFERENCES auth_keys.tailnets ON DELETE CASCADE,
    granted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT delegates_unique UNIQUE NULLS NOT DISTINCT (delegate, tailnet_id)
);
COMMENT ON TABLE auth_keys.delegates IS
    'Delegate tier: the tailnets each delegate role may act in with act_as (a NULL tailnet_id: every tailnet).';
COMMENT ON COLUMN auth_keys.delegates.delegate IS 'The database role that holds the delegate tier.';
COMMENT ON COLUMN auth_keys.delegates.tailnet_id IS 'A tailnet the role may act in, or NULL for every tailnet.';
COMMENT ON COLUMN auth_keys.delegates.granted_at IS 'When grant_tier gave the role this tailnet.';

SELECT pg_catalog.pg_extension_config_dump('auth_keys.delegates', '');

-- What each sweep did, for sweep_job_runs (pg_cron's history keeps only a
-- statement's tag); the sweep trims it to 7 days.
CREATE TABLE auth_keys.sweep_log (
    sweep_id            bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    started_at          timestamptz NOT NULL,
    finished_at         timestamptz NOT NULL,
    swept_by            text NOT NULL,
    backend_pid         integer NOT NULL,
    keys_purged         bigint NOT NULL,
    nodes_removed       bigint NOT NULL,
    node_key_expiries   bigint NOT NULL,
    access_tokens_deleted bigint NOT NULL,
    event_weeks_removed bigint NOT NULL,
    events_deleted      bigint NOT NULL
);
COMMENT ON TABLE auth_keys.sweep_log IS
    'What each sweep of the last 7 days did; sweep_job_runs matches these rows with the pg_cron job''s runs.';
COMMENT ON COLUMN auth_keys.sweep_log.sweep_id IS 'Identifier of the sweep, in the order sweeps finished.';
COMMENT ON COLUMN auth_keys.sweep_log.started_at IS 'When the sweep''s (first) transaction started.';
COMMENT ON COLUMN auth_keys.sweep_log.finished_at IS 'When the sweep finished its work (before its commit).';
COMMENT ON COLUMN auth_keys.sweep_log.swept_by IS 'Who swept: "role:" and the database role.';
COMMENT ON COLUMN auth_keys.sweep_log.backend_pid IS 'The process that swept (a pg_cron run''s job_pid).';
COMMENT ON COLUMN auth_keys.sweep_log.keys_purged IS 'Keys purged past auth_keys.invalid_key_retention.';
COMMENT ON COLUMN auth_keys.sweep_log.nodes_removed IS 'Ephemeral nodes removed after auth_keys.ephemeral_inactivity_timeout.';
COMMENT ON COLUMN auth_keys.sweep_log.node_key_expiries IS 'Node key expiries recorded as events.';
COMMENT ON COLUMN auth_keys.sweep_log.access_tokens_deleted IS 'Expired OAuth access tokens deleted.';
COMMENT ON COLUMN auth_keys.sweep_log.event_weeks_removed IS 'Partitions of audit events removed whole (a week each) past auth_keys.event_retention.';
COMMENT ON COLUMN auth_keys.sweep_log.events_deleted IS 'Audit events past auth_keys.event_retention deleted one by one from events_default.';

CREATE INDEX sweep_log_finished_at_idx ON auth_keys.sweep_log (finished_at);

SELECT pg_catalog.pg_extension_config_dump('auth_keys.sweep_log', '');
SELECT pg_catalog.pg_extension_config_dump('auth_keys.sweep_log_sweep_id_seq', '');

--------------------------------------------------------------------------
-- Row-level security: a tenant sees its own rows only
--------------------------------------------------------------------------

-- The actor, as row-level security sees it.  They read the member mapping,
-- which the caller may not, hence SECURITY DEFINER; each returns only what
-- concerns the caller.  PARALLEL RESTRICTED: the actor lives in the leader's
-- memory, not in parallel workers'.
CREATE FUNCTION auth_keys.actor_tailnet_id()
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'auth_keys_actor_tailnet_id'
    LANGUAGE C STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.actor_tailnet_id() IS
    'The acting member''s tailnet, or NULL when no member acts in this transaction; row-level security compares each row with it.';

CREATE FUNCTION auth_keys.actor_login()
    RETURNS text
    AS 'MODULE_PATHNAME', 'auth_keys_actor_login'
    LANGUAGE C STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.actor_login() IS
    'The acting member''s login, or NULL when no member acts in this transaction.';

CREATE FUNCTION auth_keys.actor_sees_all_keys()
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_actor_sees_all_keys'
    LANGUAGE C STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.actor_sees_all_keys() IS
    'Whether the acting member sees every key of the tailnet (owner, admin, auditor) rather than only their own.';

CREATE FUNCTION auth_keys.actor_sees_all_nodes()
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_actor_sees_all_nodes'
    LANGUAGE C STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.actor_sees_all_nodes() IS
    'Whether the acting member sees every node of the tailnet (owner, admin, IT admin, network admin, auditor) rather than only their own.';

-- What an acting client sees, for row-level security and the views: a
-- client is no member (actor_tailnet_id and actor_login are NULL for it),
-- and its scopes open the keys that clients minted and the nodes.
CREATE FUNCTION auth_keys.actor_client_tailnet_id(scope text)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'auth_keys_actor_client_tailnet_id'
    LANGUAGE C STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.actor_client_tailnet_id(text) IS
    'The acting OAuth client''s tailnet when its access token allows the scope, or NULL; row-level security compares rows with it.';

-- Row visibility, one definition for policies and views alike.  Written as
-- SQL-standard bodies, so they are bound at creation; simple expressions,
-- so the planner inlines them and "tailnet_id = actor_tailnet_id()" (a
-- stable function) can use the tailnet indexes.
CREATE FUNCTION auth_keys.tailnet_visible(tailnet_id bigint)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    RETURN tailnet_id OPERATOR(pg_catalog.=) auth_keys.actor_tailnet_id();
COMMENT ON FUNCTION auth_keys.tailnet_visible(bigint) IS
    'Row-level security: whether a row of this tailnet is the actor''s.';

CREATE FUNCTION auth_keys.key_visible(tailnet_id bigint, created_by text)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    RETURN tailnet_id OPERATOR(pg_catalog.=) auth_keys.actor_tailnet_id()
       AND (auth_keys.actor_sees_all_keys()
            OR created_by OPERATOR(pg_catalog.=) auth_keys.actor_login());
COMMENT ON FUNCTION auth_keys.key_visible(bigint, text) IS
    'Row-level security for keys and events: the actor''s tailnet, and the actor''s own rows unless the actor sees all keys.';

-- Owners, admins, IT and network admins and auditors see every node;
-- other members see their own.
CREATE FUNCTION auth_keys.node_visible(tailnet_id bigint, user_login text)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    RETURN tailnet_id OPERATOR(pg_catalog.=) auth_keys.actor_tailnet_id()
       AND (auth_keys.actor_sees_all_nodes()
            OR user_login OPERATOR(pg_catalog.=) auth_keys.actor_login());
COMMENT ON FUNCTION auth_keys.node_visible(bigint, text) IS
    'Row-level security for nodes: the actor''s tailnet, and the actor''s own nodes unless the actor sees all nodes.';

-- An OAuth client sees rows by its scopes: the keys that clients minted,
-- and the nodes.
CREATE FUNCTION auth_keys.key_row_visible(tailnet_id bigint, created_by text,
                                          oauth_client_id text)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    RETURN auth_keys.key_visible(tailnet_id, created_by)
        OR (oauth_client_id IS NOT NULL
            AND tailnet_id OPERATOR(pg_catalog.=)
                auth_keys.actor_client_tailnet_id('auth_keys:read'));
COMMENT ON FUNCTION auth_keys.key_row_visible(bigint, text, text) IS
    'Row-level security for keys: as key_visible, and the keys that OAuth clients minted for an OAuth client with scope auth_keys or auth_keys:read.';

CREATE FUNCTION auth_keys.node_row_visible(tailnet_id bigint, user_login text)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    RETURN auth_keys.node_visible(tailnet_id, user_login)
        OR tailnet_id OPERATOR(pg_catalog.=)
           auth_keys.actor_client_tailnet_id('devices:core:read');
COMMENT ON FUNCTION auth_keys.node_row_visible(bigint, text) IS
    'Row-level security for nodes: as node_visible, and every node of the tailnet for an OAuth client with scope devices:core or devices:core:read.';

-- The tenants' own tables: a row is the actor's tailnet's.
ALTER TABLE auth_keys.tailnets ENABLE ROW LEVEL SECURITY;
CREATE POLICY tailnet_rows ON auth_keys.tailnets
    USING (auth_keys.tailnet_visible(tailnet_id));

ALTER TABLE auth_keys.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY tailnet_rows ON auth_keys.members
    USING (auth_keys.tailnet_visible(tailnet_id));

ALTER TABLE auth_keys.tag_owners ENABLE ROW LEVEL SECURITY;
CREATE POLICY tailnet_rows ON auth_keys.tag_owners
    USING (auth_keys.tailnet_visible(tailnet_id));

-- Members who are not owner, admin or auditor see only their own keys, and
-- OAuth clients see those that clients minted.
ALTER TABLE auth_keys.keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_keys ON auth_keys.keys
    USING (auth_keys.key_row_visible(tailnet_id, created_by, oauth_client_id));

-- As with keys, owners, admins and auditors see every client, and the
-- member who created one sees it.  No policy opens the tokens: only the
-- extension reads them.
ALTER TABLE auth_keys.oauth_clients ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_clients ON auth_keys.oauth_clients
    USING (auth_keys.key_visible(tailnet_id, created_by));
ALTER TABLE auth_keys.oauth_tokens ENABLE ROW LEVEL SECURITY;

ALTER TABLE auth_keys.nodes ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_nodes ON auth_keys.nodes
    USING (auth_keys.node_row_visible(tailnet_id, user_login));

-- Nothing of Tailnet Lock is secret (every node of the tailnet holds the
-- log and the signatures), but it is the tailnet's own, so row-level
-- security applies as for the other tables.  A member who sees only their
-- own nodes sees only those nodes' signatures.
ALTER TABLE auth_keys.lock_authorities ENABLE ROW LEVEL SECURITY;
CREATE POLICY tailnet_rows ON auth_keys.lock_authorities
    USING (auth_keys.tailnet_visible(tailnet_id));

ALTER TABLE auth_keys.lock_updates ENABLE ROW LEVEL SECURITY;
CREATE POLICY tailnet_rows ON auth_keys.lock_updates
    USING (auth_keys.tailnet_visible(tailnet_id));

ALTER TABLE auth_keys.lock_trusted_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tailnet_rows ON auth_keys.lock_trusted_keys
    USING (auth_keys.tailnet_visible(tailnet_id));

ALTER TABLE auth_keys.lock_node_signatures ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_nodes ON auth_keys.lock_node_signatures
    USING (auth_keys.tailnet_visible(tailnet_id)
           AND (auth_keys.actor_sees_all_nodes()
                OR EXISTS (SELECT FROM auth_keys.nodes n
                            WHERE n.node_id OPERATOR(pg_catalog.=) lock_node_signatures.node_id)));

-- The audit trail is for owners, admins and auditors; other members see
-- what they did themselves.  The default partition has no policy: it is
-- read through events only, as every week's partition is.
ALTER TABLE auth_keys.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_events ON auth_keys.events
    USING (auth_keys.key_visible(tailnet_id, actor));
ALTER TABLE auth_keys.events_default ENABLE ROW LEVEL SECURITY;

-- No policy opens these: only superusers and the extension's functions,
-- running as its owner, read them.
ALTER TABLE auth_keys.key_use_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_keys.sweep_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_keys.server_run ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_keys.delegates ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_keys.sweep_log ENABLE ROW LEVEL SECURITY;

--------------------------------------------------------------------------
-- What members read: views over functions of the definer
--------------------------------------------------------------------------

-- A tenant reads its rows through these views, never from the tables: each
-- view is a function scan of a SECURITY DEFINER function that returns the
-- actor's rows only, and the planner cannot push a tenant's conditions
-- into it.  So no plan a tenant can make touches another tenant's row
-- before its own conditions are applied, and EXPLAIN (ANALYZE) row counts
-- say nothing about other tenants, whatever the planner settings.  The
-- functions read the tables through the tailnet indexes; each query of a
-- view reads the actor's visible rows whole.

-- A key's status and the uses it has left, computed alike by every view
-- that shows keys.
CREATE FUNCTION auth_keys.key_status(revoked_at timestamptz, used_up_at timestamptz,
                                     expires_at timestamptz)
    RETURNS text
    AS 'MODULE_PATHNAME', 'auth_keys_key_status'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.key_status(timestamptz, timestamptz, timestamptz) IS
    'The status of a key from its revocation, use-up and expiry times: revoked, used, expired or valid, in that order of precedence.';

CREATE FUNCTION auth_keys.key_uses_left(reusable boolean, max_uses integer, uses integer)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'auth_keys_key_uses_left'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.key_uses_left(boolean, integer, integer) IS
    'How many uses a key has left against its limit: 1 or 0 for a one-off key, NULL for a reusable key without max_uses.';

CREATE FUNCTION auth_keys.key_list_rows()
    RETURNS TABLE (key_id text, tailnet text, created_by text, description text,
                   reusable boolean, ephemeral boolean, preauthorized boolean,
                   tags text[], max_uses integer, uses integer, uses_left integer,
                   created_at timestamptz, expires_at timestamptz,
                   last_used_at timestamptz, revoked_at timestamptz, revoked_by text,
                   status text, oauth_client_id text)
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT k.key_id, t.name, k.created_by, k.description,
           k.reusable, k.ephemeral, k.preauthorized, k.tags,
           k.max_uses, k.uses OPERATOR(pg_catalog.+) COALESCE(c.uses, 0),
           auth_keys.key_uses_left(k.reusable, k.max_uses, k.uses),
           k.created_at, k.expires_at, GREATEST(k.last_used_at, c.last_used_at),
           k.revoked_at, k.revoked_by,
           auth_keys.key_status(k.revoked_at, k.used_up_at, k.expires_at),
           k.oauth_client_id
      FROM auth_keys.keys k
      JOIN auth_keys.tailnets t ON t.tailnet_id OPERATOR(pg_catalog.=) k.tailnet_id
      -- The uses counted for keys without a limit, which the sweep adds up.
      LEFT JOIN LATERAL (SELECT pg_catalog.sum(u.uses)::integer AS uses,
                                pg_catalog.max(u.last_used_at) AS last_used_at
                           FROM auth_keys.key_use_counts u
                          WHERE u.key_id OPERATOR(pg_catalog.=) k.key_id) c ON true
     WHERE auth_keys.key_row_visible(k.tailnet_id, k.created_by, k.oauth_client_id);
END;
COMMENT ON FUNCTION auth_keys.key_list_rows() IS
    'The rows of view key_list: the keys of the actor''s tailnet that the actor may see.';

CREATE VIEW auth_keys.key_list AS
    SELECT * FROM auth_keys.key_list_rows();
COMMENT ON VIEW auth_keys.key_list IS
    'The actor''s view of the keys of their tailnet (all of them for owners, admins and auditors; their own for others; those OAuth clients minted for a client), never a hash or a secret.';
COMMENT ON COLUMN auth_keys.key_list.key_id IS 'The key id: 12 base62 characters, the part of the key shown in lists.';
COMMENT ON COLUMN auth_keys.key_list.tailnet IS 'Name of the key''s tailnet.';
COMMENT ON COLUMN auth_keys.key_list.created_by IS 'Login of the member who generated the key, or NULL for a key an OAuth client minted; nodes it enrols belong to them unless the key has tags.';
COMMENT ON COLUMN auth_keys.key_list.description IS 'Free text, at most 50 characters.';
COMMENT ON COLUMN auth_keys.key_list.reusable IS 'Whether the key enrols more than one node.';
COMMENT ON COLUMN auth_keys.key_list.ephemeral IS 'Whether nodes it enrols are removed after a period offline.';
COMMENT ON COLUMN auth_keys.key_list.preauthorized IS 'Whether nodes it enrols need no device approval.';
COMMENT ON COLUMN auth_keys.key_list.tags IS 'Tags that nodes enrolled with the key take, sorted, without duplicates.';
COMMENT ON COLUMN auth_keys.key_list.max_uses IS 'Use limit of a reusable key, or NULL for none.';
COMMENT ON COLUMN auth_keys.key_list.uses IS 'How many registrations have spent the key.';
COMMENT ON COLUMN auth_keys.key_list.uses_left IS 'Uses left against the limit (NULL for a reusable key without one).';
COMMENT ON COLUMN auth_keys.key_list.created_at IS 'When the key was generated.';
COMMENT ON COLUMN auth_keys.key_list.expires_at IS 'When the key expires: 1 to 90 days after its creation.';
COMMENT ON COLUMN auth_keys.key_list.last_used_at IS 'When a registration last spent the key.';
COMMENT ON COLUMN auth_keys.key_list.revoked_at IS 'When the key was revoked, or NULL.';
COMMENT ON COLUMN auth_keys.key_list.revoked_by IS 'Who revoked the key, or NULL.';
COMMENT ON COLUMN auth_keys.key_list.status IS 'valid, expired, revoked or used.';
COMMENT ON COLUMN auth_keys.key_list.oauth_client_id IS 'The OAuth client that minted the key, or NULL for a key a member generated.';

-- A node's status and its lock status, for node_list.
CREATE FUNCTION auth_keys.node_status(authorized boolean, node_key_expires_at timestamptz)
    RETURNS text
    AS 'MODULE_PATHNAME', 'auth_keys_node_status'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.node_status(boolean, timestamptz) IS
    'The status of a node from its authorization and node key expiry: needs_approval, key_expired or active.';

-- The lock status is decided from what node_list_rows joins: not_locked,
-- unsigned, signed (by a key trusted at the head) or key_removed.
CREATE FUNCTION auth_keys.node_lock_status(locked boolean, signed boolean, key_trusted boolean)
    RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN NOT locked THEN 'not_locked'
                WHEN NOT signed THEN 'unsigned'
                WHEN key_trusted THEN 'signed'
                ELSE 'key_removed' END;
COMMENT ON FUNCTION auth_keys.node_lock_status(boolean, boolean, boolean) IS
    'A node''s lock status: not_locked (its tailnet has no Tailnet Lock), unsigned, signed (by a key trusted at the head) or key_removed (its signature''s key is no longer trusted).';

CREATE FUNCTION auth_keys.node_list_rows()
    RETURNS TABLE (node_id bigint, tailnet text, hostname text, node_key auth_keys.nodekey,
                   user_login text, tags text[], auth_key_id text, ephemeral boolean,
                   authorized boolean, key_expiry_disabled boolean,
                   node_key_expires_at timestamptz, created_at timestamptz,
                   last_seen_at timestamptz, status text, lock_status text)
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT n.node_id, t.name, n.hostname, n.node_key, n.user_login, n.tags,
           n.auth_key_id, n.ephemeral, n.authorized, n.key_expiry_disabled,
           n.node_key_expires_at, n.created_at, n.last_seen_at,
           auth_keys.node_status(n.authorized, n.node_key_expires_at),
           auth_keys.node_lock_status(a.tailnet_id IS NOT NULL, s.node_id IS NOT NULL,
                                      k.key_id IS NOT NULL)
      FROM auth_keys.nodes n
      JOIN auth_keys.tailnets t ON t.tailnet_id OPERATOR(pg_catalog.=) n.tailnet_id
      LEFT JOIN auth_keys.lock_authorities a ON a.tailnet_id OPERATOR(pg_catalog.=) n.tailnet_id
      LEFT JOIN auth_keys.lock_node_signatures s
             ON s.node_id OPERATOR(pg_catalog.=) n.node_id
            AND s.genesis_hash OPERATOR(pg_catalog.=) a.genesis_hash
      LEFT JOIN auth_keys.lock_trusted_keys k
             ON k.tailnet_id OPERATOR(pg_catalog.=) s.tailnet_id
            AND k.key_id OPERATOR(pg_catalog.=) s.authorizing_key
     WHERE auth_keys.node_row_visible(n.tailnet_id, n.user_login);
END;
COMMENT ON FUNCTION auth_keys.node_list_rows() IS
    'The rows of view node_list: the nodes of the actor''s tailnet that the actor may see.';

CREATE VIEW auth_keys.node_list AS
    SELECT * FROM auth_keys.node_list_rows();
COMMENT ON VIEW auth_keys.node_list IS
    'The actor''s view of the nodes of their tailnet (all of them for roles that manage or see devices; their own for others).';
COMMENT ON COLUMN auth_keys.node_list.node_id IS 'Identifier of the node.';
COMMENT ON COLUMN auth_keys.node_list.tailnet IS 'Name of the node''s tailnet.';
COMMENT ON COLUMN auth_keys.node_list.hostname IS 'Host name the node gave, 1 to 255 characters.';
COMMENT ON COLUMN auth_keys.node_list.node_key IS 'The node''s Curve25519 public key, unique across tailnets.';
COMMENT ON COLUMN auth_keys.node_list.user_login IS 'The member the node belongs to, or NULL when it takes the identity of its tags.';
COMMENT ON COLUMN auth_keys.node_list.tags IS 'The node''s tags.';
COMMENT ON COLUMN auth_keys.node_list.auth_key_id IS 'The key that enrolled or last re-authenticated the node (no foreign key: sweeps purge old keys).';
COMMENT ON COLUMN auth_keys.node_list.ephemeral IS 'Whether the node is removed after auth_keys.ephemeral_inactivity_timeout without a heartbeat.';
COMMENT ON COLUMN auth_keys.node_list.authorized IS 'Whether the node is authorized (false while it waits for device approval).';
COMMENT ON COLUMN auth_keys.node_list.key_expiry_disabled IS 'Whether the node key never expires.';
COMMENT ON COLUMN auth_keys.node_list.node_key_expires_at IS 'When the node key expires; NULL exactly when key expiry is disabled.';
COMMENT ON COLUMN auth_keys.node_list.created_at IS 'When the node was enrolled.';
COMMENT ON COLUMN auth_keys.node_list.last_seen_at IS 'The node''s last heartbeat or registration.';
COMMENT ON COLUMN auth_keys.node_list.status IS 'needs_approval, key_expired or active.';
COMMENT ON COLUMN auth_keys.node_list.lock_status IS 'not_locked, unsigned, signed, or key_removed (signed by a key the authority no longer trusts).';

-- How long an invalid key stays listed, read from its setting.
CREATE FUNCTION auth_keys.invalid_key_retention()
    RETURNS interval
    AS 'MODULE_PATHNAME', 'auth_keys_invalid_key_retention'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.invalid_key_retention() IS
    'The auth_keys.invalid_key_retention setting as an interval: how long an invalid key stays listed before a sweep purges it.';

CREATE FUNCTION auth_keys.recent_invalid_key_rows()
    RETURNS TABLE (key_id text, tailnet text, created_by text, description text,
                   status text, invalid_since timestamptz, purge_after timestamptz,
                   revoked_by text, oauth_client_id text)
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT k.key_id, t.name, k.created_by, k.description,
           auth_keys.key_status(k.revoked_at, k.used_up_at, k.expires_at),
           k.invalid_at,
           k.invalid_at OPERATOR(pg_catalog.+) auth_keys.invalid_key_retention(),
           k.revoked_by, k.oauth_client_id
      FROM auth_keys.keys k
      JOIN auth_keys.tailnets t ON t.tailnet_id OPERATOR(pg_catalog.=) k.tailnet_id
     WHERE auth_keys.key_row_visible(k.tailnet_id, k.created_by, k.oauth_client_id)
       AND k.invalid_at OPERATOR(pg_catalog.<=) pg_catalog.now()
       AND k.invalid_at OPERATOR(pg_catalog.>)
           (pg_catalog.now() OPERATOR(pg_catalog.-) auth_keys.invalid_key_retention());
END;
COMMENT ON FUNCTION auth_keys.recent_invalid_key_rows() IS
    'The rows of view recent_invalid_keys: keys of the actor''s tailnet that the actor may see and that stopped being valid within the retention.';

CREATE VIEW auth_keys.recent_invalid_keys AS
    SELECT * FROM auth_keys.recent_invalid_key_rows();
COMMENT ON VIEW auth_keys.recent_invalid_keys IS
    'Keys of the actor''s tailnet that stopped being valid less than auth_keys.invalid_key_retention ago, until a sweep purges them.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.key_id IS 'The key id: 12 base62 characters, the part of the key shown in lists.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.tailnet IS 'Name of the key''s tailnet.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.created_by IS 'Login of the member who generated the key, or NULL for a key an OAuth client minted; nodes it enrols belong to them unless the key has tags.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.description IS 'Free text, at most 50 characters.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.status IS 'expired, revoked or used.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.invalid_since IS 'When the key stopped being valid.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.purge_after IS 'When a sweep may purge the key.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.revoked_by IS 'Who revoked the key, or NULL.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.oauth_client_id IS 'The OAuth client that minted the key, or NULL for a key a member generated.';

CREATE FUNCTION auth_keys.member_list_rows()
    RETURNS TABLE (tailnet text, login text, role text)
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT t.name, m.login, m.role
      FROM auth_keys.members m
      JOIN auth_keys.tailnets t ON t.tailnet_id OPERATOR(pg_catalog.=) m.tailnet_id
     WHERE auth_keys.tailnet_visible(m.tailnet_id);
END;
COMMENT ON FUNCTION auth_keys.member_list_rows() IS
    'The rows of view member_list: the members of the actor''s tailnet.';

CREATE VIEW auth_keys.member_list AS
    SELECT * FROM auth_keys.member_list_rows();
COMMENT ON VIEW auth_keys.member_list IS
    'The members of the actor''s tailnet and their roles.';
COMMENT ON COLUMN auth_keys.member_list.tailnet IS 'Name of the member''s tailnet.';
COMMENT ON COLUMN auth_keys.member_list.login IS 'The member''s login.';
COMMENT ON COLUMN auth_keys.member_list.role IS 'owner, admin, it_admin, network_admin, billing_admin, auditor or member.';

CREATE FUNCTION auth_keys.tag_list_rows()
    RETURNS TABLE (tailnet text, tag text, owners text[])
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT t.name, o.tag, o.owners
      FROM auth_keys.tag_owners o
      JOIN auth_keys.tailnets t ON t.tailnet_id OPERATOR(pg_catalog.=) o.tailnet_id
     WHERE auth_keys.tailnet_visible(o.tailnet_id);
END;
COMMENT ON FUNCTION auth_keys.tag_list_rows() IS
    'The rows of view tag_list: the tags defined in the actor''s tailnet.';

CREATE VIEW auth_keys.tag_list AS
    SELECT * FROM auth_keys.tag_list_rows();
COMMENT ON VIEW auth_keys.tag_list IS
    'The tags defined in the actor''s tailnet, with who may apply them.';
COMMENT ON COLUMN auth_keys.tag_list.tailnet IS 'Name of the tag''s tailnet.';
COMMENT ON COLUMN auth_keys.tag_list.tag IS 'The tag: "tag:" followed by lower-case letters, digits and dashes.';
COMMENT ON COLUMN auth_keys.tag_list.owners IS 'Who may apply the tag: member logins, autogroup:admin, or other tags.';

CREATE FUNCTION auth_keys.event_list_rows()
    RETURNS TABLE (event_id bigint, at timestamptz, tailnet text, actor text, action text,
                   key_id text, node_id bigint, detail jsonb)
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT e.event_id, e.at, t.name, e.actor, e.action, e.key_id, e.node_id, e.detail
      FROM auth_keys.events e
      JOIN auth_keys.tailnets t ON t.tailnet_id OPERATOR(pg_catalog.=) e.tailnet_id
     WHERE auth_keys.key_visible(e.tailnet_id, e.actor);
END;
COMMENT ON FUNCTION auth_keys.event_list_rows() IS
    'The rows of view event_list: the audit events of the actor''s tailnet that the actor may see.';

CREATE VIEW auth_keys.event_list AS
    SELECT * FROM auth_keys.event_list_rows();
COMMENT ON VIEW auth_keys.event_list IS
    'The audit trail of the actor''s tailnet: all of it for owners, admins and auditors, what they did themselves for others.';
COMMENT ON COLUMN auth_keys.event_list.event_id IS 'Identifier of the event, in the order events were recorded.';
COMMENT ON COLUMN auth_keys.event_list.at IS 'When it happened.';
COMMENT ON COLUMN auth_keys.event_list.tailnet IS 'Name of the tailnet concerned.';
COMMENT ON COLUMN auth_keys.event_list.actor IS 'Who acted: a member''s login, "client:" and an OAuth client''s id, or "role:" and the database role.';
COMMENT ON COLUMN auth_keys.event_list.action IS 'What was done, such as key.created, key.used, node.deleted.';
COMMENT ON COLUMN auth_keys.event_list.key_id IS 'The key concerned, if any.';
COMMENT ON COLUMN auth_keys.event_list.node_id IS 'The node concerned, if any.';
COMMENT ON COLUMN auth_keys.event_list.detail IS 'Further facts about the event, as JSON.';

CREATE FUNCTION auth_keys.tailnet_settings_rows()
    RETURNS TABLE (tailnet text, device_approval boolean, node_key_expiry interval,
                   created_at timestamptz)
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT t.name, t.device_approval, t.node_key_expiry, t.created_at
      FROM auth_keys.tailnets t
     WHERE auth_keys.tailnet_visible(t.tailnet_id);
END;
COMMENT ON FUNCTION auth_keys.tailnet_settings_rows() IS
    'The row of view tailnet_settings: the actor''s tailnet.';

CREATE VIEW auth_keys.tailnet_settings AS
    SELECT * FROM auth_keys.tailnet_settings_rows();
COMMENT ON VIEW auth_keys.tailnet_settings IS
    'The actor''s tailnet and its settings, one row.';
COMMENT ON COLUMN auth_keys.tailnet_settings.tailnet IS 'Name of the tailnet.';
COMMENT ON COLUMN auth_keys.tailnet_settings.device_approval IS 'Whether nodes enrolled by keys that are not pre-approved wait for approval.';
COMMENT ON COLUMN auth_keys.tailnet_settings.node_key_expiry IS 'How long a node key stays valid after enrolment, 1 to 180 days.';
COMMENT ON COLUMN auth_keys.tailnet_settings.created_at IS 'When the tailnet was created.';

-- What members read of the OAuth clients, as of the keys: never a secret
-- or a hash.
CREATE FUNCTION auth_keys.oauth_client_list_rows()
    RETURNS TABLE (client_id text, tailnet text, description text, scopes text[],
                   tags text[], created_by text, created_at timestamptz,
                   last_used_at timestamptz, revoked_at timestamptz, revoked_by text,
                   status text, minted_keys bigint, valid_keys bigint)
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT c.client_id, t.name, c.description, c.scopes, c.tags, c.created_by,
           c.created_at,
           GREATEST(c.last_used_at,
                    (SELECT pg_catalog.max(k.created_at) FROM auth_keys.oauth_tokens k
                      WHERE k.client_id OPERATOR(pg_catalog.=) c.client_id)),
           c.revoked_at, c.revoked_by,
           CASE WHEN c.revoked_at IS NULL THEN 'active' ELSE 'revoked' END,
           (SELECT pg_catalog.count(*) FROM auth_keys.keys y
             WHERE y.oauth_client_id OPERATOR(pg_catalog.=) c.client_id),
           (SELECT pg_catalog.count(*) FROM auth_keys.keys y
             WHERE y.oauth_client_id OPERATOR(pg_catalog.=) c.client_id
               AND y.invalid_at OPERATOR(pg_catalog.>) pg_catalog.now())
      FROM auth_keys.oauth_clients c
      JOIN auth_keys.tailnets t ON t.tailnet_id OPERATOR(pg_catalog.=) c.tailnet_id
     WHERE auth_keys.key_visible(c.tailnet_id, c.created_by);
END;
COMMENT ON FUNCTION auth_keys.oauth_client_list_rows() IS
    'The rows of view oauth_client_list: the OAuth clients of the actor''s tailnet that the actor may see.';

CREATE VIEW auth_keys.oauth_client_list AS
    SELECT * FROM auth_keys.oauth_client_list_rows();
COMMENT ON VIEW auth_keys.oauth_client_list IS
    'The OAuth clients of the actor''s tailnet (all of them for owners, admins and auditors; those they created for others), never a secret or a hash.';
COMMENT ON COLUMN auth_keys.oauth_client_list.client_id IS 'The client id: 12 base62 characters, the part of the secret shown in lists.';
COMMENT ON COLUMN auth_keys.oauth_client_list.tailnet IS 'Name of the client''s tailnet.';
COMMENT ON COLUMN auth_keys.oauth_client_list.description IS 'Free text, at most 50 characters.';
COMMENT ON COLUMN auth_keys.oauth_client_list.scopes IS 'What the client''s tokens may allow: auth_keys, auth_keys:read, devices:core, devices:core:read.';
COMMENT ON COLUMN auth_keys.oauth_client_list.tags IS 'The client''s tags: its keys carry them or tags they own.';
COMMENT ON COLUMN auth_keys.oauth_client_list.created_by IS 'Login of the member who created the client.';
COMMENT ON COLUMN auth_keys.oauth_client_list.created_at IS 'When the client was created.';
COMMENT ON COLUMN auth_keys.oauth_client_list.last_used_at IS 'When the client last got an access token, or NULL.';
COMMENT ON COLUMN auth_keys.oauth_client_list.revoked_at IS 'When the client was revoked, or NULL.';
COMMENT ON COLUMN auth_keys.oauth_client_list.revoked_by IS 'Who revoked the client, or NULL.';
COMMENT ON COLUMN auth_keys.oauth_client_list.status IS 'active or revoked.';
COMMENT ON COLUMN auth_keys.oauth_client_list.minted_keys IS 'How many keys the client minted that are still kept (a sweep purges old invalid keys).';
COMMENT ON COLUMN auth_keys.oauth_client_list.valid_keys IS 'How many of them are valid now.';

-- Tailnet Lock's views for members, the trusted keys at the head and the
-- stale lock keys of pre-signed auth keys, decode the keys with
-- lock_decode, which reads no table, so that anyone may call it.
CREATE FUNCTION auth_keys.lock_decode(data bytea, structure text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'auth_keys_lock_decode'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth_keys.lock_decode(bytea, text) IS
    'A Tailnet Lock structure as JSON: an AUM or a node key signature (structure NULL: whichever the data is), a key or a state; input that is not exactly canonical CBOR is SQLSTATE 22P02.';

-- The trusted keys at the head, as a signing node lists them; a view over
-- a function of the definer, as the other member views (see above).
CREATE FUNCTION auth_keys.lock_key_rows()
    RETURNS TABLE (tailnet text, key_id bytea, public_key text, votes integer, meta jsonb,
                   purpose text, auth_key_id text)
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT t.name, k.key_id,
           'tlpub:' OPERATOR(pg_catalog.||) pg_catalog.encode(k.key_id, 'hex'),
           k.votes, m.meta,
           m.meta OPERATOR(pg_catalog.->>) 'purpose',
           m.meta OPERATOR(pg_catalog.->>) 'authkey_stableid'
      FROM auth_keys.lock_trusted_keys k
      JOIN auth_keys.tailnets t ON t.tailnet_id OPERATOR(pg_catalog.=) k.tailnet_id
      CROSS JOIN LATERAL
           (SELECT COALESCE(auth_keys.lock_decode(k.key, 'key') OPERATOR(pg_catalog.->) 'meta',
                            '{}'::pg_catalog.jsonb) AS meta) m
     WHERE auth_keys.tailnet_visible(k.tailnet_id);
END;
COMMENT ON FUNCTION auth_keys.lock_key_rows() IS
    'The rows of view lock_keys: the keys trusted at the head of the actor''s tailnet.';

CREATE VIEW auth_keys.lock_keys AS
    SELECT * FROM auth_keys.lock_key_rows();
COMMENT ON VIEW auth_keys.lock_keys IS
    'The keys the authority of the actor''s tailnet trusts at its head, with their votes and meta.';
COMMENT ON COLUMN auth_keys.lock_keys.tailnet IS 'Name of the tailnet.';
COMMENT ON COLUMN auth_keys.lock_keys.key_id IS 'The key''s id: its 32-byte Ed25519 public key.';
COMMENT ON COLUMN auth_keys.lock_keys.public_key IS 'The key as signing nodes write it: "tlpub:" and 64 hexadecimal digits.';
COMMENT ON COLUMN auth_keys.lock_keys.votes IS 'The key''s votes, 1 to 4096.';
COMMENT ON COLUMN auth_keys.lock_keys.meta IS 'The key''s meta, text to text ({} for none).';
COMMENT ON COLUMN auth_keys.lock_keys.purpose IS 'The meta "purpose": "pre-auth key" for the lock key of a pre-signed auth key.';
COMMENT ON COLUMN auth_keys.lock_keys.auth_key_id IS 'The meta "authkey_stableid": the auth key whose enrolments alone this key may sign, if it names one.';

-- Lock keys of pre-signed auth keys that can no longer enrol anyone: the
-- auth key they name is revoked, expired or used up, or is no key of the
-- tailnet (purged by a sweep, or never one).  For the owners, admins and
-- auditors, who see every key of the tailnet.
CREATE FUNCTION auth_keys.lock_stale_key_rows()
    RETURNS TABLE (tailnet text, key_id bytea, public_key text, auth_key_id text,
                   auth_key_status text)
    LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT t.name, tk.key_id,
           'tlpub:' OPERATOR(pg_catalog.||) pg_catalog.encode(tk.key_id, 'hex'),
           m.auth_key_id,
           COALESCE(auth_keys.key_status(k.revoked_at, k.used_up_at, k.expires_at), 'unknown')
      FROM auth_keys.lock_trusted_keys tk
      JOIN auth_keys.tailnets t ON t.tailnet_id OPERATOR(pg_catalog.=) tk.tailnet_id
      CROSS JOIN LATERAL
           (SELECT auth_keys.lock_decode(tk.key, 'key') OPERATOR(pg_catalog.->) 'meta'
                   OPERATOR(pg_catalog.->>) 'authkey_stableid' AS auth_key_id) m
      LEFT JOIN auth_keys.keys k ON k.key_id OPERATOR(pg_catalog.=) m.auth_key_id
                                AND k.tailnet_id OPERATOR(pg_catalog.=) tk.tailnet_id
     WHERE auth_keys.tailnet_visible(tk.tailnet_id)
       AND auth_keys.actor_sees_all_keys()
       AND m.auth_key_id IS NOT NULL
       AND (k.key_id IS NULL
            OR auth_keys.key_status(k.revoked_at, k.used_up_at, k.expires_at)
               OPERATOR(pg_catalog.<>) 'valid');
END;
COMMENT ON FUNCTION auth_keys.lock_stale_key_rows() IS
    'The rows of view lock_stale_keys: lock keys of the actor''s tailnet whose pre-signed auth key can no longer enrol anyone.';

CREATE VIEW auth_keys.lock_stale_keys AS
    SELECT * FROM auth_keys.lock_stale_key_rows();
COMMENT ON VIEW auth_keys.lock_stale_keys IS
    'Lock keys of pre-signed auth keys that can no longer enrol anyone (their auth key is revoked, expired, used up or gone): candidates for removal from the authority, from a signing node.';
COMMENT ON COLUMN auth_keys.lock_stale_keys.tailnet IS 'Name of the tailnet.';
COMMENT ON COLUMN auth_keys.lock_stale_keys.key_id IS 'The lock key''s id: its 32-byte Ed25519 public key.';
COMMENT ON COLUMN auth_keys.lock_stale_keys.public_key IS 'The lock key as signing nodes write it: "tlpub:" and 64 hexadecimal digits.';
COMMENT ON COLUMN auth_keys.lock_stale_keys.auth_key_id IS 'The auth key the lock key was made for (its meta "authkey_stableid").';
COMMENT ON COLUMN auth_keys.lock_stale_keys.auth_key_status IS 'revoked, expired or used; unknown when no key of the tailnet has that id any more.';

--------------------------------------------------------------------------
-- What operators read: every tenant, past row-level security
--------------------------------------------------------------------------

-- Operators see every tenant without acting in one: the views run with the
-- caller's rights, as every view does, and read through functions that
-- pass row-level security, which only the operator tier may execute.
CREATE FUNCTION auth_keys.tailnet_list_rows()
    RETURNS TABLE (tailnet_id bigint, name text, device_approval boolean,
                   node_key_expiry interval, created_at timestamptz, members bigint,
                   owners bigint, tags bigint, valid_keys bigint, nodes bigint,
                   nodes_awaiting_approval bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT t.tailnet_id, t.name, t.device_approval, t.node_key_expiry, t.created_at,
           (SELECT pg_catalog.count(*) FROM auth_keys.members m
             WHERE m.tailnet_id OPERATOR(pg_catalog.=) t.tailnet_id) AS members,
           (SELECT pg_catalog.count(*) FROM auth_keys.members m
             WHERE m.tailnet_id OPERATOR(pg_catalog.=) t.tailnet_id
               AND m.role OPERATOR(pg_catalog.=) 'owner') AS owners,
           (SELECT pg_catalog.count(*) FROM auth_keys.tag_owners g
             WHERE g.tailnet_id OPERATOR(pg_catalog.=) t.tailnet_id) AS tags,
           (SELECT pg_catalog.count(*) FROM auth_keys.keys k
             WHERE k.tailnet_id OPERATOR(pg_catalog.=) t.tailnet_id
               AND k.invalid_at OPERATOR(pg_catalog.>) pg_catalog.now()) AS valid_keys,
           (SELECT pg_catalog.count(*) FROM auth_keys.nodes n
             WHERE n.tailnet_id OPERATOR(pg_catalog.=) t.tailnet_id) AS nodes,
           (SELECT pg_catalog.count(*) FROM auth_keys.nodes n
             WHERE n.tailnet_id OPERATOR(pg_catalog.=) t.tailnet_id
               AND NOT n.authorized) AS nodes_awaiting_approval
      FROM auth_keys.tailnets t
     ORDER BY t.tailnet_id;
END;
COMMENT ON FUNCTION auth_keys.tailnet_list_rows() IS
    'Operator tier: the rows of view tailnet_list, past row-level security.';

CREATE VIEW auth_keys.tailnet_list WITH (security_invoker = true) AS
    SELECT * FROM auth_keys.tailnet_list_rows();
COMMENT ON VIEW auth_keys.tailnet_list IS
    'Operator tier: every tailnet with its settings and counts, without acting in any.';
COMMENT ON COLUMN auth_keys.tailnet_list.tailnet_id IS 'Identifier of the tailnet.';
COMMENT ON COLUMN auth_keys.tailnet_list.name IS 'Unique name, 1 to 100 bytes, without spaces, control or invisible characters.';
COMMENT ON COLUMN auth_keys.tailnet_list.device_approval IS 'Whether nodes enrolled by keys that are not pre-approved wait for approval.';
COMMENT ON COLUMN auth_keys.tailnet_list.node_key_expiry IS 'How long a node key stays valid after enrolment, 1 to 180 days.';
COMMENT ON COLUMN auth_keys.tailnet_list.created_at IS 'When the tailnet was created.';
COMMENT ON COLUMN auth_keys.tailnet_list.members IS 'How many members the tailnet has.';
COMMENT ON COLUMN auth_keys.tailnet_list.owners IS 'How many of them are owners (the last one cannot be removed or demoted).';
COMMENT ON COLUMN auth_keys.tailnet_list.tags IS 'How many tags the tailnet defines.';
COMMENT ON COLUMN auth_keys.tailnet_list.valid_keys IS 'How many of its keys are valid now (not revoked, used up or expired).';
COMMENT ON COLUMN auth_keys.tailnet_list.nodes IS 'How many nodes are enrolled.';
COMMENT ON COLUMN auth_keys.tailnet_list.nodes_awaiting_approval IS 'How many of them wait for device approval.';

CREATE FUNCTION auth_keys.tailnet_deletion_rows()
    RETURNS TABLE (event_id bigint, deleted_at timestamptz, deleted_by text,
                   tailnet_id bigint, name text, created_at timestamptz, members bigint,
                   tags bigint, keys bigint, nodes bigint, events bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT e.event_id, e.at AS deleted_at, e.actor AS deleted_by,
           (e.detail OPERATOR(pg_catalog.->>) 'tailnet_id')::pg_catalog.int8 AS tailnet_id,
           e.detail OPERATOR(pg_catalog.->>) 'name' AS name,
           (e.detail OPERATOR(pg_catalog.->>) 'created_at')::pg_catalog.timestamptz AS created_at,
           (e.detail OPERATOR(pg_catalog.->>) 'members')::pg_catalog.int8 AS members,
           (e.detail OPERATOR(pg_catalog.->>) 'tags')::pg_catalog.int8 AS tags,
           (e.detail OPERATOR(pg_catalog.->>) 'keys')::pg_catalog.int8 AS keys,
           (e.detail OPERATOR(pg_catalog.->>) 'nodes')::pg_catalog.int8 AS nodes,
           (e.detail OPERATOR(pg_catalog.->>) 'events')::pg_catalog.int8 AS events
      FROM auth_keys.events e
     WHERE e.tailnet_id IS NULL
       AND e.action OPERATOR(pg_catalog.=) 'tailnet.deleted'
     ORDER BY e.event_id;
END;
COMMENT ON FUNCTION auth_keys.tailnet_deletion_rows() IS
    'Operator tier: the rows of view tailnet_deletions, past row-level security.';

CREATE VIEW auth_keys.tailnet_deletions WITH (security_invoker = true) AS
    SELECT * FROM auth_keys.tailnet_deletion_rows();
COMMENT ON VIEW auth_keys.tailnet_deletions IS
    'Operator tier: the record of every deleted tailnet (the tailnet.deleted events), with what it held.';
COMMENT ON COLUMN auth_keys.tailnet_deletions.event_id IS 'The tailnet.deleted event.';
COMMENT ON COLUMN auth_keys.tailnet_deletions.deleted_at IS 'When the tailnet was deleted.';
COMMENT ON COLUMN auth_keys.tailnet_deletions.deleted_by IS 'Who deleted it: "role:" and the database role, or the acting member.';
COMMENT ON COLUMN auth_keys.tailnet_deletions.tailnet_id IS 'The deleted tailnet''s identifier (never used again).';
COMMENT ON COLUMN auth_keys.tailnet_deletions.name IS 'The deleted tailnet''s name (free for a new tailnet).';
COMMENT ON COLUMN auth_keys.tailnet_deletions.created_at IS 'When the deleted tailnet had been created.';
COMMENT ON COLUMN auth_keys.tailnet_deletions.members IS 'How many members it had.';
COMMENT ON COLUMN auth_keys.tailnet_deletions.tags IS 'How many tags it defined.';
COMMENT ON COLUMN auth_keys.tailnet_deletions.keys IS 'How many keys it had (valid or not).';
COMMENT ON COLUMN auth_keys.tailnet_deletions.nodes IS 'How many nodes were enrolled.';
COMMENT ON COLUMN auth_keys.tailnet_deletions.events IS 'How many audit events it had; they went with it.';

--------------------------------------------------------------------------
-- Operator tier
--------------------------------------------------------------------------

CREATE FUNCTION auth_keys.create_tailnet(name text, device_approval boolean DEFAULT false,
                                         node_key_expiry interval DEFAULT '180 days')
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'auth_keys_create_tailnet'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.create_tailnet(text, boolean, interval) IS
    'Operator tier: create a tailnet (a tenant) and return its id; name of 1 to 100 bytes, node key expiry of 1 to 180 days.';

CREATE FUNCTION auth_keys.set_member(tailnet text, login text, role text,
                                     db_role name DEFAULT NULL)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_set_member'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.set_member(text, text, text, name) IS
    'Operator tier: add a member to a tailnet or change their role (owner, admin, it_admin, network_admin, billing_admin, auditor, member) and the database role mapped to them.';

CREATE FUNCTION auth_keys.remove_member(tailnet text, login text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_remove_member'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.remove_member(text, text) IS
    'Operator tier: remove a member from a tailnet, revoking their keys that are still valid; their nodes stay.';

CREATE FUNCTION auth_keys.set_tag_owners(tailnet text, tag text, owners text[])
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_set_tag_owners'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.set_tag_owners(text, text, text[]) IS
    'Operator tier: define or redefine a tag of a tailnet with its owners (member logins, autogroup:admin, or other tags).';

-- Owners and admins may configure their own tailnet too; the function
-- checks who calls it.
CREATE FUNCTION auth_keys.configure_tailnet(tailnet text, device_approval boolean DEFAULT NULL,
                                            node_key_expiry interval DEFAULT NULL)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_configure_tailnet'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.configure_tailnet(text, boolean, interval) IS
    'Change a tailnet''s device approval and node key expiry (NULL keeps a setting): operators for any tailnet, owners and admins for their own.';

CREATE FUNCTION auth_keys.act_as(tailnet text, login text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_act_as'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.act_as(text, text) IS
    'Make a member the actor until the end of the current transaction; held in backend memory, wiped at commit and abort.';

-- The end of a tenant, which a tailnet.deleted event records.
CREATE FUNCTION auth_keys.delete_tailnet(name text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_delete_tailnet'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.delete_tailnet(text) IS
    'Operator tier: remove a tailnet and everything in it (members, tags, keys, nodes, events), leaving a tailnet.deleted event (see tailnet_deletions).';

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
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    ROWS 1;
COMMENT ON FUNCTION auth_keys.create_key(boolean, boolean, boolean, text[], interval, text, integer) IS
    'Actor tier: generate an authentication key (one-off or reusable, ephemeral, pre-approved, tagged, 1 to 90 days); the full key is returned here and never again.';

CREATE FUNCTION auth_keys.revoke_key(key_id text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_revoke_key'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.revoke_key(text) IS
    'Actor tier: revoke a key the actor generated; nodes it enrolled stay authorized.';

CREATE FUNCTION auth_keys.delete_node(node_id bigint)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_delete_node'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.delete_node(bigint) IS
    'Actor tier: delete a node, which deauthorizes it; the key that enrolled it stays used.';

CREATE FUNCTION auth_keys.approve_node(node_id bigint)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_approve_node'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.approve_node(bigint) IS
    'Actor tier: authorize a node that waits for device approval.';

CREATE FUNCTION auth_keys.set_node_key_expiry(node_id bigint, disabled boolean)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_set_node_key_expiry'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.set_node_key_expiry(bigint, boolean) IS
    'Actor tier: disable a node''s key expiry, or enable it again for a new period of the tailnet''s node key expiry.';

CREATE FUNCTION auth_keys.set_node_tags(node_id bigint, tags text[])
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_set_node_tags'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.set_node_tags(bigint, text[]) IS
    'Actor tier: give a node tags (it then takes their identity); its key expiry setting does not change.';

--------------------------------------------------------------------------
-- OAuth clients: credentials of a tailnet that mint tagged keys
--------------------------------------------------------------------------

-- Actor tier: members who may generate keys create clients; the creator
-- and the tailnet's owners and admins revoke them.
CREATE FUNCTION auth_keys.create_oauth_client(scopes text[], tags text[] DEFAULT '{}',
                                              description text DEFAULT NULL)
    RETURNS TABLE (client_id text, secret text)
    AS 'MODULE_PATHNAME', 'auth_keys_create_oauth_client'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    ROWS 1;
COMMENT ON FUNCTION auth_keys.create_oauth_client(text[], text[], text) IS
    'Actor tier: create an OAuth client of the actor''s tailnet with scopes and tags (required with auth_keys and devices:core); the secret is returned here and never again.';

CREATE FUNCTION auth_keys.revoke_oauth_client(client_id text, revoke_keys boolean DEFAULT false)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_revoke_oauth_client'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.revoke_oauth_client(text, boolean) IS
    'Actor tier: revoke an OAuth client, which ends its access tokens at once; its keys stay valid unless revoke_keys revokes them too.';

-- Delegate tier: the client-credentials grant, and acting as the client.
-- They take secrets: no statement of theirs goes to the server log when
-- they fail (log_min_error_statement), so a literal secret stays out of it.
CREATE FUNCTION auth_keys.oauth_token(secret text, scopes text[] DEFAULT NULL,
                                      tags text[] DEFAULT NULL)
    RETURNS TABLE (access_token text, token_type text, expires_in integer,
                   scopes text[], tags text[])
    AS 'MODULE_PATHNAME', 'auth_keys_oauth_token'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET log_min_error_statement = panic
    ROWS 1;
COMMENT ON FUNCTION auth_keys.oauth_token(text, text[], text[]) IS
    'Delegate tier: the OAuth client-credentials grant; an access token of the client''s scopes and tags, or fewer, that lives one hour; errors invalid_client (28000), invalid_scope (22S01), invalid_target (22T01).';

CREATE FUNCTION auth_keys.act_as_token(access_token text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_act_as_token'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET log_min_error_statement = panic;
COMMENT ON FUNCTION auth_keys.act_as_token(text) IS
    'Delegate tier: make the OAuth client of an access token the actor until the end of the current transaction, bounded by the token''s scopes and tags.';

--------------------------------------------------------------------------
-- Node tier
--------------------------------------------------------------------------

-- The functions that take a key keep the statement that called them out of
-- the server log when they refuse it (log_min_error_statement = panic, for
-- the errors they raise): a key sent as a literal would be in its text.
-- Keys sent as bind parameters never are (see the README).
CREATE FUNCTION auth_keys.validate_key(key text)
    RETURNS TABLE (key_id text, tailnet text, status text, reusable boolean,
                   ephemeral boolean, preauthorized boolean, tags text[],
                   expires_at timestamptz, uses_left integer)
    AS 'MODULE_PATHNAME', 'auth_keys_validate_key'
    LANGUAGE C STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET log_min_error_statement = panic
    ROWS 1;
COMMENT ON FUNCTION auth_keys.validate_key(text) IS
    'Node tier: what a presented key would do, spending nothing and recording nothing; status valid, expired, revoked, used or invalid.';

CREATE FUNCTION auth_keys.register_node(key text, node_key auth_keys.nodekey, hostname text,
                                        node_key_signature bytea DEFAULT NULL)
    RETURNS TABLE (node_id bigint, tailnet text, user_login text, tags text[],
                   authorized boolean, ephemeral boolean, key_expiry_disabled boolean,
                   node_key_expires_at timestamptz, reauthenticated boolean)
    AS 'MODULE_PATHNAME', 'auth_keys_register_node_1_1'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET log_min_error_statement = panic
    ROWS 1;
COMMENT ON FUNCTION auth_keys.register_node(text, auth_keys.nodekey, text, bytea) IS
    'Node tier: prove a key, spend one use and enrol (or re-authenticate) the node, atomically, with its node key signature verified and stored in a locked tailnet; a refused key or signature is SQLSTATE 28000.';

CREATE FUNCTION auth_keys.node_seen(node_key auth_keys.nodekey)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_node_seen'
    LANGUAGE C STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.node_seen(auth_keys.nodekey) IS
    'Node tier: record a heartbeat of a node (last_seen_at); false for an unknown node key.';

-- What the node-facing backend needs to decide whether to serve a node,
-- and the heartbeats of many nodes in one call.
CREATE FUNCTION auth_keys.node_status(node_key auth_keys.nodekey)
    RETURNS TABLE (node_id bigint, tailnet text, status text, authorized boolean,
                   ephemeral boolean, key_expiry_disabled boolean,
                   node_key_expires_at timestamptz, user_login text, tags text[],
                   lock_status text)
    AS 'MODULE_PATHNAME', 'auth_keys_node_status_by_key'
    LANGUAGE C STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    ROWS 1;
COMMENT ON FUNCTION auth_keys.node_status(auth_keys.nodekey) IS
    'Node tier: the node with this node key (status active, needs_approval or key_expired; lock_status not_locked, unsigned, signed or key_removed), or no row; writes nothing.';

CREATE FUNCTION auth_keys.nodes_seen(node_keys auth_keys.nodekey[])
    RETURNS TABLE (node_key auth_keys.nodekey, status text)
    AS 'MODULE_PATHNAME', 'auth_keys_nodes_seen'
    LANGUAGE C STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.nodes_seen(auth_keys.nodekey[]) IS
    'Node tier: record a heartbeat of every enrolled node among up to 10,000 node keys; one row per node key given, with its status or unknown.';

--------------------------------------------------------------------------
-- Tailnet Lock (node tier)
--------------------------------------------------------------------------

-- lock_head and lock_aums only read, so they answer on a standby too.
CREATE FUNCTION auth_keys.lock_submit(tailnet text, aums bytea[])
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'auth_keys_lock_submit'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.lock_submit(text, bytea[]) IS
    'Node tier: store the AUMs a signing node sent, in order, each verified against the state before it (the first of a tailnet is its genesis and turns the lock on); returns the head''s hash.';

CREATE FUNCTION auth_keys.lock_head(tailnet text)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'auth_keys_lock_head'
    LANGUAGE C STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.lock_head(text) IS
    'Node tier: the hash of the head of a tailnet''s authority log, or NULL when the tailnet has no Tailnet Lock.';

CREATE FUNCTION auth_keys.lock_aums(tailnet text, since bytea DEFAULT NULL)
    RETURNS SETOF bytea
    AS 'MODULE_PATHNAME', 'auth_keys_lock_aums'
    LANGUAGE C STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.lock_aums(text, bytea) IS
    'Node tier: the AUMs from the genesis (or after the AUM "since", or after where its branch leaves the head''s) to the head, oldest first: what a syncing node lacks.';

CREATE FUNCTION auth_keys.lock_sign_node(node_key auth_keys.nodekey, signature bytea)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_lock_sign_node'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.lock_sign_node(auth_keys.nodekey, bytea) IS
    'Node tier: verify a node key signature, made on a signing node, against the keys trusted at the head and store it; a refused one is SQLSTATE 28000.';

CREATE FUNCTION auth_keys.lock_disable(tailnet text, secret bytea)
    RETURNS void
    AS 'MODULE_PATHNAME', 'auth_keys_lock_disable'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.lock_disable(text, bytea) IS
    'Node tier: turn a tailnet''s Tailnet Lock off with a disablement secret (checked with Argon2i against the head''s disablement values), removing its log, trusted keys and signatures.';

--------------------------------------------------------------------------
-- Maintenance (operator tier)
--------------------------------------------------------------------------

CREATE FUNCTION auth_keys.sweep(batch_size integer DEFAULT 1000)
    RETURNS TABLE (keys_purged bigint, nodes_removed bigint, node_key_expiries bigint)
    AS 'MODULE_PATHNAME', 'auth_keys_sweep'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    ROWS 1;
COMMENT ON FUNCTION auth_keys.sweep(integer) IS
    'Operator tier: in the caller''s transaction, purge keys past auth_keys.invalid_key_retention, delete expired OAuth access tokens, remove audit events past auth_keys.event_retention, record node key expiries and remove ephemeral nodes idle past auth_keys.ephemeral_inactivity_timeout, in batches (the uses counted for keys without a limit are added to their rows by sweep_in_steps only).';

-- The same sweep, committing after each batch: no transaction of it holds
-- a snapshot or a lock for longer than a batch takes.  A procedure that
-- commits can be neither SECURITY DEFINER nor have SET clauses; its steps
-- run as its owner with search_path pg_catalog, pg_temp (sweep.c).
CREATE PROCEDURE auth_keys.sweep_in_steps(batch_size integer DEFAULT 1000)
    AS 'MODULE_PATHNAME', 'auth_keys_sweep_in_steps'
    LANGUAGE C;
COMMENT ON PROCEDURE auth_keys.sweep_in_steps(integer) IS
    'Operator tier: the sweep of auth_keys.sweep, committing after each batch (CALL it outside a transaction block); what it did is in auth_keys.sweep_log.  The pg_cron job calls it.';

CREATE FUNCTION auth_keys.schedule_sweep(schedule text DEFAULT '* * * * *')
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'auth_keys_schedule_sweep'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.schedule_sweep(text) IS
    'Operator tier: schedule (or reschedule) the sweep as the pg_cron job auth_keys.sweep and return its job id.';

CREATE FUNCTION auth_keys.unschedule_sweep()
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'auth_keys_unschedule_sweep'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.unschedule_sweep() IS
    'Operator tier: remove the pg_cron job auth_keys.sweep; returns whether there was one.';

-- The sweep job's runs as pg_cron records them, each with what its sweep
-- did, from sweep_log.
CREATE FUNCTION auth_keys.sweep_job_runs(max_runs integer DEFAULT 20)
    RETURNS TABLE (run_id bigint, started_at timestamptz, finished_at timestamptz,
                   outcome text, message text, hint text, keys_purged bigint,
                   nodes_removed bigint, node_key_expiries bigint)
    AS 'MODULE_PATHNAME', 'auth_keys_sweep_job_runs'
    LANGUAGE C STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auth_keys.sweep_job_runs(integer) IS
    'Operator tier: the latest runs of the pg_cron job auth_keys.sweep, newest first, with their outcome (succeeded, failed, running) and what each sweep did.';

--------------------------------------------------------------------------
-- Grant tiers and uninstalling
--------------------------------------------------------------------------

-- The functions of each tier, in one place: grant_tier, revoke_tier and
-- tier_grants use it.  configure_tailnet is in three tiers: operators
-- configure any tailnet, owners and admins their own (acting directly or
-- through a delegate).  act_as is the operators' and the delegates'.
-- act_as_token and oauth_token, for OAuth clients, are the delegates' only
-- (they came with the delegate tier, in 1.1, so no delegate held the tier
-- before them); create_oauth_client and revoke_oauth_client are actor
-- functions.  The functions behind the member views are in every tier that
-- reads the views, since a view calls them with the caller's rights.
CREATE FUNCTION auth_keys.tier_functions(tier text)
    RETURNS SETOF regprocedure
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    view_rows CONSTANT text[] := ARRAY[
        'auth_keys.key_list_rows()',
        'auth_keys.node_list_rows()',
        'auth_keys.recent_invalid_key_rows()',
        'auth_keys.member_list_rows()',
        'auth_keys.tag_list_rows()',
        'auth_keys.event_list_rows()',
        'auth_keys.tailnet_settings_rows()',
        'auth_keys.lock_key_rows()',
        'auth_keys.lock_stale_key_rows()',
        'auth_keys.oauth_client_list_rows()'];
BEGIN
    IF tier = 'operator' THEN
        RETURN QUERY SELECT unnest(ARRAY[
            'auth_keys.create_tailnet(text, boolean, interval)',
            'auth_keys.set_member(text, text, text, name)',
            'auth_keys.remove_member(text, text)',
            'auth_keys.set_tag_owners(text, text, text[])',
            'auth_keys.configure_tailnet(text, boolean, interval)',
            'auth_keys.delete_tailnet(text)',
            'auth_keys.act_as(text, text)',
            'auth_keys.sweep(integer)',
            'auth_keys.sweep_in_steps(integer)',
            'auth_keys.schedule_sweep(text)',
            'auth_keys.unschedule_sweep()',
            'auth_keys.sweep_job_runs(integer)',
            'auth_keys.tailnet_list_rows()',
            'auth_keys.tailnet_deletion_rows()'] || view_rows)::regprocedure;
    ELSIF tier = 'delegate' THEN
        RETURN QUERY SELECT unnest(ARRAY[
            'auth_keys.act_as(text, text)',
            'auth_keys.create_key(boolean, boolean, boolean, text[], interval, text, integer)',
            'auth_keys.revoke_key(text)',
            'auth_keys.delete_node(bigint)',
            'auth_keys.approve_node(bigint)',
            'auth_keys.set_node_key_expiry(bigint, boolean)',
            'auth_keys.set_node_tags(bigint, text[])',
            'auth_keys.configure_tailnet(text, boolean, interval)',
            'auth_keys.create_oauth_client(text[], text[], text)',
            'auth_keys.revoke_oauth_client(text, boolean)',
            'auth_keys.oauth_token(text, text[], text[])',
            'auth_keys.act_as_token(text)'] || view_rows)::regprocedure;
    ELSIF tier = 'actor' THEN
        RETURN QUERY SELECT unnest(ARRAY[
            'auth_keys.create_key(boolean, boolean, boolean, text[], interval, text, integer)',
            'auth_keys.revoke_key(text)',
            'auth_keys.delete_node(bigint)',
            'auth_keys.approve_node(bigint)',
            'auth_keys.set_node_key_expiry(bigint, boolean)',
            'auth_keys.set_node_tags(bigint, text[])',
            'auth_keys.configure_tailnet(text, boolean, interval)',
            'auth_keys.create_oauth_client(text[], text[], text)',
            'auth_keys.revoke_oauth_client(text, boolean)'] || view_rows)::regprocedure;
    ELSIF tier = 'node' THEN
        RETURN QUERY SELECT unnest(ARRAY[
            'auth_keys.validate_key(text)',
            'auth_keys.register_node(text, auth_keys.nodekey, text, bytea)',
            'auth_keys.node_seen(auth_keys.nodekey)',
            'auth_keys.node_status(auth_keys.nodekey)',
            'auth_keys.nodes_seen(auth_keys.nodekey[])',
            -- Tailnet Lock
            'auth_keys.lock_submit(text, bytea[])',
            'auth_keys.lock_head(text)',
            'auth_keys.lock_aums(text, bytea)',
            'auth_keys.lock_sign_node(auth_keys.nodekey, bytea)',
            'auth_keys.lock_disable(text, bytea)'])::regprocedure;
    ELSE
        RAISE EXCEPTION 'invalid tier "%"', tier
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The tiers are operator, delegate, actor and node.';
    END IF;
END;
$$;
COMMENT ON FUNCTION auth_keys.tier_functions(text) IS
    'The functions of a grant tier (operator, delegate, actor, node), for grant_tier, revoke_tier and tier_grants.';

-- The relations each tier reads.  Members (the actor and delegate tiers)
-- read only the views; operators, who administer every tenant, read the
-- tables too (row-level security still limits them to the tailnet they act
-- as), every column of keys but the secret's hash, and the views of every
-- tenant.
CREATE FUNCTION auth_keys.tier_relations(tier text)
    RETURNS SETOF regclass
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT unnest(ARRAY['auth_keys.key_list', 'auth_keys.node_list',
                        'auth_keys.recent_invalid_keys', 'auth_keys.member_list',
                        'auth_keys.tag_list', 'auth_keys.event_list',
                        'auth_keys.tailnet_settings',
                        'auth_keys.lock_keys', 'auth_keys.lock_stale_keys',
                        'auth_keys.oauth_client_list']::regclass[])
     WHERE tier OPERATOR(pg_catalog.=) ANY (ARRAY['operator', 'delegate', 'actor'])
    UNION ALL
    SELECT unnest(ARRAY['auth_keys.tailnets', 'auth_keys.members', 'auth_keys.tag_owners',
                        'auth_keys.events', 'auth_keys.nodes', 'auth_keys.tailnet_list',
                        'auth_keys.tailnet_deletions',
                        'auth_keys.lock_authorities', 'auth_keys.lock_updates',
                        'auth_keys.lock_trusted_keys', 'auth_keys.lock_node_signatures']::regclass[])
     WHERE tier OPERATOR(pg_catalog.=) 'operator';
END;
COMMENT ON FUNCTION auth_keys.tier_relations(text) IS
    'The tables and views a grant tier may read (keys apart, whose columns but the hash go to operators), for grant_tier and revoke_tier.';

-- The columns of keys that operators read: all but the secret's hash.
CREATE FUNCTION auth_keys.key_columns_granted()
    RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN 'key_id, tailnet_id, created_by, description, reusable, ephemeral, preauthorized, '
           'tags, max_uses, uses, created_at, expires_at, revoked_at, revoked_by, '
           'last_used_at, used_up_at, invalid_at, oauth_client_id';
COMMENT ON FUNCTION auth_keys.key_columns_granted() IS
    'The columns of auth_keys.keys that the operator tier may read: every one but the secret''s hash.';

-- With tailnets, the delegate tier is limited to the tailnets of those
-- names, in addition to those the role may already act in.
CREATE FUNCTION auth_keys.grant_tier(tier text, grantee regrole, tailnets text[] DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fn regprocedure;
    rel regclass;
    unknown text;
BEGIN
    IF tailnets IS NOT NULL AND tier IS DISTINCT FROM 'delegate' THEN
        RAISE EXCEPTION 'only the delegate tier can be limited to tailnets'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Leave tailnets out for the operator, actor and node tiers.';
    END IF;
    IF cardinality(tailnets) = 0 OR array_position(tailnets, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'tailnets must name at least one tailnet, and no nulls'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Leave tailnets out to make the role a delegate for every tailnet.';
    END IF;
    SELECT string_agg(format('"%s"', n), ', ') INTO unknown
      FROM unnest(tailnets) AS n
     WHERE NOT EXISTS (SELECT FROM auth_keys.tailnets t WHERE t.name = n);
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'tailnets do not exist: %', unknown
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    FOR fn IN SELECT * FROM auth_keys.tier_functions(tier) LOOP
        EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO %s', fn, grantee);
    END LOOP;
    EXECUTE format('GRANT USAGE ON SCHEMA auth_keys TO %s', grantee);
    FOR rel IN SELECT * FROM auth_keys.tier_relations(tier) LOOP
        EXECUTE format('GRANT SELECT ON %s TO %s', rel, grantee);
    END LOOP;
    IF tier = 'operator' THEN
        EXECUTE format('GRANT SELECT (%s) ON auth_keys.keys TO %s',
                       auth_keys.key_columns_granted(), grantee);
    END IF;
    IF tier = 'delegate' THEN
        IF tailnets IS NULL THEN
            INSERT INTO auth_keys.delegates (delegate, tailnet_id) VALUES (grantee, NULL)
                ON CONFLICT DO NOTHING;
        ELSE
            INSERT INTO auth_keys.delegates (delegate, tailnet_id)
            SELECT grantee, t.tailnet_id FROM auth_keys.tailnets t WHERE t.name = ANY (tailnets)
                ON CONFLICT DO NOTHING;
        END IF;
    END IF;
END;
$$;
COMMENT ON FUNCTION auth_keys.grant_tier(text, regrole, text[]) IS
    'Grant a database role one tier of callers (operator, delegate, actor or node): schema usage, EXECUTE on its functions, and SELECT on what it reads (the member views; for operators the tables and every tenant''s views too); a delegate for every tailnet, or for the named ones.';

-- Takes a tier away, and leaves what another tier the role still holds
-- grants: a role holds a tier when it may execute all of its functions
-- (and, for the delegate tier, is in auth_keys.delegates).  With tailnets,
-- takes only those tailnets from a delegate.
CREATE FUNCTION auth_keys.revoke_tier(tier text, grantee regrole, tailnets text[] DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kept text[];
    fn regprocedure;
    rel regclass;
BEGIN
    IF tailnets IS NOT NULL THEN
        IF tier IS DISTINCT FROM 'delegate' THEN
            RAISE EXCEPTION 'only the delegate tier can be limited to tailnets'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Leave tailnets out for the operator, actor and node tiers.';
        END IF;
        DELETE FROM auth_keys.delegates d
         USING auth_keys.tailnets t
         WHERE d.delegate = grantee AND d.tailnet_id = t.tailnet_id AND t.name = ANY (tailnets);
        RETURN;
    END IF;
    PERFORM auth_keys.tier_functions(tier);     -- a bad tier fails here

    -- The delegate tier holds every actor function: taking it away takes
    -- them too (grant_tier('actor', ...) gives them back to a mapped role).
    SELECT COALESCE(array_agg(t), '{}') INTO kept
      FROM unnest(ARRAY['operator', 'delegate', 'actor', 'node']) AS t
     WHERE t <> tier
       AND NOT (tier = 'delegate' AND t = 'actor')
       AND NOT EXISTS (SELECT FROM auth_keys.tier_functions(t) AS f
                        WHERE NOT has_function_privilege(grantee::oid, f, 'EXECUTE'))
       AND (t <> 'delegate'
            OR EXISTS (SELECT FROM auth_keys.delegates d WHERE d.delegate = grantee));
    FOR fn IN SELECT * FROM auth_keys.tier_functions(tier)
              EXCEPT
              SELECT f FROM unnest(kept) AS k, auth_keys.tier_functions(k) AS f LOOP
        EXECUTE format('REVOKE EXECUTE ON ROUTINE %s FROM %s', fn, grantee);
    END LOOP;
    FOR rel IN SELECT * FROM auth_keys.tier_relations(tier)
               EXCEPT
               SELECT r FROM unnest(kept) AS k, auth_keys.tier_relations(k) AS r LOOP
        EXECUTE format('REVOKE SELECT ON %s FROM %s', rel, grantee);
    END LOOP;
    IF tier = 'operator' AND NOT 'operator' = ANY (kept) THEN
        EXECUTE format('REVOKE SELECT ON auth_keys.keys FROM %s', grantee);
    END IF;
    IF tier = 'delegate' THEN
        DELETE FROM auth_keys.delegates d WHERE d.delegate = grantee;
    END IF;
    IF cardinality(kept) = 0 THEN
        EXECUTE format('REVOKE USAGE ON SCHEMA auth_keys FROM %s', grantee);
    END IF;
END;
$$;
COMMENT ON FUNCTION auth_keys.revoke_tier(text, regrole, text[]) IS
    'Take a tier away from a database role, keeping what another tier it still holds grants; with tailnets, take only those tailnets from a delegate.';

-- Who holds which tier, as grant_tier gave it (direct grants of every
-- function of the tier; for delegates, their tailnets): what a reinstall
-- needs to grant again.  The delegate tier holds every function of the
-- actor tier, so a delegate is listed as a delegate and not as an actor.
CREATE FUNCTION auth_keys.tier_grants()
    RETURNS TABLE (grantee regrole, tier text, tailnets text[])
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT r.oid::pg_catalog.regrole, t.tier,
           CASE WHEN t.tier OPERATOR(pg_catalog.=) 'delegate'
                 AND NOT EXISTS (SELECT FROM auth_keys.delegates d
                                  WHERE d.delegate::pg_catalog.oid OPERATOR(pg_catalog.=) r.oid
                                    AND d.tailnet_id IS NULL)
                THEN (SELECT pg_catalog.array_agg(n.name ORDER BY n.name)
                        FROM auth_keys.delegates d
                        JOIN auth_keys.tailnets n
                          ON n.tailnet_id OPERATOR(pg_catalog.=) d.tailnet_id
                       WHERE d.delegate::pg_catalog.oid OPERATOR(pg_catalog.=) r.oid)
           END
      FROM pg_catalog.pg_roles r,
           pg_catalog.unnest(ARRAY['operator', 'delegate', 'actor', 'node']) AS t(tier)
     WHERE NOT EXISTS (
               SELECT FROM auth_keys.tier_functions(t.tier) AS f(fn)
                WHERE NOT EXISTS (
                          SELECT FROM pg_catalog.pg_proc p,
                                      pg_catalog.aclexplode(p.proacl) AS a
                           WHERE p.oid OPERATOR(pg_catalog.=) f.fn::pg_catalog.oid
                             AND a.grantee OPERATOR(pg_catalog.=) r.oid
                             AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
                             AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE'))
       AND (t.tier OPERATOR(pg_catalog.<>) 'delegate'
            OR EXISTS (SELECT FROM auth_keys.delegates d
                        WHERE d.delegate::pg_catalog.oid OPERATOR(pg_catalog.=) r.oid))
       AND (t.tier OPERATOR(pg_catalog.<>) 'actor'
            OR NOT EXISTS (SELECT FROM auth_keys.delegates d
                            WHERE d.delegate::pg_catalog.oid OPERATOR(pg_catalog.=) r.oid))
     ORDER BY 1, 2;
END;
COMMENT ON FUNCTION auth_keys.tier_grants() IS
    'Which roles hold which tier (and, for delegates limited to some, which tailnets): the grant_tier calls a reinstall needs again.';

-- The whole uninstall in one call: the sweep job, the extension, and its
-- schema (which DROP EXTENSION leaves, since the extension lives in it).
-- It names the grant_tier calls that a new CREATE EXTENSION needs again.
CREATE FUNCTION auth_keys.uninstall()
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT * FROM auth_keys.tier_grants() LOOP
        IF g.tailnets IS NULL THEN
            RAISE NOTICE 'role % holds the % tier', g.grantee, g.tier
                USING HINT = format('After CREATE EXTENSION auth_keys, run SELECT auth_keys.grant_tier(%L, %L);',
                                    g.tier, g.grantee);
        ELSE
            RAISE NOTICE 'role % holds the % tier for tailnets %', g.grantee, g.tier,
                         array_to_string(g.tailnets, ', ')
                USING HINT = format('After CREATE EXTENSION auth_keys and the tailnets, run SELECT auth_keys.grant_tier(%L, %L, tailnets => %L);',
                                    g.tier, g.grantee, g.tailnets);
        END IF;
    END LOOP;
    IF to_regclass('cron.job') IS NOT NULL THEN
        PERFORM cron.unschedule(j.jobid) FROM cron.job j
          WHERE j.jobname = 'auth_keys.sweep' AND j.database = current_database();
    ELSE
        RAISE NOTICE 'pg_cron is not installed in database %', current_database()
            USING HINT = format('A sweep scheduled from the cron database with cron.schedule_in_database stays there: run SELECT cron.unschedule(%L) in that database.',
                                'auth_keys.sweep.' || current_database());
    END IF;
    DROP EXTENSION auth_keys;
    DROP SCHEMA auth_keys;
END;
$$;
COMMENT ON FUNCTION auth_keys.uninstall() IS
    'Superuser: remove auth_keys entirely (the pg_cron sweep job, the extension with all its data, the schema), naming the tier grants a reinstall needs again.';

--------------------------------------------------------------------------
-- Privileges
--------------------------------------------------------------------------

-- Nothing in the schema is PUBLIC's but what the GRANTs below name; the
-- tiers get the rest from grant_tier.  Sequences are left as they are
-- made, which gives PUBLIC nothing.
REVOKE ALL ON ALL TABLES IN SCHEMA auth_keys FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA auth_keys FROM PUBLIC;
REVOKE ALL ON ALL PROCEDURES IN SCHEMA auth_keys FROM PUBLIC;

-- Constraints, policies and views call these helpers with the caller's
-- rights; they read nothing, or only what concerns the caller.
GRANT EXECUTE ON FUNCTION
    auth_keys.tag_is_valid(text),
    auth_keys.tags_are_valid(text[]),
    auth_keys.tailnet_name_is_valid(text),
    auth_keys.login_is_valid(text),
    auth_keys.hostname_is_valid(text),
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
    auth_keys.invalid_key_retention(),
    auth_keys.actor_client_tailnet_id(text),
    auth_keys.key_row_visible(bigint, text, text),
    auth_keys.node_row_visible(bigint, text),
    auth_keys.node_lock_status(boolean, boolean, boolean),
    auth_keys.lock_decode(bytea, text)
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
