# test/t/005_upgrade.pl
#
# ALTER EXTENSION auth_keys UPDATE brings a working 1.0 database to the
# current version.  A database is filled under 1.0 (tailnets, members,
# tags, keys of every kind, nodes, events, tier grants to login roles, a
# scheduled sweep), then updated, and then:
#
# - keys still validate and enrol, a used one-off key stays used, max_uses
#   counts carry on, sequences carry on, the roles' tiers still work and
#   the sweep job is still there and its command runs;
# - the updated database's extension objects are the same as a fresh
#   CREATE EXTENSION's (test/t/extension_objects.sql reads them from the
#   catalogs): functions with their signatures, volatility, security and
#   settings, tables, columns, constraints, indexes, policies, triggers,
#   views, ACLs and comments;
# - the comparison can fail: with one object of the update taken away
#   again (a function, a comment), it names exactly that object.
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

my $node = new_cluster('upgrade');
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'upgraded'
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;

my $objects_sql = slurp_file("$FindBin::RealBin/extension_objects.sql");

# objects($db): the extension's objects in $db, one line per fact.
sub objects
{
	my ($db) = @_;
	return $node->safe_psql($db, $objects_sql);
}

# object_changes($db_a, $db_b): the lines of one that the other lacks,
# each marked with - (only in $db_a) or + (only in $db_b).
sub object_changes
{
	my ($db_a, $db_b) = @_;
	my %a = map { $_ => 1 } split /\n(?! )/, objects($db_a);
	my %b = map { $_ => 1 } split /\n(?! )/, objects($db_b);
	return [
		(map { "- $_" } sort grep { !$b{$_} } keys %a),
		(map { "+ $_" } sort grep { !$a{$_} } keys %b)
	];
}

my $key_pattern = qr/^pgak-auth-[0-9A-Za-z]{12}-[0-9A-Za-z]{38}$/;

$node->safe_psql('postgres', q{
	CREATE DATABASE upgraded;
	CREATE DATABASE fresh;
	CREATE ROLE upgrade_operator LOGIN;
	CREATE ROLE upgrade_actor LOGIN;
	CREATE ROLE upgrade_node LOGIN;
	CREATE ROLE upgrade_nobody LOGIN;
});

#
# 1. Version 1.0, filled.
#
$node->safe_psql('upgraded', q{
	CREATE EXTENSION pg_cron;
	CREATE EXTENSION auth_keys VERSION '1.0';
	SELECT auth_keys.grant_tier('operator', 'upgrade_operator');
	SELECT auth_keys.grant_tier('actor', 'upgrade_actor');
	SELECT auth_keys.grant_tier('node', 'upgrade_node');
	SELECT auth_keys.create_tailnet('one.example', device_approval => true);
	SELECT auth_keys.create_tailnet('two.example', node_key_expiry => '30 days');
	SELECT auth_keys.set_member('one.example', 'alice', 'owner');
	SELECT auth_keys.set_member('one.example', 'bob', 'admin', db_role => 'upgrade_actor');
	SELECT auth_keys.set_member('one.example', 'carol', 'member');
	SELECT auth_keys.set_member('two.example', 'dave', 'owner');
	SELECT auth_keys.set_tag_owners('one.example', 'tag:server', ARRAY['autogroup:admin']);
	SELECT auth_keys.set_tag_owners('one.example', 'tag:db', ARRAY['tag:server']);
});
is($node->safe_psql('upgraded',
		q{SELECT extversion FROM pg_extension WHERE extname = 'auth_keys'}),
	'1.0', 'version 1.0 installed');

my %key;
my @kinds = (
	[ used_one_off => '' ],
	[ unused_one_off => q{preauthorized => true} ],
	[ reusable => q{reusable => true} ],
	[ limited => q{reusable => true, max_uses => 3} ],
	[ ephemeral => q{reusable => true, ephemeral => true} ],
	[ tagged => q{reusable => true, tags => ARRAY['tag:db']} ],
	[ revoked => q{reusable => true, description => 'to revoke'} ]);
for my $kind (@kinds)
{
	my ($name, $arguments) = @$kind;
	my ($made) = create_keys($node, 'upgraded', 'one.example', 'alice', 1, $arguments);
	$key{$name} = $made;
	like($made->[1], $key_pattern, "1.0 made a $name key");
}
my ($other_key) = create_keys($node, 'upgraded', 'two.example', 'dave', 1, '');

# an expired key, as a DBA would load one from elsewhere
$node->safe_psql('upgraded', q{
	INSERT INTO auth_keys.keys (key_id, tailnet_id, created_by, created_at, expires_at, secret_hash)
	SELECT 'ExpiredKey01', tailnet_id, 'alice', now() - interval '40 days',
	       now() - interval '10 days', decode(repeat('ab', 32), 'hex')
	  FROM auth_keys.tailnets WHERE name = 'one.example';
});

my $n = 0;
sub enrol
{
	my ($db, $key, $role) = @_;
	$n++;
	my $sql = "SELECT node_id FROM auth_keys.register_node('$key', '"
	  . node_key(5, $n) . "', 'host-$n')";
	$sql = "SET ROLE $role; $sql" if defined $role;
	return $node->safe_psql($db, $sql);
}
my $first_node = enrol('upgraded', $key{used_one_off}[1]);
enrol('upgraded', $key{reusable}[1]);
enrol('upgraded', $key{limited}[1]) for 1 .. 2;
enrol('upgraded', $key{ephemeral}[1]);
enrol('upgraded', $key{tagged}[1], 'upgrade_node');
enrol('upgraded', $other_key->[1]);
$node->safe_psql('upgraded', qq{
	SELECT auth_keys.node_seen('@{[node_key(5, 1)]}');
	BEGIN;
	SELECT auth_keys.act_as('one.example', 'alice');
	SELECT auth_keys.revoke_key('$key{revoked}[0]');
	COMMIT;
});
my $job = $node->safe_psql('upgraded', q{
	SET ROLE upgrade_operator;
	SELECT auth_keys.schedule_sweep('*/5 * * * *');
});
like($job, qr/^\d+$/, 'the sweep is scheduled under 1.0');

my $ids = q{SELECT (SELECT max(tailnet_id) FROM auth_keys.tailnets) || ' '
	|| (SELECT max(node_id) FROM auth_keys.nodes) || ' '
	|| (SELECT max(event_id) FROM auth_keys.events)};
my ($tailnet_max, $node_max, $event_max) = split / /, $node->safe_psql('upgraded', $ids);
my $events_before = $node->safe_psql('upgraded', 'SELECT count(*) FROM auth_keys.events');

#
# 2. The update.
#
$node->safe_psql('upgraded', 'ALTER EXTENSION auth_keys UPDATE');
is($node->safe_psql('upgraded',
		q{SELECT extversion FROM pg_extension WHERE extname = 'auth_keys'}),
	'1.1', 'updated to 1.1');
is($node->safe_psql('upgraded', 'SELECT count(*) FROM auth_keys.events'),
	$events_before, 'the update keeps every event');
is($node->safe_psql('upgraded', q{
		SELECT count(*) FROM auth_keys.events WHERE tableoid = 'auth_keys.events_default'::regclass}),
	$events_before, 'in events_default, the partition that takes what no week does');

#
# 3. The data works as before.
#
my $status = sub {
	my ($key) = @_;
	return $node->safe_psql('upgraded',
		"SELECT status || ' ' || COALESCE(uses_left::text, '-') FROM auth_keys.validate_key('$key')");
};
is($status->($key{used_one_off}[1]), 'used 0', 'a used one-off key stays used');
is($status->($key{unused_one_off}[1]), 'valid 1', 'an unused one-off key is valid');
is($status->($key{reusable}[1]), 'valid -', 'a reusable key is valid');
is($status->($key{limited}[1]), 'valid 1', 'max_uses counts carry on (2 of 3 used)');
is($status->($key{revoked}[1]), 'revoked -', 'a revoked key stays revoked');
is($node->safe_psql('upgraded',
		q{SELECT status FROM auth_keys.key_list WHERE key_id = 'ExpiredKey01'}),
	'', 'key_list needs an actor');
is($node->safe_psql('upgraded', q{
		BEGIN;
		SELECT auth_keys.act_as('one.example', 'alice') \gset
		SELECT status FROM auth_keys.key_list WHERE key_id = 'ExpiredKey01';
		COMMIT;}),
	'expired', 'an expired key is listed as expired');

my $error = sql_error($node, 'upgraded',
	"SELECT * FROM auth_keys.register_node('$key{used_one_off}[1]', '"
	  . node_key(6, 1) . "', 'thief')");
is($error->{state}, '28000', 'the used one-off key is refused');
is($error->{detail}, 'The authentication key was already used.', 'as already used');
is($node->safe_psql('upgraded',
		"SELECT node_id FROM auth_keys.register_node('$key{used_one_off}[1]', '"
		  . node_key(5, 1) . "', 'host-1')"),
	$first_node, 'the node it enrolled may still present it');

my $new_node = enrol('upgraded', $key{unused_one_off}[1]);
cmp_ok($new_node, '>', $node_max, 'the unused one-off key enrols; node ids carry on');
enrol('upgraded', $key{limited}[1]);
is($status->($key{limited}[1]), 'used 0', 'the third use of a max_uses 3 key uses it up');
$error = sql_error($node, 'upgraded',
	"SELECT * FROM auth_keys.register_node('$key{limited}[1]', '" . node_key(6, 2) . "', 'late')");
is($error->{detail}, 'The authentication key was already used.', 'a fourth use is refused');
cmp_ok($node->safe_psql('upgraded', 'SELECT min(event_id) FROM auth_keys.events WHERE event_id > '
		  . $event_max), '==', $event_max + 1, 'event ids carry on');

# the tiers granted under 1.0
cmp_ok($node->safe_psql('upgraded', q{
		SET ROLE upgrade_operator;
		SELECT auth_keys.create_tailnet('three.example');}),
	'>', $tailnet_max, 'the operator tier still works; tailnet ids carry on');
like($node->safe_psql('upgraded', q{
		SET ROLE upgrade_actor;
		SELECT key FROM auth_keys.create_key(tags => ARRAY['tag:server']);}),
	$key_pattern, 'the actor tier and the role mapping still work');
is($node->safe_psql('upgraded', qq{
		SET ROLE upgrade_node;
		SELECT status FROM auth_keys.validate_key('$key{reusable}[1]');}),
	'valid', 'the node tier still works');
# what 1.1 adds to the tiers reaches the roles that held them under 1.0
is($node->safe_psql('upgraded', q{
		SET ROLE upgrade_operator;
		SELECT count(*) > 0 FROM auth_keys.tailnet_list;}),
	't', 'the operator tier gains tailnet_list');
is($node->safe_psql('upgraded', qq{
		SET ROLE upgrade_node;
		SELECT status FROM auth_keys.node_status('@{[node_key(5, 2)]}');}),
	'needs_approval', 'the node tier gains node_status');

# Tailnet Lock, new in 1.1: the node tier's role may use it at once, the
# nodes enrolled under 1.0 are listed as not locked, and register_node
# takes a node key signature
is($node->safe_psql('upgraded', q{
		SET ROLE upgrade_node;
		SELECT auth_keys.lock_head('one.example') IS NULL;}),
	't', 'the node tier gained the Tailnet Lock functions');
is($node->safe_psql('upgraded', q{
		BEGIN;
		SELECT auth_keys.act_as('one.example', 'alice') \gset
		SELECT string_agg(DISTINCT lock_status, ',') FROM auth_keys.node_list;
		COMMIT;}),
	'not_locked', 'nodes enrolled under 1.0 are not locked');
like($node->safe_psql('upgraded', qq{
		SET ROLE upgrade_node;
		SELECT node_id FROM auth_keys.register_node('$key{reusable}[1]', '@{[node_key(7, 1)]}',
		                                           'signed', node_key_signature => NULL);}),
	qr/^\d+$/, 'register_node takes node_key_signature');
is($node->safe_psql('upgraded', qq{
		SET ROLE upgrade_node;
		SELECT lock_status FROM auth_keys.node_status('@{[node_key(5, 2)]}');}),
	'not_locked', 'node_status says not_locked too');

my $client_secret = $node->safe_psql('upgraded', q{
		SET ROLE upgrade_actor;
		SELECT secret FROM auth_keys.create_oauth_client(ARRAY['auth_keys'], ARRAY['tag:server']);});
like($client_secret, qr/^pgak-client-/, 'the actor tier gains create_oauth_client');
my $client_token = $node->safe_psql('upgraded',
	"SELECT access_token FROM auth_keys.oauth_token('$client_secret')");
is($node->safe_psql('upgraded', qq{
		BEGIN;
		SELECT auth_keys.act_as_token('$client_token') \\gset
		SELECT key_id FROM auth_keys.create_key(tags => ARRAY['tag:db']) \\gset
		SELECT tags FROM auth_keys.key_list WHERE key_id = :'key_id';
		COMMIT;}),
	'{tag:db}', 'an OAuth client of a 1.0 tailnet mints a key of a tag its tag owns');
$error = sql_error($node, 'upgraded', q{
	SET ROLE upgrade_nobody;
	SELECT auth_keys.create_tailnet('four.example');});
is($error->{state}, '42501', 'a role without a tier still may not');

# the sweep job
my ($job_after, $owner, $command) = split /\|/, $node->safe_psql('upgraded',
	q{SELECT jobid, username, command FROM cron.job WHERE jobname = 'auth_keys.sweep'});
is($job_after, $job, 'the sweep job is still there');
$node->safe_psql('upgraded', qq{SET ROLE "$owner"; $command});
pass("the job's command runs after the update, as the job's owner");
is($node->safe_psql('upgraded',
		q{SET ROLE upgrade_operator; SELECT auth_keys.schedule_sweep('* * * * *')}),
	$job, 'scheduling again keeps the job');
like($node->safe_psql('upgraded',
		q{SELECT command FROM cron.job WHERE jobname = 'auth_keys.sweep'}),
	qr/CALL auth_keys\.sweep_in_steps\(\)/, 'and its command now calls sweep_in_steps');

# At scale (1.1).  The job is switched off first (it would sweep at any
# moment now): the sweep below is the only one.
$node->safe_psql('upgraded', "SELECT cron.alter_job($job, active => false)");
$node->poll_query_until('upgraded', q{
	SELECT count(*) = 0 FROM pg_stat_activity
	 WHERE query LIKE '%sweep_in_steps%' AND pid <> pg_backend_pid()})
  or die 'a run of the job did not end';
# the uses of the key without a limit: on its row, and counted aside
my $uses_of_reusable = qq{SELECT k.uses || ' ' || COALESCE(sum(c.uses), 0)
	FROM auth_keys.keys k LEFT JOIN auth_keys.key_use_counts c USING (key_id)
	WHERE k.key_id = '$key{reusable}[0]' GROUP BY k.key_id, k.uses};
my ($on_row, $aside) = split / /, $node->safe_psql('upgraded', $uses_of_reusable);
enrol('upgraded', $key{reusable}[1]);
is($node->safe_psql('upgraded', $uses_of_reusable), "$on_row " . ($aside + 1),
	'a registration under 1.1 counts the use of a key without a limit aside');
$aside++;
# the first sweep in steps makes the partitions of the weeks ahead (the
# next only when it begins more than an hour from now); the events of 1.0,
# and this week's, stay in events_default
$node->safe_psql('upgraded', qq{SET ROLE "$owner"; CALL auth_keys.sweep_in_steps()});
like($node->safe_psql('upgraded', q{
		SELECT count(*) FROM pg_inherits
		 WHERE inhparent = 'auth_keys.events'::regclass
		   AND inhrelid::regclass::text ~ '^auth_keys\.events_[0-9]{8}$'}),
	qr/^[12]$/, 'the first sweep in steps makes the weeks ahead');
is($node->safe_psql('upgraded',
		"SELECT count(*) FROM auth_keys.events WHERE tableoid <> 'auth_keys.events_default'::regclass"),
	'0', 'the events of 1.0 stay in events_default');
is($node->safe_psql('upgraded', $uses_of_reusable), ($on_row + $aside) . ' 0',
	'the sweep adds the counted uses to the key row');
my $counted_node = enrol('upgraded', $key{reusable}[1]);
is($node->safe_psql('upgraded',
		"SELECT tableoid::regclass FROM auth_keys.events"
		  . " WHERE node_id = $counted_node AND action = 'key.used'"),
	'auth_keys.events_default', "so does a new registration's event of this week");
is($node->safe_psql('upgraded', q{
		INSERT INTO auth_keys.events (at, tailnet_id, actor, action)
		VALUES (date_trunc('week', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '15 days',
		        NULL, 'role:dba', 'tailnet.configured')
		RETURNING tableoid::regclass::text ~ '^auth_keys\.events_[0-9]{8}$'}),
	't', 'an event of the week after next goes into its partition');
is($node->safe_psql('upgraded', $uses_of_reusable), ($on_row + $aside) . ' 1',
	'and its use is counted aside');

#
# 4. The same objects as a fresh CREATE EXTENSION.
#
$node->safe_psql('fresh', q{
	CREATE EXTENSION auth_keys;
	SELECT auth_keys.grant_tier('operator', 'upgrade_operator');
	SELECT auth_keys.grant_tier('actor', 'upgrade_actor');
	SELECT auth_keys.grant_tier('node', 'upgrade_node');
});
my $changes = object_changes('fresh', 'upgraded');
is_deeply($changes, [], 'the updated database has the objects of a fresh one')
  or diag(join("\n", @$changes));
cmp_ok(scalar(split /\n(?! )/, objects('fresh')), '>', 500,
	'the comparison covers the whole extension');

#
# 5. The comparison fails when one object of the update is missing.
#
$node->safe_psql('upgraded', q{
	COMMENT ON FUNCTION auth_keys.sweep(integer) IS NULL;
	ALTER EXTENSION auth_keys DROP FUNCTION auth_keys.unschedule_sweep();
	DROP FUNCTION auth_keys.unschedule_sweep();
});
$changes = object_changes('fresh', 'upgraded');
is(scalar(grep { /^- function auth_keys\.sweep\(integer\) \| comment \|/ } @$changes), 1,
	'a missing comment is found');
is(scalar(grep { /^- function auth_keys\.unschedule_sweep\(\) \| (member|definition|acl|comment) / } @$changes),
	4, 'a missing function is found with its definition, ACL and comment');
is(scalar(@$changes), 5, 'and nothing else differs')
  or diag(join("\n", @$changes));

#
# 6. Rows 1.0 let in and 1.1 refuses stop the update, which counts them.
#
$node->safe_psql('postgres', 'CREATE DATABASE refused');
# (The 1.0 functions, run by this library, already refuse them; an older
# library, or a direct write past 1.0's constraints, let them in.)
$node->safe_psql('refused', q{
	CREATE EXTENSION auth_keys VERSION '1.0';
	SELECT auth_keys.create_tailnet('acme');
	SELECT auth_keys.set_member('acme', 'adam', 'admin');
});
my $refused_key = $node->safe_psql('refused', q{
	BEGIN;
	SELECT auth_keys.act_as('acme', 'adam') \gset
	SELECT key FROM auth_keys.create_key(reusable => true);
	COMMIT;
});
$node->safe_psql('refused', "SELECT node_id FROM auth_keys.register_node('$refused_key', '"
	  . node_key(7, 1) . "', 'laptop')");
$node->safe_psql('refused', q{
	UPDATE auth_keys.tailnets SET name = 'acme' || chr(160);
	UPDATE auth_keys.nodes SET hostname = 'laptop' || chr(9) || 'evil';
});
$error = sql_error($node, 'refused', 'ALTER EXTENSION auth_keys UPDATE');
is($error->{state}, '23514', 'the update refuses rows that break the 1.1 rules');
is($error->{message},
	'cannot update auth_keys to 1.1: 1 tailnet names, 0 logins and 1 hostnames break the 1.1 rules',
	'and counts them');
like($error->{hint}, qr/no-break space|U\+00A0/, 'with a hint naming the rules');
is($node->safe_psql('refused',
		q{SELECT extversion FROM pg_extension WHERE extname = 'auth_keys'}),
	'1.0', 'the database stays at 1.0');
# the README's way to find them, with the new library's rules
is($node->safe_psql('refused', q{
	CREATE FUNCTION pg_temp.tailnet_name_is_valid(text) RETURNS boolean
	    AS 'auth_keys', 'auth_keys_tailnet_name_is_valid' LANGUAGE C IMMUTABLE STRICT;
	CREATE FUNCTION pg_temp.hostname_is_valid(text) RETURNS boolean
	    AS 'auth_keys', 'auth_keys_hostname_is_valid' LANGUAGE C IMMUTABLE STRICT;
	SELECT (SELECT count(*) FROM auth_keys.tailnets WHERE NOT pg_temp.tailnet_name_is_valid(name))
	    || ' ' || (SELECT count(*) FROM auth_keys.nodes WHERE NOT pg_temp.hostname_is_valid(hostname));
}), '1 1', 'the rules, borrowed from the library, find the rows');
$node->safe_psql('refused', q{
	UPDATE auth_keys.tailnets SET name = 'acme';
	UPDATE auth_keys.nodes SET hostname = 'laptop';
	ALTER EXTENSION auth_keys UPDATE;
});
is($node->safe_psql('refused', q{
		SELECT extversion || ' ' || count(*) FROM pg_extension, auth_keys.nodes
		 WHERE extname = 'auth_keys' GROUP BY extversion}),
	'1.1 1', 'once corrected, the update goes through and keeps the node');

$node->stop;
done_testing();
