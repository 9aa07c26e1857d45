# test/t/006_cron_debian.pl
#
# The sweep job on a server set up as Debian sets one up: pg_hba.conf as
# Debian writes it (peer on the Unix socket, scram-sha-256 over TCP on
# localhost), listen_addresses = 'localhost', pg_cron without background
# workers and cron.host left at "localhost".  pg_cron's own job there
# fails with "connection failed"; schedule_sweep's job connects through the
# Unix socket and says so, sweeps, and reports what it did in
# sweep_job_runs.  Scheduling again brings a job made with other
# connection settings up to date.  The job's history is trimmed, failed
# runs without times included.  A pg_hba.conf that asks for a password on
# the socket too gets a warning.  A dump of a database with pg_cron
# restores into another database of the cluster as the README says.
# uninstall() removes the job, the extension and the schema, and names the
# tier grants that a reinstall needs; after a plain DROP EXTENSION, the
# job's command does nothing and fails nowhere.  And a cron.database_name
# that names no database makes pg_cron's launcher log FATAL over and over,
# as the README warns.
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

my $admin = 'alice@debian.example';

# Debian's postgresql-common writes this pg_hba.conf for a new cluster.
my $debian_hba = <<'HBA';
local   all             postgres                                peer
local   all             all                                     peer
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     peer
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
HBA

my $node = new_cluster('debian');
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
listen_addresses = 'localhost'
password_encryption = 'scram-sha-256'
});
my $hba_file = $node->data_dir . '/pg_hba.conf';
PostgreSQL::Test::Utils::append_to_file($hba_file . '.debian', $debian_hba);
rename($hba_file . '.debian', $hba_file) or die "rename: $!";
$node->start;
my $socket_dir = $node->host;
my $superuser = $node->safe_psql('postgres', 'SELECT current_user');

$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron');
setup_tailnet($node, 'postgres', 'debian.example', $admin);
$node->safe_psql('postgres', q{
	CREATE ROLE debian_platform LOGIN;
	CREATE ROLE debian_console LOGIN;
	CREATE ROLE debian_enrol LOGIN;
	SELECT auth_keys.grant_tier('operator', 'debian_platform');
	SELECT auth_keys.grant_tier('delegate', 'debian_console', tailnets => '{debian.example}');
	SELECT auth_keys.grant_tier('node', 'debian_enrol');
});

# pg_cron's own way: the job connects to cron.host, localhost, over TCP,
# where Debian's pg_hba.conf asks for a password.
$node->safe_psql('postgres', q{SELECT cron.schedule('probe', '* * * * *', 'SELECT 1')});
is($node->safe_psql('postgres', q{SELECT nodename FROM cron.job WHERE jobname = 'probe'}),
	'localhost', "pg_cron's own job connects to localhost");

# schedule_sweep: through the Unix socket, where peer authentication lets
# the job's role in, and a NOTICE that says so.
my ($rc, $out, $err) = $node->psql('postgres',
	q{SET ROLE debian_platform; SELECT auth_keys.schedule_sweep()});
my $job = $out;
like($job, qr/^\d+$/, 'an operator schedules the sweep');
like($err, qr/NOTICE:  the sweep job connects through the Unix socket in "\Q$socket_dir\E"/,
	'the NOTICE says the job connects through the Unix socket');
like($err, qr/DETAIL:  Line [12] of pg_hba\.conf lets role "\Q$superuser\E" connect to database "postgres" there with peer authentication, which needs no password\./,
	'and names the pg_hba.conf line that lets it in');
is( $node->safe_psql(
		'postgres', qq{SELECT nodename || ' ' || nodeport || ' ' || username FROM cron.job WHERE jobid = $job}),
	"$socket_dir " . $node->port . " $superuser",
	'the job connects through the socket, as the extension owner');

# A job made with pg_cron's defaults (as schedule_sweep made it before
# 1.1) is brought up to date by scheduling again, and keeps its id.
$node->safe_psql('postgres', qq{
	UPDATE cron.job SET nodename = 'localhost', schedule = '0 0 1 1 *', active = false
	 WHERE jobid = $job});
is($node->safe_psql('postgres', q{SELECT auth_keys.schedule_sweep()}),
	$job, 'scheduling again keeps the job id');
is( $node->safe_psql(
		'postgres', qq{SELECT nodename || ' ' || schedule || ' ' || active FROM cron.job WHERE jobid = $job}),
	"$socket_dir * * * * * true",
	'and brings its connection, schedule and active flag up to date');

# A pg_hba.conf that asks for a password on the socket: a warning that
# says what to do.  (pg_hba_file_rules reads the file; no reload, so the
# server goes on with Debian's.)
my $strict_hba = $debian_hba;
$strict_hba =~ s/^local(\s+)all(\s+)(postgres|all)(\s+)peer$/local$1all$2$3$4scram-sha-256/mg;
open(my $fh, '>', $hba_file) or die; print $fh $strict_hba; close $fh;
($rc, $out, $err) = $node->psql('postgres', q{SELECT auth_keys.schedule_sweep()});
like($err, qr/WARNING:  the sweep job connects to host "localhost" port \d+ and may need a password/,
	'a pg_hba.conf that asks for a password on the socket: a warning');
like($err, qr/DETAIL:  Line [12] of pg_hba\.conf asks role "\Q$superuser\E" for scram-sha-256 authentication on the Unix socket/,
	'naming the line');
like($err, qr/HINT:  Set cron\.use_background_workers = on and restart the server, or let role/,
	'and what to change');
open($fh, '>', $hba_file) or die; print $fh $debian_hba; close $fh;
($rc, $out, $err) = $node->psql('postgres', q{SELECT auth_keys.schedule_sweep()});
like($err, qr/NOTICE:  the sweep job connects through the Unix socket/,
	'with the file fixed, scheduling again connects through the socket');

# What the sweep should do: purge a key revoked 100 days ago, remove an
# ephemeral node idle for 45 minutes.
# (history, loaded past the guard, which takes direct INSERTs for new keys)
$node->safe_psql('postgres', q{
	SET session_replication_role = replica;
	INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at,
	                            revoked_at, revoked_by, secret_hash)
	SELECT 'OldRevoked01', tailnet_id, 'alice@debian.example', now() - interval '120 days',
	       now() - interval '40 days', now() - interval '100 days', 'dba',
	       decode(repeat('00', 32), 'hex')
	  FROM auth_keys.tailnets;
	RESET session_replication_role;
});
my ($ephemeral) = create_keys($node, 'postgres', 'debian.example', $admin, 1,
	'reusable => true, ephemeral => true');
$node->safe_psql('postgres', qq{
	SET ROLE debian_enrol;
	SELECT auth_keys.register_node('$ephemeral->[1]', '@{[node_key(6, 1)]}', 'idle');
	RESET ROLE;
	UPDATE auth_keys.nodes SET last_seen_at = now() - interval '45 minutes';
	-- the server has run for an hour without a restart or a crash: idle
	-- ephemeral nodes may go
	INSERT INTO auth_keys.server_run VALUES (now() - interval '1 hour', pg_postmaster_start_time());
});

# The job's history: a run of another job that started 8 days ago, a
# failed run of the sweep job from before it (no times, as pg_cron leaves
# a run that never connected) and one from after it.  The trim removes the
# older failed run only.
my ($old_run, $recent_failed) = split /\|/, $node->safe_psql('postgres', qq{
	INSERT INTO cron.job_run_details (jobid, runid, database, username, command, status,
	                                  return_message)
	VALUES ($job, nextval('cron.runid_seq'), 'postgres', '$superuser', 'x', 'failed',
	        'connection failed');
	INSERT INTO cron.job_run_details (jobid, runid, database, username, command, status,
	                                  return_message, start_time, end_time)
	SELECT jobid, nextval('cron.runid_seq'), 'postgres', '$superuser', 'SELECT 1', 'succeeded',
	       '1 row', now() - interval '8 days', now() - interval '8 days'
	  FROM cron.job WHERE jobname = 'probe';
	INSERT INTO cron.job_run_details (jobid, runid, database, username, command, status,
	                                  return_message)
	VALUES ($job, nextval('cron.runid_seq'), 'postgres', '$superuser', 'x', 'failed',
	        'connection failed');
	SELECT min(runid), max(runid) FROM cron.job_run_details WHERE jobid = $job;
});

# pg_cron runs both jobs at the start of the next minute.
ok( $node->poll_query_until(
		'postgres', q{
		SELECT count(*) > 0 FROM auth_keys.sweep_job_runs() WHERE outcome = 'succeeded'}),
	'pg_cron ran the sweep job on a Debian-like server');
is( $node->safe_psql(
		'postgres', q{SELECT message || ' | ' || keys_purged || ' ' || nodes_removed
		                FROM auth_keys.sweep_job_runs() WHERE outcome = 'succeeded'
		               ORDER BY run_id LIMIT 1}),
	'keys purged: 1, ephemeral nodes removed: 1, node key expiries recorded: 0, expired access tokens deleted: 0, weeks of audit events removed: 0 | 1 1',
	"the run's message says what the sweep did");
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		               WHERE j.jobname = 'probe' AND d.status = 'failed'
		                 AND d.return_message = 'connection failed'}),
	"while pg_cron's own job fails there with connection failed");
is($node->safe_psql('postgres', q{SELECT count(*) FROM auth_keys.keys WHERE key_id = 'OldRevoked01'}),
	'0', 'the old key is purged');
is($node->safe_psql('postgres', q{SELECT count(*) FROM auth_keys.nodes WHERE hostname = 'idle'}),
	'0', 'the idle ephemeral node is removed');

# sweep_job_runs: failures plainly; the trim removed the old failed run.
is( $node->safe_psql(
		'postgres', qq{SELECT run_id || ' ' || outcome || ' ' || message || ' | ' || hint
		                 FROM auth_keys.sweep_job_runs() WHERE outcome = 'failed'}),
	"$recent_failed failed connection failed | pg_cron could not connect for the job: run auth_keys.schedule_sweep() again, whose notice says how the job connects and what pg_hba.conf needs.",
	'a failed run is shown as failed, with what to do');
is($node->safe_psql('postgres', qq{SELECT count(*) FROM cron.job_run_details WHERE runid = $old_run}),
	'0', 'the failed run older than the 8-day-old run is trimmed');
is($node->safe_psql('postgres', qq{SELECT count(*) FROM cron.job_run_details WHERE runid = $recent_failed}),
	'1', 'the recent failed run stays');
is($node->safe_psql('postgres', q{SET ROLE debian_platform;
		SELECT count(*) > 0 FROM auth_keys.sweep_job_runs(max_runs => 5)}),
	't', 'an operator reads sweep_job_runs');
my $error = sql_error($node, 'postgres', q{SET ROLE debian_console; SELECT * FROM auth_keys.sweep_job_runs()});
is($error->{state}, '42501', 'a delegate may not');
$error = sql_error($node, 'postgres', q{SELECT * FROM auth_keys.sweep_job_runs(0)});
is($error->{state}, '22023', 'max_runs must be at least 1');

#
# Dump and restore into another database of the cluster, as the README
# says: pg_cron lives in the cron database only, so its extension and its
# rows stay out of the restore, and the sweep is scheduled again for the
# new database.
#
my $dump = $node->basedir . '/with_cron.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ],
	'pg_dump of a database with pg_cron and auth_keys');
$node->safe_psql('postgres', 'CREATE DATABASE naive; CREATE DATABASE restored');
my $naive = run_log([ 'pg_restore', '-d', $node->connstr('naive'), $dump ]);
ok(!$naive, 'a plain pg_restore into another database fails (on pg_cron)');
my $list = $node->basedir . '/restore.list';
my $list_text = `pg_restore -l "$dump"`;
open($fh, '>', $list) or die;
print $fh join('', grep { !/ pg_cron\b| cron / } split /^/, $list_text);
close $fh;
$node->command_ok([ 'pg_restore', '-L', $list, '-d', $node->connstr('restored'), $dump ],
	'pg_restore -L with pg_cron left out succeeds');
is($node->safe_psql('restored', q{SELECT count(*) FROM auth_keys.tailnets}),
	'1', 'the restored database has the tailnet');
is($node->safe_psql('restored', q{SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension}),
	'auth_keys,plpgsql', 'and auth_keys without pg_cron');
$error = sql_error($node, 'restored', q{SELECT auth_keys.schedule_sweep()});
my ($advice) = $error->{hint} =~ /(SELECT cron\.schedule_in_database\(.*\));$/;
ok(defined $advice, 'schedule_sweep there says how to schedule it from the cron database');
$node->safe_psql('postgres', $advice);
is($node->safe_psql('postgres', q{SELECT database FROM cron.job WHERE jobname = 'auth_keys.sweep.restored'}),
	'restored', 'following the advice schedules the sweep for the restored database');
# that job's command works, and does nothing once auth_keys is gone there
my ($other_command) = $node->safe_psql('postgres',
	q{SELECT command FROM cron.job WHERE jobname = 'auth_keys.sweep.restored'});
$node->safe_psql('restored', $other_command);
pass("the restored database's job command sweeps");
$node->safe_psql('restored', 'DROP EXTENSION auth_keys');
$node->safe_psql('restored', $other_command);
pass('and does nothing, without failing, after DROP EXTENSION');
$node->safe_psql('postgres', q{SELECT cron.unschedule('auth_keys.sweep.restored')});

#
# Uninstall: one call removes the job, the extension and the schema, and
# names the grants that a reinstall needs.
#
my $command = $node->safe_psql('postgres', qq{SELECT command FROM cron.job WHERE jobid = $job});
($rc, $out, $err) = $node->psql('postgres', 'SELECT auth_keys.uninstall()');
is($rc, 0, 'uninstall() succeeds');
like($err, qr/NOTICE:  role debian_platform holds the operator tier\nHINT:  After CREATE EXTENSION auth_keys, run SELECT auth_keys\.grant_tier\('operator', 'debian_platform'\);/,
	'it names the operator grant to make again');
like($err, qr/NOTICE:  role debian_console holds the delegate tier for tailnets debian\.example\nHINT:  After CREATE EXTENSION auth_keys and the tailnets, run SELECT auth_keys\.grant_tier\('delegate', 'debian_console', tailnets => '\{debian\.example\}'\);/,
	'and the delegate grant with its tailnets');
like($err, qr/role debian_enrol holds the node tier/, 'and the node grant');
is( $node->safe_psql(
		'postgres', q{SELECT (SELECT count(*) FROM cron.job WHERE jobname = 'auth_keys.sweep')
		                || ' ' || (SELECT count(*) FROM pg_namespace WHERE nspname = 'auth_keys')
		                || ' ' || (SELECT count(*) FROM pg_extension WHERE extname = 'auth_keys')}),
	'0 0 0', 'no job, no schema, no extension is left');

# A reinstall has none of the grants until they are made again.
$node->safe_psql('postgres', 'CREATE EXTENSION auth_keys');
$error = sql_error($node, 'postgres', q{SET ROLE debian_platform; SELECT auth_keys.create_tailnet('again.example')});
is($error->{state}, '42501', 'after CREATE EXTENSION again, the tier grants are gone');
$node->safe_psql('postgres', q{SELECT auth_keys.grant_tier('operator', 'debian_platform')});
ok($node->safe_psql('postgres', q{SET ROLE debian_platform; SELECT auth_keys.create_tailnet('again.example')}) > 0,
	'grant_tier as uninstall() said makes them work again');

# After a plain DROP EXTENSION the job stays, but its command does nothing
# and succeeds (so no run fails); uninstall() is what removes it.
$node->safe_psql('postgres', 'SELECT auth_keys.schedule_sweep()');
$node->safe_psql('postgres', 'DROP EXTENSION auth_keys; DROP SCHEMA auth_keys');
$node->safe_psql('postgres', $command);
pass('after a plain DROP EXTENSION the job command succeeds, doing nothing');
$node->safe_psql('postgres', q{SELECT cron.unschedule('auth_keys.sweep'); SELECT cron.unschedule('probe')});
$node->stop;

#
# cron.database_name naming a database that does not exist (yet): pg_cron's
# launcher fails to start, logs FATAL and is restarted every second.
#
my $early = new_cluster('early');
$early->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'fleet'
});
$early->start;
ok( $early->poll_query_until(
		'postgres', q{SELECT true}, 't'),
	'a server whose cron.database_name names no database starts');
sleep(3);
my $log = slurp_file($early->logfile);
my $fatals = () = $log =~ /FATAL:  database "fleet" does not exist/g;
cmp_ok($fatals, '>=', 2, "and pg_cron's launcher logs FATAL again and again ($fatals times in 3 s)");
$early->safe_psql('postgres', 'CREATE DATABASE fleet');
sleep(2);
my $offset = length($log);
sleep(2);
$log = substr(slurp_file($early->logfile), $offset);
unlike($log, qr/FATAL:  database "fleet" does not exist/, 'until the database exists');
$early->stop;

done_testing();
