-- test/bench/scripts/create_key_ours.sql
-- create_key (the benchmark's role is mapped to an admin)
--
-- Copyright (c) 2026, auth_keys developers

SELECT * FROM auth_keys.create_key(reusable => true);
