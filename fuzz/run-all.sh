#!/bin/sh
# Runs every target for $1 seconds (default 180), one after another, starting from the seeds.
set -e
cd "$(dirname "$0")"
for t in rtmp_session rtmp_chunks amf0 flv sps mpegts; do
    mkdir -p "corpus/$t" "seeds/$t"
    cargo +nightly fuzz run -O "$t" "corpus/$t" "seeds/$t" -- -max_total_time="${1:-180}" -print_final_stats=1 \
        > "/tmp/fuzz-$t.log" 2>&1 || echo "$t: crashed, see /tmp/fuzz-$t.log"
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "/tmp/fuzz-$t.log" | tail -2
done
