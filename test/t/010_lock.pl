# test/t/010_lock.pl
#
# Every scenario of the Tailnet Lock oracle (test/lock/oracle.py, its own
# CBOR, hashes, Ed25519 and rules) run against the database, step by step,
# through the node tier's functions, each result compared with the
# oracle's:
#
# - aum: lock_submit accepts it and stores it under the oracle's hash, or
#   refuses it with the SQLSTATE of the oracle's status (malformed 22P02,
#   invalid 22023, rejected 28000);
# - head: lock_head is the oracle's head, lock_aums is the chain from the
#   genesis to it, lock_keys lists exactly the oracle's trusted keys with
#   their votes and meta, the head's state has the oracle's state ids and
#   disablement values, and every node signed so far has the lock status
#   the head gives it (signed, or key_removed once its key is gone);
# - sign: register_node with the node key signature enrols the node as
#   signed, by the oracle's authorizing key, or refuses it (22P02, 28000);
# - disable: lock_disable accepts the secret or refuses it (28P01), in a
#   transaction rolled back, so that the scenario goes on;
# - decode: lock_decode shows the structure or refuses it (22P02).
#
# The pre-signed scenario wraps a real auth key of its tailnet, which its
# lock key names; beyond the oracle (and the reference) the test then
# shows that the same signature does not enrol with another auth key of
# the tailnet, nor sign later a node that another key enrolled.  Then
# lock_stale_keys, and a wrapped key string ("--TL", holding a private
# key) presented to register_node and validate_key: refused as an invalid
# key, it reaches no table, event or server log line.
#
# Copyright (c) 2026, auth_keys developers

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use File::Temp qw(tempdir);
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use AuthKeysTest;

my $oracle = "$FindBin::RealBin/../lock/oracle.py";
my $python = '/usr/bin/python3';

my $node = new_cluster('lock');
# everything the extension says is logged; PostgreSQL's own statement
# logging is off, since a statement holds whatever its caller wrote
$node->append_conf('postgresql.conf', q{
log_min_messages = debug1
log_min_error_statement = panic
log_statement = none
log_error_verbosity = verbose
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE DATABASE lock;
	CREATE ROLE lock_node LOGIN;
});
$node->safe_psql('lock', q{
	CREATE EXTENSION auth_keys;
	SELECT auth_keys.grant_tier('node', 'lock_node');
	-- a statement's outcome as one line: "ok" and its value, or the error
	CREATE FUNCTION try(statement text) RETURNS text LANGUAGE plpgsql AS $$
	DECLARE
		result text;
		detail text;
	BEGIN
		EXECUTE statement INTO result;
		RETURN 'ok ' || COALESCE(result, '');
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
		RETURN 'error ' || SQLSTATE || ' ' || SQLERRM || ' / ' || COALESCE(detail, '');
	END;
	$$;
});

my $tmp = tempdir(CLEANUP => 1);
my $n_tailnets = 0;

# a tailnet with an owner and a reusable key; returns the key
sub tailnet
{
	my ($name, %options) = @_;
	$n_tailnets++;
	$node->safe_psql('lock', qq{
		SELECT auth_keys.create_tailnet('$name');
		SELECT auth_keys.set_member('$name', 'owner\@$name', 'owner');
	});
	my $arguments = $options{arguments} // 'reusable => true';
	my ($key) = create_keys($node, 'lock', $name, "owner\@$name", 1, $arguments);
	return $key;
}

# run the oracle; its scenarios as decoded JSON
sub oracle
{
	my (@arguments) = @_;
	my $file = "$tmp/scenarios.json";
	my ($stdout, $stderr);
	IPC::Run::run([ $python, $oracle, '--json', $file, @arguments ],
		'>', \$stdout, '2>', \$stderr)
	  or BAIL_OUT("oracle.py failed: $stderr");
	return decode_json(slurp_file($file));
}

my %sqlstate = (malformed => '22P02', invalid => '22023', rejected => '28000');

# SQL text helpers
sub lit { my ($s) = @_; $s =~ s/'/''/g; return "'$s'"; }
sub hex_lit { my ($h) = @_; return "'\\x$h'::bytea"; }

# the SQL of one step, printing lines "<tag>|<result>"
sub step_sql
{
	my ($tag, $t, $key, $st) = @_;
	my $tl = lit($t);
	my $op = $st->{op};
	if ($op eq 'aum')
	{
		my $call = "SELECT encode(auth_keys.lock_submit($tl, ARRAY["
		  . hex_lit($st->{aum}) . "]), 'hex')";
		my $sql = "SET ROLE lock_node;\nSELECT '$tag|' || try(" . lit($call) . ");\nRESET ROLE;\n";
		if ($st->{expect} eq 'accepted')
		{
			$sql .= "SELECT '$tag.stored|' || EXISTS (SELECT FROM auth_keys.lock_updates u"
			  . " JOIN auth_keys.tailnets n USING (tailnet_id) WHERE n.name = $tl"
			  . " AND u.aum_hash = " . hex_lit($st->{hash}) . " AND u.aum = " . hex_lit($st->{aum}) . ");\n";
		}
		return $sql;
	}
	if ($op eq 'sign')
	{
		my $call = "SELECT node_id::text FROM auth_keys.register_node(" . lit($key)
		  . ", 'nodekey:$st->{node_key}', 'node', " . hex_lit($st->{signature}) . ")";
		my $sql = "SET ROLE lock_node;\nSELECT '$tag|' || try(" . lit($call) . ");\nRESET ROLE;\n";
		if ($st->{expect} eq 'accepted')
		{
			$sql .= "SELECT '$tag.signed|' || encode(s.authorizing_key, 'hex')"
			  . " FROM auth_keys.lock_node_signatures s JOIN auth_keys.nodes n USING (node_id)"
			  . " WHERE n.node_key::text = 'nodekey:$st->{node_key}';\n";
		}
		return $sql;
	}
	if ($op eq 'disable')
	{
		my $call = "SELECT auth_keys.lock_disable($tl, " . hex_lit($st->{secret}) . ")::text";
		return "BEGIN;\nSET ROLE lock_node;\nSELECT '$tag|' || try(" . lit($call) . ");\n"
		  . "SELECT '$tag.head|' || (auth_keys.lock_head($tl) IS NULL);\nROLLBACK;\n";
	}
	if ($op eq 'decode')
	{
		my $what = $st->{what} eq 'sig' ? 'signature' : $st->{what};
		my $call = "SELECT (auth_keys.lock_decode(" . hex_lit($st->{data}) . ", '$what') ->> 'structure')";
		return "SELECT '$tag|' || try(" . lit($call) . ");\n";
	}
	if ($op eq 'head')
	{
		return qq{SET ROLE lock_node;
SELECT '$tag.head|' || encode(auth_keys.lock_head($tl), 'hex');
SELECT '$tag.chain|' || string_agg(auth_keys.lock_decode(a, 'aum') ->> 'hash', ',' ORDER BY o)
  FROM auth_keys.lock_aums($tl) WITH ORDINALITY AS c(a, o);
SELECT '$tag.links|' || bool_and((auth_keys.lock_decode(a, 'aum') ->> 'parent')
                                 IS NOT DISTINCT FROM prev)
  FROM (SELECT a, lag(auth_keys.lock_decode(a, 'aum') ->> 'hash') OVER (ORDER BY o) AS prev
          FROM auth_keys.lock_aums($tl) WITH ORDINALITY AS c(a, o)) AS l;
RESET ROLE;
SELECT '$tag.state|' || (d ->> 'state_id1') || ' ' || (d ->> 'state_id2') || ' '
       || COALESCE((SELECT string_agg(v, ',' ORDER BY v)
                      FROM jsonb_array_elements_text(d -> 'disablement_values') AS v), '')
  FROM (SELECT auth_keys.lock_decode(u.state, 'state') AS d
          FROM auth_keys.lock_updates u JOIN auth_keys.lock_authorities a USING (tailnet_id)
          JOIN auth_keys.tailnets n USING (tailnet_id)
         WHERE n.name = $tl AND u.aum_hash = a.head_hash) AS s;
BEGIN;
SELECT auth_keys.act_as($tl, 'owner\@$t') \\gset
SELECT '$tag.keys|' || COALESCE(string_agg(encode(key_id, 'hex') || ' ' || votes || ' '
                                           || COALESCE((SELECT string_agg(k || '=' || v, ',' ORDER BY k)
                                                          FROM jsonb_each_text(meta) AS m(k, v)), ''),
                                           ';' ORDER BY key_id), '')
  FROM auth_keys.lock_keys;
SELECT '$tag.nodes|' || COALESCE(string_agg(substr(node_key::text, 9) || ' ' || lock_status, ';'
                                            ORDER BY node_key), '')
  FROM auth_keys.node_list;
COMMIT;
};
	}
	die "unknown step $op";
}

# the oracle's trusted keys as the head check lists them
sub keys_line
{
	my ($keys) = @_;
	return join ';', map {
		my $k = $_;
		"$k->{key_id} $k->{votes} " . join(',', map { "$_=$k->{meta}{$_}" } sort keys %{ $k->{meta} })
	} sort { $a->{key_id} cmp $b->{key_id} } @$keys;
}

# Run a scenario in tailnet $t, with $key for its registrations.  $hook,
# if given, runs right after the step whose note is $hook_note.
sub run_scenario
{
	my ($sc, $t, $key, $hook_note, $hook) = @_;
	my @steps = @{ $sc->{steps} };
	my @batches = ('');
	for my $i (0 .. $#steps)
	{
		$batches[-1] .= step_sql("S$i", $t, $key, $steps[$i]);
		push @batches, '' if $hook_note && ($steps[$i]{note} // '') eq $hook_note;
	}
	my (%got, $errors);
	for my $b (0 .. $#batches)
	{
		$hook->() if $b > 0;
		my ($rc, $out, $err) = $node->psql('lock', $batches[$b], on_error_stop => 0);
		$errors .= $err;
		for my $line (split /\n/, $out)
		{
			my ($tag, $value) = split /\|/, $line, 2;
			$got{$tag} = $value if defined $value;
		}
	}
	is($errors, '', "scenario $sc->{name}: every statement ran");
	my ($genesis, %signed, $failures);
	for my $i (0 .. $#steps)
	{
		my $st = $steps[$i];
		my $what = "$sc->{name} step $i ($st->{op}" . ($st->{note} ? ": $st->{note}" : '') . ')';
		my $r = $got{"S$i"} // $got{"S$i.head"} // '(no result)';
		my $ok = 1;
		if ($st->{op} eq 'aum' || $st->{op} eq 'sign' || $st->{op} eq 'decode' || $st->{op} eq 'disable')
		{
			my $accepted = $st->{op} eq 'disable' ? $st->{expect} : $st->{expect} eq 'accepted';
			if ($accepted)
			{
				$ok = $r =~ /^ok /;
			}
			elsif ($st->{op} eq 'disable')
			{
				$ok = $r =~ /^error 28P01 /;
			}
			else
			{
				my $state = $sqlstate{ $st->{status} // 'any' };
				$ok = defined $state ? $r =~ /^error \Q$state\E / : $r =~ /^error /;
			}
		}
		if ($st->{op} eq 'aum' && $st->{expect} eq 'accepted')
		{
			$ok &&= ($got{"S$i.stored"} // '') eq 'true';
			$genesis //= $st->{hash};
		}
		elsif ($st->{op} eq 'sign' && $st->{expect} eq 'accepted')
		{
			$ok &&= ($got{"S$i.signed"} // '') eq $st->{authorizing_key};
			$signed{ $st->{node_key} } = $st->{authorizing_key};
		}
		elsif ($st->{op} eq 'disable')
		{
			$ok &&= ($got{"S$i.head"} // '') eq ($st->{expect} ? 'true' : 'false');
		}
		elsif ($st->{op} eq 'head')
		{
			my %trusted = map { $_->{key_id} => 1 } @{ $st->{keys} };
			my $nodes = join ';', map { "$_ " . ($trusted{ $signed{$_} } ? 'signed' : 'key_removed') }
			  sort keys %signed;
			my @chain = split /,/, ($got{"S$i.chain"} // '');
			my $state = join ' ', @{ $st->{state_ids} }, join(',', sort @{ $st->{disablement} });
			my @checks = (
				[ head => $got{"S$i.head"}, $st->{head} ],
				[ chain_end => $chain[-1], $st->{head} ],
				[ chain_start => $chain[0], $genesis ],
				[ links => $got{"S$i.links"}, 'true' ],
				[ state => $got{"S$i.state"}, $state ],
				[ keys => $got{"S$i.keys"}, keys_line($st->{keys}) ],
				[ nodes => $got{"S$i.nodes"}, $nodes ]);
			for my $c (@checks)
			{
				my ($name, $have, $want) = @$c;
				next if ($have // '') eq ($want // '');
				diag("$what: $name is " . ($have // '(none)') . ", the oracle says " . ($want // '(none)'));
				$ok = 0;
			}
			$r = 'head';
		}
		if (!$ok)
		{
			$failures++;
			diag("$what: $r");
		}
	}
	ok(!$failures, "scenario $sc->{name}: all " . scalar(@steps) . ' steps as the oracle says');
	return;
}

#
# 1. Every scenario.  The pre-signed one wraps a real key of its tailnet.
#
my $bound = tailnet('oracle-presigned');
my $other = $node->safe_psql('lock', q{
	BEGIN;
	SELECT auth_keys.act_as('oracle-presigned', 'owner@oracle-presigned') \gset
	SELECT key FROM auth_keys.create_key(reusable => true);
	COMMIT;});
my $doc = oracle('--auth-key', $bound->[1]);
my %by_name = map { $_->{name} => $_ } @{ $doc->{scenarios} };
is_deeply([ sort keys %by_name ],
	[ sort qw(genesis keys forks presigned rotation limits encoding reference) ],
	'the oracle wrote its eight scenarios');
my $steps = 0;
$steps += scalar @{ $_->{steps} } for values %by_name;
cmp_ok($steps, '>=', 370, "they hold $steps steps");
is($by_name{presigned}{presigned}{auth_key_id}, $bound->[0],
	'the pre-signed lock key names the auth key of the tailnet');

for my $name (sort keys %by_name)
{
	next if $name eq 'presigned';
	my $key = tailnet("oracle-$name");
	run_scenario($by_name{$name}, "oracle-$name", $key->[1]);
}

my $pre = $by_name{presigned}{presigned};
my $nk = "nodekey:$pre->{node_key}";
my %extra;
my $sig = $pre->{node_key_signature};
run_scenario($by_name{presigned}, 'oracle-presigned', $bound->[1], 'the enrolment signature', sub {
	# beyond the reference: another auth key of the tailnet does not
	# enrol with a signature made for the bound one
	$extra{other_key} = sql_error($node, 'lock', "SET ROLE lock_node;
		SELECT * FROM auth_keys.register_node('$other', '$nk', 'node', '\\x$sig')");
	$extra{resign} = $node->psql('lock', "SET ROLE lock_node;
		SELECT auth_keys.lock_sign_node('$nk', '\\x$sig')");
	# the node re-authenticated with the other key: the bound signature
	# does not sign it any more
	$node->safe_psql('lock', "SET ROLE lock_node;
		SELECT * FROM auth_keys.register_node('$other', '$nk', 'node')");
	$extra{enrolled_by_other} = sql_error($node, 'lock', "SET ROLE lock_node;
		SELECT auth_keys.lock_sign_node('$nk', '\\x$sig')");
	# and the bound key enrols it again
	$node->safe_psql('lock', "SET ROLE lock_node;
		SELECT * FROM auth_keys.register_node('$bound->[1]', '$nk', 'node', '\\x$sig')");
});
is($extra{other_key}{state}, '28000', 'a pre-signed signature does not enrol with another auth key');
is($extra{other_key}{message}, 'invalid node key signature', 'as an invalid signature');
is($extra{other_key}{detail},
	'The lock key that authorizes the signature was made for another authentication key than the one presented.',
	'made for another key, the detail says (the key was proven)');
is($extra{resign}, 0, 'lock_sign_node takes it for the node the bound key enrolled');
is($extra{enrolled_by_other}{detail},
	'The lock key that authorizes the signature was made for another authentication key than the one that enrolled the node.',
	'and refuses it once another key re-authenticated the node');

#
# 2. lock_stale_keys: the lock keys of pre-signed keys that can enrol no one
#
my $stale = tailnet('stale', arguments => '');
my $stale_doc = oracle('--scenarios', 'presigned', '--auth-key', $stale->[1]);
my @aums = map { $_->{aum} } grep { $_->{op} eq 'aum' } @{ $stale_doc->{scenarios}[0]{steps} };
my $lock_key = $stale_doc->{scenarios}[0]{presigned}{lock_key};
$node->safe_psql('lock', "SET ROLE lock_node;
	SELECT auth_keys.lock_submit('stale', ARRAY['\\x$aums[0]', '\\x$aums[1]']::bytea[])");
my $stale_list = q{
	BEGIN;
	SELECT auth_keys.act_as('stale', 'owner@stale') \gset
	SELECT encode(key_id, 'hex') || ' ' || public_key || ' ' || auth_key_id || ' ' || auth_key_status
	  FROM auth_keys.lock_stale_keys;
	COMMIT;};
is($node->safe_psql('lock', $stale_list), '', 'a lock key whose auth key can enrol is not stale');
$node->safe_psql('lock', "SET ROLE lock_node;
	SELECT * FROM auth_keys.register_node('$stale->[1]', '" . node_key(14, 1) . "', 'one-off')");
is($node->safe_psql('lock', $stale_list), "$lock_key tlpub:$lock_key $stale->[0] used",
	'once its one-off auth key is used, the lock key is stale');
$node->safe_psql('lock', "BEGIN;
	SELECT auth_keys.act_as('stale', 'owner\@stale') \\gset
	SELECT auth_keys.revoke_key('$stale->[0]');
	COMMIT;");
is($node->safe_psql('lock', $stale_list), "$lock_key tlpub:$lock_key $stale->[0] revoked",
	'revoked, it says so');
# the lock key of another tailnet's auth key names no key of this one
my @bound_aums = map { $_->{aum} } grep { $_->{op} eq 'aum' } @{ $by_name{presigned}{steps} };
tailnet('stale-elsewhere');
$node->safe_psql('lock', "SET ROLE lock_node;
	SELECT auth_keys.lock_submit('stale-elsewhere', ARRAY['\\x$bound_aums[0]', '\\x$bound_aums[1]']::bytea[])");
is($node->safe_psql('lock', q{
	BEGIN;
	SELECT auth_keys.act_as('stale-elsewhere', 'owner@stale-elsewhere') \gset
	SELECT auth_key_id || ' ' || auth_key_status FROM auth_keys.lock_stale_keys;
	COMMIT;}),
	"$bound->[0] unknown", 'an auth key of no key of the tailnet is unknown, and stale');

#
# 3. A wrapped key ("--TL", with the wrapping private key) is an invalid
# key, and nothing of it is kept or logged
#
my $wrapped = $pre->{wrapped_auth_key};
my ($private) = $wrapped =~ /--TL[^-]+-(.+)$/;
my ($credential) = $wrapped =~ /--TL([^-]+)-/;
like($wrapped, qr/^\Q$bound->[1]\E--TL/, 'the oracle wrapped the bound key');
my $events = $node->safe_psql('lock', 'SELECT count(*) FROM auth_keys.events');
my $log_start = -s $node->logfile;
for my $w ($wrapped, $by_name{reference}{presigned}{wrapped_auth_key})
{
	my $error = sql_error($node, 'lock', "SET ROLE lock_node;
		SELECT * FROM auth_keys.register_node('$w', '" . node_key(14, 2) . "', 'wrapped')");
	is_deeply([ @$error{qw(state message detail)} ], [ '28000', 'invalid authentication key', undef ],
		'register_node refuses a wrapped key as an invalid key, with no detail');
	is($node->safe_psql('lock', "SET ROLE lock_node; SELECT status FROM auth_keys.validate_key('$w')"),
		'invalid', 'validate_key calls it invalid');
}
is($node->safe_psql('lock', 'SELECT count(*) FROM auth_keys.events'), $events,
	'no event recorded');
my ($dump_out, $dump_err);
IPC::Run::run([ 'pg_dump', '--data-only', '-d', $node->connstr('lock') ],
	'>', \$dump_out, '2>', \$dump_err) or die "pg_dump: $dump_err";
like($dump_out, qr/lock_updates/, 'the dump holds the lock tables');
unlike($dump_out, qr/\Q$private\E|\Q$credential\E|--TL/, 'no table holds the wrapped key or its parts');
my $log = substr(slurp_file($node->logfile), $log_start);
like($log, qr/invalid authentication key/, 'the server logged the refusals');
unlike($log, qr/\Q$private\E|\Q$credential\E|--TL/, 'no log line holds the wrapped key or its parts');

#
# 4. pg_dump keeps the authorities, their logs, trusted keys and signatures
#
my $lock_facts = q{
	SELECT n.name || ' ' || encode(a.head_hash, 'hex') || ' '
	       || (SELECT count(*) FROM auth_keys.lock_updates u WHERE u.tailnet_id = a.tailnet_id) || ' '
	       || (SELECT count(*) FROM auth_keys.lock_trusted_keys k WHERE k.tailnet_id = a.tailnet_id) || ' '
	       || (SELECT count(*) FROM auth_keys.lock_node_signatures s WHERE s.tailnet_id = a.tailnet_id)
	  FROM auth_keys.lock_authorities a JOIN auth_keys.tailnets n USING (tailnet_id)
	 ORDER BY n.name};
my $before = $node->safe_psql('lock', $lock_facts);
my $dump = "$tmp/lock.dump";
IPC::Run::run([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('lock') ], '2>', \$dump_err)
  or die "pg_dump: $dump_err";
$node->safe_psql('postgres', 'CREATE DATABASE restored');
my $restore_err;
IPC::Run::run([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'2>', \$restore_err) or die "pg_restore: $restore_err";
cmp_ok(scalar(split /\n/, $before), '>=', 9, 'authorities to dump');
is($node->safe_psql('restored', $lock_facts), $before,
	'a restored database has the same authorities, heads, logs, trusted keys and signatures');
is($node->safe_psql('restored', "SET ROLE lock_node;
		SELECT encode(auth_keys.lock_submit('oracle-forks', '{}'), 'hex') = "
		  . "encode(auth_keys.lock_head('oracle-forks'), 'hex')"),
	't', 'and the restored log takes submissions');

$node->stop;
done_testing();
