# test/tap/tap.mk
#
# The TAP scripts of test/t on their own, as "make installcheck" runs them
# after the pg_regress and isolation suites (PGXS's prove_installcheck).
# Run them as an ordinary user, against the installed extension; each
# script starts clusters of its own.
#
# Copyright (c) 2026, auth_keys developers
#
#   make tapcheck      every TAP script
#   make crashcheck    the crash recovery test with many kill -9 cycles
#                      (AUTH_KEYS_CRASH_CYCLES, 20 by default; the test
#                      command's own run does 3)

tapcheck:
	$(prove_installcheck)

crashcheck: export AUTH_KEYS_CRASH_CYCLES ?= 20
crashcheck: PROVE_TESTS = test/t/002_crash_recovery.pl
crashcheck:
	$(prove_installcheck)

.PHONY: tapcheck crashcheck
