# test/t/004_sweep_cron.pl
#
# The sweep as a pg_cron job, run by pg_cron itself.  On a cluster with
# pg_cron preloaded, schedule_sweep makes one named job (scheduling again
# keeps it), whose command CALLs auth_keys.sweep_in_steps(); at the next
# minute pg_cron runs it, which purges an old revoked key, removes an idle
# ephemeral node, leaves what is still current, makes the weeks' partitions
# of events, and trims the job's own run history; each run's sweep is in
# sweep_log, which sweep_job_runs shows with the run.  From a database that is not pg_cron's,
# schedule_sweep says how to use cron.schedule_in_database, and following
# that advice works too.  unschedule_sweep removes the job.  On a cluster
# without pg_cron, and before CREATE EXTENSION pg_cron, the errors say what
# to set up.  A row the sweep cannot remove (a DBA's table references it)
# is skipped with a WARNING in the server log, and the job still succeeds;
# something that refuses every purge stops that phase after 100 rows.
#
# Copyright (c) 2026, auth_keys developers

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use AuthKeysTest;

my $admin = 'alice@cron.example';

# Without pg_cron: the error names both settings.
my $plain = new_cluster('no_cron');
$plain->start;
$plain->safe_psql('postgres', 'CREATE EXTENSION auth_keys');
my $error = sql_error($plain, 'postgres', 'SELECT auth_keys.schedule_sweep()');
is($error->{state}, '55000', 'without pg_cron: SQLSTATE 55000');
is($error->{message}, 'pg_cron is not loaded', 'without pg_cron: the message says so');
like($error->{hint}, qr/shared_preload_libraries.*cron\.database_name = 'postgres'/,
	'without pg_cron: the hint names shared_preload_libraries and cron.database_name');
$error = sql_error($plain, 'postgres', 'SELECT auth_keys.unschedule_sweep()');
is($error->{message}, 'pg_cron is not loaded', 'unschedule_sweep without pg_cron');
$plain->stop;

# With pg_cron, running its jobs in background workers (no connection
# settings needed).
my $node = new_cluster('cron');
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE other');

setup_tailnet($node, 'postgres', 'cron.example', $admin);
$error = sql_error($node, 'postgres', 'SELECT auth_keys.schedule_sweep()');
is($error->{message}, 'extension "pg_cron" is not installed in database "postgres"',
	'before CREATE EXTENSION pg_cron: the message says so');
like($error->{hint}, qr/CREATE EXTENSION pg_cron/, 'and the hint says what to run');
$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron');

# What the sweep should purge and keep: a key revoked 100 days ago, a valid
# key, an ephemeral node idle for 45 minutes and one seen just now.  The
# same old key goes into database "other".
# (history, loaded past the guard, which takes direct INSERTs for new keys)
my $old_key = q{
	SET session_replication_role = replica;
	INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at,
	                            revoked_at, revoked_by, secret_hash)
	SELECT 'OldRevoked01', tailnet_id, 'alice@cron.example', now() - interval '120 days',
	       now() - interval '40 days', now() - interval '100 days', 'dba',
	       decode(repeat('00', 32), 'hex')
	  FROM auth_keys.tailnets;
	RESET session_replication_role;
};
$node->safe_psql('postgres', $old_key);
my ($ephemeral) = create_keys($node, 'postgres', 'cron.example', $admin, 1,
	'reusable => true, ephemeral => true');
my ($valid) = create_keys($node, 'postgres', 'cron.example', $admin, 1, '');
$node->safe_psql('postgres', qq{
	SELECT auth_keys.register_node('$ephemeral->[1]', '@{[node_key(1, 1)]}', 'idle');
	SELECT auth_keys.register_node('$ephemeral->[1]', '@{[node_key(1, 2)]}', 'current');
	UPDATE auth_keys.nodes SET last_seen_at = now() - interval '45 minutes'
	 WHERE hostname = 'idle';
});

setup_tailnet($node, 'other', 'cron.example', $admin);
$node->safe_psql('other', $old_key);

# The server has run for a day, as auth_keys.server_run tells the sweeps:
# on a server that started moments ago, no sweep removes an ephemeral
# node until a whole inactivity timeout has passed (test/t/013 shows why).
for my $db ('postgres', 'other')
{
	$node->safe_psql($db, q{
		INSERT INTO auth_keys.server_run
		VALUES (now() - interval '1 day', pg_postmaster_start_time())});
}

# In "other", rows that one row used to stop the sweep for: an idle node
# last seen at -infinity (a DBA's edit), and one a DBA's table still
# references, which the sweep skips with a WARNING and goes on.
my ($other_ephemeral) = create_keys($node, 'other', 'cron.example', $admin, 1,
	'reusable => true, ephemeral => true');
$node->safe_psql('other', qq{
	SELECT auth_keys.register_node('$other_ephemeral->[1]', '@{[node_key(2, 1)]}', 'infinite');
	SELECT auth_keys.register_node('$other_ephemeral->[1]', '@{[node_key(2, 2)]}', 'held');
	UPDATE auth_keys.nodes SET last_seen_at = '-infinity' WHERE hostname = 'infinite';
	UPDATE auth_keys.nodes SET last_seen_at = now() - interval '45 minutes' WHERE hostname = 'held';
	CREATE TABLE inventory (node_id bigint REFERENCES auth_keys.nodes);
	INSERT INTO inventory SELECT node_id FROM auth_keys.nodes WHERE hostname = 'held';
});
my $held_node = $node->safe_psql('other',
	q{SELECT node_id FROM auth_keys.nodes WHERE hostname = 'held'});
$error = sql_error($node, 'other', q{SELECT auth_keys.schedule_sweep('* * * * *')});
is($error->{message}, 'pg_cron runs jobs from database "postgres", not from "other"',
	'from another database: the message names both');
my ($advice) = $error->{hint} =~ /(SELECT cron\.schedule_in_database\(.*\));$/;
ok(defined $advice, 'and the hint gives the cron.schedule_in_database call');

# Schedule, twice: one job, whose id stays.
my $job = $node->safe_psql('postgres', q{SELECT auth_keys.schedule_sweep('*/5 * * * *')});
is($node->safe_psql('postgres', q{SELECT auth_keys.schedule_sweep('* * * * *')}),
	$job, 'scheduling again keeps the job');
is( $node->safe_psql(
		'postgres', q{SELECT schedule || ' ' || database || ' ' || active
		                FROM cron.job WHERE jobname = 'auth_keys.sweep'}),
	'* * * * * postgres true',
	'one job, with the latest schedule');
my ($rc, $out, $err) = $node->psql('postgres', q{SELECT auth_keys.schedule_sweep()});
like($err, qr/NOTICE:  the sweep job runs in a pg_cron background worker\nDETAIL:  cron\.use_background_workers is on, so the job needs no connection and no password\./,
	'with background workers, the NOTICE says the job runs in one');
$error = sql_error($node, 'postgres', q{SELECT auth_keys.schedule_sweep('every now and then')});
is($error->{state}, '22023', 'pg_cron refuses a bad schedule');

# The job's command calls the procedure that commits after each batch,
# from a DO block: pg_cron runs a command of several statements as one
# transaction, and a procedure commits only when called from the top
# level, as CALL in a DO block that is itself not in a transaction is.
my $command = $node->safe_psql('postgres',
	q{SELECT command FROM cron.job WHERE jobname = 'auth_keys.sweep'});
like($command, qr/^DO \$sweep\$ BEGIN .* THEN CALL auth_keys\.sweep_in_steps\(\); END IF; /,
	'the job CALLs auth_keys.sweep_in_steps()');
unlike($command, qr/auth_keys\.sweep\(/, 'and does not run auth_keys.sweep()');
like($advice, qr/CALL auth_keys\.sweep_in_steps\(\)/,
	'the advice for another database CALLs it too');

# Follow the advice in the cron database for the other database.
$node->safe_psql('postgres', $advice);

# A run-history entry of the job eight days old, which the job trims.
$node->safe_psql('postgres', qq{
	INSERT INTO cron.job_run_details (jobid, database, username, command, status,
	                                  return_message, start_time, end_time)
	VALUES ($job, 'postgres', current_user, 'SELECT auth_keys.sweep()', 'succeeded',
	        'SELECT 1', now() - interval '8 days', now() - interval '8 days');
});

# pg_cron runs the jobs at the start of the next minute.
my $log_offset = -s $node->logfile;
ok( $node->poll_query_until(
		'postgres', q{
		SELECT NOT EXISTS (SELECT FROM auth_keys.keys WHERE key_id = 'OldRevoked01')
		   AND NOT EXISTS (SELECT FROM auth_keys.nodes WHERE hostname = 'idle')
		   AND NOT EXISTS (SELECT FROM cron.job_run_details
		                    WHERE end_time < now() - interval '7 days')}),
	'pg_cron ran the sweep: old key purged, idle node removed, old history trimmed');
ok( $node->poll_query_until(
		'other', q{SELECT NOT EXISTS (SELECT FROM auth_keys.keys WHERE key_id = 'OldRevoked01')}),
	'the job scheduled with cron.schedule_in_database swept the other database');
is( $node->safe_psql(
		'other', q{SELECT string_agg(hostname, ',') FROM auth_keys.nodes}),
	'held', 'past the node a DBA table holds, and with the node seen at -infinity removed');
is( $node->safe_psql(
		'other', q{SELECT detail->>'sqlstate' FROM auth_keys.events WHERE action = 'sweep.skipped'}),
	'23503', 'the skipped node has a sweep.skipped event');
is( $node->safe_psql(
		'postgres', q{SELECT string_agg(DISTINCT d.status, ',')
		                FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		               WHERE j.jobname = 'auth_keys.sweep.other'
		                 AND d.start_time > now() - interval '1 hour'}),
	'succeeded', "the other database's job succeeded all the same");
ok( $node->wait_for_log(
		qr/WARNING:  sweep skipped node $held_node, which it could not remove/, $log_offset),
	'the server log has the WARNING');

is( $node->safe_psql(
		'postgres', qq{SELECT string_agg(DISTINCT status, ',') FROM cron.job_run_details
		               WHERE jobid = $job AND start_time > now() - interval '1 hour'}),
	'succeeded', 'the job ran and succeeded');

# Each run of the job is one sweep_in_steps: a row of sweep_log written by
# the run's process before the run's end (and maybe just before its start,
# which pg_cron records only once the worker has started, when a short
# sweep may be over), which sweep_job_runs shows with the run; the first
# purged the key and removed the node.  (A minute may have passed by now,
# and pg_cron run the job again: a run still going is left out.)
is( $node->safe_psql(
		'postgres', qq{
		SELECT count(*) > 0 AND count(*) = count(l.sweep_id)
		  FROM cron.job_run_details d
		  LEFT JOIN auth_keys.sweep_log l
		         ON l.backend_pid = d.job_pid
		        AND l.finished_at BETWEEN d.start_time - interval '1 minute' AND d.end_time
		 WHERE d.jobid = $job AND d.start_time > now() - interval '1 hour'
		   AND d.end_time IS NOT NULL}),
	't', 'each run wrote its row of sweep_log');
is( $node->safe_psql(
		'postgres', q{
		SELECT string_agg(outcome || ' ' || keys_purged || ' ' || nodes_removed || ' '
		                  || node_key_expiries, ',')
		  FROM (SELECT * FROM auth_keys.sweep_job_runs()
		         WHERE started_at > now() - interval '1 hour' ORDER BY run_id LIMIT 1) r}),
	'succeeded 1 1 0', 'sweep_job_runs shows the run with what its sweep did');
like( $node->safe_psql(
		'postgres', q{
		SELECT message FROM auth_keys.sweep_job_runs()
		 WHERE started_at > now() - interval '1 hour' ORDER BY run_id LIMIT 1}),
	qr/^keys purged: 1, ephemeral nodes removed: 1, node key expiries recorded: 0, expired access tokens deleted: 0, weeks of audit events removed: 0$/,
	'and its message');
is( $node->safe_psql(
		'postgres', q{
		SELECT count(*) > 1 FROM pg_inherits WHERE inhparent = 'auth_keys.events'::regclass}),
	't', "the job's sweep in steps made the weeks' partitions of events");
is( $node->safe_psql(
		'postgres', q{SELECT string_agg(jobname || ' ' || database, ',' ORDER BY jobname)
		                FROM cron.job}),
	'auth_keys.sweep postgres,auth_keys.sweep.other other',
	'two jobs: one for each database');
is( $node->safe_psql(
		'postgres', q{SELECT string_agg(hostname, ',') FROM auth_keys.nodes}),
	'current', 'the node seen just now stays');
is( $node->safe_psql(
		'postgres', qq{SELECT count(*) FROM auth_keys.keys WHERE key_id = '$valid->[0]'}),
	'1', 'the valid key stays');
is( $node->safe_psql(
		'postgres', q{SELECT string_agg(action || ' ' || coalesce(key_id, ''), ',' ORDER BY action)
		                FROM auth_keys.events
		               WHERE action IN ('key.purged', 'node.deleted')}),
	'key.purged OldRevoked01,node.deleted ', 'one event for the key, one for the node');

# Unschedule: the job goes, and a second call finds nothing to remove.
is($node->safe_psql('postgres', 'SELECT auth_keys.unschedule_sweep()'),
	't', 'unschedule_sweep removes the job');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cron.job WHERE jobname = 'auth_keys.sweep'}),
	'0', 'no job is left');
is($node->safe_psql('postgres', 'SELECT auth_keys.unschedule_sweep()'),
	'f', 'unscheduling again removes nothing');

# Something that refuses every purge (test/sql/sweep_bad_rows.sql has the
# rest): after 100 keys skipped, one by one, the phase stops and says so,
# and the sweep goes on to the nodes.
$node->safe_psql('postgres', q{
	SET session_replication_role = replica;
	INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at,
	                            secret_hash)
	SELECT 'KeptKey' || lpad(g::text, 5, '0'), tailnet_id, 'alice@cron.example',
	       now() - interval '290 days', now() - interval '200 days',
	       decode(lpad(to_hex(g), 64, '0'), 'hex')
	  FROM auth_keys.tailnets, generate_series(1, 120) AS g;
	RESET session_replication_role;
	CREATE FUNCTION keep_keys() RETURNS trigger LANGUAGE plpgsql
	    AS $$BEGIN RAISE EXCEPTION 'keys are kept here'; END$$;
	CREATE TRIGGER keep_keys BEFORE DELETE ON auth_keys.keys
	    FOR EACH ROW EXECUTE FUNCTION keep_keys();
	UPDATE auth_keys.nodes SET last_seen_at = now() - interval '45 minutes';
});
($rc, $out, $err) = $node->psql('postgres', 'SELECT * FROM auth_keys.sweep(batch_size => 50)');
is($out, '0|1|0', 'a sweep that cannot purge a key still removes the idle node');
is(scalar(() = $err =~ /WARNING:  sweep skipped key KeptKey\d{5}, which it could not purge\nDETAIL:  The purge failed with SQLSTATE P0001: keys are kept here/g),
	100, 'a WARNING for each of 100 keys skipped');
like($err, qr/WARNING:  sweep stopped purging keys after 100 keys it could not purge\nHINT:  Something refuses every purge/,
	'then one that the phase stopped');

$node->stop;
done_testing();
