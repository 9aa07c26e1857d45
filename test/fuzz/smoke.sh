#!/usr/bin/env bash
# test/fuzz/smoke.sh
#
# A short fuzzing run: builds the libFuzzer harnesses of the key parser,
# the node key parser and the Tailnet Lock core (test/fuzz/fuzz.mk) and runs each for a few seconds,
# so that a parser change that crashes, reads out of bounds or breaks a
# round trip on the seed corpus or its nearest mutations fails the test
# suite.  Long runs are "make fuzz FUZZ_SECONDS=N".
#
# Copyright (c) 2026, auth_keys developers
#
# As root it first installs clang and libFuzzer (libclang-rt-14-dev) from
# Debian's packages.  Needs no server.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. test/lib/common.sh

install_packages clang libclang-rt-14-dev

make -s fuzz-build PG_CONFIG="$PG_CONFIG"
for name in key_format nodekey_format tka; do
    test/fuzz/run.sh "$name" "${FUZZ_SMOKE_SECONDS:-10}"
done
