# test/lib/common.sh
#
# Shell functions shared by the test runner, the walkthrough and the longer
# test areas: install the Debian packages auth_keys needs, build and
# install the extension (into the system, or into a private copy of
# PostgreSQL's installation), and run throwaway PostgreSQL 15 clusters
# with an explicit encoding and locale.
#
# Copyright (c) 2026, auth_keys developers
#
# Source it; do not run it.  Every function is safe to call as root (the
# server itself then runs as the "postgres" operating system user, since
# PostgreSQL refuses to run as root) or as an ordinary user who has the
# packages already.

PG_MAJOR=${PG_MAJOR:-15}
PG_BINDIR=/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PG_BINDIR/pg_config
export PG_CONFIG

# What building, installing and the walkthrough need.
AK_PACKAGES=(make gcc libc6-dev perl libipc-run-perl libssl-dev libargon2-dev
    "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR"
    "postgresql-$PG_MAJOR-cron")

# What the test command needs on top: the fuzzers' compiler and runtime,
# libpq for the race driver, pgbouncer for the pooler test, Debian's Python
# with Ed25519 and Argon2 for the Tailnet Lock oracle.
AK_TEST_PACKAGES=(clang libclang-rt-14-dev libpq-dev pgbouncer
    python3 python3-cryptography python3-argon2)

# say MESSAGE: a progress line on standard error, so that it never mixes
# with output that a caller parses.
say() {
    printf '==> %s\n' "$*" >&2
}

is_root() {
    [ "$(id -u)" -eq 0 ]
}

# as_postgres CMD...: run a command as the operating system user that owns
# the throwaway clusters: "postgres" when called as root, else the caller.
as_postgres() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# install_packages [EXTRA...]: install whatever of AK_PACKAGES (and EXTRA)
# is missing.  Only root can; anybody else must have them already, and is
# told which are missing.
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
# PostgreSQL 15 tree (root, or a user who may write there).
build_and_install() {
    build
    say "installing auth_keys into $("$PG_CONFIG" --pkglibdir)"
    make -s install PG_CONFIG="$PG_CONFIG" >/dev/null
}

# build: compile with warnings as errors.
build() {
    say "building auth_keys"
    make -s clean >/dev/null
    make -s -j2 PG_CONFIG="$PG_CONFIG" >/dev/null
}

# copy_sources DEST: the files of the working tree that git knows or would
# add (tracked and untracked, not ignored: no objects or results), or, out
# of a git checkout, the tree without build products.
copy_sources() {
    local dest=$1
    mkdir -p "$dest"
    if git rev-parse --git-dir >/dev/null 2>&1; then
        git ls-files -z --cached --others --exclude-standard |
            tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$dest" -xf -
    else
        tar --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
            --exclude=./results --exclude=./tmp_check --exclude=./test/fuzz/build \
            -cf - . | tar -C "$dest" -xf -
    fi
}

# private_install DIR: a private copy of the PostgreSQL 15 installation
# (bindir's parent and sharedir, under DIR at the same paths) with the
# extension built here installed into it, for a user who may not write to
# the system's.  PostgreSQL finds its share and library directories
# relative to its executable, so the copied server loads the copied files;
# this checks that it does.  Sets PG_RUN_BINDIR and PG_RUN_CONFIG to the
# copy's.
private_install() {
    local dir=$1 bindir sharedir pgroot want got d
    bindir=$("$PG_CONFIG" --bindir)
    sharedir=$("$PG_CONFIG" --sharedir)
    pgroot=$(dirname "$bindir")
    say "installing auth_keys into a private copy of PostgreSQL under $dir"
    mkdir -p "$dir$(dirname "$pgroot")" "$dir$(dirname "$sharedir")"
    cp -a "$pgroot" "$dir$(dirname "$pgroot")/"
    cp -a "$sharedir" "$dir$(dirname "$sharedir")/"
    make -s install DESTDIR="$dir" PG_CONFIG="$PG_CONFIG" >/dev/null
    for d in sharedir pkglibdir; do
        want=$dir$("$PG_CONFIG" --$d)
        got=$("$dir$bindir/pg_config" --$d)
        if [ "$got" != "$want" ]; then
            say "the copied installation is not relocatable: --$d is $got, not $want"
            return 1
        fi
    done
    PG_RUN_BINDIR=$dir$bindir
    PG_RUN_CONFIG=$dir$bindir/pg_config
}

# start_cluster DIR PORT CRON_DATABASE [ENCODING [LOCALE]]: initdb into
# DIR/data and start a server listening only on a Unix socket in DIR.  The
# encoding and locale are always given (UTF8 and C.UTF-8 unless said
# otherwise), so the environment's locale, or the lack of one, never
# decides them.  With a CRON_DATABASE, pg_cron is preloaded and pointed at
# it; with "" it is not loaded.  The server is PG_RUN_BINDIR's when set (a
# private_install), else the system's.  Exports PGHOST, PGPORT and PGUSER
# for clients.
start_cluster() {
    local dir=$1 port=$2 crondb=$3 encoding=${4:-UTF8} locale=${5:-C.UTF-8}
    local bindir=${PG_RUN_BINDIR:-$PG_BINDIR}
    mkdir -p "$dir"
    if is_root; then
        chown postgres:postgres "$dir"
    fi
    chmod 755 "$dir"
    say "starting a throwaway PostgreSQL $PG_MAJOR cluster in $dir (port $port, $encoding, locale $locale${crondb:+, pg_cron})"
    as_postgres "$bindir/initdb" -D "$dir/data" -A trust -N -U postgres \
        --encoding="$encoding" --locale="$locale" >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; return 1; }
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$dir'
max_connections = 120
fsync = off
log_min_messages = warning
CONF
    if [ -n "$crondb" ]; then
        cat >>"$dir/data/postgresql.conf" <<CONF
shared_preload_libraries = 'pg_cron'
cron.database_name = '$crondb'
CONF
    fi
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s start
    export PGHOST=$dir PGPORT=$port PGUSER=postgres
}

# stop_cluster DIR: stop the server started by start_cluster.
stop_cluster() {
    local dir=$1 bindir=${PG_RUN_BINDIR:-$PG_BINDIR}
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_postgres "$bindir/pg_ctl" -D "$dir/data" -m fast -w -s stop || true
    fi
}
