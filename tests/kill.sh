#!/usr/bin/env bash
# Stand-alone kill -9 / resume stress run (the scenario of test_kill_resume in
# tests/t_resume.sh, with as many kills as you like).
#
# usage: tests/kill.sh [--kills N] [--seed N] [--scale N] [--keep]
#   --kills N   kills that must hit a run holding the job before it may
#               finish (default 300)
#   --seed N    seed of the kill delays (default random; printed as seed=N)
#   --scale N   fixture scale of the source database (default 20)
#   --keep      keep the temp root (servers are stopped anyway)
# env: CLONEBOX_BIN (default <repo>/clonebox), PG_BIN
#
# Exit status 0 iff the job finished and the target equals the source.

set -Eeuo pipefail

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$TESTS_DIR")
export TESTS_DIR REPO_DIR

KILLS=300 SEED='' SCALE=20 KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --kills) KILLS=${2:?--kills needs a number}; shift ;;
        --kills=*) KILLS=${1#*=} ;;
        --seed) SEED=${2:?--seed needs a number}; shift ;;
        --seed=*) SEED=${1#*=} ;;
        --scale) SCALE=${2:?--scale needs a number}; shift ;;
        --scale=*) SCALE=${1#*=} ;;
        --keep) KEEP=1 ;;
        -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "kill.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
for v in "$KILLS" "$SCALE" ${SEED:+"$SEED"}; do
    [[ "$v" =~ ^[0-9]+$ ]] || { echo "kill.sh: not a number: $v" >&2; exit 2; }
done
[ "$KILLS" -ge 1 ] || { echo "kill.sh: --kills must be >= 1" >&2; exit 2; }
SEED=${SEED:-$RANDOM}

CLONEBOX_BIN=${CLONEBOX_BIN:-$REPO_DIR/clonebox}
case "$CLONEBOX_BIN" in /*) ;; *) CLONEBOX_BIN="$(cd "$(dirname "$CLONEBOX_BIN")" && pwd)/$(basename "$CLONEBOX_BIN")" ;; esac
export CLONEBOX_BIN
[ -x "$CLONEBOX_BIN" ] || { echo "kill.sh: no clonebox binary at $CLONEBOX_BIN (run ./build.sh)" >&2; exit 1; }

# shellcheck source=lib.sh
. "$TESTS_DIR/lib.sh"
# shellcheck source=t_resume.sh
. "$TESTS_DIR/t_resume.sh"

TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/clonebox-kill.XXXXXX")
chmod 755 "$TMPROOT"
TEST_TMP="$TMPROOT/test"
TEST_NAME=test_kill_sh
mkdir -p "$TEST_TMP"
chmod 755 "$TEST_TMP"
export TMPROOT TEST_TMP TEST_NAME

cleanup() {
    trap '' INT TERM HUP
    [ -n "${BG_PID:-}" ] && kill -9 "$BG_PID" 2>/dev/null || true
    pg_stop_all
    if [ "$KEEP" = 1 ]; then echo "kill.sh: kept $TMPROOT" >&2; else rm -rf "$TMPROOT"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
trap '_on_err $? "$BASH_COMMAND"' ERR
cd "$TEST_TMP"

echo "seed=$SEED kills=$KILLS scale=$SCALE binary=$CLONEBOX_BIN (rerun: tests/kill.sh --kills $KILLS --seed $SEED --scale $SCALE)"
pg_start src
pg_start dst
echo "servers: src=127.0.0.1:$src_PORT dst=127.0.0.1:$dst_PORT"
db=$(scaled_source "$SCALE")
t0=$EPOCHREALTIME
kill_resume_scenario "$db" "$KILLS" "$SEED"
echo "PASS: $KR_KILLS kills, $(_secs_since "$t0") s (seed=$SEED)"
