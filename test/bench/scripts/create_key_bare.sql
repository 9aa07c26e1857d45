-- test/bench/scripts/create_key_bare.sql
-- a bare INSERT of a key row with 32 random bytes
--
-- Copyright (c) 2026, auth_keys developers

INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, reusable, expires_at, secret_hash)
VALUES (translate(encode(public.gen_random_bytes(9), 'base64'), '+/', 'Pq'), :tailnet_id,
        'bench@example.com', true, now() + interval '90 days', public.gen_random_bytes(32));
