# test/bench/bench.mk
#
# make bench: the benchmark (test/bench/run.sh) on a throwaway cluster of
# its own; settings as make variables, e.g. make bench BENCH_SECONDS=30.
# See the header of test/bench/run.sh for every setting.
#
# Copyright (c) 2026, auth_keys developers

bench:
	BENCH_VIA="make bench" bash $(srcdir)/test/bench/run.sh

.PHONY: bench
