#!/usr/bin/env bash
# examples/walkthrough.sh
#
# Shows auth_keys at work on a throwaway PostgreSQL 15 cluster with pg_cron
# preloaded: run it as root on a fresh Debian 12 machine (it installs what
# it needs) or as a user who has the packages.
#
# Copyright (c) 2026, auth_keys developers
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. test/lib/common.sh

install_packages
build_and_install

work=$(mktemp -d /tmp/auth_keys_walkthrough.XXXXXX)
trap 'stop_cluster "$work"; rm -rf "$work"' EXIT

start_cluster "$work" 54322 walkthrough
"$PG_BINDIR/psql" -X -q -d postgres -c 'CREATE DATABASE walkthrough'
"$PG_BINDIR/psql" -X -q -d walkthrough -f examples/walkthrough.sql
