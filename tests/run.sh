#!/usr/bin/env bash
# clonebox black-box test suite runner.
#
# usage: tests/run.sh [-v] [-k] [-l] [FILTER...]
#   FILTER   run only tests whose "file:function" contains one of the substrings
#   -v       print every test's log (default: only logs of failing tests)
#   -k       keep the temp root (servers are still stopped)
#   -l       list the tests that would run, then exit
#
# env: CLONEBOX_BIN        binary under test (default: <repo>/clonebox)
#      TEST_TIMEOUT        per-test timeout in seconds (default 300)
#      CB_TIMEOUT          per-clonebox-invocation timeout (default 300)
#
# Output: one "ok - NAME (Ns)" / "FAIL - NAME (Ns)" line per test, and as the
# very last line "N passed, N failed".  Exit status 0 iff nothing failed.

set -u
set -o pipefail

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$TESTS_DIR")
export TESTS_DIR REPO_DIR

VERBOSE=0 KEEP=0 LIST=0
FILTERS=()
while [ $# -gt 0 ]; do
    case "$1" in
        -v|--verbose) VERBOSE=1 ;;
        -k|--keep) KEEP=1 ;;
        -l|--list) LIST=1 ;;
        -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --) shift; FILTERS+=("$@"); break ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) FILTERS+=("$1") ;;
    esac
    shift
done

CLONEBOX_BIN=${CLONEBOX_BIN:-$REPO_DIR/clonebox}
case "$CLONEBOX_BIN" in
    /*) ;;
    */*) CLONEBOX_BIN="$(cd "$(dirname "$CLONEBOX_BIN")" 2>/dev/null && pwd)/$(basename "$CLONEBOX_BIN")" ;;
    *) CLONEBOX_BIN=$(command -v "$CLONEBOX_BIN" || echo "$CLONEBOX_BIN") ;;
esac
export CLONEBOX_BIN
TEST_TIMEOUT=${TEST_TIMEOUT:-300}

# shellcheck source=lib.sh
. "$TESTS_DIR/lib.sh"

# ---------------------------------------------------------------------------
# discover tests: functions test_* defined in tests/t_*.sh, in file order
# ---------------------------------------------------------------------------
ALL_TESTS=()    # entries "file:function"
declare -A SEEN=()
for f in "$TESTS_DIR"/t_*.sh; do
    [ -e "$f" ] || continue
    while read -r fn; do
        if [ -n "${SEEN[$fn]:-}" ]; then
            echo "run.sh: duplicate test function $fn in $(basename "$f") and ${SEEN[$fn]}" >&2
            exit 2
        fi
        SEEN[$fn]=$(basename "$f")
        ALL_TESTS+=("$(basename "$f"):$fn")
    done < <(sed -nE 's/^(function[[:space:]]+)?(test_[A-Za-z0-9_]+)[[:space:]]*\(\).*/\2/p' "$f")
done

SELECTED=()
for t in "${ALL_TESTS[@]}"; do
    if [ ${#FILTERS[@]} -eq 0 ]; then SELECTED+=("$t"); continue; fi
    for flt in "${FILTERS[@]}"; do
        case "$t" in *"$flt"*) SELECTED+=("$t"); break ;; esac
    done
done

if [ "$LIST" = 1 ]; then
    printf '%s\n' "${SELECTED[@]}"
    exit 0
fi
if [ ${#SELECTED[@]} -eq 0 ]; then
    echo "run.sh: no tests match: ${FILTERS[*]}" >&2
    echo "0 passed, 0 failed"
    exit 1
fi

# tests named test_harness_* exercise the harness itself and need no binary
needs_binary() { case "${1#*:}" in test_harness_*) return 1 ;; esac; return 0; }

BIN_ERROR=''
if [ ! -e "$CLONEBOX_BIN" ]; then
    BIN_ERROR="clonebox binary not found at $CLONEBOX_BIN (build it with ./build.sh, or set CLONEBOX_BIN)"
elif [ ! -x "$CLONEBOX_BIN" ] || [ -d "$CLONEBOX_BIN" ]; then
    BIN_ERROR="clonebox binary at $CLONEBOX_BIN is not an executable file"
fi
if [ -n "$BIN_ERROR" ]; then
    echo "run.sh: ERROR: $BIN_ERROR" >&2
    echo "# ERROR: $BIN_ERROR"
fi

NEED_SERVERS=0
for t in "${SELECTED[@]}"; do
    if [ -z "$BIN_ERROR" ] || ! needs_binary "$t"; then NEED_SERVERS=1; fi
done

# ---------------------------------------------------------------------------
# temp root, cleanup
# ---------------------------------------------------------------------------
TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/clonebox-tests.XXXXXX") || { echo "run.sh: mktemp failed" >&2; exit 1; }
chmod 755 "$TMPROOT"
export TMPROOT
mkdir -p "$TMPROOT/logs" "$TMPROOT/tests"
chmod 755 "$TMPROOT/tests"

CURRENT_PID=''
CLEANED=0
cleanup() {
    [ "$CLEANED" = 1 ] && return 0
    CLEANED=1
    if [ -n "$CURRENT_PID" ]; then
        kill -TERM "$CURRENT_PID" 2>/dev/null || true
        wait "$CURRENT_PID" 2>/dev/null || true
    fi
    pg_stop_all
    if [ "$KEEP" = 1 ]; then
        echo "run.sh: kept temp root $TMPROOT" >&2
    else
        rm -rf "$TMPROOT"
    fi
}
PASSED=0 FAILED=0
FAILED_NAMES=()
on_signal() {
    trap '' INT TERM HUP
    echo "run.sh: interrupted, stopping servers" >&2
    cleanup >/dev/null
    echo "# interrupted"
    echo "$PASSED passed, $((FAILED + 1)) failed"
    exit 130
}
trap cleanup EXIT
trap on_signal INT TERM HUP

if ! [ -x "$PG_BIN/initdb" ] || ! command -v psql >/dev/null; then
    echo "run.sh: ERROR: PostgreSQL 15 server binaries not found in $PG_BIN (apt-get install postgresql-15)" >&2
    echo "# ERROR: PostgreSQL 15 not installed"
    cleanup
    echo "0 passed, ${#SELECTED[@]} failed"
    exit 1
fi

# ---------------------------------------------------------------------------
# shared servers: "src" with the fixture in database "app", "dst" for targets
# ---------------------------------------------------------------------------
SETUP_ERROR=''
SRC_DB=app
export SRC_DB
if [ "$NEED_SERVERS" = 1 ]; then
    t0=${EPOCHREALTIME/./}
    if ! pg_start src 2>"$TMPROOT/logs/setup.log"; then
        SETUP_ERROR="could not start the shared source server"
    elif ! pg_start dst 2>>"$TMPROOT/logs/setup.log"; then
        SETUP_ERROR="could not start the shared target server"
    elif ! psqlq src postgres -c "CREATE DATABASE $SRC_DB TEMPLATE template0" 2>>"$TMPROOT/logs/setup.log"; then
        SETUP_ERROR="could not create the source database"
    else
        t1=${EPOCHREALTIME/./}
        if ! load_fixture src "$SRC_DB" 2>>"$TMPROOT/logs/setup.log"; then
            SETUP_ERROR="tests/fixture.sql failed to load"
        fi
        t2=${EPOCHREALTIME/./}
        FIXTURE_LOAD_SECONDS=$(printf '%d.%02d' $(((t2 - t1) / 1000000)) $((((t2 - t1) / 10000) % 100)))
        export FIXTURE_LOAD_SECONDS
        echo "# servers up: src=127.0.0.1:${src_PORT} dst=127.0.0.1:${dst_PORT}; fixture loaded in ${FIXTURE_LOAD_SECONDS}s" \
             "(setup $(((t2 - t0) / 1000000))s)"
    fi
    if [ -n "$SETUP_ERROR" ]; then
        echo "run.sh: ERROR: $SETUP_ERROR" >&2
        sed 's/^/    | /' "$TMPROOT/logs/setup.log" | tail -n 40 >&2
        echo "# ERROR: $SETUP_ERROR"
    fi
fi

# ---------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------
elapsed() { local d=$(($2 - $1)); printf '%d.%01d' $((d / 1000000)) $(((d / 100000) % 10)); }

for t in "${SELECTED[@]}"; do
    file=${t%%:*} fn=${t#*:}
    if [ -n "$SETUP_ERROR" ]; then
        echo "FAIL - $fn (0.0s) # setup failed: $SETUP_ERROR"
        FAILED=$((FAILED + 1)); FAILED_NAMES+=("$fn"); continue
    fi
    if [ -n "$BIN_ERROR" ] && needs_binary "$t"; then
        echo "FAIL - $fn (0.0s) # clonebox binary missing"
        FAILED=$((FAILED + 1)); FAILED_NAMES+=("$fn"); continue
    fi

    TEST_TMP="$TMPROOT/tests/$fn"
    mkdir -p "$TEST_TMP"
    chmod 755 "$TEST_TMP"
    log="$TMPROOT/logs/$fn.log"
    servers_before=$(pg_server_count)
    start=${EPOCHREALTIME/./}

    TEST_TMP="$TEST_TMP" TEST_NAME="$fn" timeout -k 10 "$TEST_TIMEOUT" bash -c '
        set -Eeuo pipefail
        . "$TESTS_DIR/lib.sh"
        . "$TESTS_DIR/$1"
        trap '\''_on_err $? "$BASH_COMMAND"'\'' ERR
        cd "$TEST_TMP"
        "$2"
    ' _ "$file" "$fn" >"$log" 2>&1 </dev/null &
    CURRENT_PID=$!
    wait "$CURRENT_PID"
    rc=$?
    CURRENT_PID=''
    end=${EPOCHREALTIME/./}
    secs=$(elapsed "$start" "$end")

    # per-test cleanup: servers the test started, databases it created
    pg_stop_all "$servers_before"
    if [ -f "$TEST_TMP/.created_dbs" ]; then
        while read -r srv db; do
            case "$srv" in
                src|dst) psqlq "$srv" postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true ;;
            esac
        done <"$TEST_TMP/.created_dbs"
    fi

    note=''
    if [ "$rc" = 0 ] && [ ! -e "$TEST_TMP/failed" ]; then
        PASSED=$((PASSED + 1))
        [ -f "$TEST_TMP/skip" ] && note=" # SKIP $(head -n 1 "$TEST_TMP/skip")"
        echo "ok - $fn (${secs}s)$note"
        if [ "$VERBOSE" = 1 ]; then sed 's/^/    /' "$log"; fi
    else
        FAILED=$((FAILED + 1)); FAILED_NAMES+=("$fn")
        [ "$rc" = 124 ] || [ "$rc" = 137 ] && note=" # TIMEOUT after ${TEST_TIMEOUT}s"
        echo "FAIL - $fn (${secs}s)$note"
        echo "    --- log of $fn ($file) ---"
        if [ "$(wc -l <"$log")" -gt 400 ]; then
            echo "    [... $(wc -l <"$log") lines, showing the last 400]"
        fi
        tail -n 400 "$log" | sed 's/^/    /'
        echo "    --- end of log ---"
    fi
    [ "$KEEP" = 1 ] || rm -rf "$TEST_TMP"
done

if [ "$FAILED" -gt 0 ]; then
    echo "# failed: ${FAILED_NAMES[*]}"
fi
cleanup >/dev/null
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
