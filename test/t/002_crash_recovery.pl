# test/t/002_crash_recovery.pl
#
# Registrations survive crashes.  Four clients enrol nodes as fast as they
# can, with one-off keys that they race for, reusable keys with max_uses and
# unlimited reusable keys; they also re-authenticate nodes (with the same
# key, which spends nothing, or with another key) and delete nodes.  Each
# client writes down every operation before it sends it, and every outcome
# it is told of.  At a random moment the server is killed with SIGKILL
# (the postmaster alone, or every server process at once), restarted, and
# checked against what the clients were told:
#
# - every acknowledged registration is there, with the node id and the key
#   the client was told of, unless the client was told of a later delete;
#   a node whose last operation was cut off by the crash is in the state
#   before it or in the state after it;
# - no key is used more than it may be, and each key's uses lie between
#   the spending registrations acknowledged and those plus the ones cut
#   off (a key without a limit: the uses in its row and those counted in
#   key_use_counts); every refusal was for a key that is used up;
# - the audit trail agrees: each key has one key.used event per use (the
#   event is written in the registering transaction), every node has its
#   registration event naming the key it holds, every node a key.used
#   event names is still there or has a later node.deleted event;
# - validate_key tells the same uses left, and amcheck finds the indexes
#   and heaps of auth_keys sound.
#
# A success counts only when the client received the result row: each call
# is one autocommit statement, and the server sends the row's command
# completion after the commit.  An operation cut off by the crash may or
# may not have committed; the client never touches that node key again.
#
# The clients are separate processes, each with a psql connection.  After
# losing it they wait at a gate, so that the check sees the server as
# recovery left it; then they go on, with fresh keys, until the next crash.
# The run has AUTH_KEYS_CRASH_CYCLES crashes (3 by default; "make
# crashcheck" runs 20) and its random choices follow AUTH_KEYS_CRASH_SEED
# when set (the seed is printed).  The server runs with fsync on, as a
# production server would (PostgreSQL::Test::Cluster turns it off).
#
# Copyright (c) 2026, auth_keys developers

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Open2;
use POSIX ();
use Time::HiRes qw(sleep time);

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use AuthKeysTest;

my $cycles = $ENV{AUTH_KEYS_CRASH_CYCLES} // 3;
die "AUTH_KEYS_CRASH_CYCLES must be a positive integer\n"
  unless $cycles =~ /^[1-9][0-9]*$/;
my $seed = $ENV{AUTH_KEYS_CRASH_SEED} // int(time * 1000) % 1000000;
die "AUTH_KEYS_CRASH_SEED must be an integer\n" unless $seed =~ /^[0-9]+$/;
srand($seed);
my $n_clients = 4;

my $tailnet = 'crash.example';
my $admin   = 'ops@crash.example';
my $role    = 'crash_client';

my $node = new_cluster('crash');
# PostgreSQL::Test::Cluster turns fsync off; a crash test wants it on.
# Statements carry keys: keep them out of the log, as refusals are expected.
$node->append_conf(
	'postgresql.conf', q{
fsync = on
log_statement = none
log_min_error_statement = panic
max_connections = 20
});
$node->start;
setup_tailnet($node, 'postgres', $tailnet, $admin, db_role => $role);
$node->safe_psql('postgres', 'CREATE EXTENSION amcheck');

my $dir = $node->basedir . '/clients';
mkdir $dir or die "mkdir $dir: $!";

# write_file($path, $text): replace a file at once (readers see the old or
# the new text, never a part)
sub write_file
{
	my ($path, $text) = @_;
	open my $fh, '>', "$path.new" or die "open $path.new: $!";
	print $fh $text;
	close $fh or die "close $path.new: $!";
	rename "$path.new", $path or die "rename $path: $!";
	return;
}

sub read_file
{
	my ($path) = @_;
	open my $fh, '<', $path or return undef;
	local $/;
	my $text = <$fh>;
	close $fh;
	return $text;
}

# Every key made, by key_id: kind (one_off, limited, unlimited), limit
# (undef when unlimited) and the key itself.
my %keys;

# make_keys($generation): fresh keys for the clients' next run, in file
# keys.$generation: many one-off keys (plain, tagged, ephemeral), a few
# with max_uses from 2 to 25, and, in the first generation, two unlimited.
sub make_keys
{
	my ($generation) = @_;
	my @made;
	push @made, create_keys($node, 'postgres', $tailnet, $admin, 100, '');
	push @made, create_keys($node, 'postgres', $tailnet, $admin, 30,
		q{tags => ARRAY['tag:server']});
	push @made, create_keys($node, 'postgres', $tailnet, $admin, 20,
		'ephemeral => true, preauthorized => true');
	for (1 .. 6)
	{
		my $max = 2 + int(rand(24));
		push @made, create_keys($node, 'postgres', $tailnet, $admin, 1,
			"reusable => true, max_uses => $max");
	}
	if ($generation == 0)
	{
		push @made, create_keys($node, 'postgres', $tailnet, $admin, 1,
			'reusable => true');
		push @made, create_keys($node, 'postgres', $tailnet, $admin, 1,
			q{reusable => true, tags => ARRAY['tag:server'], description => 'fleet'});
	}
	my %made = map { $_->[0] => $_->[1] } @made;
	my $list = join ',', map { "'$_'" } sort keys %made;
	my $text = '';
	for my $row (split /\n/, $node->safe_psql('postgres',
		"SELECT key_id, reusable, max_uses FROM auth_keys.keys WHERE key_id IN ($list)"))
	{
		my ($key_id, $reusable, $max_uses) = split /\|/, $row, -1;
		my $kind =
		    $reusable eq 'f' ? 'one_off'
		  : $max_uses eq ''  ? 'unlimited'
		  :                    'limited';
		$keys{$key_id} = {
			kind  => $kind,
			limit => $kind eq 'one_off' ? 1 : $kind eq 'limited' ? $max_uses : undef,
			key   => $made{$key_id} };
		$text .= "$kind $key_id $made{$key_id}\n";
	}
	write_file("$dir/keys.$generation", $text);
	return;
}

# open_gate($generation): let the clients run against the server as it is
# now.  They check that they talk to this very server (its start time), so
# that none slips into a server restarted before it is checked.
sub open_gate
{
	my ($generation) = @_;
	my $started = $node->safe_psql('postgres',
		'SELECT extract(epoch FROM pg_postmaster_start_time())');
	write_file("$dir/gate", "$generation $started\n");
	return;
}

######################################################################
# The clients
######################################################################

# A set of node keys with random picks.
sub set_add
{
	my ($set, $item) = @_;
	return if exists $set->{index}{$item};
	push @{ $set->{list} }, $item;
	$set->{index}{$item} = $#{ $set->{list} };
	return;
}

sub set_remove
{
	my ($set, $item) = @_;
	my $i = delete $set->{index}{$item};
	return unless defined $i;
	my $last = pop @{ $set->{list} };
	if ($i <= $#{ $set->{list} })
	{
		$set->{list}[$i] = $last;
		$set->{index}{$last} = $i;
	}
	return;
}

sub set_pick
{
	my ($set) = @_;
	my $n = @{ $set->{list} // [] };
	return $n ? $set->{list}[ int(rand($n)) ] : undef;
}

# The operation a client tries next, on its own node keys: enrol a new node
# (one-off, limited or unlimited key), re-authenticate one of its nodes with
# the same key or with another reusable key, delete one, or enrol a deleted
# node key again.
sub next_operation
{
	my ($client, $keys, $nodes, $present, $absent) = @_;
	my $r = rand;
	my $pick = sub { my $list = $keys->{ $_[0] }; $list->[ int(rand(@$list)) ] };
	my $reusable = sub { rand() < 0.6 ? $pick->('limited') : $pick->('unlimited') };
	my $held = set_pick($present);
	my $gone = set_pick($absent);

	if ($r < 0.10 && defined $held)
	{
		return { kind => 'same', node_key => $held, key => $nodes->{$held}{key},
			node_id => $nodes->{$held}{node_id} };
	}
	if ($r < 0.18 && defined $held)
	{
		my $key = $reusable->();
		$key = $reusable->() while $key->[0] eq $nodes->{$held}{key}[0];
		return { kind => 'other', node_key => $held, key => $key,
			node_id => $nodes->{$held}{node_id} };
	}
	if ($r < 0.26 && defined $held)
	{
		return { kind => 'delete', node_key => $held, key => [ '-', '-' ],
			node_id => $nodes->{$held}{node_id} };
	}
	if ($r < 0.30 && defined $gone)
	{
		return { kind => 'new', node_key => $gone, key => $reusable->(), node_id => '-' };
	}
	my $key =
	    $r < 0.65 ? $pick->('one_off')
	  : $r < 0.85 ? $pick->('limited')
	  :             $pick->('unlimited');
	$client->{serial}++;
	return { kind => 'new', node_key => node_key($client->{id} + 1, $client->{serial}),
		key => $key, node_id => '-' };
}

# run_client($id): the loop of one client process.  Its log has a line
# "? seq kind node_key key_id node_id" before each operation is sent, then
# "! seq result" when the result row arrived (with autocommit, the commit
# happened), "x seq SQLSTATE" when the server refused it, and nothing when
# the connection broke first: the operation may or may not have committed,
# and the client never touches that node key again.  "P generation" marks
# the client parked at the gate.
sub run_client
{
	my ($id, $parent) = @_;
	open STDOUT, '>', '/dev/null';
	open STDERR, '>>', "$dir/client$id.err";
	STDERR->autoflush(1);
	open my $log, '>>', "$dir/client$id.log" or die "open: $!";
	$log->autoflush(1);
	$SIG{PIPE} = 'IGNORE';
	$SIG{ALRM} = sub {
		print STDERR "client $id: psql did not answer\n";
		POSIX::_exit(3);
	};
	srand($seed * 10 + $id);

	my $client = { id => $id, serial => 0 };
	my (%nodes, %present, %absent, %keys_now);
	my $generation = -1;
	my $seq = 0;
	my $connstr = $node->connstr('postgres') . " user=$role";

	while (1)
	{
		# wait at the gate for a generation newer than the last one run
		my ($gate, $server);
		while (1)
		{
			POSIX::_exit(1) if getppid() != $parent;
			my $text = read_file("$dir/gate") // '';
			POSIX::_exit(0) if $text =~ /^stop/;
			($gate, $server) = $text =~ /^(\d+) (\S+)$/m;
			last if defined $gate && $gate > $generation;
			sleep 0.05;
		}
		$generation = $gate;
		%keys_now = ();
		for (split /\n/, read_file("$dir/keys.$generation"))
		{
			my ($kind, $key_id, $key) = split / /;
			push @{ $keys_now{$kind} }, [ $key_id, $key ];
		}
		# unlimited keys are made once, in generation 0: keep them
		$client->{unlimited} = $keys_now{unlimited} if $keys_now{unlimited};
		$keys_now{unlimited} = $client->{unlimited};

		my $pid = open2(my $out, my $in, 'psql', '-X', '-q', '-A', '-t',
			'-v', 'ON_ERROR_STOP=0', '-v', 'VERBOSITY=verbose', '-d', $connstr);
		print $in "SELECT 'server ' || extract(epoch FROM pg_postmaster_start_time());\n"
		  . "\\echo \@\@ server\n";
		my $this_server = 0;
		alarm $PostgreSQL::Test::Utils::timeout_default;
		while (defined(my $line = <$out>))
		{
			chomp $line;
			last if $line eq '@@ server';
			$this_server = 1 if $line eq "server $server";
		}
		alarm 0;

		while ($this_server)
		{
			POSIX::_exit(1) if getppid() != $parent;
			my $op = next_operation($client, \%keys_now, \%nodes, \%present, \%absent);
			my ($key_id, $key) = @{ $op->{key} };
			$seq++;
			print $log "? $seq $op->{kind} $op->{node_key} $key_id $op->{node_id}\n";
			print $in "\\warn \@\@ $seq\n";
			if ($op->{kind} eq 'delete')
			{
				print $in "SELECT 'deleted' FROM auth_keys.delete_node($op->{node_id});\n";
			}
			else
			{
				print $in "SELECT node_id, reauthenticated FROM auth_keys.register_node("
				  . "'$key', '$op->{node_key}', 'host-$id-$seq');\n";
			}
			print $in "\\echo \@\@ $seq :SQLSTATE\n";

			# the marker line carries the SQLSTATE: 00000 after a success, the
			# error's after a refusal, nothing when psql lost the connection
			# without exiting (as when sending fails)
			my ($row, $state);
			alarm $PostgreSQL::Test::Utils::timeout_default;
			while (defined(my $line = <$out>))
			{
				chomp $line;
				if ($line =~ /^\@\@ $seq ?(.*)$/) { $state = $1; last; }
				$row = $line if $line ne '';
			}
			alarm 0;
			my $answered = defined $state && $state =~ /^[0-9A-Z]{5}$/;

			my $nk = $op->{node_key};
			if (defined $row)
			{
				print $log "! $seq $row\n";
				if ($op->{kind} eq 'delete')
				{
					set_remove(\%present, $nk);
					set_add(\%absent, $nk);
				}
				else
				{
					my ($node_id) = split /\|/, $row;
					$nodes{$nk} = { key => $op->{key}, node_id => $node_id };
					set_remove(\%absent, $nk);
					set_add(\%present, $nk);
				}
			}
			elsif ($answered)
			{
				print $log "x $seq $state\n";
			}
			else
			{
				# cut off: retire the node key
				set_remove(\%present, $nk);
				set_remove(\%absent,  $nk);
			}
			last unless $answered;
		}
		close $in;
		close $out;
		waitpid $pid, 0;
		print $log "P $generation\n";
		write_file("$dir/parked$id", "$generation\n");
	}
}

my @clients;
my $test_pid = $$;
END
{
	# a test that dies leaves no client behind
	kill 'KILL', @clients if $$ == $test_pid;
}
make_keys(0);
open_gate(0);
for my $id (0 .. $n_clients - 1)
{
	my $parent = $$;
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		eval { run_client($id, $parent) };
		print STDERR "client $id: $@" if $@;
		POSIX::_exit(1);
	}
	push @clients, $pid;
}

######################################################################
# Crash, restart, check
######################################################################

# process_start($pid): when the process started (clock ticks since boot),
# undef when there is no such process
sub process_start
{
	my ($pid) = @_;
	my $stat = read_file("/proc/$pid/stat") // return undef;
	$stat =~ s/^.*\) //s;
	return (split / /, $stat)[19];
}

# server_processes(): the postmaster and its children, by pid, with the
# time each started
sub server_processes
{
	my ($postmaster) = split /\n/, read_file($node->data_dir . '/postmaster.pid');
	my %processes = ($postmaster => process_start($postmaster));
	for my $stat (glob '/proc/[0-9]*/stat')
	{
		my $text = read_file($stat) // next;
		my ($pid, $ppid) = $text =~ /^(\d+) \(.*\) \S+ (\d+)/s or next;
		$processes{$pid} = process_start($pid) if $ppid == $postmaster;
	}
	return ($postmaster, \%processes);
}

# crash($everything): SIGKILL the postmaster alone (its backends notice,
# finish what they were doing and exit) or every server process at once;
# wait until all of them are gone, reaped included (a new postmaster
# refuses to start while the old one's pid exists).
sub crash
{
	my ($everything) = @_;
	my ($postmaster, $processes) = server_processes();
	kill 'KILL', grep { $_ != $postmaster } keys %$processes if $everything;
	$node->kill9;
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	for my $pid (keys %$processes)
	{
		while ((process_start($pid) // '') eq ($processes->{$pid} // ''))
		{
			die "server process $pid outlived the crash" if time > $deadline;
			sleep 0.02;
		}
	}
	return;
}

# wait_parked($generation): until every client has lost its connection
# and waits at the gate
sub wait_parked
{
	my ($generation) = @_;
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	for my $id (0 .. $n_clients - 1)
	{
		while ((read_file("$dir/parked$id") // '') ne "$generation\n")
		{
			die "client $id did not stop after the crash" if time > $deadline;
			die "client $id died: " . (read_file("$dir/client$id.err") // '')
			  if waitpid($clients[$id], POSIX::WNOHANG()) == $clients[$id];
			sleep 0.05;
		}
	}
	return;
}

# what the clients were told, replayed from their logs
sub read_logs
{
	my %told = (
		nodes          => {},    # node_key => { state, key_id, node_id, before }
		acked_spends   => {},    # key_id => count
		cutoff_spends  => {},
		acked_same     => {},
		cutoff_same    => {},
		deleted        => [],    # node ids whose delete was acknowledged
		refused        => [],    # [ where, kind, key_id, SQLSTATE ]
		problems       => [],
		figures        => { registered => 0, deleted => 0, refused => 0, cutoff => 0 });
	for my $id (0 .. $n_clients - 1)
	{
		my $pending;
		my $settle = sub {
			return unless $pending;
			my $op = $pending;
			undef $pending;
			my $entry = $told{nodes}{ $op->{node_key} } //= { state => 'absent' };
			my %before = %$entry;
			$told{figures}{cutoff}++;
			if ($op->{kind} eq 'delete')
			{
				%$entry = (state => 'absent');
			}
			elsif ($op->{kind} eq 'same')
			{
				$told{cutoff_same}{ $op->{key_id} }++;
				return;
			}
			else
			{
				%$entry = (state => 'present', key_id => $op->{key_id},
					node_id => $op->{kind} eq 'other' ? $op->{node_id} : undef);
				$told{cutoff_spends}{ $op->{key_id} }++;
			}
			$entry->{before} = \%before;
		};
		open my $fh, '<', "$dir/client$id.log" or die "open: $!";
		while (my $line = <$fh>)
		{
			chomp $line;
			if ($line =~ /^\? (\d+) (\w+) (\S+) (\S+) (\S+)$/)
			{
				$settle->();
				$pending = { seq => $1, kind => $2, node_key => $3, key_id => $4, node_id => $5 };
			}
			elsif ($line =~ /^! (\d+) (.*)$/ && $pending && $pending->{seq} == $1)
			{
				my ($op, $row) = ($pending, $2);
				undef $pending;
				my $entry = $told{nodes}{ $op->{node_key} } //= { state => 'absent' };
				if ($op->{kind} eq 'delete')
				{
					push @{ $told{problems} }, "client $id #$op->{seq}: delete answered $row"
					  unless $row eq 'deleted';
					push @{ $told{deleted} }, $op->{node_id};
					%$entry = (state => 'absent');
					$told{figures}{deleted}++;
					next;
				}
				my ($node_id, $reauthenticated) = split /\|/, $row;

				# A node presenting its own key again is re-authenticated
				# while the key is valid, and returned as it is (f) once
				# the key is spent: either may be the answer.
				my $want = $op->{kind} eq 'new' ? 'f' : 't';
				push @{ $told{problems} },
				  "client $id #$op->{seq}: $op->{kind} answered reauthenticated $reauthenticated"
				  unless $reauthenticated eq $want
				  || ($op->{kind} eq 'same' && $reauthenticated eq 'f');
				push @{ $told{problems} },
				  "client $id #$op->{seq}: $op->{kind} answered node $node_id, not $op->{node_id}"
				  if $op->{kind} ne 'new' && $node_id ne $op->{node_id};
				%$entry = (state => 'present', key_id => $op->{key_id}, node_id => $node_id);
				if ($op->{kind} eq 'same')
				{
					$told{acked_same}{ $op->{key_id} }++ if $reauthenticated eq 't';
				}
				else { $told{acked_spends}{ $op->{key_id} }++; }
				$told{figures}{registered}++;
			}
			elsif ($line =~ /^x (\d+) (\w+)$/ && $pending && $pending->{seq} == $1)
			{
				push @{ $told{refused} },
				  [ "client $id #$1", $pending->{kind}, $pending->{key_id}, $2 ];
				undef $pending;
				$told{figures}{refused}++;
			}
			elsif ($line =~ /^P /)
			{
				$settle->();
			}
			else
			{
				push @{ $told{problems} }, "client $id: unexpected log line: $line";
			}
		}
		$settle->();
		close $fh;
	}
	return \%told;
}

# rows($sql): the rows of a query, each split on |
sub rows
{
	my ($sql) = @_;
	my $out = $node->safe_psql('postgres', $sql);
	return map { [ split /\|/, $_, -1 ] } grep { $_ ne '' } split /\n/, $out;
}

# no_problems($name, @problems): one test, with the first problems as
# diagnostics
sub no_problems
{
	my ($name, @problems) = @_;
	my $ok = ok(!@problems, $name);
	diag(join "\n", grep { defined } @problems[ 0 .. 9 ]) unless $ok;
	diag(scalar(@problems) . ' problems in all') if @problems > 10;
	return $ok;
}

sub check
{
	my ($cycle) = @_;
	my $told = read_logs();
	my $c = "cycle $cycle:";

	no_problems("$c the clients were told what they asked for", @{ $told->{problems} });

	# nodes
	my %db_nodes = map { $_->[0] => { node_id => $_->[1], key_id => $_->[2] } }
	  rows('SELECT node_key, node_id, auth_key_id FROM auth_keys.nodes');
	my @problems;
	my $matches = sub {
		my ($want, $have) = @_;
		return !defined $have if $want->{state} eq 'absent';
		return defined $have
		  && $have->{key_id} eq $want->{key_id}
		  && (!defined $want->{node_id} || $have->{node_id} eq $want->{node_id});
	};
	for my $nk (sort keys %{ $told->{nodes} })
	{
		my $want = $told->{nodes}{$nk};
		my $have = $db_nodes{$nk};
		next if $matches->($want, $have);
		next if $want->{before} && $matches->($want->{before}, $have);
		push @problems, sprintf('%s: told %s %s node %s, found %s', $nk,
			$want->{state}, $want->{key_id} // '-', $want->{node_id} // '?',
			$have ? "node $have->{node_id} with $have->{key_id}" : 'no node');
	}
	no_problems("$c every acknowledged registration and deletion holds", @problems);
	no_problems("$c no node that no client asked for",
		map { "unexpected node $_" } grep { !exists $told->{nodes}{$_} } sort keys %db_nodes);

	# keys: limits, uses against what the clients were told, events
	my %db_keys = map {
		$_->[0] => { uses => $_->[1], used_up => $_->[2], used_events => $_->[3],
			reauth_events => $_->[4] }
	} rows(q{
		-- the uses of a key without a limit are counted in key_use_counts
		-- until a sweep adds them to its row
		SELECT k.key_id,
		       k.uses + coalesce((SELECT sum(c.uses) FROM auth_keys.key_use_counts c
		                           WHERE c.key_id = k.key_id), 0),
		       k.used_up_at IS NOT NULL,
		       count(*) FILTER (WHERE e.action = 'key.used'),
		       count(*) FILTER (WHERE e.action = 'node.reauthenticated')
		  FROM auth_keys.keys k
		  LEFT JOIN auth_keys.events e ON e.key_id = k.key_id
		 GROUP BY k.key_id, k.uses, k.used_up_at});
	my (@over, @uses, @events, @reauth);
	for my $key_id (sort keys %keys)
	{
		my $key  = $keys{$key_id};
		my $have = $db_keys{$key_id};
		if (!$have)
		{
			push @uses, "key $key_id is gone";
			next;
		}
		push @over, "key $key_id ($key->{kind}) used $have->{uses} times, limit $key->{limit}"
		  if defined $key->{limit} && $have->{uses} > $key->{limit};
		push @over, "key $key_id: uses $have->{uses}, used_up " . $have->{used_up}
		  if defined $key->{limit}
		  && ($have->{uses} == $key->{limit}) != ($have->{used_up} eq 't');
		my $acked = $told->{acked_spends}{$key_id} // 0;
		my $cut   = $told->{cutoff_spends}{$key_id} // 0;
		push @uses, "key $key_id: uses $have->{uses}, acknowledged $acked, cut off $cut"
		  if $have->{uses} < $acked || $have->{uses} > $acked + $cut;
		push @events, "key $key_id: uses $have->{uses}, key.used events $have->{used_events}"
		  if $have->{uses} != $have->{used_events};
		my $same     = $told->{acked_same}{$key_id} // 0;
		my $same_cut = $told->{cutoff_same}{$key_id} // 0;
		push @reauth, "key $key_id: node.reauthenticated events $have->{reauth_events},"
		  . " acknowledged $same, cut off $same_cut"
		  if $have->{reauth_events} < $same || $have->{reauth_events} > $same + $same_cut;
	}
	no_problems("$c no key is used more than it may be", @over);
	no_problems("$c each key's uses match the registrations acknowledged", @uses);
	no_problems("$c each key has one key.used event per use", @events);
	no_problems("$c re-authentications with the same key spent nothing and were recorded",
		@reauth);

	my @refused;
	for my $refusal (@{ $told->{refused} })
	{
		my ($where, $kind, $key_id, $state) = @$refusal;
		my $key = $keys{$key_id} // { kind => '-' };
		next
		  if $state eq '28000'
		  && $kind ne 'delete'
		  && $kind ne 'same'
		  && defined $key->{limit}
		  && $db_keys{$key_id}{uses} == $key->{limit};
		push @refused, "$where: $kind with key $key_id ($key->{kind}) was refused: $state";
	}
	no_problems("$c every refusal was for a used-up key", @refused);

	# the audit trail
	no_problems(
		"$c every node has a registration event naming its key",
		map { "node $_->[0] holds $_->[1], its last registration event names "
			  . ($_->[2] eq '' ? 'nothing' : $_->[2]) } rows(q{
			SELECT n.node_id, n.auth_key_id, e.key_id
			  FROM auth_keys.nodes n
			  LEFT JOIN (SELECT DISTINCT ON (node_id) node_id, key_id
			               FROM auth_keys.events
			              WHERE action IN ('key.used', 'node.reauthenticated')
			              ORDER BY node_id, event_id DESC) e ON e.node_id = n.node_id
			 WHERE e.key_id IS DISTINCT FROM n.auth_key_id}));
	no_problems(
		"$c every node a key.used event names is there or was deleted after",
		map { "event $_->[0]: node $_->[1] is gone without a node.deleted event" } rows(q{
			SELECT e.event_id, e.node_id
			  FROM auth_keys.events e
			 WHERE e.action = 'key.used'
			   AND NOT EXISTS (SELECT FROM auth_keys.nodes n WHERE n.node_id = e.node_id)
			   AND NOT EXISTS (SELECT FROM auth_keys.events d
			                    WHERE d.action = 'node.deleted' AND d.node_id = e.node_id
			                      AND d.event_id > e.event_id)}));
	my %deleted = map { $_->[0] => 1 }
	  rows(q{SELECT node_id FROM auth_keys.events WHERE action = 'node.deleted'});
	no_problems(
		"$c every acknowledged deletion has its event, and no deleted node is back",
		(map { "node $_: deletion acknowledged, no node.deleted event" }
			  grep { !$deleted{$_} } @{ $told->{deleted} }),
		(map { "node $_->[0] has a node.deleted event but is there" } rows(q{
			SELECT n.node_id FROM auth_keys.nodes n
			  JOIN auth_keys.events d ON d.node_id = n.node_id AND d.action = 'node.deleted'})));

	# validate_key, through the code path nodes use
	my $list = join ',', map { "'$keys{$_}{key}'" } sort keys %keys;
	my @validate;
	for my $row (rows(qq{
		SELECT v.key_id, v.status, coalesce(v.uses_left::text, '-')
		  FROM unnest(ARRAY[$list]) AS k, LATERAL auth_keys.validate_key(k) AS v}))
	{
		my ($key_id, $status, $left) = @$row;
		my $key  = $keys{$key_id};
		my $uses = $db_keys{$key_id}{uses};
		my $want_status =
		  defined $key->{limit} && $uses >= $key->{limit} ? 'used' : 'valid';
		my $want_left = defined $key->{limit} ? $key->{limit} - $uses : '-';
		push @validate, "key $key_id: validate_key says $status, $left left; uses $uses"
		  unless $status eq $want_status && $left eq $want_left;
	}
	no_problems("$c validate_key agrees with the uses", @validate);

	# the storage itself
	my ($rc, $stdout, $stderr) = $node->psql(
		'postgres', q{
		SELECT count(bt_index_parent_check(i.indexrelid, true))
		  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		 WHERE c.relnamespace = 'auth_keys'::regnamespace
		   AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'btree');
		SELECT count(*) FROM verify_heapam('auth_keys.keys');
		SELECT count(*) FROM verify_heapam('auth_keys.key_use_counts');
		SELECT count(*) FROM verify_heapam('auth_keys.nodes');
		-- events is partitioned: each partition's heap
		SELECT count(*) FROM pg_inherits i, verify_heapam(i.inhrelid::regclass)
		 WHERE i.inhparent = 'auth_keys.events'::regclass;});
	is($rc . $stderr, '0', "$c amcheck finds indexes and heaps sound");
	like($stdout, qr/\A\d+\n0\n0\n0\n0\z/, "$c no corrupt tuple") or diag $stdout;

	return $told->{figures};
}

my $started = time;
my $figures;
for my $cycle (1 .. $cycles)
{
	my $load = 0.5 + rand(2.0);
	if (rand() < 0.5)
	{
		# a checkpoint in the middle of the load, now and then
		my $before = rand($load);
		sleep $before;
		$node->safe_psql('postgres', 'CHECKPOINT');
		$load -= $before;
	}
	sleep $load;

	my $everything = $cycle % 2;
	crash($everything);
	my $log_offset = -s $node->logfile;
	$node->start;
	wait_parked($cycle - 1);
	like(
		slurp_file($node->logfile, $log_offset),
		qr/database system was (interrupted|not properly shut down)/,
		"cycle $cycle: the server recovered from a crash ("
		  . ($everything ? 'every process' : 'the postmaster') . ' killed)');

	$figures = check($cycle);
	last if $cycle == $cycles;

	make_keys($cycle);
	open_gate($cycle);
}

# the clients wait at the gate: let them go
write_file("$dir/gate", "stop\n");
my @exits;
for my $pid (@clients)
{
	waitpid $pid, 0;
	push @exits, $? >> 8;
}
is(join(',', @exits), join(',', (0) x $n_clients), 'the clients stopped');

my @errors =
  grep { /ERROR:/ && !/ERROR:  28000: invalid authentication key$/ }
  map { split /\n/, (read_file("$dir/client$_.err") // '') } 0 .. $n_clients - 1;
no_problems('the clients saw no error but refused keys', @errors);

diag(sprintf(
		'seed %d: %d crashes; %d registrations and %d deletions acknowledged, '
		  . '%d refusals, %d operations cut off by the crashes; %.0f s',
		$seed, $cycles, @{$figures}{qw(registered deleted refused cutoff)},
		time - $started));

$node->stop;
done_testing();
