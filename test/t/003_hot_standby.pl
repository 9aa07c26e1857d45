# test/t/003_hot_standby.pl
#
# auth_keys on a streaming replica.  A hot standby answers validate_key
# exactly as its primary does, and refuses every function that writes
# (register_node, create_key, revoke_key, node_seen, delete_node) with
# SQLSTATE 25006 and a hint, before reading the key it was given.  After
# promotion the new primary remembers what the old one spent: a one-off key
# used there stays used, a key with max_uses keeps its count and stops at
# its limit, a revoked key stays revoked; an unused key enrols a node, with
# its event, and node and event ids never collide with the old ones.
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

my $tailnet = 'ha.example';
my $admin   = 'alice@ha.example';

my $primary = new_cluster('primary', allows_streaming => 1);
# keys travel in statements: keep them out of the server log
$primary->append_conf('postgresql.conf', "log_statement = none\n");
$primary->start;
setup_tailnet($primary, 'postgres', $tailnet, $admin);

my ($one_off)   = create_keys($primary, 'postgres', $tailnet, $admin, 1, '');
my ($spare)     = create_keys($primary, 'postgres', $tailnet, $admin, 1, '');
my ($limited)   = create_keys($primary, 'postgres', $tailnet, $admin, 1,
	'reusable => true, max_uses => 4');
my ($unlimited) = create_keys($primary, 'postgres', $tailnet, $admin, 1,
	q{reusable => true, tags => ARRAY['tag:server']});
my ($revoked)   = create_keys($primary, 'postgres', $tailnet, $admin, 1, '');
my %key_of = (
	one_off   => $one_off,
	spare     => $spare,
	limited   => $limited,
	unlimited => $unlimited,
	revoked   => $revoked);

# register($node, $key, $number, $hostname): enrol node key (1, $number)
sub register
{
	my ($node, $key, $number, $hostname) = @_;
	my $node_key = node_key(1, $number);
	return $node->safe_psql('postgres',
		"SELECT node_id, reauthenticated FROM auth_keys.register_node("
		  . "'$key->[1]', '$node_key', '$hostname')");
}

# before the base backup: two uses of the limited key, one of the unlimited
register($primary, $limited,   2, 'limited-1');
register($primary, $limited,   3, 'limited-2');
register($primary, $unlimited, 4, 'tagged-1');

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;

# after it: the standby learns these by streaming
my $one_off_node = register($primary, $one_off, 1, 'laptop');
like($one_off_node, qr/^\d+\|f$/, 'the one-off key enrols a node on the primary');
register($primary, $limited, 5, 'limited-3');
$primary->safe_psql(
	'postgres', qq{
	BEGIN;
	SELECT auth_keys.act_as('$tailnet', '$admin') \\gset
	SELECT auth_keys.revoke_key('$revoked->[0]');
	COMMIT;
});
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');

# validate_key: the same answer on both, for every kind of key
my $validate = q{SELECT * FROM auth_keys.validate_key('%s')};
for my $name (sort keys %key_of)
{
	my $sql = sprintf($validate, $key_of{$name}[1]);
	my $on_primary = $primary->safe_psql('postgres', $sql);
	is($standby->safe_psql('postgres', $sql),
		$on_primary, "validate_key($name) on the standby answers as on the primary");
}
# a mistyped key: the last character changed
my $mistyped = $one_off->[1];
$mistyped =~ s/(.)$/$1 eq 'A' ? 'B' : 'A'/e;
is($standby->safe_psql('postgres', sprintf($validate, $mistyped)),
	$primary->safe_psql('postgres', sprintf($validate, $mistyped)),
	'validate_key of a mistyped key on the standby answers as on the primary');

my $status = q{SELECT status || ':' || coalesce(uses_left::text, '-')
                 FROM auth_keys.validate_key('%s')};
is($standby->safe_psql('postgres', sprintf($status, $one_off->[1])),
	'used:0', 'the standby sees the one-off key used');
is($standby->safe_psql('postgres', sprintf($status, $limited->[1])),
	'valid:1', 'the standby sees three uses of the limited key');
is($standby->safe_psql('postgres', sprintf($status, $revoked->[1])),
	'revoked:1', 'the standby sees the revocation');
is($standby->safe_psql('postgres', sprintf($status, $mistyped)),
	'invalid:-', 'a mistyped key is invalid on the standby');

# the lists answer on the standby too
my $lists = qq{
	BEGIN;
	SELECT auth_keys.act_as('$tailnet', '$admin') \\gset
	SELECT key_id || ':' || uses || ':' || status FROM auth_keys.key_list ORDER BY key_id;
	SELECT hostname || ':' || status FROM auth_keys.node_list ORDER BY node_id;
	COMMIT;
};
is($standby->safe_psql('postgres', $lists),
	$primary->safe_psql('postgres', $lists),
	'key_list and node_list on the standby answer as on the primary');

# the Tailnet Lock log is read on the standby too
is($standby->safe_psql('postgres',
		"SELECT auth_keys.lock_head('$tailnet') IS NULL AND NOT EXISTS (SELECT FROM auth_keys.lock_aums('$tailnet'))"),
	't', 'lock_head and lock_aums answer on the standby');

# every function that writes is refused, naming itself, with a hint
my $spare_node_key = node_key(1, 6);
my %writes = (
	register_node => "SELECT * FROM auth_keys.register_node('$spare->[1]', '$spare_node_key', 'new')",
	node_seen     => "SELECT auth_keys.node_seen('" . node_key(1, 1) . "')",
	create_key    => "BEGIN; SELECT auth_keys.act_as('$tailnet', '$admin') \\gset\n"
	  . "SELECT * FROM auth_keys.create_key()",
	revoke_key => "BEGIN; SELECT auth_keys.act_as('$tailnet', '$admin') \\gset\n"
	  . "SELECT auth_keys.revoke_key('$spare->[0]')",
	delete_node => "BEGIN; SELECT auth_keys.act_as('$tailnet', '$admin') \\gset\n"
	  . "SELECT auth_keys.delete_node(1)",
	lock_submit    => "SELECT auth_keys.lock_submit('$tailnet', '{}')",
	lock_sign_node => "SELECT auth_keys.lock_sign_node('" . node_key(1, 1) . "', '\\x00')",
	lock_disable   => "SELECT auth_keys.lock_disable('$tailnet', '\\x00')");
for my $function (sort keys %writes)
{
	my $error = sql_error($standby, 'postgres', $writes{$function});
	is($error->{state}, '25006', "$function on the standby fails with 25006");
	is($error->{message}, "cannot execute $function during recovery",
		"$function on the standby names itself");
	like($error->{hint}, qr/only on the primary server/,
		"$function on the standby hints at the primary");
}

# the check comes before the key is read: a bad key is not told apart
my $error = sql_error($standby, 'postgres',
	"SELECT * FROM auth_keys.register_node('$mistyped', '$spare_node_key', 'new')");
is($error->{state}, '25006', 'register_node with a mistyped key on the standby is 25006 too');

is($standby->safe_psql('postgres', sprintf($status, $spare->[1])),
	'valid:1', 'the refused calls spent nothing');

# failover: the old primary goes away, the standby takes over
my $counts = q{SELECT (SELECT max(node_id) FROM auth_keys.nodes) || ':'
                   || (SELECT max(event_id) FROM auth_keys.events)};
my ($max_node, $max_event) = split /:/, $primary->safe_psql('postgres', $counts);
my $lists_before = $primary->safe_psql('postgres', $lists);
$primary->stop;
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'the standby did not leave recovery';
my $new = $standby;
is($new->safe_psql('postgres', $lists), $lists_before,
	'the new primary lists the keys and nodes the old one had');

$error = sql_error($new, 'postgres',
	"SELECT * FROM auth_keys.register_node('$one_off->[1]', '" . node_key(1, 7) . "', 'other')");
is($error->{state}, '28000', 'the one-off key used on the old primary is refused on the new one');
is($error->{detail}, 'The authentication key was already used.', 'refused as already used');

my ($node_id) = split /\|/, $one_off_node;
is(register($new, $one_off, 1, 'laptop'), "$node_id|f",
	'the node it enrolled may still present it: the same node, as it is');

$error = sql_error($new, 'postgres',
	"SELECT * FROM auth_keys.register_node('$revoked->[1]', '" . node_key(1, 8) . "', 'other')");
is($error->{detail}, 'The authentication key has been revoked.', 'the revoked key stays revoked');

my $uses = q{SELECT uses FROM auth_keys.keys WHERE key_id = '%s'};
is($new->safe_psql('postgres', sprintf($uses, $limited->[0])), '3',
	'the limited key keeps its three uses');
like(register($new, $limited, 9, 'limited-4'), qr/^\d+\|f$/,
	'the limited key enrols its fourth node on the new primary');
$error = sql_error($new, 'postgres',
	"SELECT * FROM auth_keys.register_node('$limited->[1]', '" . node_key(1, 10) . "', 'limited-5')");
is($error->{detail}, 'The authentication key was already used.',
	'and refuses a fifth: the limit counts the uses on both servers');

my ($spare_node) = split /\|/, register($new, $spare, 6, 'new');
cmp_ok($spare_node, '>', $max_node, 'the unused key enrols a node with a new node id');
is($new->safe_psql('postgres', sprintf($uses, $spare->[0])), '1', 'and spends its use');
is( $new->safe_psql(
		'postgres', qq{
		SELECT count(*) || ':' || bool_and(event_id > $max_event)
		  FROM auth_keys.events
		 WHERE action = 'key.used' AND key_id = '$spare->[0]' AND node_id = $spare_node}),
	'1:true',
	'with its key.used event, under a new event id');

is( $new->safe_psql(
		'postgres', q{
		SELECT count(*) FROM auth_keys.keys k
		 WHERE k.uses + (SELECT COALESCE(sum(c.uses), 0) FROM auth_keys.key_use_counts c
		                  WHERE c.key_id = k.key_id)
		       <> (SELECT count(*) FROM auth_keys.events e
		            WHERE e.action = 'key.used' AND e.key_id = k.key_id)}),
	'0',
	'every key has as many key.used events as uses');

$new->stop;
done_testing();
