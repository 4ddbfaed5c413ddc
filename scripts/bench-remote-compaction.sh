#!/bin/sh
# Foreground write throughput, local vs remote compaction, background mode on DiskFs.
cd "$(dirname "$0")/.."
for i in 1 2 3; do
  for w in 0 2; do
    rm -rf /tmp/lsmlab-remote-bench
    ./target/release/lsmlab bench --benchmarks fillrandom --num 300000 --mode background \
      --set max_background_jobs=2 --write_buffer_size 262144 --target_file_size_base 262144 \
      --max_bytes_for_level_base 1048576 --db /tmp/lsmlab-remote-bench --compaction-workers $w \
      --statistics 2>&1 | grep -E "^fillrandom|remote.jobs" | tr '\n' ' ' | sed "s/^/workers=$w run=$i /"
    echo
  done
done
rm -rf /tmp/lsmlab-remote-bench
