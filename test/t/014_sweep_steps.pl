# test/t/014_sweep_steps.pl
#
# A sweep through a large backlog holds no long transaction.  A backlog of
# 200,000 keys past retention and 20,000 idle ephemeral nodes is swept by
# CALL auth_keys.sweep_in_steps() while nodes register at a steady rate.  A
# second connection samples the sweeping process in pg_stat_activity every
# 20 ms: when its transaction started (xact_start) and the snapshot it
# holds (backend_xmin).  Halfway through, a table of the test's own gets
# every row updated, and VACUUM runs on it.  The test asserts that:
#
# - the sweep removed the whole backlog, and sweep_log says so;
# - no transaction of the sweep lasted longer than TRANSACTION_BOUND
#   seconds, nor did it hold one snapshot longer, while the sweep took
#   more than twice that bound (the rests between batches alone, 50 ms
#   after each of its 220 full batches, take 11 s): a sweep in one
#   transaction would fail the bound;
# - registrations went on throughout (none stopped for as long as the
#   bound), and their uses counted for the key were added up by the sweep;
# - the VACUUM, during the sweep, removed every dead row of the test's
#   table (none "dead but not yet removable"; n_dead_tup is 0 after it).
#
# A batch is 1,000 rows, well under a second of work: on a 2-core VM the
# longest transaction of the sweep in steps lasts about 0.1 s, and the
# whole backlog about 4 s of work besides the rests.  TRANSACTION_BOUND is
# 5 s so that a busy machine does not fail the test, which is still far
# below the length of the whole sweep.
#
# The control: the same backlog swept by SELECT auth_keys.sweep(), in one
# transaction, shows one transaction as long as the whole sweep, and a
# VACUUM during it removes none of the dead rows.
#
# Copyright (c) 2026, auth_keys developers

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use Time::HiRes qw(sleep time);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use AuthKeysTest;

use constant TRANSACTION_BOUND => 5;
my $n_keys     = 200_000;
my $n_nodes    = 20_000;
my $n_churn    = 10_000;
my $batch_rest = '50ms';

my $node = new_cluster('steps');
# autovacuum off: the only VACUUM of the test's table is the test's own
$node->append_conf(
	'postgresql.conf', q{
autovacuum = off
log_min_duration_statement = -1
});
$node->start;
setup_tailnet($node, 'postgres', 'steps.example', 'ops@steps.example');
my ($ephemeral) = create_keys($node, 'postgres', 'steps.example', 'ops@steps.example', 1,
	'reusable => true, ephemeral => true, preauthorized => true');
my ($fleet) = create_keys($node, 'postgres', 'steps.example', 'ops@steps.example', 1,
	'reusable => true, preauthorized => true');
$node->safe_psql('postgres', qq{
	CREATE TABLE churn (id integer PRIMARY KEY, v integer NOT NULL)
	    WITH (autovacuum_enabled = off);
	INSERT INTO churn SELECT g, 0 FROM generate_series(1, $n_churn) AS g;
	VACUUM churn;
	-- the server has run for a day: idle nodes may be removed
	CALL auth_keys.sweep_in_steps();
	UPDATE auth_keys.server_run SET since = now() - interval '1 day';
});

# load_backlog($prefix): the backlog, loaded as a restore with triggers
# disabled would load it (past the guards, as test/bench/setup.sql does)
sub load_backlog
{
	my ($prefix) = @_;
	$node->safe_psql('postgres', qq{
		SET session_replication_role = replica;
		INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at,
		                            secret_hash)
		SELECT '$prefix' || lpad(i::text, 10, '0'), t.tailnet_id, 'ops\@steps.example',
		       now() - interval '290 days', now() - interval '200 days' - i * interval '1 ms',
		       sha256(convert_to('$prefix' || i, 'UTF8'))
		  FROM auth_keys.tailnets t, generate_series(1, $n_keys) AS i;
		INSERT INTO auth_keys.nodes (tailnet_id, node_key, hostname, user_login, auth_key_id,
		                             ephemeral, authorized, node_key_expires_at, last_seen_at)
		SELECT t.tailnet_id,
		       ('nodekey:' || encode(sha256(convert_to('$prefix' || i, 'UTF8')), 'hex'))::auth_keys.nodekey,
		       '$prefix-' || i, 'ops\@steps.example', '$ephemeral->[0]', true, true,
		       now() + interval '180 days', now() - interval '1 hour'
		  FROM auth_keys.tailnets t, generate_series(1, $n_nodes) AS i;
		RESET session_replication_role;
		VACUUM ANALYZE auth_keys.keys;
		VACUUM ANALYZE auth_keys.nodes;
	});
	return;
}

sub backlog_left
{
	my ($prefix) = @_;
	return $node->safe_psql('postgres', qq{
		SELECT (SELECT count(*) FROM auth_keys.keys WHERE key_id LIKE '$prefix%')
		    || ' ' || (SELECT count(*) FROM auth_keys.nodes WHERE hostname LIKE '$prefix-%')});
}

# Registrations, 100 a second from two clients, each a new node enrolled
# with the fleet key (reusable without a limit: its uses are counted in
# key_use_counts, which the sweep adds up).
my $script = $node->basedir . '/register.sql';
open my $fh, '>', $script or die "open $script: $!";
print $fh q{\set n random(1, 1000000000000)
SELECT node_id FROM auth_keys.register_node(:key,
    ('nodekey:' || lpad(to_hex(:n::bigint), 64, '0'))::auth_keys.nodekey, 'reg-' || :n);
};
close $fh;

# (pgbench's output goes to a file: a pipe that nobody reads while the
# test samples would fill up and stop it)
my $pgbench_log = $node->basedir . '/pgbench.log';

sub start_registrations
{
	return IPC::Run::start(
		[
			'pgbench', '-n', '-M', 'prepared', '-c', '2', '-R', '100', '-T', '600',
			'-D', "key=$fleet->[1]", '-f', $script, '-d', $node->connstr('postgres')
		],
		'>', $pgbench_log, '2>&1');
}

# stop_registrations($h): stop pgbench, and say why if it had stopped
sub stop_registrations
{
	my ($h) = @_;
	my $running = $h->pumpable;
	$h->kill_kill;
	return $running ? '' : 'pgbench stopped: ' . slurp_file($pgbench_log);
}

# sweep_sampled($sql): run $sql (a sweep) in a session of its own while
# sampling it every 20 ms, and, after $vacuum_after seconds, update every
# row of churn and VACUUM it.  Returns a hash: duration, longest
# transaction, longest hold of one snapshot, samples, and what the VACUUM
# found.
sub sweep_sampled
{
	my ($sql, $vacuum_after) = @_;
	my ($in, $out, $err) = ('', '', '');
	my $sweeper = IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres') ],
		'<', \$in, '>', \$out, '2>', \$err);
	$in .= "SELECT pg_backend_pid();\n";
	$sweeper->pump until $out =~ /^(\d+)\n/;
	my $pid = $1;
	$out = '';

	# the sampler, a psql of its own (one line out for each line in)
	my ($sample_in, $sample_out) = ('', '');
	my $sampler = IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres') ],
		'<', \$sample_in, '>', \$sample_out, '2>', \$err);
	my %result = (samples => 0, longest => 0, snapshot => 0);
	my ($xmin, $xmin_since) = ('', 0);

	my $started = time;
	$in .= "SET auth_keys.sweep_batch_delay = '$batch_rest';\n$sql;\n\\echo SWEPT\n";
	$sweeper->pump_nb;
	# the update of churn: not yet (0), made at this time, or vacuumed (-1)
	my $updated = 0;
	my $deadline = $started + $PostgreSQL::Test::Utils::timeout_default;
	while ($out !~ /SWEPT/)
	{
		die "the sweep did not finish: $err" if time > $deadline || !$sweeper->pumpable;
		$sample_in .= "SELECT coalesce(extract(epoch FROM clock_timestamp() - xact_start), 0)"
		  . " || '|' || coalesce(backend_xmin::text, '') FROM pg_stat_activity WHERE pid = $pid"
		  . " UNION ALL SELECT 'sampled';\n";
		$sampler->pump until $sample_out =~ /sampled\n/ || !$sampler->pumpable;
		my ($age, $sample_xmin) = split /\|/, ($sample_out =~ /^(.*)\n/ ? $1 : '');
		$sample_out = '';
		my $now = time;
		$age //= 0;
		$sample_xmin //= '';
		$result{samples}++;
		$result{longest} = $age if $age > $result{longest};
		if ($sample_xmin ne $xmin)
		{
			($xmin, $xmin_since) = ($sample_xmin, $now);
		}
		elsif ($xmin ne '' && $now - $xmin_since > $result{snapshot})
		{
			$result{snapshot} = $now - $xmin_since;
		}

		# Every row of churn updated, in a transaction of its own; then,
		# once no transaction of the sweep that started before the update
		# can be left (if the sweep keeps to the bound), VACUUM.
		if ($updated == 0 && $now - $started > $vacuum_after)
		{
			$node->safe_psql('postgres', 'UPDATE churn SET v = v + 1');
			$updated = time;
		}
		elsif ($updated > 0 && $now - $updated > TRANSACTION_BOUND)
		{
			$updated = -1;
			my ($rc, $stdout, $stderr) =
			  $node->psql('postgres', 'VACUUM (VERBOSE) churn');
			@result{qw(removed remain not_removable)} =
			  $stderr =~ /tuples: (\d+) removed, (\d+) remain, (\d+) are dead but not yet removable/;
			$result{dead_after} = $node->safe_psql('postgres',
				q{SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'churn'});
			$sweeper->pump_nb;
			$result{vacuum_during} = $out !~ /SWEPT/;
		}
		sleep 0.02;
		$sweeper->pump_nb;
	}
	$result{duration} = time - $started;
	$in .= "\\q\n";
	$sweeper->finish;
	$sample_in .= "\\q\n";
	$sampler->finish;
	$result{errors} = $err;
	return \%result;
}

# registrations committed between two times (seconds since the epoch), and
# the longest time without one
sub registrations
{
	my ($from, $to) = @_;
	return split /\|/, $node->safe_psql('postgres', qq{
		WITH r AS (
		    SELECT extract(epoch FROM created_at) AS t FROM auth_keys.nodes
		     WHERE hostname LIKE 'reg-%'
		       AND created_at BETWEEN to_timestamp($from) AND to_timestamp($to)
		    UNION ALL SELECT $from UNION ALL SELECT $to)
		SELECT count(*) - 2, max(gap) FROM (SELECT t - lag(t) OVER (ORDER BY t) AS gap FROM r) g});
}

######################################################################
# sweep_in_steps
######################################################################

load_backlog('Bk');
is(backlog_left('Bk'), "$n_keys $n_nodes", 'the backlog is loaded');

my $registering = start_registrations();
sleep 1;
my $from = time;
my $steps = sweep_sampled('CALL auth_keys.sweep_in_steps()', 3);
my $to = time;
my ($registered, $gap) = registrations($from, $to);
diag(sprintf(
		'sweep_in_steps: %.1f s, longest transaction %.2f s, one snapshot held %.2f s at most, '
		  . '%d samples; %d registrations, %.2f s the longest without one',
		@{$steps}{qw(duration longest snapshot samples)}, $registered, $gap));

is($steps->{errors}, '', 'sweep_in_steps: no error and no warning');
is(backlog_left('Bk'), '0 0', 'sweep_in_steps: the whole backlog is removed');
is( $node->safe_psql(
		'postgres', q{
		SELECT keys_purged || ' ' || nodes_removed FROM auth_keys.sweep_log
		 ORDER BY sweep_id DESC LIMIT 1}),
	"$n_keys $n_nodes", 'sweep_in_steps: sweep_log has what it did');
cmp_ok($steps->{samples}, '>', 100, 'sweep_in_steps: sampled all along');
cmp_ok($steps->{longest}, '<', TRANSACTION_BOUND,
	'sweep_in_steps: no transaction lasted as long as the bound');
cmp_ok($steps->{snapshot}, '<', TRANSACTION_BOUND,
	'sweep_in_steps: no snapshot was held as long');
cmp_ok($steps->{duration}, '>', 2 * TRANSACTION_BOUND,
	'sweep_in_steps: while the whole sweep took longer than twice the bound');
cmp_ok($registered, '>', 100, 'sweep_in_steps: nodes registered during the sweep');
cmp_ok($gap, '<', TRANSACTION_BOUND, 'sweep_in_steps: registrations never stopped for as long');
ok($steps->{vacuum_during}, 'sweep_in_steps: the VACUUM ran during the sweep');
is(($steps->{removed} // 'none') . ' ' . ($steps->{not_removable} // 'none'),
	"$n_churn 0", 'sweep_in_steps: VACUUM removed every dead row, none left as not yet removable');
is($steps->{dead_after}, '0', 'sweep_in_steps: n_dead_tup is 0 after the VACUUM');

is(stop_registrations($registering), '', 'sweep_in_steps: pgbench ran all along');

# the registrations' uses, counted in key_use_counts, are added up to
# keys.uses by the next sweep in steps (now, with the load stopped)
$node->safe_psql('postgres', 'CALL auth_keys.sweep_in_steps()');
is( $node->safe_psql(
		'postgres', qq{
		SELECT k.uses = (SELECT count(*) FROM auth_keys.nodes WHERE hostname LIKE 'reg-%')
		       AND NOT EXISTS (SELECT FROM auth_keys.key_use_counts c WHERE c.key_id = k.key_id)
		  FROM auth_keys.keys k WHERE k.key_id = '$fleet->[0]'}),
	't', "the fleet key's uses are all in keys.uses");

######################################################################
# The control: the same backlog, swept by sweep() in one transaction
######################################################################

load_backlog('Ck');
is(backlog_left('Ck'), "$n_keys $n_nodes", 'control: the same backlog is loaded');
$registering = start_registrations();
sleep 1;
my $single = sweep_sampled('SELECT * FROM auth_keys.sweep()', 3);
is(stop_registrations($registering), '', 'control: pgbench ran all along');
diag(sprintf(
		'control, sweep(): %.1f s, longest transaction %.2f s, one snapshot held %.2f s at most, '
		  . '%d samples; VACUUM during it: %s dead rows not yet removable',
		@{$single}{qw(duration longest snapshot samples)}, $single->{not_removable} // 'none'));
is(backlog_left('Ck'), '0 0', 'control: sweep() removes the whole backlog too');
cmp_ok($single->{longest}, '>', 0.8 * $single->{duration},
	'control: its one transaction lasts about as long as the whole sweep');
cmp_ok($single->{longest}, '>=', TRANSACTION_BOUND, 'control: which breaks the bound');
cmp_ok($single->{snapshot}, '>=', TRANSACTION_BOUND, 'control: and holds a snapshot as long');
ok($single->{vacuum_during}, 'control: the VACUUM ran during the sweep');
is($single->{not_removable} // 'none', $n_churn,
	'control: it could remove none of the dead rows');

$node->stop;
done_testing();
