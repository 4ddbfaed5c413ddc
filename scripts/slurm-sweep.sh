#!/usr/bin/env bash
# Runs a sweep on a real single-node SLURM cluster started on this machine,
# as a job array of shards, merges the shards and compares the result cell
# by cell with the same sweep run in one process.
#
#   scripts/slurm-sweep.sh [SPEC] [SHARDS]      (default: sim/specs/ci.toml 3)
#
# Needs root and Debian/Ubuntu: installs slurm-wlm and munge with apt-get
# (idempotent), writes a one-node slurm.conf under $LSMLAB_SLURM_DIR
# (default /tmp/lsmlab-slurm), and starts munged, slurmctld and slurmd if
# they are not running. Outputs go to $LSMLAB_SLURM_DIR/out. Exit status 0
# when the merged sweep equals the unsharded one in every deterministic cell.
# LSMLAB_SLURM_KEEP=1 leaves the daemons running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
SPEC=$(realpath "${1:-sim/specs/ci.toml}")
SHARDS=${2:-3}
STATE=${LSMLAB_SLURM_DIR:-/tmp/lsmlab-slurm}
OUT=$STATE/out
# Memory per shard: one run at a time (--jobs 1); the in-memory file system
# holds one database (the spec's live data times its space amplification)
# plus the run's timeline. 512 MiB is ample for ci.toml and default.toml.
MEM_MB=${LSMLAB_SLURM_MEM_MB:-512}

if [ "$(id -u)" -ne 0 ]; then
    echo "slurm-sweep: needs root to install and start slurm (run with sudo)" >&2
    exit 2
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends slurm-wlm munge
fi

mkdir -p "$STATE"/{spool/ctld,spool/d,log,run} "$OUT"
HOST=$(hostname -s)
CPUS=$(nproc)
MEM_TOTAL=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
CONF=$STATE/slurm.conf
cat > "$CONF" <<EOF
ClusterName=lsmlab
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_TOTAL State=UNKNOWN
PartitionName=lab Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$CONF

# munge: a key, then the daemon.
if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
mkdir -p /run/munge /var/log/munge /var/lib/munge
if id munge >/dev/null 2>&1; then
    chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
    chmod 400 /etc/munge/munge.key
fi
started=()
if ! munge -n </dev/null >/dev/null 2>&1; then
    if id munge >/dev/null 2>&1; then
        runuser -u munge -- munged
    else
        munged --force
    fi
    started+=(munged)
fi

if ! pgrep -x slurmctld >/dev/null; then
    slurmctld -f "$CONF"
    started+=(slurmctld)
fi
if ! pgrep -x slurmd >/dev/null; then
    slurmd -f "$CONF"
    started+=(slurmd)
fi
stop_daemons() {
    [ "${#started[@]}" -gt 0 ] || return 0
    if [ "${LSMLAB_SLURM_KEEP:-0}" != 1 ]; then
        for d in "${started[@]}"; do
            case $d in
                munged) pidfile=/run/munge/munged.pid ;;
                *) pidfile=$STATE/run/$d.pid ;;
            esac
            if [ -s "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
        done
    fi
}
trap stop_daemons EXIT
up=0
for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)$'; then up=1; break; fi
    scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true
    sleep 1
done
sinfo
if [ "$up" != 1 ]; then
    echo "slurm-sweep: node $HOST did not come up in 60 s; see $STATE/log/" >&2
    tail -5 "$STATE/log/slurmd.log" "$STATE/log/slurmctld.log" >&2 || true
    exit 1
fi

cargo build --release -p lsmlab
BIN=$REPO/target/release/lsmlab
NAME=$(awk -F'"' '/^name *=/ {print $2; exit}' "$SPEC")
rm -rf "$OUT"/shards "$OUT"/merged "$OUT"/whole "$OUT"/*-reports
mkdir -p "$OUT/shards"

echo "== job array of $SHARDS shards of $SPEC"
started_at=$(date +%s)
sbatch --wait --array=0-$((SHARDS - 1)) --cpus-per-task=1 --mem="${MEM_MB}M" \
    --job-name="lsmlab-$NAME" --output="$OUT/shards/slurm-%A_%a.out" \
    --chdir="$OUT" \
    --wrap="'$BIN' sweep '$SPEC' --quiet --jobs 1 --shard \$SLURM_ARRAY_TASK_ID/$SHARDS --notebooks-out '$OUT/shards'"
echo "job array finished in $(($(date +%s) - started_at)) s"

dirs=()
for i in $(seq 0 $((SHARDS - 1))); do
    dirs+=("$OUT/shards/$NAME-shard-$i-of-$SHARDS")
done
"$BIN" merge "${dirs[@]}" --spec "$SPEC" --notebooks-out "$OUT/merged" --reports-out "$OUT/merged-reports"
"$BIN" sweep "$SPEC" --quiet --notebooks-out "$OUT/whole" --reports-out "$OUT/whole-reports"

# Cell by cell, every column but the wall-clock ones.
strip() {
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "wall_seconds" || $i == "ops_per_second") skip[i] = 1 }
             { line = ""; for (i = 1; i <= NF; i++) if (!skip[i]) line = line $i ","; print line }' "$1"
}
if diff <(strip "$OUT/whole/$NAME/runs.csv") <(strip "$OUT/merged/$NAME/runs.csv") &&
    cmp "$OUT/whole/$NAME/timeline.csv" "$OUT/merged/$NAME/timeline.csv"; then
    rows=$(($(wc -l < "$OUT/merged/$NAME/runs.csv") - 1))
    echo "slurm-sweep: PASS: $rows runs from $SHARDS shards equal the unsharded sweep cell by cell"
else
    echo "slurm-sweep: FAIL: the merged sweep differs from the unsharded one (diff above)" >&2
    exit 1
fi
