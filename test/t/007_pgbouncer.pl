# test/t/007_pgbouncer.pl
#
# auth_keys behind Debian's pgbouncer in transaction pooling mode, with one
# server connection per pool, so that every client of a pool runs on the
# same backend, one transaction after another.
#
# - The actor never passes to the next client: not after act_as in a
#   transaction, nor after act_as outside one (which warns), nor after a
#   failed transaction, nor after SET LOCAL ROLE to a mapped role.
#   (act_as_token joins these checks with the OAuth clients.)
# - The README's patterns work through the pooler: a delegate backend's
#   BEGIN; act_as; ...; COMMIT, a mapped role with SET LOCAL ROLE, the
#   node-facing backend's single statements.
# - What the README's pooler section says not to do does leak, which is why
#   it says so: a session SET ROLE (the next client runs as that role), a
#   SET of a setting, an SQL-level PREPARE and a cursor WITH HOLD.
#
# Copyright (c) 2026, auth_keys developers

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use AuthKeysTest;

my $pgbouncer = '/usr/sbin/pgbouncer';
plan skip_all => "pgbouncer is not installed ($pgbouncer)" unless -x $pgbouncer;

my $node = new_cluster('pooled');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION auth_keys;
	SELECT auth_keys.create_tailnet('acme');
	SELECT auth_keys.set_member('acme', 'alice', 'admin');
	SELECT auth_keys.set_member('acme', 'bob', 'member');
	CREATE ROLE pool_console LOGIN;
	CREATE ROLE pool_enrol LOGIN;
	CREATE ROLE pool_operator LOGIN;
	CREATE ROLE pool_alice;
	GRANT pool_alice TO pool_console;
	SELECT auth_keys.grant_tier('delegate', 'pool_console');
	SELECT auth_keys.grant_tier('actor', 'pool_alice');
	SELECT auth_keys.grant_tier('node', 'pool_enrol');
	SELECT auth_keys.grant_tier('operator', 'pool_operator');
	SELECT auth_keys.set_member('acme', 'alice', 'admin', db_role => 'pool_alice');
});

# pgbouncer on a Unix socket of its own, transaction pooling, one server
# connection for each database and user.
my $dir = $node->basedir . '/pgbouncer';
mkdir $dir or die "mkdir $dir: $!";
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $server_host = $node->host;
my $server_port = $node->port;
PostgreSQL::Test::Utils::append_to_file("$dir/userlist.txt",
	qq{"pool_console" ""\n"pool_enrol" ""\n"pool_operator" ""\n});
PostgreSQL::Test::Utils::append_to_file("$dir/pgbouncer.ini", <<"INI");
[databases]
app = host=$server_host port=$server_port dbname=postgres

[pgbouncer]
listen_addr =
listen_port = $port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 1
max_client_conn = 50
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
my $bouncer = IPC::Run::start([ $pgbouncer, "$dir/pgbouncer.ini" ],
	'>', "$dir/stdout.log", '2>', "$dir/stderr.log");
my $ready = 0;
for (1 .. 100)
{
	if (-S "$dir/.s.PGSQL.$port") { $ready = 1; last; }
	select(undef, undef, undef, 0.1);
}
ok($ready, 'pgbouncer listens on its socket');

# client($user, $sql): one client connection through pgbouncer, running
# $sql; returns its standard output and standard error.
sub client
{
	my ($user, $sql) = @_;
	my ($stdout, $stderr) = ('', '');
	IPC::Run::run(
		[ 'psql', '-X', '-A', '-t', '-q', '-h', $dir, '-p', $port, '-U', $user, '-d', 'app',
		  '-v', 'VERBOSITY=verbose', '-c', $sql ],
		'>', \$stdout, '2>', \$stderr);
	chomp $stdout;
	return ($stdout, $stderr);
}

my ($backend) = client('pool_console', 'SELECT pg_backend_pid()');
like($backend, qr/^\d+$/, 'a client reaches the server through pgbouncer');
is((client('pool_console', 'SELECT pg_backend_pid()'))[0], $backend,
	'the next client of the pool runs on the same server connection');

#
# The actor never passes to the next client.
#
my ($out, $err) = client('pool_console', q{
	BEGIN;
	SELECT auth_keys.act_as('acme', 'alice');
	SELECT auth_keys.actor_login() || ' ' || pg_backend_pid();
	COMMIT;});
is((split /\n/, $out)[-1], "alice $backend", 'act_as in a transaction: the client acts as alice');
($out, $err) = client('pool_console', q{SELECT coalesce(auth_keys.actor_login(), 'nobody') || ' ' || pg_backend_pid()});
is($out, "nobody $backend", 'the next client on the same connection acts as nobody');
($out, $err) = client('pool_console', q{SELECT count(*) FROM auth_keys.key_list});
is($out, '0', 'and sees no keys');
like($err, qr/NOTICE:  42501: no tailnet member is acting in this transaction, so no rows are visible/,
	'with a NOTICE that no one is acting');

($out, $err) = client('pool_console', q{SELECT auth_keys.act_as('acme', 'alice')});
like($err, qr/WARNING:  25P01: auth_keys\.act_as can only be used in transaction blocks/,
	'act_as outside a transaction block warns');
($out, $err) = client('pool_console', q{SELECT coalesce(auth_keys.actor_login(), 'nobody')});
is($out, 'nobody', 'and the next client acts as nobody');

($out, $err) = client('pool_console', q{
	BEGIN;
	SELECT auth_keys.act_as('acme', 'alice');
	SELECT 1 / 0;
	COMMIT;});
like($err, qr/division by zero/, 'a transaction after act_as fails');
($out, $err) = client('pool_console', q{SELECT coalesce(auth_keys.actor_login(), 'nobody')});
is($out, 'nobody', 'and the next client acts as nobody');

($out, $err) = client('pool_console', q{
	BEGIN;
	SET LOCAL ROLE pool_alice;
	SELECT current_user || ' ' || auth_keys.actor_login();
	COMMIT;});
is($out, 'pool_alice alice', 'SET LOCAL ROLE to a mapped role acts as its member');
($out, $err) = client('pool_console', q{SELECT current_user || ' ' || coalesce(auth_keys.actor_login(), 'nobody')});
is($out, 'pool_console nobody', 'and the next client is the pooled role again, acting as nobody');

#
# The README's patterns work through the pooler.
#
($out, $err) = client('pool_console', q{
	BEGIN;
	SELECT auth_keys.act_as('acme', 'alice');
	SELECT key FROM auth_keys.create_key(reusable => true, preauthorized => true);
	COMMIT;});
my ($key) = $out =~ /^(pgak-auth-\S+)$/m;
ok(defined $key, 'a delegate backend makes a key for alice');
($out, $err) = client('pool_console', q{
	BEGIN;
	SELECT auth_keys.act_as('acme', 'bob');
	SELECT count(*) FROM auth_keys.key_list;
	SELECT count(*) FROM auth_keys.create_key();
	COMMIT;});
like($err, qr/42501: permission denied to generate authentication keys/,
	'and acting for bob, a member, has bob\'s rights only');
my $nk = node_key(7, 1);
($out, $err) = client('pool_enrol', qq{SELECT authorized FROM auth_keys.register_node('$key', '$nk', 'pooled-1')});
is($out, 't', 'the node-facing backend enrols a node through the pooler');
# the README's way, with the key as a bind parameter: pgbench's extended
# protocol with unnamed statements, which a transaction pooler passes on
my $script = "$dir/bound.sql";
PostgreSQL::Test::Utils::append_to_file($script,
	"SELECT node_id FROM auth_keys.register_node(:key, :node_key, :hostname);\n");
my ($bound_out, $bound_err) = ('', '');
my $bound_ok = IPC::Run::run(
	[
		'pgbench', '-n', '-t', '2', '-M', 'extended', '-h', $dir, '-p', $port,
		'-U', 'pool_enrol', '-D', "key=$key", '-D', 'node_key=' . node_key(7, 3),
		'-D', 'hostname=bound-1', '-f', $script, 'app'
	],
	'>', \$bound_out, '2>', \$bound_err);
ok($bound_ok, 'a registration with the key as a bind parameter goes through the pooler')
  or diag($bound_err);
is($node->safe_psql('postgres', q{SELECT count(*) FROM auth_keys.nodes WHERE hostname = 'bound-1'}),
	'1', 'and enrols the node once, twice presented');
($out, $err) = client('pool_enrol', qq{SELECT status || ' ' || lock_status FROM auth_keys.node_status('$nk')});
is($out, 'active not_locked', 'node_status answers through the pooler');
($out, $err) = client('pool_enrol', qq{SELECT string_agg(status, ',') FROM auth_keys.nodes_seen(ARRAY['$nk', '@{[node_key(7, 2)]}']::auth_keys.nodekey[])});
is($out, 'active,unknown', 'and nodes_seen');
# The sweep that commits after each batch, called as an operator through
# the pooler: a CALL at the top level of a client's statement may commit,
# and the pooler keeps the server connection until it returns.
($out, $err) = client('pool_operator', 'CALL auth_keys.sweep_in_steps()');
is($err, '', 'an operator runs sweep_in_steps through the pooler');
is($node->safe_psql('postgres', q{SELECT count(*) FROM auth_keys.sweep_log WHERE swept_by = 'role:pool_operator'}),
	'1', 'and it recorded its sweep');
($out, $err) = client('pool_console', q{
	BEGIN;
	SET LOCAL ROLE pool_alice;
	SELECT string_agg(hostname, ',' ORDER BY hostname) FROM auth_keys.node_list;
	COMMIT;});
is($out, 'bound-1,pooled-1', 'a mapped role with SET LOCAL ROLE lists the nodes');

#
# What the README says not to do, and why: session state stays on the
# server connection, for whichever client comes next.
#
client('pool_console', 'SET ROLE pool_alice');
($out, $err) = client('pool_console', q{SELECT current_user || ' ' || auth_keys.actor_login()});
is($out, 'pool_alice alice', 'a session SET ROLE hands the role, and its member, to the next client');
client('pool_console', 'RESET ROLE');
client('pool_console', q{SET statement_timeout = '1234s'});
($out, $err) = client('pool_console', 'SHOW statement_timeout');
is($out, '1234s', 'a SET of a setting reaches the next client');
client('pool_console', 'RESET ALL');
client('pool_console', 'PREPARE mine AS SELECT 1');
($out, $err) = client('pool_console', 'PREPARE mine AS SELECT 2');
like($err, qr/prepared statement "mine" already exists/,
	'an SQL-level PREPARE stays for the next client');
client('pool_console', 'DEALLOCATE ALL');
client('pool_console', 'DECLARE held CURSOR WITH HOLD FOR SELECT 42');
($out, $err) = client('pool_console', 'FETCH held');
is($out, '42', 'a cursor WITH HOLD is fetched by the next client');
client('pool_console', 'CLOSE ALL');

$bouncer->signal('TERM');
$bouncer->finish;
$node->stop;
done_testing();
