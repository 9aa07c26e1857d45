# test/t/009_cancel.pl
#
# Work over a caller's input can be cancelled while it runs.  Each case
# is a call that takes a second or more: an array of five million tags
# for tags_are_valid, a key with 200,000 tags, and a chain of 200,000 tags
# owning each other that create_key must follow.  Run once to the end,
# then again under a statement_timeout of 50 ms, the call must fail with
# 57014 in a small part of the time it took to finish: the loops check
# for interrupts as they go, rather than noticing the cancel at the end.
# (Times are compared with each other in one run, never with a constant.)
#
# Copyright (c) 2026, auth_keys developers

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

use AuthKeysTest;

my $node = new_cluster('cancel');
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION auth_keys;
	SELECT auth_keys.create_tailnet('cancel.example');
	SELECT auth_keys.set_member('cancel.example', 'olivia', 'owner');
	SELECT auth_keys.set_member('cancel.example', 'nina', 'network_admin');
	CREATE TABLE big AS
		SELECT array_agg('tag:t' || i) AS tags FROM generate_series(1, 5000000) AS i;
	-- 200,000 tags owned by autogroup:admin
	INSERT INTO auth_keys.tag_owners (tailnet_id, tag, owners)
	SELECT tailnet_id, 'tag:w' || i, '{autogroup:admin}'
	  FROM auth_keys.tailnets, generate_series(1, 200000) AS i;
	CREATE TABLE wide AS
		SELECT array_agg('tag:w' || i) AS tags FROM generate_series(1, 200000) AS i;
	-- a chain: tag:c1 is owned by tag:c2, ... tag:c200000 by olivia
	INSERT INTO auth_keys.tag_owners (tailnet_id, tag, owners)
	SELECT tailnet_id, 'tag:c' || i,
	       CASE WHEN i = 200000 THEN '{olivia}'::text[] ELSE ARRAY['tag:c' || (i + 1)] END
	  FROM auth_keys.tailnets, generate_series(1, 200000) AS i;
});

# run($sql, $timeout): seconds taken, and the SQLSTATE of the error (or '')
sub run
{
	my ($sql, $timeout) = @_;
	my $set = defined $timeout ? "SET statement_timeout = '$timeout';" : '';
	my $start = time;
	my ($rc, $stdout, $stderr) = $node->psql('postgres', "$set $sql",
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	my $took = time - $start;
	my ($state) = $stderr =~ /ERROR:  ([0-9A-Z]{5}):/;
	return ($took, $state // '', $stdout);
}

my @cases = (
	[ 'tags_are_valid of 5,000,000 tags',
	  'SELECT auth_keys.tags_are_valid(tags) FROM big', '', 't' ],
	[ 'create_key with 200,000 tags',
	  q{BEGIN; SELECT auth_keys.act_as('cancel.example', 'olivia') \gset
	    SELECT count(*) FROM auth_keys.create_key(tags => (SELECT tags FROM wide)); ROLLBACK;},
	  '', '1' ],
	[ 'create_key following a chain of 200,000 tags',
	  q{BEGIN; SELECT auth_keys.act_as('cancel.example', 'nina') \gset
	    SELECT count(*) FROM auth_keys.create_key(tags => '{tag:c1}'); ROLLBACK;},
	  '42501', '' ]);

for my $case (@cases)
{
	my ($name, $sql, $want_state, $want_out) = @$case;
	my ($full, $state, $out) = run($sql);
	is($state, $want_state, "$name: runs to the end");
	is($out, $want_out, "$name: with the right answer") if $want_out ne '';
	my ($cancelled, $cancel_state) = run($sql, '50ms');
	is($cancel_state, '57014', "$name: cancelled by statement_timeout");
	cmp_ok($cancelled, '<', $full / 3,
		sprintf('%s: cancelled after %.2f s, where it takes %.2f s', $name, $cancelled, $full));
}

$node->stop;
done_testing();
