#!/usr/bin/env bash
# test/lock/smoke.sh
#
# The standalone test of the Tailnet Lock core (test/lock/lock.mk): the
# reference's public vectors, then every scenario of the Python oracle,
# run through src/tka_*.c without a server.  Exits 0 when all agree.
#
# Copyright (c) 2026, auth_keys developers
#
# As root it first installs what it needs from Debian's packages: the C
# libraries (libssl-dev, libargon2-dev) and, for the oracle, Debian's
# python3 with python3-cryptography and python3-argon2.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. test/lib/common.sh

install_packages python3 python3-cryptography python3-argon2

make -s lockcheck PG_CONFIG="$PG_CONFIG"
