# test/t/AuthKeysTest.pm
#
# Helpers shared by the TAP tests of auth_keys: a tailnet with an admin,
# keys made through the actor tier, node keys, and errors with their
# SQLSTATE.  prove runs only the .pl files of test/t; the scripts load this
# module with "use lib" on their own directory.
#
# Copyright (c) 2026, auth_keys developers

package AuthKeysTest;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
our @EXPORT = qw(new_cluster setup_tailnet create_keys node_key sql_error);

# new_cluster($name, %init): a PostgreSQL::Test::Cluster, initialised (with
# the init parameters given, such as allows_streaming) in UTF8 with locale
# C.UTF-8 whatever the environment's locale, or lack of one, would choose.
sub new_cluster
{
	my ($name, %init) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%init, extra => [ '--encoding=UTF8', '--locale=C.UTF-8' ]);
	return $node;
}

# setup_tailnet($node, $db, $tailnet, $admin, %options): install the
# extension (unless it is there), make a tailnet with the member $admin as
# admin and define tag:server, owned by autogroup:admin.  With
# db_role => 'name', that login role is made, mapped to $admin and given
# the node and actor tiers.
sub setup_tailnet
{
	my ($node, $db, $tailnet, $admin, %options) = @_;
	my $role = $options{db_role};
	my $sql = qq{
		CREATE EXTENSION IF NOT EXISTS auth_keys;
		SELECT auth_keys.create_tailnet('$tailnet');
	};
	if (defined $role)
	{
		$sql .= qq{
			CREATE ROLE $role LOGIN;
			SELECT auth_keys.grant_tier('node', '$role');
			SELECT auth_keys.grant_tier('actor', '$role');
			SELECT auth_keys.set_member('$tailnet', '$admin', 'admin', db_role => '$role');
		};
	}
	else
	{
		$sql .= qq{SELECT auth_keys.set_member('$tailnet', '$admin', 'admin');};
	}
	$sql .= qq{
		SELECT auth_keys.set_tag_owners('$tailnet', 'tag:server', ARRAY['autogroup:admin']);
	};
	$node->safe_psql($db, $sql);
	return;
}

# create_keys($node, $db, $tailnet, $login, $count, $arguments): $count keys
# made by $login in one transaction, each with the create_key arguments
# given as SQL text (named notation, e.g. "reusable => true").  Returns a
# list of [key_id, key].  One statement per key: a function scan in a join
# would be run once and its rows repeated.
sub create_keys
{
	my ($node, $db, $tailnet, $login, $count, $arguments) = @_;
	my $one = "SELECT key_id, key FROM auth_keys.create_key($arguments);\n";
	my $out = $node->safe_psql(
		$db, "BEGIN;\n"
		  . "SELECT auth_keys.act_as('$tailnet', '$login') \\gset\n"
		  . ($one x $count)
		  . "COMMIT;\n");
	return map { [ split /\|/ ] } split /\n/, $out;
}

# node_key($group, $number): a valid node key, distinct for each pair of
# numbers.
sub node_key
{
	my ($group, $number) = @_;
	return sprintf('nodekey:%08x%056x', $group, $number);
}

# sql_error($node, $db, $sql): run $sql, which should fail, and return its
# error as a hash reference: state (the SQLSTATE), message, detail and hint
# (undef for what is missing; every one undef when $sql succeeded).
sub sql_error
{
	my ($node, $db, $sql) = @_;
	my ($rc, $stdout, $stderr) = $node->psql($db, $sql,
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	my %error;
	return \%error if $rc == 0;
	@error{qw(state message)} = $stderr =~ /ERROR:  ([0-9A-Z]{5}): (.*)/;
	($error{detail}) = $stderr =~ /DETAIL:  (.*)/;
	($error{hint}) = $stderr =~ /HINT:  (.*)/;
	return \%error;
}

1;
