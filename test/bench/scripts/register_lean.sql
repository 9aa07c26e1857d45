-- test/bench/scripts/register_lean.sql
-- a registration on the lean tables (lean_setup.sql), in one statement:
-- the conditional UPDATE that proves the secret and spends a use, the node
-- INSERT and the audit row
--
-- Copyright (c) 2026, auth_keys developers

\set i random(1, :nsample)
\set n random(1, 9223372036854775806)
WITH s AS (SELECT key_id, secret FROM bench.sample WHERE i = :i),
k AS (
    UPDATE lean.keys k
       SET uses = k.uses + 1, last_used_at = now(),
           used_up_at = CASE WHEN k.uses + 1 >= CASE WHEN k.reusable
                                                     THEN coalesce(k.max_uses, 2147483647)
                                                     ELSE 1 END
                             THEN now() END
      FROM s
     WHERE k.key_id = s.key_id
       AND k.secret_hash = sha256(convert_to(s.secret, 'UTF8'))
       AND k.revoked_at IS NULL AND k.used_up_at IS NULL AND k.expires_at > now()
    RETURNING k.key_id, k.tailnet_id, k.created_by, k.tags),
n AS (
    INSERT INTO lean.nodes (tailnet_id, node_key, hostname, user_login, tags, auth_key_id,
                            authorized, node_key_expires_at)
    SELECT k.tailnet_id, sha256(convert_to('l' || :n, 'UTF8')), 'bench-host', k.created_by,
           k.tags, k.key_id, true, now() + interval '180 days'
      FROM k
    RETURNING node_id, tailnet_id, auth_key_id, hostname)
INSERT INTO lean.events (tailnet_id, actor, action, key_id, node_id, detail)
SELECT n.tailnet_id, 'role:' || session_user, 'key.used', n.auth_key_id, n.node_id,
       jsonb_build_object('hostname', n.hostname, 'reauthenticated', false)
  FROM n
RETURNING node_id;
