/* sql/auth_keys--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION auth_keys UPDATE TO '1.1'" to load this file. \quit

--------------------------------------------------------------------------
-- Every object explains itself (\df+, \d+, \dT+)
--------------------------------------------------------------------------

COMMENT ON TYPE auth_keys.nodekey IS
    'Curve25519 public key of a node: "nodekey:" followed by 64 hexadecimal digits (either case in, lower case out), stored as 32 bytes.';

COMMENT ON OPERATOR auth_keys.= (auth_keys.nodekey, auth_keys.nodekey) IS 'node keys are equal';
COMMENT ON OPERATOR auth_keys.<> (auth_keys.nodekey, auth_keys.nodekey) IS 'node keys are not equal';
COMMENT ON OPERATOR auth_keys.< (auth_keys.nodekey, auth_keys.nodekey) IS 'node key sorts before';
COMMENT ON OPERATOR auth_keys.<= (auth_keys.nodekey, auth_keys.nodekey) IS 'node key sorts before or equals';
COMMENT ON OPERATOR auth_keys.> (auth_keys.nodekey, auth_keys.nodekey) IS 'node key sorts after';
COMMENT ON OPERATOR auth_keys.>= (auth_keys.nodekey, auth_keys.nodekey) IS 'node key sorts after or equals';
COMMENT ON OPERATOR CLASS auth_keys.nodekey_ops USING btree IS
    'B-tree operator class of type nodekey: byte order, deduplication safe.';
COMMENT ON OPERATOR CLASS auth_keys.nodekey_hash_ops USING hash IS
    'Hash operator class of type nodekey.';

COMMENT ON FUNCTION auth_keys.tag_is_valid(text) IS
    'Whether a text is a well-formed tag: "tag:", a lower-case letter, then up to 62 lower-case letters, digits or dashes.';
COMMENT ON FUNCTION auth_keys.tags_are_valid(text[]) IS
    'Whether every element of an array is a well-formed tag, with no NULL among them (the CHECK constraints of keys and nodes).';
COMMENT ON FUNCTION auth_keys.key_status(timestamptz, timestamptz, timestamptz) IS
    'The status of a key from its revocation, use-up and expiry times: revoked, used, expired or valid, in that order of precedence.';
COMMENT ON FUNCTION auth_keys.key_uses_left(boolean, integer, integer) IS
    'How many uses a key has left against its limit: 1 or 0 for a one-off key, NULL for a reusable key without max_uses.';
COMMENT ON FUNCTION auth_keys.actor_tailnet_id() IS
    'The acting member''s tailnet, or NULL when no member acts in this transaction; row-level security compares each row with it.';
COMMENT ON FUNCTION auth_keys.actor_login() IS
    'The acting member''s login, or NULL when no member acts in this transaction.';
COMMENT ON FUNCTION auth_keys.actor_sees_all_keys() IS
    'Whether the acting member sees every key of the tailnet (owner, admin, auditor) rather than only their own.';
COMMENT ON FUNCTION auth_keys.actor_sees_all_nodes() IS
    'Whether the acting member sees every node of the tailnet (owner, admin, IT admin, network admin, auditor) rather than only their own.';
COMMENT ON FUNCTION auth_keys.tailnet_visible(bigint) IS
    'Row-level security: whether a row of this tailnet is the actor''s.';
COMMENT ON FUNCTION auth_keys.key_visible(bigint, text) IS
    'Row-level security for keys and events: the actor''s tailnet, and the actor''s own rows unless the actor sees all keys.';
COMMENT ON FUNCTION auth_keys.node_visible(bigint, text) IS
    'Row-level security for nodes: the actor''s tailnet, and the actor''s own nodes unless the actor sees all nodes.';
COMMENT ON FUNCTION auth_keys.node_status(boolean, timestamptz) IS
    'The status of a node from its authorization and node key expiry: needs_approval, key_expired or active.';
COMMENT ON FUNCTION auth_keys.keys_guard() IS
    'Trigger function that keeps the invariants of a key on a direct UPDATE: the hash, identity and settings never change, revocation is one-way, uses never decrease.';
COMMENT ON FUNCTION auth_keys.nodekey_in(cstring) IS
    'Input function of type nodekey: "nodekey:" and 64 hexadecimal digits, in either case.';
COMMENT ON FUNCTION auth_keys.nodekey_out(auth_keys.nodekey) IS
    'Output function of type nodekey: "nodekey:" and 64 lower-case hexadecimal digits.';
COMMENT ON FUNCTION auth_keys.nodekey_recv(internal) IS
    'Binary input function of type nodekey: exactly 32 bytes.';
COMMENT ON FUNCTION auth_keys.nodekey_send(auth_keys.nodekey) IS
    'Binary output function of type nodekey: the 32 bytes.';
COMMENT ON FUNCTION auth_keys.nodekey_eq(auth_keys.nodekey, auth_keys.nodekey) IS
    'Whether the first node key is equal to the second, comparing their bytes.';
COMMENT ON FUNCTION auth_keys.nodekey_ne(auth_keys.nodekey, auth_keys.nodekey) IS
    'Whether the first node key is not equal to the second, comparing their bytes.';
COMMENT ON FUNCTION auth_keys.nodekey_lt(auth_keys.nodekey, auth_keys.nodekey) IS
    'Whether the first node key is less than the second, comparing their bytes.';
COMMENT ON FUNCTION auth_keys.nodekey_le(auth_keys.nodekey, auth_keys.nodekey) IS
    'Whether the first node key is less than or equal to the second, comparing their bytes.';
COMMENT ON FUNCTION auth_keys.nodekey_gt(auth_keys.nodekey, auth_keys.nodekey) IS
    'Whether the first node key is greater than the second, comparing their bytes.';
COMMENT ON FUNCTION auth_keys.nodekey_ge(auth_keys.nodekey, auth_keys.nodekey) IS
    'Whether the first node key is greater than or equal to the second, comparing their bytes.';
COMMENT ON FUNCTION auth_keys.nodekey_cmp(auth_keys.nodekey, auth_keys.nodekey) IS
    'B-tree comparison of two node keys by their bytes: -1, 0 or 1.';
COMMENT ON FUNCTION auth_keys.nodekey_hash(auth_keys.nodekey) IS
    'Hash of a node key, for hash indexes and hash joins.';
COMMENT ON FUNCTION auth_keys.nodekey_hash_extended(auth_keys.nodekey, int8) IS
    'Seeded 64-bit hash of a node key, for hash partitioning.';
COMMENT ON FUNCTION auth_keys.invalid_key_retention() IS
    'The auth_keys.invalid_key_retention setting as an interval: how long an invalid key stays listed before a sweep purges it.';
COMMENT ON FUNCTION auth_keys.create_tailnet(text, boolean, interval) IS
    'Operator tier: create a tailnet (a tenant) and return its id; name of 1 to 100 bytes, node key expiry of 1 to 180 days.';
COMMENT ON FUNCTION auth_keys.set_member(text, text, text, name) IS
    'Operator tier: add a member to a tailnet or change their role (owner, admin, it_admin, network_admin, billing_admin, auditor, member) and the database role mapped to them.';
COMMENT ON FUNCTION auth_keys.remove_member(text, text) IS
    'Operator tier: remove a member from a tailnet, revoking their keys that are still valid; their nodes stay.';
COMMENT ON FUNCTION auth_keys.set_tag_owners(text, text, text[]) IS
    'Operator tier: define or redefine a tag of a tailnet with its owners (member logins, autogroup:admin, or other tags).';
COMMENT ON FUNCTION auth_keys.configure_tailnet(text, boolean, interval) IS
    'Change a tailnet''s device approval and node key expiry (NULL keeps a setting): operators for any tailnet, owners and admins for their own.';
COMMENT ON FUNCTION auth_keys.act_as(text, text) IS
    'Make a member the actor until the end of the current transaction; held in backend memory, wiped at commit and abort.';
COMMENT ON FUNCTION auth_keys.create_key(boolean, boolean, boolean, text[], interval, text, integer) IS
    'Actor tier: generate an authentication key (one-off or reusable, ephemeral, pre-approved, tagged, 1 to 90 days); the full key is returned here and never again.';
COMMENT ON FUNCTION auth_keys.revoke_key(text) IS
    'Actor tier: revoke a key the actor generated; nodes it enrolled stay authorized.';
COMMENT ON FUNCTION auth_keys.delete_node(bigint) IS
    'Actor tier: delete a node, which deauthorizes it; the key that enrolled it stays used.';
COMMENT ON FUNCTION auth_keys.approve_node(bigint) IS
    'Actor tier: authorize a node that waits for device approval.';
COMMENT ON FUNCTION auth_keys.set_node_key_expiry(bigint, boolean) IS
    'Actor tier: disable a node''s key expiry, or enable it again for a new period of the tailnet''s node key expiry.';
COMMENT ON FUNCTION auth_keys.set_node_tags(bigint, text[]) IS
    'Actor tier: give a node tags (it then takes their identity); its key expiry setting does not change.';
COMMENT ON FUNCTION auth_keys.validate_key(text) IS
    'Node tier: what a presented key would do, spending nothing and recording nothing; status valid, expired, revoked, used or invalid.';
COMMENT ON FUNCTION auth_keys.register_node(text, auth_keys.nodekey, text) IS
    'Node tier: prove a key, spend one use and enrol (or re-authenticate) the node, atomically; a refused key is SQLSTATE 28000.';
COMMENT ON FUNCTION auth_keys.node_seen(auth_keys.nodekey) IS
    'Node tier: record a heartbeat of a node (last_seen_at); false for an unknown node key.';
COMMENT ON FUNCTION auth_keys.sweep(integer) IS
    'Operator tier: purge keys past auth_keys.invalid_key_retention, record node key expiries and remove ephemeral nodes idle past auth_keys.ephemeral_inactivity_timeout, in batches.';
COMMENT ON FUNCTION auth_keys.schedule_sweep(text) IS
    'Operator tier: schedule (or reschedule) the sweep as the pg_cron job auth_keys.sweep and return its job id.';
COMMENT ON FUNCTION auth_keys.unschedule_sweep() IS
    'Operator tier: remove the pg_cron job auth_keys.sweep; returns whether there was one.';
COMMENT ON FUNCTION auth_keys.tier_functions(text) IS
    'The functions of a grant tier (operator, actor, node), for grant_tier and revoke_tier.';
COMMENT ON FUNCTION auth_keys.tier_relations() IS
    'The tables and views that the operator and actor tiers may read, for grant_tier and revoke_tier.';
COMMENT ON FUNCTION auth_keys.grant_tier(text, regrole) IS
    'Grant a database role one tier of callers (operator, actor or node): schema usage, EXECUTE on its functions and, for operator and actor, SELECT on the tables and views.';
COMMENT ON FUNCTION auth_keys.revoke_tier(text, regrole) IS
    'Take a tier away from a database role, keeping what another tier it still holds grants.';

COMMENT ON TABLE auth_keys.tailnets IS
    'Tenants: one private network each, with its own members, tags, keys and nodes.';
COMMENT ON COLUMN auth_keys.tailnets.tailnet_id IS 'Identifier of the tailnet.';
COMMENT ON COLUMN auth_keys.tailnets.name IS 'Unique name, 1 to 100 bytes, without spaces or control characters.';
COMMENT ON COLUMN auth_keys.tailnets.device_approval IS 'Whether nodes enrolled by keys that are not pre-approved wait for approval.';
COMMENT ON COLUMN auth_keys.tailnets.node_key_expiry IS 'How long a node key stays valid after enrolment, 1 to 180 days.';
COMMENT ON COLUMN auth_keys.tailnets.created_at IS 'When the tailnet was created.';

COMMENT ON TABLE auth_keys.members IS
    'People of a tailnet, by login, each with one role and optionally a database role that acts as them.';
COMMENT ON COLUMN auth_keys.members.tailnet_id IS 'The member''s tailnet.';
COMMENT ON COLUMN auth_keys.members.login IS 'The member''s login, 1 to 255 bytes, not starting with tag:, autogroup: or role:.';
COMMENT ON COLUMN auth_keys.members.role IS 'owner, admin, it_admin, network_admin, billing_admin, auditor or member.';
COMMENT ON COLUMN auth_keys.members.db_role IS 'The database role that acts as this member when no act_as is in force.';

COMMENT ON TABLE auth_keys.tag_owners IS
    'Tags defined in a tailnet, with who may apply them.';
COMMENT ON COLUMN auth_keys.tag_owners.tailnet_id IS 'The tag''s tailnet.';
COMMENT ON COLUMN auth_keys.tag_owners.tag IS 'The tag: "tag:" followed by lower-case letters, digits and dashes.';
COMMENT ON COLUMN auth_keys.tag_owners.owners IS 'Who may apply the tag: member logins, autogroup:admin, or other tags.';

COMMENT ON TABLE auth_keys.keys IS
    'Authentication keys (pre-authentication keys): the key id and the SHA-256 of the secret, never the secret.';
COMMENT ON COLUMN auth_keys.keys.key_id IS 'The key id: 12 base62 characters, the part of the key shown in lists.';
COMMENT ON COLUMN auth_keys.keys.tailnet_id IS 'The key''s tailnet.';
COMMENT ON COLUMN auth_keys.keys.created_by IS 'Login of the member who generated the key; nodes it enrols belong to them unless the key has tags.';
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

COMMENT ON TABLE auth_keys.nodes IS
    'Enrolled devices, each identified by its node key.';
COMMENT ON COLUMN auth_keys.nodes.node_id IS 'Identifier of the node.';
COMMENT ON COLUMN auth_keys.nodes.tailnet_id IS 'The node''s tailnet.';
COMMENT ON COLUMN auth_keys.nodes.node_key IS 'The node''s Curve25519 public key, unique across tailnets.';
COMMENT ON COLUMN auth_keys.nodes.hostname IS 'Host name the node gave, 1 to 255 characters.';
COMMENT ON COLUMN auth_keys.nodes.user_login IS 'The member the node belongs to, or NULL when it takes the identity of its tags.';
COMMENT ON COLUMN auth_keys.nodes.tags IS 'The node''s tags.';
COMMENT ON COLUMN auth_keys.nodes.auth_key_id IS 'The key that enrolled or last re-authenticated the node (no foreign key: sweeps purge old keys).';
COMMENT ON COLUMN auth_keys.nodes.ephemeral IS 'Whether the node is removed after auth_keys.ephemeral_inactivity_timeout without a heartbeat.';
COMMENT ON COLUMN auth_keys.nodes.authorized IS 'Whether the node is authorized (false while it waits for device approval).';
COMMENT ON COLUMN auth_keys.nodes.key_expiry_disabled IS 'Whether the node key never expires.';
COMMENT ON COLUMN auth_keys.nodes.node_key_expires_at IS 'When the node key expires; NULL exactly when key expiry is disabled.';
COMMENT ON COLUMN auth_keys.nodes.created_at IS 'When the node was enrolled.';
COMMENT ON COLUMN auth_keys.nodes.last_seen_at IS 'The node''s last heartbeat or registration.';

COMMENT ON TABLE auth_keys.events IS
    'The audit trail: who did what to which key or node, and when; never key material.';
COMMENT ON COLUMN auth_keys.events.event_id IS 'Identifier of the event, in the order events were recorded.';
COMMENT ON COLUMN auth_keys.events.at IS 'When it happened.';
COMMENT ON COLUMN auth_keys.events.tailnet_id IS 'The tailnet concerned.';
COMMENT ON COLUMN auth_keys.events.actor IS 'Who acted: a member''s login, or "role:" and the database role.';
COMMENT ON COLUMN auth_keys.events.action IS 'What was done, such as key.created, key.used, node.deleted.';
COMMENT ON COLUMN auth_keys.events.key_id IS 'The key concerned, if any.';
COMMENT ON COLUMN auth_keys.events.node_id IS 'The node concerned, if any.';
COMMENT ON COLUMN auth_keys.events.detail IS 'Further facts about the event, as JSON.';

COMMENT ON TABLE auth_keys.sweep_state IS
    'What sweeps remember between runs: one row, made by the first sweep.';
COMMENT ON COLUMN auth_keys.sweep_state.singleton IS 'Always true: the table has one row at most.';
COMMENT ON COLUMN auth_keys.sweep_state.node_key_expiries_through IS 'Node key expiries up to this time have been recorded as events.';
COMMENT ON COLUMN auth_keys.sweep_state.swept_at IS 'When the last sweep that recorded expiries ran.';

COMMENT ON VIEW auth_keys.key_list IS
    'The actor''s view of the keys of their tailnet (all of them for owners, admins and auditors; their own for others), never a hash or a secret.';
COMMENT ON COLUMN auth_keys.key_list.key_id IS 'The key id: 12 base62 characters, the part of the key shown in lists.';
COMMENT ON COLUMN auth_keys.key_list.tailnet IS 'Name of the key''s tailnet.';
COMMENT ON COLUMN auth_keys.key_list.created_by IS 'Login of the member who generated the key; nodes it enrols belong to them unless the key has tags.';
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

COMMENT ON VIEW auth_keys.recent_invalid_keys IS
    'Keys of the actor''s tailnet that stopped being valid less than auth_keys.invalid_key_retention ago, until a sweep purges them.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.key_id IS 'The key id: 12 base62 characters, the part of the key shown in lists.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.tailnet IS 'Name of the key''s tailnet.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.created_by IS 'Login of the member who generated the key; nodes it enrols belong to them unless the key has tags.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.description IS 'Free text, at most 50 characters.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.status IS 'expired, revoked or used.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.invalid_since IS 'When the key stopped being valid.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.purge_after IS 'When a sweep may purge the key.';
COMMENT ON COLUMN auth_keys.recent_invalid_keys.revoked_by IS 'Who revoked the key, or NULL.';
