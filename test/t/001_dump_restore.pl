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

$node->stop;
done_testing();
