#!/usr/bin/env bash
# Runs `lsmlab bench` and RocksDB's db_bench back to back on the same shape,
# on disk, with the same flags (lsmlab bench takes db_bench's names), and
# prints ops/s per phase side by side with the ratio lsmlab / RocksDB.
#
#   scripts/bench-vs-rocksdb.sh                    # 1M keys, WAL off then on
#   NUM=10000000 scripts/bench-vs-rocksdb.sh       # 10M keys
#   WAL="1" DIR=/mnt/fast scripts/bench-vs-rocksdb.sh
#
# Environment (defaults in brackets): NUM [1000000] keys, READS [NUM/10, but
# at least 1000000 or NUM when smaller] operations per read phase (a read
# phase of 100,000 lasts about a second, and which compaction runs in that
# second moved the ratio from 0.8 to 1.7 between rounds), KEY_SIZE [16], VALUE_SIZE [100],
# WRITE_BUFFER_SIZE [4194304], TARGET_FILE_SIZE_BASE [4194304],
# MAX_BYTES_FOR_LEVEL_BASE [67108864], CACHE_SIZE [8388608] block cache bytes
# on both sides (passed to lsmlab only when its engine has that parameter),
# BENCHMARKS [fillrandom,overwrite,readrandom,readwhilewriting,seekrandom],
# READ_STATE [as-left]: the tree each read phase starts from. as-left: as
# the phases before left it (db_bench's default sequence; how many L0 files
# a read phase meets then varies from round to round and between the two
# engines); settled: both programs run db_bench's untimed flush and compact
# steps before each read phase, so that both read a tree with every key in
# one level (RocksDB's own benchmark.sh compacts before its read tests).
# Either way both programs run levelstats before each read phase, and
# summary.csv gives the L0 files each side's read phase started with,
# WAL ["0 1": runs with the WAL off, then on], WRITE_RATE_LIMIT [none]: bytes
# per second both programs' writers hold to (db_bench's
# --benchmark_write_rate_limit: the fills, the overwrite and
# readwhilewriting's writer), so that their readers meet the same write load, DIR [a new temporary
# directory; both databases are removed at the end], LSMLAB [target/release/lsmlab,
# built when absent], OUT [bench-vs-rocksdb-<time>] for the raw outputs,
# summary.csv and env.txt (date, machine, both programs' versions, the
# settings, and the load average before each side runs: the machine may be
# shared, and the ratios are only as good as the two runs are comparable).
#
# db_bench comes from Debian's rocksdb-tools: scripts/install-rocksdb-tools.sh.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
NUM="${NUM:-1000000}"
default_reads=$((NUM / 10 > 1000000 ? NUM / 10 : (NUM < 1000000 ? NUM : 1000000)))
READS="${READS:-$default_reads}"
KEY_SIZE="${KEY_SIZE:-16}"
VALUE_SIZE="${VALUE_SIZE:-100}"
WRITE_BUFFER_SIZE="${WRITE_BUFFER_SIZE:-4194304}"
TARGET_FILE_SIZE_BASE="${TARGET_FILE_SIZE_BASE:-4194304}"
MAX_BYTES_FOR_LEVEL_BASE="${MAX_BYTES_FOR_LEVEL_BASE:-67108864}"
CACHE_SIZE="${CACHE_SIZE:-8388608}"
BENCHMARKS="${BENCHMARKS:-fillrandom,overwrite,readrandom,readwhilewriting,seekrandom}"
READ_STATE="${READ_STATE:-as-left}"
case "$READ_STATE" in
    as-left) before_read="levelstats" ;;
    settled) before_read="flush,compact,levelstats" ;;
    *)
        echo "bench-vs-rocksdb: READ_STATE=$READ_STATE: must be as-left or settled" >&2
        exit 2
        ;;
esac
# The steps both programs run: BENCHMARKS with the untimed steps of
# READ_STATE before each read phase.
steps="$(echo "$BENCHMARKS" | tr ',' '\n' | while read -r phase; do
    case "$phase" in
        readrandom | readwhilewriting | seekrandom) echo "$before_read,$phase" ;;
        *) echo "$phase" ;;
    esac
done | paste -sd, -)"
WAL="${WAL:-0 1}"
OUT="${OUT:-bench-vs-rocksdb-$(date -u +%Y%m%dT%H%M%SZ)}"
LSMLAB="${LSMLAB:-$here/target/release/lsmlab}"

db_bench="$(command -v db_bench || command -v rocksdb_db_bench || true)"
if [ -z "$db_bench" ]; then
    echo "bench-vs-rocksdb: no db_bench on PATH; install it with scripts/install-rocksdb-tools.sh" >&2
    exit 2
fi
if [ ! -x "$LSMLAB" ]; then
    (cd "$here" && cargo build --release -p lsmlab)
fi
if [ -n "${DIR:-}" ]; then
    mkdir -p "$DIR"
    work="$(mktemp -d "$DIR/bench-vs-rocksdb.XXXXXX")"
else
    work="$(mktemp -d "${TMPDIR:-/tmp}/bench-vs-rocksdb.XXXXXX")"
fi
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT"

# The flags both programs take, by db_bench's names.
common=(--benchmarks="$steps" --num="$NUM" --reads="$READS"
    --key_size="$KEY_SIZE" --value_size="$VALUE_SIZE"
    --write_buffer_size="$WRITE_BUFFER_SIZE"
    --target_file_size_base="$TARGET_FILE_SIZE_BASE"
    --max_bytes_for_level_base="$MAX_BYTES_FOR_LEVEL_BASE"
    --compaction_style=0 --compaction_pri=0 --threads=1 --seek_nexts=10)
if [ -n "${WRITE_RATE_LIMIT:-}" ]; then
    common+=(--benchmark_write_rate_limit="$WRITE_RATE_LIMIT")
fi
lsmlab_cache=()
if "$LSMLAB" bench --help >/dev/null && "$LSMLAB" policies 2>/dev/null | grep -qw cache_size; then
    lsmlab_cache=(--cache_size="$CACHE_SIZE")
else
    echo "note: this lsmlab has no cache_size parameter; its reads run without a block cache" >&2
fi

# ops/s of each phase in a db_bench or lsmlab bench output, as "phase ops".
# (compact's line in db_bench's output is a step, not a phase: the join
# with lsmlab's phases leaves it out.)
db_bench_rates() { awk '$2 == ":" && $5 ~ /^[0-9]+$/ && $6 ~ /^ops\/sec/ { print $1, $5 }' "$1"; }
lsmlab_rates() { awk 'NR > 1 && $1 ~ /^[a-z]+$/ && $4 ~ /^[0-9]+$/ && NF >= 9 { print $1, $4 }' "$1"; }
# L0 files at the start of each phase after a levelstats step, as "phase
# files" (both programs print levelstats in one layout).
l0_files() {
    awk '/^Level Files Size\(MB\)/ { inside = 1; next }
        inside && $1 == "0" && NF == 3 { l0 = $2 }
        inside && $1 !~ /^[0-9-]/ { inside = 0 }
        !inside && l0 != "" && ($2 == ":" || NF >= 9) && $1 ~ /^[a-z]+$/ && $1 != "compact" && $1 != "phase" { print $1, l0; l0 = "" }' "$1"
}

env_txt="$OUT/env.txt"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "machine: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
    echo "lsmlab: $LSMLAB ($("$LSMLAB" --version 2>/dev/null || echo unknown)$(git -C "$here" rev-parse --short HEAD 2>/dev/null | sed 's/^/; script from checkout /'))"
    echo "db_bench: $db_bench ($("$db_bench" --version 2>/dev/null | head -1))"
    echo "settings: READ_STATE=$READ_STATE NUM=$NUM READS=$READS KEY_SIZE=$KEY_SIZE VALUE_SIZE=$VALUE_SIZE WRITE_BUFFER_SIZE=$WRITE_BUFFER_SIZE TARGET_FILE_SIZE_BASE=$TARGET_FILE_SIZE_BASE MAX_BYTES_FOR_LEVEL_BASE=$MAX_BYTES_FOR_LEVEL_BASE CACHE_SIZE=$CACHE_SIZE BENCHMARKS=$BENCHMARKS WAL=$WAL WRITE_RATE_LIMIT=${WRITE_RATE_LIMIT:-none}"
    echo "directory: $work ($(df -hT "$work" | awk 'NR == 2 { print $2 }'))"
} > "$env_txt"
load() { echo "load average before $1: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$env_txt"; }

summary="$OUT/summary.csv"
echo "num,wal,phase,lsmlab_ops_per_sec,rocksdb_ops_per_sec,ratio,lsmlab_l0_files,rocksdb_l0_files" > "$summary"
for wal in $WAL; do
    echo "== $NUM keys, WAL $([ "$wal" = 1 ] && echo on || echo off), on disk under $work"
    lsm_out="$OUT/lsmlab-num$NUM-wal$wal.txt"
    rdb_out="$OUT/db_bench-num$NUM-wal$wal.txt"
    wal_set=false
    [ "$wal" = 1 ] && wal_set=true
    load "lsmlab, WAL $wal"
    "$LSMLAB" bench "${common[@]}" "${lsmlab_cache[@]}" --db="$work/lsmlab" \
        --set wal="$wal_set" --statistics | tee "$lsm_out"
    rm -rf "$work/lsmlab"
    disable_wal=1
    [ "$wal" = 1 ] && disable_wal=0
    load "db_bench, WAL $wal"
    "$db_bench" "${common[@]}" --cache_size="$CACHE_SIZE" --db="$work/rocksdb" \
        --disable_wal="$disable_wal" --compression_type=none --bloom_bits=10 \
        --use_existing_db=0 --statistics=0 2>"$rdb_out.progress" | tee "$rdb_out"
    rm -rf "$work/rocksdb"
    join <(lsmlab_rates "$lsm_out" | sort) <(db_bench_rates "$rdb_out" | sort) |
        while read -r phase lsm rdb; do
            ratio="$(awk -v a="$lsm" -v b="$rdb" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
            lsm_l0="$(l0_files "$lsm_out" | awk -v p="$phase" '$1 == p { print $2 }')"
            rdb_l0="$(l0_files "$rdb_out" | awk -v p="$phase" '$1 == p { print $2 }')"
            echo "$NUM,$wal,$phase,$lsm,$rdb,$ratio,$lsm_l0,$rdb_l0" >> "$summary"
        done
done
echo
column -s, -t "$summary"
cat "$env_txt"
echo "raw outputs, $summary and $env_txt in $OUT"
