# Makefile for auth_keys (PGXS)

EXTENSION = auth_keys
MODULE_big = auth_keys
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
DATA = $(wildcard sql/auth_keys--*.sql)

# pg_regress suites, in sql/ with expected output in expected/; each file
# creates what it needs and drops it again, so the order is only cosmetic.
REGRESS = nodekey tenants actor create_key validate_key revoke_key key_guards \
	register_node nodes hardening privileges rls read_only sweep

# Isolation specs live in test/specs with their output in test/expected.
ISOLATION_TESTS = one_off_race revoke_race max_uses_race delete_reregister_race \
	sweep_skip_locked

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src
SHLIB_LINK += -lcrypto -largon2
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): $(wildcard src/*.h)

# Each test area beyond pg_regress and isolation (races, fuzzing, sanitizers,
# crash and standby tests, benchmarks) keeps its targets in test/<area>/*.mk.
include $(sort $(wildcard $(srcdir)/test/*/*.mk))

pgxs_dir := $(dir $(PGXS))
PSQL = $(shell $(PG_CONFIG) --bindir)/psql
ISOLATION_REGRESS = $(pgxs_dir)../../src/test/isolation/pg_isolation_regress

# Runs the isolation specs against a running server (as installcheck does).
# The database is made here, with test/specs/helpers.sql loaded into it.
installcheck-isolation:
	$(PSQL) -X -q -d postgres -c 'DROP DATABASE IF EXISTS auth_keys_isolation' \
		-c 'CREATE DATABASE auth_keys_isolation'
	$(PSQL) -X -q -v ON_ERROR_STOP=1 -d auth_keys_isolation -f test/specs/helpers.sql
	$(ISOLATION_REGRESS) --inputdir=test --outputdir=test/output_iso \
		--use-existing --dbname=auth_keys_isolation $(ISOLATION_TESTS)

.PHONY: installcheck-isolation

print-isolation-tests:
	@echo $(ISOLATION_TESTS)

.PHONY: print-isolation-tests
