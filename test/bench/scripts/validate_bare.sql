-- test/bench/scripts/validate_bare.sql
-- the same work in bare SQL: primary-key lookup (with the tailnet) and hash compare
--
-- Copyright (c) 2026, auth_keys developers

\set i random(1, :nsample)
SELECT k.key_id, t.name, k.secret_hash = sha256(convert_to(s.secret, 'UTF8')) AS proven,
       k.reusable, k.ephemeral, k.preauthorized, k.tags, k.expires_at,
       k.revoked_at, k.used_up_at, k.max_uses, k.uses
  FROM bench.sample s
  JOIN auth_keys.keys k ON k.key_id = s.key_id
  JOIN auth_keys.tailnets t ON t.tailnet_id = k.tailnet_id
 WHERE s.i = :i;
