#!/usr/bin/env bash
# test/fuzz/run.sh
#
# Runs one libFuzzer harness built by "make fuzz-build" and prints one line
# with the number of executions.  Exits non-zero, after showing the end of
# the fuzzer's log and the input that crashed, when the harness found a
# problem.
#
# Copyright (c) 2026, auth_keys developers
#
# Usage: test/fuzz/run.sh NAME SECONDS [RUNS]
#   NAME     key_format, nodekey_format or tka
#   SECONDS  time limit (0: none)
#   RUNS     executions limit (0 or absent: none)
#
# The committed seeds in test/fuzz/corpus/NAME are only read; inputs the
# fuzzer finds go to test/fuzz/build/corpus/NAME, which later runs reuse.
set -euo pipefail

name=$1
seconds=$2
runs=${3:-0}
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/test/fuzz/build
bin=$build/fuzz_$name
work=$build/corpus/$name
log=$build/fuzz_$name.log

# AUMs and signature chains need room; the key parsers do not
case $name in
    tka) max_len=2048 ;;
    *) max_len=256 ;;
esac

mkdir -p "$work" "$build/artifacts"
args=(-max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1
      -dict="$top/test/fuzz/$name.dict"
      -artifact_prefix="$build/artifacts/$name-")
if [ "$runs" != 0 ]; then
    args+=(-runs="$runs")
fi

status=0
"$bin" "${args[@]}" "$work" "$top/test/fuzz/corpus/$name" >"$log" 2>&1 || status=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
if [ "$status" -ne 0 ] || [ -z "$execs" ]; then
    # the finding (sanitizer report, failed check or assertion), then the input
    sed -n '/ERROR: \|runtime error:\|^fuzz_[a-z_]*: \|FailedAssertion/,+24p' "$log" | head -n 40
    grep -E 'Test unit written|^Base64:' "$log" || tail -n 20 "$log"
    echo "fuzz_$name: FAILED (exit $status); log $log, crashing inputs in $build/artifacts"
    exit 1
fi
echo "fuzz_$name: $execs executions in ${secs:-?} s, no crash ($(ls "$work" | wc -l) inputs in the corpus)"
