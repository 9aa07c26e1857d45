# test/sanitize/sanitize.mk: the test suites under AddressSanitizer and UBSan
#
# Copyright (c) 2026, auth_keys developers
#
# Included by the top Makefile.
#
#   make sanitizecheck   build a sanitized copy of auth_keys in a temporary
#                        directory, run the pg_regress suite and the
#                        isolation specs against a private copy of the
#                        server with it, fail on any sanitizer report
#
# See test/sanitize/run.sh.  Needs no running server; uses port 55400
# (SANITIZE_PORT) on a Unix socket in the temporary directory.

sanitizecheck:
	PG_CONFIG=$(PG_CONFIG) bash $(srcdir)/test/sanitize/run.sh

.PHONY: sanitizecheck
