-- test/bench/sweep_stage.sql
--
-- Stages :n expired keys for sweep round :round (1 to 99): their expiry
-- lies 1000 - 10 * round days back, so that a sweep with an
-- invalid_key_retention of 995 - 10 * round days (sweep_retention below)
-- purges this round's keys and no later round's, while the benchmark's
-- valid keys stay.  Key ids are spread over the primary key index as
-- random ones are.
--
-- Copyright (c) 2026, auth_keys developers

\set ON_ERROR_STOP 1
-- history, loaded past the guards, as a restore with triggers disabled
SET session_replication_role = replica;
INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, reusable, created_at,
                            expires_at, secret_hash)
SELECT left(md5('e' || :round || '/' || i), 3) || 'X' || lpad(:round::text, 2, '0')
           || lpad(i::text, 6, '0'),
       (SELECT min(tailnet_id) FROM auth_keys.tailnets), 'bench@example.com', false,
       now() - interval '1 day' * (1030 - 10 * :round),
       now() - interval '1 day' * (1000 - 10 * :round),
       sha256(convert_to(md5('e' || i), 'UTF8'))
  FROM generate_series(1, :n) AS i;
RESET session_replication_role;
VACUUM ANALYZE auth_keys.keys;
