#!/usr/bin/env bash
# Installs Debian's rocksdb-tools (db_bench, ldb, sst_dump) for the tests and
# comparisons that drive RocksDB itself. Idempotent: when db_bench is already
# on PATH nothing is installed. Prints where db_bench is and its version.
#
#   bash scripts/install-rocksdb-tools.sh
set -euo pipefail

find_db_bench() {
    command -v db_bench 2>/dev/null || command -v rocksdb_db_bench 2>/dev/null || true
}

if [ -z "$(find_db_bench)" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        SUDO=sudo
    else
        SUDO=
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends rocksdb-tools
fi

bin="$(find_db_bench)"
if [ -z "$bin" ]; then
    echo "install-rocksdb-tools: rocksdb-tools installed but no db_bench on PATH" >&2
    exit 1
fi
pkg_version="$(dpkg-query -W -f='${Version}' rocksdb-tools 2>/dev/null || echo unknown)"
echo "db_bench: $bin"
echo "rocksdb-tools: $pkg_version"
for tool in ldb sst_dump; do
    where="$(command -v "$tool" 2>/dev/null || echo "not found")"
    echo "$tool: $where"
done
