# test/t/013_heartbeat_crash.pl
#
# A heartbeat lost in a crash never makes a sweep remove a node that was
# alive.  Ephemeral nodes send heartbeats with synchronous_commit = off, as
# a coordination server may: each is acknowledged, visible to every
# session, and lost if the server crashes before the WAL writer wrote its
# commit.  Here the WAL writer is stopped (SIGSTOP) while the nodes send
# their heartbeats, for longer than ephemeral_inactivity_timeout (a few
# seconds here), so that every heartbeat since the nodes enrolled is in
# that window; then the server crashes:
#
# - by SIGKILL of one of its processes (the stopped WAL writer), after
#   which the postmaster itself reinitialises and recovers, and
# - by an immediate shutdown (pg_ctl stop -m immediate), after which the
#   next start recovers.
#
# After recovery every node's last_seen_at is its enrolment, longer ago
# than the timeout: the heartbeats are gone (checked, so that the test
# tests something).  Then:
#
# - the control: a sweep that believes the server has run for a day (the
#   row of auth_keys.server_run backdated, as 1.0 judged, by the time alone)
#   removes every one of those nodes (rolled back);
# - the sweep right after recovery removes none: crash recovery emptied
#   the unlogged table auth_keys.server_run, so the first sweep starts the
#   count, and no ephemeral node is removed until a whole timeout has
#   passed since;
# - the nodes that come back send heartbeats and stay; those that stay
#   silent for a whole timeout after that first sweep are removed by the
#   first sweep after it, and not by any sweep before.
#
# A clean restart after the server was down for longer than the timeout:
# the unlogged table keeps its row, which names the previous start, so the
# first sweep after the restart starts the count again in the same way.
#
# Copyright (c) 2026, auth_keys developers

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use Time::HiRes qw(sleep time);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use AuthKeysTest;

# the inactivity timeout, in seconds
my $timeout = 4;

my $node = new_cluster('heartbeat');
# fsync on, as a production server runs.  Nothing but the sessions of this
# test writes WAL or flushes it: no autovacuum, no background writer
# writes (a data page written out would flush the WAL up to it).
$node->append_conf(
	'postgresql.conf', qq{
fsync = on
autovacuum = off
bgwriter_lru_maxpages = 0
restart_after_crash = on
auth_keys.ephemeral_inactivity_timeout = '$timeout seconds'
auth_keys.sweep_batch_delay = 0
});
$node->start;
setup_tailnet($node, 'postgres', 'beat.example', 'ops@beat.example');
my ($key) = create_keys($node, 'postgres', 'beat.example', 'ops@beat.example', 1,
	'reusable => true, ephemeral => true, preauthorized => true');
$key = $key->[1];

# hostnames($pattern): the hostnames of the nodes LIKE $pattern, in order
sub hostnames
{
	my ($pattern) = @_;
	return $node->safe_psql('postgres',
		"SELECT string_agg(hostname, ',' ORDER BY hostname) FROM auth_keys.nodes"
		  . " WHERE hostname LIKE '$pattern'");
}

# enrol($prefix, $group, $count): ephemeral nodes "$prefix-NN", with node
# keys of group $group; returns their node keys as an SQL array
sub enrol
{
	my ($prefix, $group, $count) = @_;
	my @keys = map { node_key($group, $_) } 1 .. $count;
	$node->safe_psql('postgres',
		join '', map {
			sprintf("SELECT FROM auth_keys.register_node('%s', '%s', '%s-%02d');\n",
				$key, $keys[ $_ - 1 ], $prefix, $_)
		} 1 .. $count);
	return "ARRAY[" . join(',', map { "'$_'" } @keys) . "]::auth_keys.nodekey[]";
}

# The last sweep: the nodes it removed, and when it started and finished,
# in seconds after the server_run row's "since".
sub last_sweep
{
	return split /\|/, $node->safe_psql('postgres', q{
		SELECT l.nodes_removed, extract(epoch FROM l.started_at - r.since),
		       extract(epoch FROM l.finished_at - r.since)
		  FROM auth_keys.sweep_log l, auth_keys.server_run r
		 ORDER BY l.sweep_id DESC LIMIT 1});
}

# after_start($label, $prefix, $alive, $silent): what the sweeps do right
# after a (re)start, as the header says.  $alive and $silent are the node
# keys (SQL arrays) of the nodes that come back and of those that do not;
# $n_silent how many of the latter there are.
sub after_start
{
	my ($label, $prefix, $alive, $silent, $n_silent) = @_;

	# the sweep right after the start removes nothing, and writes the row
	$node->safe_psql('postgres', 'CALL auth_keys.sweep_in_steps()');
	my ($removed) = last_sweep();
	is($removed, 0, "$label: the first sweep removes no node");
	is( $node->safe_psql(
			'postgres', q{
			SELECT count(*) FROM auth_keys.server_run
			 WHERE postmaster_start_time = pg_postmaster_start_time()
			   AND since > now() - interval '1 minute'}),
		'1', "$label: and records since when the server runs");

	# The nodes that came back send heartbeats, and a sweep runs every
	# 0.3 s.  No sweep that finished within the timeout removes a node;
	# the first to remove any removes the silent ones, in a transaction
	# that started a whole timeout after "since" (its events' time).  Each
	# heartbeat is a durable commit now: the WAL writer runs again.
	my @early;
	my $late_removed;
	my $deadline = time + $timeout + $PostgreSQL::Test::Utils::timeout_default;
	while (time < $deadline)
	{
		$node->safe_psql('postgres', "SELECT FROM auth_keys.nodes_seen($alive)");
		$node->safe_psql('postgres', 'CALL auth_keys.sweep_in_steps()');
		my ($removed, $started, $finished) = last_sweep();
		push @early, $removed if $finished < $timeout;
		if ($removed > 0)
		{
			$late_removed = $removed;
			last;
		}
		sleep 0.3;
	}
	cmp_ok(scalar(@early), '>', 3, "$label: sweeps ran within the timeout");
	is(join(',', grep { $_ != 0 } @early), '',
		"$label: none of them removed a node");
	is($late_removed, $n_silent,
		"$label: the first sweep to remove nodes removed those that stayed silent");
	cmp_ok(
		$node->safe_psql(
			'postgres', q{
			SELECT extract(epoch FROM min(e.at - r.since))
			  FROM auth_keys.events e, auth_keys.server_run r
			 WHERE e.action = 'node.deleted' AND e.at >= r.since
			   AND e.detail->>'reason' = 'ephemeral node inactive'}),
		'>=', $timeout,
		"$label: in a transaction that started a whole timeout after the first sweep");
	is( $node->safe_psql(
			'postgres', qq{
			SELECT count(*) FROM auth_keys.nodes
			 WHERE node_key OPERATOR(auth_keys.=) ANY ($silent)}),
		'0', "$label: no silent node is left");
	is( $node->safe_psql(
			'postgres', qq{
			SELECT count(*) = cardinality($alive) FROM auth_keys.nodes
			 WHERE node_key OPERATOR(auth_keys.=) ANY ($alive)}),
		't', "$label: every node that came back is there");

	# the last ones go too, to leave the next case to itself
	$node->safe_psql('postgres', "DELETE FROM auth_keys.nodes WHERE hostname LIKE '$prefix-%'");
	return;
}

# A first sweep writes server_run; backdated, it says the server has run
# for a day, as it would have before a crash.
$node->safe_psql('postgres', 'CALL auth_keys.sweep_in_steps()');
is($node->safe_psql('postgres', 'SELECT count(*) FROM auth_keys.server_run'),
	'1', 'the first sweep writes server_run');

my $group = 0;
for my $how ('kill', 'immediate')
{
	my $label = $how eq 'kill' ? 'SIGKILL of a server process' : 'immediate shutdown';
	my $prefix = "lost-$how";
	$group++;

	# 20 nodes enrolled now (the last durable record of them), and one
	# idle for an hour, which a sweep removes before the crash: the server
	# has run for a day, so sweeps remove what is idle.
	my $alive = enrol("$prefix-back", $group * 10 + 1, 10);
	my $silent = enrol("$prefix-gone", $group * 10 + 2, 10);
	my $all = "($alive || $silent)";
	enrol("idle-$how", $group * 10 + 3, 1);
	$node->safe_psql('postgres', qq{
		UPDATE auth_keys.nodes SET last_seen_at = now() - interval '1 hour'
		 WHERE hostname LIKE 'idle-$how-%';
		UPDATE auth_keys.server_run SET since = now() - interval '1 day';
		CALL auth_keys.sweep_in_steps();
	});
	is(hostnames("idle-$how-%"), '', "$label: before the crash, a sweep removes an idle node");
	my $enrolled_at = $node->safe_psql('postgres', q{
		SELECT max(last_seen_at) FROM auth_keys.nodes WHERE hostname LIKE 'lost-%'});

	# The WAL writer stops; the nodes heartbeat every second, for longer
	# than the timeout, with asynchronous commits.  Each heartbeat is
	# acknowledged, and another session sees it committed.
	my $walwriter = $node->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'});
	ok(kill('STOP', $walwriter), "$label: the WAL writer stops");
	my $beats = $node->background_psql('postgres');
	$beats->query_safe('SET synchronous_commit = off');
	my $start = time;
	my ($acknowledged, $heartbeats) = (1, 0);
	while (time < $start + $timeout + 1.5)
	{
		$acknowledged &&= $beats->query_safe(
			"SELECT count(*) FILTER (WHERE status = 'active') FROM auth_keys.nodes_seen($all)"
		) eq '20';
		$heartbeats++;
		sleep 1;
	}
	ok($acknowledged, "$label: $heartbeats heartbeats of the 20 nodes acknowledged");
	is( $node->safe_psql(
			'postgres', qq{
			SELECT count(*) FROM auth_keys.nodes
			 WHERE node_key OPERATOR(auth_keys.=) ANY ($all) AND last_seen_at > now() - interval '2 seconds'}),
		'20', "$label: every heartbeat committed, and seen by other sessions");

	# The crash.
	my $log_offset = -s $node->logfile;
	if ($how eq 'kill')
	{
		# the postmaster finds a child killed and recovers on its own
		my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
		ok(kill('KILL', $walwriter), "$label: SIGKILL of the WAL writer");
		$beats->{run}->kill_kill;
		ok( $node->wait_for_log(
				qr/was terminated by signal 9.*database system was interrupted.*ready to accept connections/s,
				$log_offset),
			"$label: the postmaster reinitialised and recovered by itself");
		is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
			$started, "$label: (the same postmaster: its start time stays)");
	}
	else
	{
		$node->stop('immediate');
		$beats->{run}->kill_kill;
		$node->start;
		like(
			slurp_file($node->logfile, $log_offset),
			qr/database system was interrupted/,
			"$label: the start recovered from the crash");
	}

	# The heartbeats are lost: each node was last seen when it enrolled.
	is( $node->safe_psql(
			'postgres', qq{
			SELECT count(*) FILTER (WHERE last_seen_at <= '$enrolled_at')
			       || ' ' || count(*) FILTER (WHERE last_seen_at < now() - interval '$timeout seconds')
			  FROM auth_keys.nodes WHERE node_key OPERATOR(auth_keys.=) ANY ($all)}),
		'20 20', "$label: the heartbeats were lost, and the nodes look idle for the timeout");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM auth_keys.server_run'),
		'0', "$label: crash recovery emptied server_run");

	# The control: a sweep that trusts the time alone, as 1.0 did, removes
	# every one of them.
	is( $node->safe_psql(
			'postgres', q{
			BEGIN;
			INSERT INTO auth_keys.server_run VALUES (now() - interval '1 day', pg_postmaster_start_time());
			SELECT nodes_removed FROM auth_keys.sweep();
			ROLLBACK;}),
		'20', "$label: control: a sweep that believes the server ran for a day removes all 20");
	is($node->safe_psql('postgres', "SELECT count(*) FROM auth_keys.nodes WHERE node_key OPERATOR(auth_keys.=) ANY ($all)"),
		'20', "$label: (rolled back)");

	after_start($label, $prefix, $alive, $silent, 10);
}

# A clean restart after the server was down for longer than the timeout:
# the nodes could not send a heartbeat meanwhile.
$group++;
my $alive = enrol('restart-back', $group * 10 + 1, 3);
my $silent = enrol('restart-gone', $group * 10 + 2, 3);
$node->safe_psql('postgres', q{
	UPDATE auth_keys.server_run SET since = now() - interval '1 day';
});
$node->stop('fast');
sleep $timeout + 1;
my $log_offset = -s $node->logfile;
$node->start;
unlike(slurp_file($node->logfile, $log_offset), qr/database system was interrupted/,
	'clean restart: no recovery');
is( $node->safe_psql(
		'postgres', q{
		SELECT count(*) FILTER (WHERE postmaster_start_time <> pg_postmaster_start_time())
		  FROM auth_keys.server_run}),
	'1', 'clean restart: server_run keeps its row, which names the previous start');
is( $node->safe_psql(
		'postgres', q{
		BEGIN;
		UPDATE auth_keys.server_run SET postmaster_start_time = pg_postmaster_start_time();
		SELECT nodes_removed FROM auth_keys.sweep();
		ROLLBACK;}),
	'6', 'clean restart: control: a sweep that takes the row for this start removes all 6');
after_start('clean restart', 'restart', $alive, $silent, 3);

$node->stop;
done_testing();
