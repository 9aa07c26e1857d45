# test/lock/lock.mk: the standalone test of the Tailnet Lock core
#
# Copyright (c) 2026, auth_keys developers
#
# Included by the top Makefile.  Builds test/lock/test_lock.c with
# src/tka_*.c (AddressSanitizer, UndefinedBehaviorSanitizer, assertions
# on, no server), has test/lock/oracle.py write its scenarios, and runs
# the public vectors and every scenario through the C core; and checks that
# the fixtures of the SQL tests are still what the oracle writes.
# Everything built or written goes to test/lock/build.
#
#   make lockcheck          build, write the scenarios, run
#   make lock-clean         remove test/lock/build

LOCK_CC ?= gcc
LOCK_PYTHON ?= /usr/bin/python3
LOCK_BUILD = test/lock/build
LOCK_TKA_SRCS = $(sort $(wildcard $(srcdir)/src/tka_*.c))
LOCK_FLAGS = -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-Wno-unused-parameter -Wno-sign-compare \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-DUSE_ASSERT_CHECKING \
	-I$(srcdir)/src -I$(shell $(PG_CONFIG) --includedir-server)

$(LOCK_BUILD)/test_lock: $(srcdir)/test/lock/test_lock.c $(LOCK_TKA_SRCS) \
		$(wildcard $(srcdir)/src/tka_*.h) $(srcdir)/test/fuzz/backend_stubs.c
	@mkdir -p $(LOCK_BUILD)
	$(LOCK_CC) $(LOCK_FLAGS) -o $@ $(srcdir)/test/lock/test_lock.c \
		$(LOCK_TKA_SRCS) $(srcdir)/test/fuzz/backend_stubs.c -lcrypto -largon2

# The SQL tests' fixtures (test/fixtures/lock_fixtures.sql) must be what
# the oracle writes, and every hex literal of the isolation specs one of
# them.
lockcheck: $(LOCK_BUILD)/test_lock
	$(LOCK_PYTHON) $(srcdir)/test/lock/oracle.py \
		--json $(LOCK_BUILD)/scenarios.json --text $(LOCK_BUILD)/scenarios.txt \
		--fixtures $(LOCK_BUILD)/lock_fixtures.sql
	$(LOCK_BUILD)/test_lock $(LOCK_BUILD)/scenarios.txt
	cmp $(LOCK_BUILD)/lock_fixtures.sql $(srcdir)/test/fixtures/lock_fixtures.sql
	@for hex in $$(grep -ohE "'\\\\x[0-9a-f]+'" $(srcdir)/test/specs/lock_*.spec | tr -d "'\\\\"); do \
		grep -q "$$hex'" $(srcdir)/test/fixtures/lock_fixtures.sql || \
			{ echo "a hex literal of test/specs/lock_*.spec is no fixture: $$hex"; exit 1; }; \
	done

lock-clean:
	rm -rf $(LOCK_BUILD)

.PHONY: lockcheck lock-clean
