# test/t/004_sweep_cron.pl
#
# The sweep as a pg_cron job, run by pg_cron itself.  On a cluster with
# pg_cron preloaded, schedule_sweep makes one named job (scheduling again
# keeps it); at the next minute pg_cron runs it, which purges an old revoked
# key, removes an idle ephemeral node, leaves what is still current, and
# trims the job's own run history.  From a database that is not pg_cron's,
# schedule_sweep says how to use cron.schedule_in_database, and following
# that advice works too.  unschedule_sweep removes the job.  On a cluster
# without pg_cron, and before CREATE EXTENSION pg_cron, the errors say what
# to set up.
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
		'postgres', qq{SELECT string_agg(DISTINCT status, ',') FROM cron.job_run_details
		               WHERE jobid = $job AND start_time > now() - interval '1 hour'}),
	'succeeded', 'the job ran and succeeded');
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

$node->stop;
done_testing();
