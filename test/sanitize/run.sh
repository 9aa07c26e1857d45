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
        as_postgres "$tmp$PG_BINDIR/pg_ctl" -D "$run/data" -m immediate -w -s stop || true
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
mkdir -p "$src"
if git rev-parse --git-dir >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard |
        tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$src" -xf -
else
    tar --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
        --exclude=./results --exclude=./test/fuzz/build -cf - . | tar -C "$src" -xf -
fi

say "building auth_keys with $san_flags"
make -C "$src" -s clean >/dev/null
make -C "$src" -s -j2 PG_CONFIG="$PG_CONFIG" COPT="$san_flags" >"$tmp/build.log" 2>&1 ||
    { cat "$tmp/build.log"; exit 1; }

# 2. A private copy of the PostgreSQL installation, with the library in it.
bindir=$("$PG_CONFIG" --bindir)
sharedir=$("$PG_CONFIG" --sharedir)
pkglibdir=$("$PG_CONFIG" --pkglibdir)
pgroot=$(dirname "$bindir")
say "copying $pgroot and $sharedir under $tmp"
mkdir -p "$tmp$(dirname "$pgroot")" "$tmp$(dirname "$sharedir")"
cp -a "$pgroot" "$tmp$(dirname "$pgroot")/"
cp -a "$sharedir" "$tmp$(dirname "$sharedir")/"
make -C "$src" -s install DESTDIR="$tmp" PG_CONFIG="$PG_CONFIG" >/dev/null

# The copied binaries must look in the copy, not in the shared installation.
for dir in sharedir pkglibdir; do
    want=$tmp$("$PG_CONFIG" --$dir)
    got=$("$tmp$bindir/pg_config" --$dir)
    if [ "$got" != "$want" ]; then
        echo "the copied installation is not relocatable: --$dir is $got, not $want"
        exit 1
    fi
done

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
as_postgres "$tmp$bindir/initdb" -D "$run/data" -A trust -N -U postgres >"$tmp/initdb.log" 2>&1 ||
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
    "$tmp$bindir/pg_ctl" -D "$run/data" -l "$run/server.log" -w -s start
export PGHOST=$run PGPORT=$port PGUSER=postgres

# The backends must run the instrumented copy, with the runtime mapped.
maps=$("$bindir/psql" -X -At -d postgres -c "LOAD 'auth_keys'" \
    -c "SELECT pg_read_file('/proc/self/maps')")
if ! grep -q "$tmp$pkglibdir/auth_keys.so" <<<"$maps" || ! grep -q libasan <<<"$maps"; then
    echo "the backend did not load $tmp$pkglibdir/auth_keys.so with the sanitizer runtime"
    exit 1
fi

# 5. The suites, from the copied sources (REGRESS and ISOLATION_TESTS come
# from its Makefile).
status=0
say "pg_regress"
make -C "$src" -s installcheck PG_CONFIG="$PG_CONFIG" >"$tmp/regress.log" 2>&1 || status=1
cat "$tmp/regress.log"
[ -f "$src/regression.diffs" ] && [ $status -ne 0 ] && cat "$src/regression.diffs"
say "isolation specs"
make -C "$src" -s installcheck-isolation PG_CONFIG="$PG_CONFIG" >"$tmp/isolation.log" 2>&1 || status=1
cat "$tmp/isolation.log"
[ -f "$src/test/output_iso/regression.diffs" ] && [ $status -ne 0 ] &&
    cat "$src/test/output_iso/regression.diffs"

as_postgres "$tmp$bindir/pg_ctl" -D "$run/data" -m fast -w -s stop

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
