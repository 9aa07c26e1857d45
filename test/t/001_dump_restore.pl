# test/t/001_dump_restore.pl
#
# pg_dump keeps what auth_keys holds: every table is marked with
# pg_extension_config_dump, so a dump restored into a new database has the
# same tailnets, keys, nodes and events, the same hashes, and sequences
# that carry on where they were, from a plain dump (psql) and from the
# custom format (pg_restore) alike; the restore's COPY passes the keys'
# guard and leaves no events.  A used one-off key stays used; a reusable
# key still enrols.  OAuth clients and their tokens come along (a key
# refers to its client, so the rows must load in order): the secret still
# gets tokens, the token still acts, the client's key still enrols.
#
# The audit trail's partitions, a week each, are made by sweeps while the
# database runs, so they are not members of the extension: pg_dump dumps
# them, definition and rows, and a restore makes them and attaches them to
# the extension's events table.  After a sweep_in_steps made them and
# events were written into them (and into events_default), a restore has
# every event in the same partition, the same partitions with their bounds,
# row-level security and privileges, and the sweeps work on it.
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

my $node = new_cluster('dump');
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION auth_keys;
    SELECT auth_keys.create_tailnet('dump.example');
    SELECT auth_keys.set_member('dump.example', 'alice@dump.example', 'admin');
    SELECT auth_keys.set_tag_owners('dump.example', 'tag:db', ARRAY['autogroup:admin']);
});

# act_as lasts for one transaction: each key is made in one psql -c call
my $create = q{
    BEGIN;
    SELECT auth_keys.act_as('dump.example', 'alice@dump.example') \gset
    SELECT key FROM auth_keys.create_key(%s);
    COMMIT;
};
my $one_off = $node->safe_psql('postgres', sprintf($create, ''));
my $reusable = $node->safe_psql('postgres',
	sprintf($create, "reusable => true, tags => ARRAY['tag:db']"));
like($one_off, qr/^pgak-auth-[0-9A-Za-z]{12}-[0-9A-Za-z]{38}$/, 'one-off key made');

$node->safe_psql('postgres', qq{
    SELECT * FROM auth_keys.register_node('$one_off', 'nodekey:} . ('a1' x 32) . q{', 'laptop');
    SELECT * FROM auth_keys.register_node('} . $reusable . q{', 'nodekey:} . ('b1' x 32) . q{', 'db-1');
});

# an OAuth client, its token, and a key it minted
my $secret = $node->safe_psql('postgres', q{
    BEGIN;
    SELECT auth_keys.act_as('dump.example', 'alice@dump.example') \gset
    SELECT secret FROM auth_keys.create_oauth_client(ARRAY['auth_keys'], ARRAY['tag:db']);
    COMMIT;
});
my $token = $node->safe_psql('postgres',
	"SELECT access_token FROM auth_keys.oauth_token('$secret')");
my $minted = $node->safe_psql('postgres', qq{
    BEGIN;
    SELECT auth_keys.act_as_token('$token') \\gset
    SELECT key FROM auth_keys.create_key(tags => ARRAY['tag:db'], reusable => true);
    COMMIT;
});
like($minted, qr/^pgak-auth-/, 'a key minted by an OAuth client');

my $snapshot = q{
    SELECT (SELECT string_agg(key_id || ':' || encode(secret_hash, 'hex') || ':' || uses
                              || ':' || coalesce(oauth_client_id, ''), ',' ORDER BY key_id)
              FROM auth_keys.keys)
        || ' | ' || (SELECT string_agg(client_id || ':' || encode(secret_hash, 'hex'), ',')
              FROM auth_keys.oauth_clients)
        || ' | ' || (SELECT string_agg(token_id || ':' || encode(token_hash, 'hex'), ',')
              FROM auth_keys.oauth_tokens)
        || ' | ' || (SELECT string_agg(node_id || ':' || hostname || ':' || node_key::text, ',' ORDER BY node_id)
              FROM auth_keys.nodes)
        || ' | ' || (SELECT count(*) FROM auth_keys.events)
        || ' | ' || (SELECT count(*) FROM auth_keys.members)
        || ' | ' || (SELECT count(*) FROM auth_keys.tag_owners);
};
my $before = $node->safe_psql('postgres', $snapshot);

my $dump = $node->basedir . '/auth_keys.sql';
$node->command_ok(
	[ 'pg_dump', '--no-owner', '-f', $dump, '-d', $node->connstr('postgres') ],
	'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $dump, '-d', $node->connstr('restored') ],
	'restore into a new database');

is($node->safe_psql('restored', $snapshot), $before,
	'keys, hashes, nodes, events, members and tags survive the dump');

# The custom format, restored by pg_restore: the same, and the guard
# (which takes COPY for a restore) records no event for the rows.
my $archive = $node->basedir . '/auth_keys.dump';
$node->command_ok(
	[ 'pg_dump', '--no-owner', '-Fc', '-f', $archive, '-d', $node->connstr('postgres') ],
	'pg_dump -Fc');
$node->safe_psql('postgres', 'CREATE DATABASE restored_custom');
$node->command_ok(
	[ 'pg_restore', '--no-owner', '--exit-on-error', '-d', $node->connstr('restored_custom'), $archive ],
	'pg_restore into a new database');
is($node->safe_psql('restored_custom', $snapshot), $before,
	'pg_restore brings back the same rows, and no events of its own');

# the restored keys behave as before
my ($rc, $stdout, $stderr) = $node->psql('restored',
	"SELECT * FROM auth_keys.register_node('$one_off', 'nodekey:" . ('c1' x 32) . "', 'other')");
isnt($rc, 0, 'a used one-off key stays used after restore');
like($stderr, qr/already used/, 'refused as already used');

my $new_node = $node->safe_psql('restored',
	"SELECT node_id FROM auth_keys.register_node('$reusable', 'nodekey:" . ('b2' x 32) . "', 'db-2')");
is($new_node, '3', 'the reusable key enrols again, and node ids carry on from the dump');

is($node->safe_psql('restored', "SELECT status FROM auth_keys.validate_key('$reusable')"),
	'valid', 'validate_key works on the restored hashes');

# the OAuth client's credentials and key, restored
is($node->safe_psql('restored', "SELECT token_type FROM auth_keys.oauth_token('$secret')"),
	'Bearer', 'the restored client secret gets a token');
is($node->safe_psql('restored', qq{
    BEGIN;
    SELECT auth_keys.act_as_token('$token') \\gset
    SELECT count(*) FROM auth_keys.key_list WHERE oauth_client_id IS NOT NULL;
    COMMIT;
}), '1', 'the restored token acts as the client, which sees its key');
is($node->safe_psql('restored',
	"SELECT tags FROM auth_keys.register_node('$minted', 'nodekey:" . ('d1' x 32) . "', 'ci-1')"),
	'{tag:db}', 'the restored key of the client enrols a node with its tags');

######################################################################
# The weeks' partitions of events
######################################################################

$node->safe_psql('postgres', 'CREATE DATABASE parts');
$node->safe_psql('parts', q{
    CREATE EXTENSION auth_keys;
    SELECT auth_keys.create_tailnet('parts.example');
    SELECT auth_keys.set_member('parts.example', 'alice@parts.example', 'admin');
});
my $parts_key = $node->safe_psql('parts', q{
    BEGIN;
    SELECT auth_keys.act_as('parts.example', 'alice@parts.example') \gset
    SELECT key FROM auth_keys.create_key(reusable => true, ephemeral => true);
    COMMIT;
});
$node->safe_psql('parts', qq{
    SELECT FROM auth_keys.register_node('$parts_key', 'nodekey:} . ('e1' x 32) . qq{', 'eph-1');
    CALL auth_keys.sweep_in_steps();
    SELECT FROM auth_keys.register_node('$parts_key', 'nodekey:} . ('e2' x 32) . q{', 'eph-2');
    -- events of other times: the week after next (its partition), two
    -- months ago and in 2019 (the default partition), as a DBA might load
    -- them
    INSERT INTO auth_keys.events (at, tailnet_id, actor, action)
    SELECT t, (SELECT min(tailnet_id) FROM auth_keys.tailnets), 'history', 'key.created'
      FROM unnest(ARRAY[date_trunc('week', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                          + interval '15 days',
                        now() - interval '60 days', '2019-05-01 12:00:00+00']) AS t;
});

# every event with its partition; the partitions with their bounds, row
# security, privileges and indexes
my $events_by_partition = q{
    SELECT string_agg(format('%s %s %s %s %s %s', e.event_id, e.at, e.actor, e.action,
                             e.tableoid::regclass, coalesce(e.node_id::text, '-')),
                      E'\n' ORDER BY e.event_id)
      FROM auth_keys.events e;
};
my $partitions = q{
    SELECT string_agg(format('%s %s rls=%s acl=%s owner=%s indexes=%s', c.relname,
                             pg_get_expr(c.relpartbound, c.oid), c.relrowsecurity,
                             coalesce(c.relacl::text, '-'), pg_get_userbyid(c.relowner),
                             (SELECT string_agg(pg_get_indexdef(x.indexrelid), '; ' ORDER BY 1)
                                FROM pg_index x WHERE x.indrelid = c.oid)),
                      E'\n' ORDER BY c.relname)
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'auth_keys.events'::regclass;
};
my $parts_events = $node->safe_psql('parts', $events_by_partition);
my $parts_partitions = $node->safe_psql('parts', $partitions);
# (the next week is made only when it begins more than an hour from now)
like(scalar(() = $parts_partitions =~ /^events_\d{8} /mg), qr/^[12]$/,
	"partitions: sweep_in_steps made the next weeks'");
like($parts_events, qr/ history key\.created auth_keys\.events_\d{8} /,
	'partitions: an event of the week after next is in its partition');
like($parts_events, qr/ key\.used auth_keys\.events_default /,
	"partitions: this week's registrations wrote theirs into the default partition");
like($parts_events, qr/ history key\.created auth_keys\.events_default -$/m,
	'partitions: and so did the events of no week made');
is( $node->safe_psql(
		'parts', q{
		SELECT count(*) FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
		 WHERE d.deptype = 'e' AND c.relname ~ '^events_[0-9]{8}$'}),
	'0', 'partitions: none is a member of the extension');

# (Each partition has its own index: with an index on events itself, a
# partitioned index, the restore's ATTACH PARTITION would make the
# partition's index, and pg_dump's CREATE INDEX of it would then fail.)
for my $format ('plain', 'custom')
{
	my $file = $node->basedir . "/parts.$format";
	my $target = "parts_$format";
	$node->command_ok(
		[
			'pg_dump', '--no-owner', ($format eq 'custom' ? '-Fc' : '-Fp'),
			'-f', $file, '-d', $node->connstr('parts')
		],
		"partitions: pg_dump, $format format");
	$node->safe_psql('postgres', "CREATE DATABASE $target");
	if ($format eq 'custom')
	{
		$node->command_ok(
			[
				'pg_restore', '--no-owner', '--exit-on-error',
				'-d', $node->connstr($target), $file
			],
			'partitions: pg_restore');
	}
	else
	{
		$node->command_ok(
			[
				'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
				'-f', $file, '-d', $node->connstr($target)
			],
			'partitions: psql restores the plain dump');
	}
	is($node->safe_psql($target, $events_by_partition), $parts_events,
		"partitions ($format): every event is back, in the same partition");
	is($node->safe_psql($target, $partitions), $parts_partitions,
		"partitions ($format): the same partitions, bounds, row security, privileges and indexes");

	# the sweeps work on the restored database: a sweep in steps makes no
	# partition twice, and what registers next goes where this week's
	# events go
	my ($rc, $stdout, $stderr) =
	  $node->psql($target, 'CALL auth_keys.sweep_in_steps(); SELECT * FROM auth_keys.sweep();');
	is($rc . $stderr, '0', "partitions ($format): sweep_in_steps and sweep work after the restore");
	is($node->safe_psql($target, $partitions), $parts_partitions,
		"partitions ($format): and leave the partitions as they were");
	is( $node->safe_psql(
			$target, qq{
			SELECT node_id AS eph_3 FROM auth_keys.register_node('$parts_key',
			       'nodekey:} . ('e3' x 32) . q{', 'eph-3') \gset
			SELECT tableoid::regclass FROM auth_keys.events WHERE node_id = :eph_3}),
		'auth_keys.events_default',
		"partitions ($format): a registration's event goes where this week's go");
}

$node->stop;
done_testing();
