#!/usr/bin/env bash
# test/sanitize/run.sh
#
# Runs the pg_regress suite and the isolation specs against a server whose
# auth_keys library is built with AddressSanitizer and
# UndefinedBehaviorSanitizer, and fails if any test fails or the sanitizers
# report anything.  Started by "make sanitizecheck".
#
# Copyright (c) 2026, auth_keys developers
#
# Nothing shared is touched: the sources are copied to a temporary
# directory and built there, and PostgreSQL's installation (bindir's parent
# and sharedir) is copied under the same temporary prefix, where the
# instrumented library is installed.  PostgreSQL finds its share and
# library directories relative to its executable, so the copied postgres
# loads the copied files; the script checks that it does.  The server is
# not instrumented: the sanitizer runtime is preloaded into it, with
# reports written to files that the script then looks for.
#
# As root it installs what it needs and runs the server as the postgres
# user.  Environment: PG_CONFIG, SANITIZE_PORT (default 55400),
# SANITIZE_KEEP=1 to keep the temporary directory.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. test/lib/common.sh

install_packages

port=${SANITIZE_PORT:-55400}
san_flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

tmp=$(mktemp -d /tmp/auth_keys_sanitize.XXXXXX)
chmod 755 "$tmp"
src=$tmp/src
reports=$tmp/reports
run=$tmp/run

cleanup() {
    if [ -f "$run/data/postmaster.pid" ]; then
        as_postgres "${PG_RUN_BINDIR:-$PG_BINDIR}/pg_ctl" -D "$run/data" -m immediate -w -s stop || true
    fi
    if [ "${SANITIZE_KEEP:-0}" = 1 ]; then
        say "kept $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT

# 1. The sources: tracked and untracked files, not ignored ones (objects,
# results), as they are in the working tree.
say "copying the sources to $src"
copy_sources "$src"
cd "$src"

say "building auth_keys with $san_flags"
make -s clean >/dev/null
make -s -j2 PG_CONFIG="$PG_CONFIG" COPT="$san_flags" >"$tmp/build.log" 2>&1 ||
    { cat "$tmp/build.log"; exit 1; }

# 2. A private copy of the PostgreSQL installation, with the library in it.
private_install "$tmp"
pkglibdir=$("$PG_RUN_CONFIG" --pkglibdir)

# 3. The runtime to preload, and the stub that lets it start (see
# swift_demangle_stub.c).
libasan=$(readlink -f "$(gcc -print-file-name=libasan.so)")
if [ ! -f "$libasan" ]; then
    echo "no AddressSanitizer runtime found (gcc -print-file-name=libasan.so)"
    exit 1
fi
gcc -shared -fPIC -O2 -o "$tmp/swift_demangle_stub.so" test/sanitize/swift_demangle_stub.c

# 4. A cluster of the copied server, started with the runtime preloaded.
mkdir -p "$run" "$reports"
is_root && chown postgres:postgres "$run" "$reports"
as_postgres "$PG_RUN_BINDIR/initdb" -D "$run/data" -A trust -N -U postgres \
    --encoding=UTF8 --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1 ||
    { cat "$tmp/initdb.log"; exit 1; }
cat >>"$run/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$run'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
max_connections = 120
fsync = off
jit = off
log_min_messages = warning
CONF

say "starting the server with $(basename "$libasan") preloaded (port $port)"
as_postgres env \
    LD_PRELOAD="$libasan $tmp/swift_demangle_stub.so" \
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:disable_coredump=1:log_path=$reports/asan" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1" \
    "$PG_RUN_BINDIR/pg_ctl" -D "$run/data" -l "$run/server.log" -w -s start
export PGHOST=$run PGPORT=$port PGUSER=postgres

# The backends must run the instrumented copy, with the runtime mapped.
maps=$("$PG_RUN_BINDIR/psql" -X -At -d postgres -c "LOAD 'auth_keys'" \
    -c "SELECT pg_read_file('/proc/self/maps')")
if ! grep -q "$pkglibdir/auth_keys.so" <<<"$maps" || ! grep -q libasan <<<"$maps"; then
    echo "the backend did not load $pkglibdir/auth_keys.so with the sanitizer runtime"
    exit 1
fi

# 5. The suites, as PGXS's installcheck runs them (REGRESS and ISOLATION
# come from the copy's Makefile; TAP scripts start servers of their own).
status=0
say "pg_regress"
make -s installcheck PG_CONFIG="$PG_RUN_CONFIG" ISOLATION= TAP_TESTS= \
    >"$tmp/regress.log" 2>&1 || status=1
cat "$tmp/regress.log"
[ -f regression.diffs ] && [ $status -ne 0 ] && cat regression.diffs
say "isolation specs"
make -s installcheck PG_CONFIG="$PG_RUN_CONFIG" REGRESS= TAP_TESTS= \
    >"$tmp/isolation.log" 2>&1 || status=1
cat "$tmp/isolation.log"
[ -f output_iso/regression.diffs ] && [ $status -ne 0 ] && cat output_iso/regression.diffs

as_postgres "$PG_RUN_BINDIR/pg_ctl" -D "$run/data" -m fast -w -s stop

# 6. The verdict.  AddressSanitizer writes its reports to files in
# $reports; UBSan, combined with it in gcc's runtimes, ignores log_path and
# writes to the server's stderr, which is the server log.  A backend that
# died of either makes the postmaster reinitialize, which the log says too.
ok=$(cat "$tmp/regress.log" "$tmp/isolation.log" | grep -cE '\.\.\. ok' || true)
failed=$(cat "$tmp/regress.log" "$tmp/isolation.log" | grep -cE '\.\.\. FAILED' || true)
for report in "$reports"/*; do
    [ -f "$report" ] || continue
    printf '\n--- %s\n' "$report"
    head -n 60 "$report"
done
nreports=$(find "$reports" -type f | wc -l)
marks='runtime error:|AddressSanitizer|terminated by signal|server processes terminated'
nlog=$(grep -cE "$marks" "$run/server.log" || true)
if [ "$nlog" -gt 0 ]; then
    printf '\n--- %s\n' "$run/server.log"
    grep -E -A 12 "$marks" "$run/server.log" | head -n 80
fi
echo "sanitizecheck: $ok tests passed, $failed failed; $nreports AddressSanitizer" \
    "report files, $nlog sanitizer or crash lines in the server log"
[ "$status" -eq 0 ] && [ "$nreports" -eq 0 ] && [ "$nlog" -eq 0 ] && [ "$ok" -gt 0 ]
