# test/t/008_walkthrough.pl
#
# The walkthrough (examples/walkthrough.sql) runs from start to end on a
# cluster with pg_cron preloaded, as examples/walkthrough.sh runs it, and
# shows what it says it shows: each tier as its own login role, what the
# delegate may not do, node_status before and after approval, and the
# scheduled sweep removing an idle ephemeral node at pg_cron's next minute.
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

my $walkthrough = "$FindBin::RealBin/../../examples/walkthrough.sql";

my $node = new_cluster('walkthrough');
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'walkthrough'
});
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE walkthrough');

my ($out, $err) = ('', '');
my $ok = IPC::Run::run(
	[ 'psql', '-X', '-q', '-d', $node->connstr('walkthrough'), '-f', $walkthrough ],
	'>', \$out, '2>', \$err);
ok($ok, 'the walkthrough runs to its end') or diag($err);
note($out);

like($out, qr/^ platform\s+\| operator$/m, 'the operator tier is a login role of its own');
like($out, qr/^ console\s+\| delegate$/m, 'so is the delegate tier');
like($out, qr/^ enrol_service \| node$/m, 'and the node tier');
like($err, qr/NOTICE:  the sweep job connects through the Unix socket/,
	'schedule_sweep says how the job connects');
like($err, qr/ERROR:  permission denied to generate authentication keys/,
	'acting for a plain member, the delegate may not generate a key');
like($err, qr/ERROR:  permission denied for function create_tailnet/,
	'and the delegate administers no tenant');
like($err, qr/NOTICE:  no tailnet member is acting in this transaction/,
	'a list read without act_as says so');
like($out, qr/^ needs_approval \| f\s+\| alice\@example\.com \| not_locked$/m,
	'node_status: the laptop waits for approval');
like($out, qr/^ active$/m, 'and is active once approved');
like($out, qr/^ succeeded \| keys purged: 0, ephemeral nodes removed: 1, node key expiries recorded: 0, expired access tokens deleted: 0, weeks of audit events removed: 0$/m,
	'the scheduled sweep ran and says what it did');
unlike($out, qr/ci-runner \| active/, 'the idle CI runner is gone from the node list');
like($out, qr/node\.deleted/, 'its removal is in the audit trail');
like($out, qr/^ trial\.example \| role:platform/m, 'a deleted tailnet leaves its record');
unlike($out . $err, qr/pgak-auth-[0-9A-Za-z]{12}-[0-9A-Za-z]{38}\s*\|/,
	'no key appears in a list or the audit trail');

$node->stop;
done_testing();
