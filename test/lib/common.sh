# test/lib/common.sh
#
# Shell functions shared by the test runner and the walkthrough: install the
# Debian packages auth_keys needs, build and install the extension, run a
# throwaway PostgreSQL 15 cluster with pg_cron preloaded, and run the TAP
# scripts.
#
# Copyright (c) 2026, auth_keys developers
#
# Source it; do not run it.  Every function is safe to call as root (the server
# itself then runs as the "postgres" operating system user, since PostgreSQL
# refuses to run as root) or as an ordinary user who has the packages already.

PG_MAJOR=${PG_MAJOR:-15}
PG_BINDIR=/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PG_BINDIR/pg_config
export PG_CONFIG

AK_PACKAGES=(make gcc libc6-dev perl libipc-run-perl libssl-dev libargon2-dev
    "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR"
    "postgresql-$PG_MAJOR-cron")

# say MESSAGE: a progress line on standard error, so that it never mixes
# with output that a caller parses.
say() {
    printf '==> %s\n' "$*" >&2
}

is_root() {
    [ "$(id -u)" -eq 0 ]
}

# as_postgres CMD...: run a command as the operating system user that owns
# the throwaway cluster.
as_postgres() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# install_packages [EXTRA...]: install whatever of AK_PACKAGES (and EXTRA)
# is missing.  Only root can; anybody else must have them already.
install_packages() {
    local missing=() pkg
    for pkg in "${AK_PACKAGES[@]}" "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
            missing+=("$pkg")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! is_root; then
        say "missing packages: ${missing[*]}; run this as root to install them"
        return 1
    fi
    say "installing ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" >/dev/null
}

# build_and_install: compile with warnings as errors, then install into the
# PostgreSQL 15 tree.
build_and_install() {
    say "building auth_keys"
    make -s clean >/dev/null
    make -s -j2 PG_CONFIG="$PG_CONFIG" >/dev/null
    make -s install PG_CONFIG="$PG_CONFIG" >/dev/null
}

# start_cluster DIR PORT CRON_DATABASE: initdb into DIR/data and start a
# server listening only on a Unix socket in DIR, with pg_cron preloaded and
# pointed at CRON_DATABASE.  Exports PGHOST, PGPORT and PGUSER for clients.
start_cluster() {
    local dir=$1 port=$2 crondb=$3
    if is_root; then
        chown postgres:postgres "$dir"
    fi
    chmod 755 "$dir"
    say "starting a throwaway PostgreSQL $PG_MAJOR cluster in $dir (port $port)"
    as_postgres "$PG_BINDIR/initdb" -D "$dir/data" -A trust -N -U postgres \
        >"$dir/initdb.log" 2>&1
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$dir'
shared_preload_libraries = 'pg_cron'
cron.database_name = '$crondb'
max_connections = 120
fsync = off
log_min_messages = warning
CONF
    as_postgres "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s start
    export PGHOST=$dir PGPORT=$port PGUSER=postgres
}

# stop_cluster DIR: stop the server started by start_cluster.
stop_cluster() {
    local dir=$1
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_postgres "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w -s stop || true
    fi
}

# run_tap WORKDIR [SCRIPT...]: run TAP scripts of test/t (every t/*.pl, or
# the ones named as t/NNN_name.pl) with prove, as the postgres user, from a
# copy of test/t in WORKDIR/tap.  Passes AUTH_KEYS_* variables through.
# Prints prove's output; when a script fails, also the last lines of each
# server log.  Returns prove's exit status.
run_tap() {
    local work=$1 tap pgxs status=0 log
    shift
    tap=$work/tap
    rm -rf "$tap"
    mkdir -p "$tap"
    cp -r test/t "$tap/t"
    chmod 755 "$work"
    is_root && chown -R postgres:postgres "$tap"
    pgxs=$(dirname "$("$PG_CONFIG" --pgxs)")/../..
    local pass=()
    while IFS= read -r var; do
        pass+=("$var")
    done < <(env | grep -E '^AUTH_KEYS_[A-Z0-9_]*=' || true)
    [ $# -gt 0 ] || set -- t/
    (cd "$tap" && as_postgres env \
        PATH="$PG_BINDIR:$PATH" \
        PERL5LIB="$pgxs/src/test/perl" \
        PG_REGRESS="$pgxs/src/test/regress/pg_regress" \
        TESTDIR="$tap" \
        "${pass[@]+"${pass[@]}"}" \
        prove --timer --ext .pl "$@") || status=$?
    if [ "$status" -ne 0 ]; then
        for log in "$tap"/tmp_check/log/*; do
            [ -f "$log" ] || continue
            printf '\n--- %s (last 40 lines)\n' "$(basename "$log")"
            tail -n 40 "$log"
        done
    fi
    return "$status"
}
