# test/fuzz/fuzz.mk: libFuzzer harnesses for the key and node key parsers
# and the Tailnet Lock core
#
# Copyright (c) 2026, auth_keys developers
#
# Included by the top Makefile.  The harnesses are built with clang,
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, straight from
# src/key_format.c, src/nodekey_format.c and src/tka_*.c (with libcrypto
# and libargon2), against the server headers but without a server:
# test/fuzz/backend_stubs.c supplies the CRC-32 table and the assertion
# handler.  Everything built or found goes to test/fuzz/build.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_RUNS=N]   build, then run each harness
#   make fuzz FUZZ_NAMES=tka ...                run one harness only
#   make fuzz-build                             build only
#   make fuzz-clean                             remove test/fuzz/build

FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 0
FUZZ_CLANG ?= clang
FUZZ_BUILD = test/fuzz/build
FUZZ_NAMES ?= key_format nodekey_format tka
FUZZ_FLAGS = -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-DUSE_ASSERT_CHECKING -Wall -Werror -Wno-ignored-attributes \
	-I$(srcdir)/src -I$(shell $(PG_CONFIG) --includedir-server)

$(FUZZ_BUILD)/fuzz_%: $(srcdir)/test/fuzz/fuzz_%.c $(srcdir)/src/%.c \
		$(srcdir)/src/%.h $(srcdir)/test/fuzz/backend_stubs.c
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CLANG) $(FUZZ_FLAGS) -o $@ $(srcdir)/test/fuzz/fuzz_$*.c \
		$(srcdir)/src/$*.c $(srcdir)/test/fuzz/backend_stubs.c

# The Tailnet Lock harness takes every file of the core.
FUZZ_TKA_SRCS = $(sort $(wildcard $(srcdir)/src/tka_*.c))

$(FUZZ_BUILD)/fuzz_tka: $(srcdir)/test/fuzz/fuzz_tka.c $(FUZZ_TKA_SRCS) \
		$(wildcard $(srcdir)/src/tka_*.h) $(srcdir)/test/fuzz/backend_stubs.c
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CLANG) $(FUZZ_FLAGS) -o $@ $(srcdir)/test/fuzz/fuzz_tka.c \
		$(FUZZ_TKA_SRCS) $(srcdir)/test/fuzz/backend_stubs.c -lcrypto -largon2

fuzz-build: $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_NAMES))

fuzz: fuzz-build
	@for name in $(FUZZ_NAMES); do \
		$(srcdir)/test/fuzz/run.sh $$name $(FUZZ_SECONDS) $(FUZZ_RUNS) || exit 1; \
	done

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

.PHONY: fuzz fuzz-build fuzz-clean
