-- Loaded once into the isolation test database before the specs run.
--
-- isolationtester prints only the primary message of an error, and the
-- specs must show the DETAIL that tells "already used" from "revoked" from
-- "invalid"; register() reports the outcome of one registration as a line.

CREATE EXTENSION auth_keys;

CREATE FUNCTION register(key text, node_key auth_keys.nodekey, hostname text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    again boolean;
    detail text;
BEGIN
    SELECT r.reauthenticated INTO again
      FROM auth_keys.register_node(key, node_key, hostname) AS r;
    RETURN CASE WHEN again THEN 're-authenticated' ELSE 'enrolled' END;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ' ' || SQLERRM
           || COALESCE(' (' || NULLIF(detail, '') || ')', '');
END;
$$;
