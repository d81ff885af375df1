#!/usr/bin/env bash
# Benchmark: clonebox clone against the raw COPY pipe (psql | psql), side by
# side in one run on the same servers.  Prints the two times and the ratio.
#   tests/bench/copy_bench.sh [SCALE]      (default scale 40, ~20M of rows)
# Not part of the test suite: machines here are shared and noisy, so quote
# the ratio of one run, never an absolute time.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SCALE=${1:-40}
TMPROOT=$(mktemp -d)
chmod 755 "$TMPROOT"
export TMPROOT TESTS_DIR=$here REPO_DIR=$(dirname "$here")
# shellcheck source=../lib.sh
source "$here/lib.sh"
trap 'pg_stop_all >/dev/null 2>&1; rm -rf "$TMPROOT"' EXIT
BIN=${CLONEBOX_BIN:-$REPO_DIR/clonebox}

pg_start src >/dev/null
pg_start dst >/dev/null
pg_createdb src app
load_fixture src app "$SCALE"
tables=$(psqlq src app -c "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
                          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'
                          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
                          AND c.relname <> 'background_tasks' ORDER BY 1")

# 1. raw COPY pipe: pre-data schema first (pg_dump, not timed), then each table.
pg_createdb dst raw
pg_dump -s --section=pre-data -h 127.0.0.1 -p "$src_PORT" -U postgres app | psqlq dst raw >/dev/null
t0=$(date +%s.%N)
while IFS= read -r t; do
    psql -X -q -h 127.0.0.1 -p "$src_PORT" -U postgres app -c "COPY $t TO STDOUT (FORMAT binary)" |
        psql -X -q -h 127.0.0.1 -p "$dst_PORT" -U postgres raw -c "COPY $t FROM STDIN (FORMAT binary)"
done <<<"$tables"
t1=$(date +%s.%N)

# 2. clonebox: the data phase's time, from the state file (excludes the
#    schema and post-data phases, like the raw pipe above).
pg_createdb dst cb
"$BIN" clone --quiet --source "$(pg_url src app)" --target "$(pg_url dst cb)" --state "$TMPROOT/b.db" >/dev/null
cb_data=$(sqlite3 "$TMPROOT/b.db" "SELECT max(done_at) - min(started_at) FROM tbl WHERE mode = 'copy'")
rows=$(sqlite3 "$TMPROOT/b.db" "SELECT sum(rows_copied) FROM tbl")

raw=$(echo "$t1 - $t0" | bc)
printf 'scale %s, %s rows\nraw COPY pipe: %.2f s\nclonebox data phase: %.2f s\nratio clonebox/raw: %.2f\n' \
    "$SCALE" "$rows" "$raw" "$cb_data" "$(echo "$cb_data / $raw" | bc -l)"
