# test/t/011_oauth_logs.pl
#
# OAuth client secrets and access tokens reach no line of the server log.
# The server logs every error with its statement (log_min_error_statement
# = error, the default), every notice, and every detail, hint and context
# (log_error_verbosity = verbose).  Refused calls of oauth_token and
# act_as_token carry their secret or token as a literal in the statement:
# their errors are logged, their statements are not (the functions run
# with log_min_error_statement = panic).  The control: a failing statement
# of no such function, with a marker literal, is logged with its statement.
# A call refused before the function runs (no privilege) is logged as any
# failed statement is: with a bind parameter, as the README recommends, the
# log shows "$1".  Afterwards neither a secret, nor a token, nor the secret
# part of either (nor a mistyped copy) is anywhere in the log, nor in the
# audit trail.
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

my $node = new_cluster('oauth_logs');
$node->append_conf('postgresql.conf', q{
log_min_messages = notice
log_min_error_statement = error
log_error_verbosity = verbose
log_statement = none
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION auth_keys;
	SELECT auth_keys.create_tailnet('logs.example');
	SELECT auth_keys.create_tailnet('other.example');
	SELECT auth_keys.set_member('logs.example', 'alice', 'admin');
	SELECT auth_keys.set_tag_owners('logs.example', 'tag:ci', ARRAY['autogroup:admin']);
	CREATE ROLE backend;
	CREATE ROLE other_backend;
	SELECT auth_keys.grant_tier('delegate', 'backend');
	SELECT auth_keys.grant_tier('delegate', 'other_backend', tailnets => ARRAY['other.example']);
});

my $secret = $node->safe_psql('postgres', q{
	BEGIN;
	SELECT auth_keys.act_as('logs.example', 'alice') \gset
	SELECT secret FROM auth_keys.create_oauth_client(ARRAY['auth_keys'], ARRAY['tag:ci']);
	COMMIT;
});
like($secret, qr/^pgak-client-[0-9A-Za-z]{12}-[0-9A-Za-z]{38}$/, 'a client secret');
my $token = $node->safe_psql('postgres',
	"SET ROLE backend; SELECT access_token FROM auth_keys.oauth_token('$secret')");
like($token, qr/^pgak-token-[0-9A-Za-z]{12}-[0-9A-Za-z]{38}$/, 'an access token');

# flip($text, $pos): $text with the base62 character at $pos changed
sub flip
{
	my ($text, $pos) = @_;
	my $c = substr($text, $pos, 1) eq 'A' ? 'B' : 'A';
	substr($text, $pos, 1, $c);
	return $text;
}

# Refused calls, each with the credential as a literal of its statement:
# every kind of refusal of both functions, before and after the secret is
# proven.
my @refused = (
	[ 'backend', "SELECT * FROM auth_keys.oauth_token('" . flip($secret, 30) . "')",
	  '28000', 'a mistyped secret' ],
	[ 'backend', "SELECT * FROM auth_keys.oauth_token('$secret', scopes => ARRAY['nope'])",
	  '22S01', 'invalid_scope' ],
	[ 'backend', "SELECT * FROM auth_keys.oauth_token('$secret', tags => ARRAY['tag:x'])",
	  '22T01', 'invalid_target' ],
	[ 'other_backend', "SELECT * FROM auth_keys.oauth_token('$secret')",
	  '42501', 'a delegate of another tailnet' ],
	[ 'backend', "SELECT auth_keys.act_as_token('" . flip($token, 30) . "')",
	  '28000', 'a mistyped token' ],
	[ 'other_backend', "BEGIN; SELECT auth_keys.act_as_token('$token')",
	  '42501', 'a token for a delegate of another tailnet' ]);

for my $case (@refused)
{
	my ($role, $sql, $state, $what) = @$case;
	my $error = sql_error($node, 'postgres', "SET ROLE $role; $sql");
	is($error->{state}, $state, "refused: $what ($state)");
}

# proven, then refused: a revoked client's secret, with a detail
$node->safe_psql('postgres', q{
	BEGIN;
	SELECT auth_keys.act_as('logs.example', 'alice') \gset
	SELECT auth_keys.revoke_oauth_client(client_id) FROM auth_keys.oauth_client_list;
	COMMIT;
});
my $error = sql_error($node, 'postgres',
	"SET ROLE backend; SELECT * FROM auth_keys.oauth_token('$secret')");
is_deeply([ $error->{state}, $error->{detail} ], [ '28000', 'The OAuth client has been revoked.' ],
	'refused: a revoked client, with the detail');
$error = sql_error($node, 'postgres', "SET ROLE backend; SELECT auth_keys.act_as_token('$token')");
is($error->{state}, '28000', 'refused: a token of a revoked client');

# A call refused before the function runs (here: by a role without the
# delegate tier) is logged as PostgreSQL logs any failed statement: with
# bind parameters, as the README recommends, the log has "$1" and not the
# token (log_parameter_max_length_on_error is 0 unless a superuser sets it).
$node->safe_psql('postgres', q{
	CREATE ROLE nobody_special LOGIN;
	GRANT USAGE ON SCHEMA auth_keys TO nobody_special;
});
my $script = "${PostgreSQL::Test::Utils::tmp_check}/act_as_token.sql";
PostgreSQL::Test::Utils::append_to_file($script, "SELECT auth_keys.act_as_token(:token);\n");
my ($stdout, $stderr);
IPC::Run::run(
	[ 'pgbench', '-n', '-M', 'extended', '-t', '1', '-f', $script, '-D', "token=$token",
	  '-h', $node->host, '-p', $node->port, '-U', 'nobody_special', 'postgres' ],
	'>', \$stdout, '2>', \$stderr);
like($stderr, qr/permission denied for function act_as_token/,
	'refused before the function runs: a caller without the delegate tier');

# the control: a failing statement of another function is logged whole
$error = sql_error($node, 'postgres', q{SELECT 'log-marker-1234'::integer});
is($error->{state}, '22P02', 'the control statement fails');

$node->stop;
my $log = slurp_file($node->logfile);
like($log, qr/STATEMENT:  SELECT 'log-marker-1234'::integer/,
	'the control: a failing statement is logged with its text');
like($log, qr/invalid_client: invalid OAuth client credentials/,
	'the refusals themselves are logged');
like($log, qr/invalid_scope: unknown scope "nope"/, 'so is invalid_scope');
like($log, qr/invalid_token: invalid OAuth access token/, 'and invalid_token');
like($log, qr/STATEMENT:  SELECT auth_keys\.act_as_token\(\$1\)/,
	'the call refused before the function ran is logged with its bind parameter');
unlike($log, qr/auth_keys\.(oauth_token|act_as_token)\('/,
	'no statement of oauth_token or act_as_token with a literal is in the log');

my %material = (
	'the client secret' => $secret,
	'the secret part of the secret' => substr($secret, 25, 32),
	'a mistyped secret' => flip($secret, 30),
	'the access token' => $token,
	'the secret part of the token' => substr($token, 24, 32),
	'a mistyped token' => flip($token, 30));
for my $what (sort keys %material)
{
	ok(index($log, $material{$what}) < 0, "$what is not in the server log");
}

# nor in the audit trail
$node->start;
my $events = $node->safe_psql('postgres', 'SELECT string_agg(e::text, E\'\n\') FROM auth_keys.events e');
ok(length($events) > 0, 'the audit trail has events');
for my $what (sort keys %material)
{
	ok(index($events, $material{$what}) < 0, "$what is not in the audit trail");
}
$node->stop;

done_testing();
