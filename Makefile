# Makefile for auth_keys (PGXS)

EXTENSION = auth_keys
MODULE_big = auth_keys
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
DATA = $(wildcard sql/auth_keys--*.sql)

# pg_regress suites: test/sql/NAME.sql with test/expected/NAME.out (and
# NAME_1.out where the output depends on the database encoding).  Each file
# creates what it needs and drops it again, so the order is only cosmetic.
REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test

# Isolation specs: test/specs/NAME.spec with test/expected/NAME.out.  The
# first, helpers, creates what the others share.
ISOLATION = helpers one_off_race revoke_race max_uses_race member_removal member_demotion \
	delete_reregister_race sweep_skip_locked last_owner_race nodes_seen_order \
	lock_submit_race lock_remove_race oauth_revocation
ISOLATION_OPTS = --inputdir=test --load-extension=auth_keys

# TAP scripts: test/t/NNN_name.pl, with PostgreSQL::Test::Cluster.
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src
SHLIB_LINK += -lcrypto -largon2
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): $(wildcard src/*.h)

# after PGXS, which empties it
PROVE_FLAGS = --timer

# initdb refuses to run as root, and with it every TAP script: say so
# plainly instead of letting each script die.
ifeq ($(shell id -u),0)
prove_installcheck = @echo "the TAP tests cannot run as root (initdb refuses to): run make installcheck as an ordinary user, or use test/run-all.sh" && false
endif

# Each test area beyond pg_regress, isolation and TAP (races, fuzzing,
# sanitizers, benchmarks, the upgrade) keeps its targets in
# test/<area>/*.mk.
include $(sort $(wildcard $(srcdir)/test/*/*.mk))
