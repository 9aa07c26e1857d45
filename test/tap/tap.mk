# test/tap/tap.mk
#
# TAP tests of test/t (PostgreSQL::Test::Cluster) against the installed
# extension: run "make install" first.  test/run-all.sh runs them too, with
# the short settings.
#
# Copyright (c) 2026, auth_keys developers

# crash cycles for "make crashcheck"; the test suite's own run does 3
AUTH_KEYS_CRASH_CYCLES ?= 20

# every TAP script, as test/run-all.sh runs them
tapcheck:
	$(srcdir)/test/tap/run.sh

# the crash recovery test with many kill -9 cycles
crashcheck:
	AUTH_KEYS_CRASH_CYCLES=$(AUTH_KEYS_CRASH_CYCLES) $(srcdir)/test/tap/run.sh t/002_crash_recovery.pl

.PHONY: tapcheck crashcheck
