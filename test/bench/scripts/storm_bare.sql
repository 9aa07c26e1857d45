-- test/bench/scripts/storm_bare.sql
-- the storm on one key with a use limit in bare SQL: the conditional UPDATE
-- of the key's row (which proves the secret and spends a use) and the node
-- INSERT, in one statement, as register_bare.sql
--
-- Copyright (c) 2026, auth_keys developers

\set n random(1, 9223372036854775806)
WITH s AS (SELECT key_id, secret FROM bench.limited WHERE side = 'bare'),
k AS (
    UPDATE auth_keys.keys k
       SET uses = k.uses + 1, last_used_at = now(),
           used_up_at = CASE WHEN k.uses + 1 >= CASE WHEN k.reusable
                                                     THEN coalesce(k.max_uses, 2147483647)
                                                     ELSE 1 END
                             THEN now() END
      FROM s
     WHERE k.key_id = s.key_id
       AND k.secret_hash = sha256(convert_to(s.secret, 'UTF8'))
       AND k.revoked_at IS NULL AND k.used_up_at IS NULL AND k.expires_at > now()
    RETURNING k.key_id, k.tailnet_id, k.created_by, k.tags, k.ephemeral, k.preauthorized)
INSERT INTO auth_keys.nodes (tailnet_id, node_key, hostname, user_login, tags, auth_key_id,
                             ephemeral, authorized, key_expiry_disabled, node_key_expires_at)
SELECT k.tailnet_id, bench.node_key('b' || :n), 'bench-host', k.created_by, k.tags, k.key_id,
       k.ephemeral, NOT t.device_approval OR k.preauthorized, false, now() + t.node_key_expiry
  FROM k JOIN auth_keys.tailnets t ON t.tailnet_id = k.tailnet_id
RETURNING node_id, authorized, node_key_expires_at;
