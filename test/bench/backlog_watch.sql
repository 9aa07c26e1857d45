-- test/bench/backlog_watch.sql
--
-- Watches a sweep from another session (scale.sh): every 50 ms, what
-- pg_stat_activity shows of the backend whose application_name is
-- :'appname' (when its transaction started, the oldest snapshot it holds,
-- its transaction id) goes into bench.sweep_watch, one transaction per
-- sample, so that the watcher holds no snapshot longer than a sample
-- takes and does not itself hold back the vacuum that the benchmark
-- checks.  It ends once that backend has come and gone, or a sweep has
-- finished since it began (sweep_log), or after :timeout seconds.
--
-- Copyright (c) 2026, auth_keys developers

\set ON_ERROR_STOP 1
CREATE TABLE IF NOT EXISTS bench.sweep_watch (
    at              timestamptz NOT NULL,
    xact_start      timestamptz,
    backend_xmin    xid,
    xmin_age        integer,
    backend_xid     xid,
    state           text
);
TRUNCATE bench.sweep_watch;
SELECT set_config('bench.watch_appname', :'appname', false),
       set_config('bench.watch_timeout', :'timeout', false) \g /dev/null

DO $$
DECLARE
    seen    boolean := false;
    began   timestamptz := clock_timestamp();
BEGIN
    LOOP
        INSERT INTO bench.sweep_watch
        SELECT clock_timestamp(), a.xact_start, a.backend_xmin, age(a.backend_xmin),
               a.backend_xid, a.state
          FROM pg_stat_activity a
         WHERE a.application_name = current_setting('bench.watch_appname')
           AND a.pid <> pg_backend_pid();
        IF FOUND THEN
            seen := true;
        ELSIF seen
              OR EXISTS (SELECT FROM auth_keys.sweep_log WHERE finished_at >= began)
              OR clock_timestamp() >
                 began + current_setting('bench.watch_timeout')::numeric * interval '1 s' THEN
            EXIT;
        END IF;
        COMMIT;
        PERFORM pg_sleep(0.05);
        COMMIT;
    END LOOP;
END $$;
