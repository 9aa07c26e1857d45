# test/t/012_key_logs.pl
#
# Keys stay out of the server log and out of pg_stat_activity, as the
# README's section on logs promises, on a cluster with the default logging
# settings and a node-facing role that is no superuser:
#
# - a refused register_node whose key is a literal logs its ERROR but not
#   the statement: the function's own log_min_error_statement = panic holds
#   while it raises the error.  The control, a copy of the function without
#   that setting, logs the statement with the key in it: the check can
#   fail.
# - with the key as a bind parameter (pgbench in extended mode), even the
#   control logs only "$1"; so does log_statement = 'all' with
#   log_parameter_max_length = 0, which the README recommends with it.
# - a monitor (pg_monitor) reading pg_stat_activity while a registration
#   waits sees "$1", not the key.
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

my $node = new_cluster('logs');
# PostgreSQL::Test::Cluster logs every statement; this test wants the
# server's defaults
$node->append_conf('postgresql.conf', "log_statement = 'none'\n");
$node->start;

setup_tailnet($node, 'postgres', 'logs.example', 'adam');
$node->safe_psql('postgres', q{
	CREATE ROLE device_backend LOGIN;
	SELECT auth_keys.grant_tier('node', 'device_backend');
	CREATE ROLE monitor LOGIN IN ROLE pg_monitor;
	-- the control: register_node without its log setting
	CREATE FUNCTION public.register_node_logged(key text, node_key auth_keys.nodekey, hostname text)
	    RETURNS TABLE (node_id bigint, tailnet text, user_login text, tags text[],
	                   authorized boolean, ephemeral boolean, key_expiry_disabled boolean,
	                   node_key_expires_at timestamptz, reauthenticated boolean)
	    AS 'auth_keys', 'auth_keys_register_node'
	    LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
	REVOKE ALL ON FUNCTION public.register_node_logged(text, auth_keys.nodekey, text) FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION public.register_node_logged(text, auth_keys.nodekey, text)
	    TO device_backend;
});
is($node->safe_psql('postgres', q{
		SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings
		 WHERE name IN ('log_min_error_statement', 'log_statement',
		                'log_parameter_max_length_on_error')}),
	'log_min_error_statement=error log_parameter_max_length_on_error=0 log_statement=none',
	'the default logging settings');

my ($made) = create_keys($node, 'postgres', 'logs.example', 'adam', 1, 'reusable => true');
my $key = $made->[1];
my ($secret) = $key =~ /-([0-9A-Za-z]{38})$/;

# log_since($offset): the server log written after $offset.
sub log_since
{
	my ($offset) = @_;
	my $log = slurp_file($node->logfile);
	return substr($log, $offset);
}

# refuse_literal($function): a register_node call with the key as a literal
# and a bad hostname, as device_backend; returns what the log got.
sub refuse_literal
{
	my ($function) = @_;
	my $offset = -s $node->logfile;
	my ($rc, $out, $err) = $node->psql('postgres', qq{
		SET ROLE device_backend;
		SELECT * FROM $function('$key', '@{[node_key(1, 1)]}', E'laptop\\tevil');
	});
	like($err, qr/hostname must not contain control characters/, "$function refuses the hostname");
	$node->safe_psql('postgres', 'SELECT 1');	# the log has caught up
	return log_since($offset);
}

my $log = refuse_literal('auth_keys.register_node');
like($log, qr/ERROR:  hostname must not contain control characters/, 'the error is logged');
unlike($log, qr/\Q$secret\E/, 'the key is not');
unlike($log, qr/STATEMENT:  /, 'nor is the statement');

$log = refuse_literal('public.register_node_logged');
like($log, qr/STATEMENT: .*\Q$secret\E/, 'without the setting, the statement is logged with the key');

# refuse_bound($function, $pgoptions): the same call with the key as a bind
# parameter (pgbench, extended protocol); returns what the log got.
sub refuse_bound
{
	my ($function, $pgoptions) = @_;
	my $script = "${PostgreSQL::Test::Utils::tmp_check}/bound.sql";
	open my $fh, '>', $script or die "cannot write $script: $!";
	print $fh "SELECT * FROM $function(:key, :node_key, :hostname);\n";
	close $fh;
	my $offset = -s $node->logfile;
	local $ENV{PGOPTIONS} = $pgoptions // '';
	IPC::Run::run(
		[
			'pgbench', '-n', '-t', '1', '-M', 'extended',
			'-h', $node->host, '-p', $node->port, '-U', 'device_backend',
			'-D', "key=$key", '-D', 'node_key=' . node_key(1, 2),
			'-D', "hostname=laptop\tevil", '-f', $script, 'postgres'
		],
		'>', \my $out, '2>', \my $err);
	like($err, qr/hostname must not contain control characters/, "$function refuses it");
	$node->safe_psql('postgres', 'SELECT 1');
	return log_since($offset);
}

$log = refuse_bound('public.register_node_logged');
like($log, qr/STATEMENT:  SELECT \* FROM public\.register_node_logged\(\$1, \$2, \$3\)/,
	'with a bind parameter, the control logs the statement with $1');
unlike($log, qr/\Q$secret\E/, 'and not the key');

$node->safe_psql('postgres', q{
	ALTER ROLE device_backend SET log_statement = 'all';
	ALTER ROLE device_backend SET log_parameter_max_length = 0;
});
$log = refuse_bound('auth_keys.register_node');
like($log, qr/LOG:  execute [^:]*: SELECT \* FROM auth_keys\.register_node\(\$1, \$2, \$3\)/,
	'log_statement = all logs the statement');
unlike($log, qr/\Q$secret\E/, 'and with log_parameter_max_length = 0 not the key');
$node->safe_psql('postgres', q{
	ALTER ROLE device_backend RESET log_parameter_max_length;
});
$log = refuse_bound('auth_keys.register_node');
like($log, qr/DETAIL:  parameters: \$1 = '\Q$key\E'/,
	'without it, log_statement = all logs the key as a parameter');
$node->safe_psql('postgres', q{ALTER ROLE device_backend RESET log_statement});

# pg_stat_activity while a registration waits: enrol a node, then hold its
# row FOR UPDATE while it registers again.
$node->safe_psql('postgres', qq{
	SELECT node_id FROM auth_keys.register_node('$key', '@{[node_key(1, 3)]}', 'held');
});
my ($in, $held_out) = ('', '');
my $holder = IPC::Run::start(
	[ 'psql', '-XAtq', '-h', $node->host, '-p', $node->port, '-d', 'postgres', '-f', '-' ],
	'<', \$in, '>', \$held_out, '2>', \my $held_err);
$in .= "BEGIN;\nSELECT 'locked' FROM auth_keys.nodes WHERE hostname = 'held' FOR UPDATE;\n";
$holder->pump until $held_out =~ /locked/;

my $script = "${PostgreSQL::Test::Utils::tmp_check}/waiting.sql";
open my $fh, '>', $script or die "cannot write $script: $!";
print $fh "SELECT node_id FROM auth_keys.register_node(:key, :node_key, :hostname);\n";
close $fh;
my $waiter = IPC::Run::start(
	[
		'pgbench', '-n', '-t', '1', '-M', 'extended',
		'-h', $node->host, '-p', $node->port, '-U', 'device_backend',
		'-D', "key=$key", '-D', 'node_key=' . node_key(1, 3),
		'-D', 'hostname=held', '-f', $script, 'postgres'
	],
	'>', \my $waiter_out, '2>', \my $waiter_err);
ok( $node->poll_query_until('postgres', q{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE usename = 'device_backend' AND wait_event_type = 'Lock'}),
	'the registration waits for the held node row');
my $seen = $node->safe_psql('postgres', q{
	SET ROLE monitor;
	SELECT query FROM pg_stat_activity WHERE usename = 'device_backend'});
like($seen, qr/register_node\(\$1, \$2, \$3\)/, 'pg_monitor sees the statement with $1');
unlike($seen, qr/\Q$secret\E/, 'and not the key');
$in .= "COMMIT;\n\\q\n";
$holder->finish;
ok($waiter->finish, 'the registration goes through once the row is free')
  or diag($waiter_err);

$node->stop;
done_testing();
