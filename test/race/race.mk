# test/race/race.mk
#
# Races at scale: many clients present the same key at once, and exactly
# the allowed number enrol (test/race/race.c; README, "Races at scale").
#
# Copyright (c) 2026, auth_keys developers
#
#   make racecheck     the full run, on a throwaway cluster of its own (the
#                      extension must be installed first: make install)
#   make race-driver   only build the libpq driver
# test/race/smoke.sh is the short run that test/run-all.sh makes.
#
# The driver is a libpq client, not part of the extension: it is built into
# RACE_BUILD with the client headers, outside the extension's object list.

RACE_BUILD ?= test/race/build
RACE_CC ?= cc
RACE_CFLAGS ?= -O2 -g -Wall -Wextra -Werror

$(RACE_BUILD)/race: $(srcdir)/test/race/race.c
	@mkdir -p $(RACE_BUILD)
	$(RACE_CC) $(RACE_CFLAGS) -I$(shell $(PG_CONFIG) --includedir) -o $@ $< \
		-L$(shell $(PG_CONFIG) --libdir) -lpq

race-driver: $(RACE_BUILD)/race

racecheck: $(RACE_BUILD)/race
	RACE_DRIVER=$(RACE_BUILD)/race PG_CONFIG=$(PG_CONFIG) \
		bash $(srcdir)/test/race/racecheck.sh

race-clean:
	rm -rf test/race/build

clean: race-clean

.PHONY: race-driver racecheck race-clean
