# shellcheck shell=bash
# Bad input: every way a user can get the command line, the connection, the
# target, the source or the state file wrong.  Each case checks
#   (a) the exit code;
#   (b) stderr has exactly one line starting "clonebox: error:", and that line
#       names what is wrong and what to do (words, case-insensitive);
#   (c) when a target database is involved, nothing was written to it;
#   (d) when a state file exists before the command, it is unchanged;
#   and stdout is empty on failure (no --json in these cases).
# README.md ("When something is wrong") has the matching table.

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

# at_exit CMD: run CMD (a string for eval) when the test process ends, also
# when an assertion fails; commands run in reverse order of registration.
_BI_AT_EXIT=()
_bi_run_at_exit() {
    local i
    for ((i = ${#_BI_AT_EXIT[@]} - 1; i >= 0; i--)); do
        eval "${_BI_AT_EXIT[$i]}" >/dev/null 2>&1 || true
    done
    _BI_AT_EXIT=()
}
at_exit() {
    _BI_AT_EXIT+=("$1")
    trap _bi_run_at_exit EXIT
}

# target_fingerprint NAME DB: counts of schemas, relations, types and
# functions in the non-system schemas of DB on server NAME
target_fingerprint() {
    psqlq "$1" "$2" -c "
        WITH ns AS (SELECT oid FROM pg_namespace
                    WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\_%')
        SELECT 'schemas=' || (SELECT count(*) FROM ns)
            || ' relations=' || (SELECT count(*) FROM pg_class WHERE relnamespace IN (SELECT oid FROM ns))
            || ' types=' || (SELECT count(*) FROM pg_type WHERE typnamespace IN (SELECT oid FROM ns))
            || ' functions=' || (SELECT count(*) FROM pg_proc WHERE pronamespace IN (SELECT oid FROM ns))"
}

# fresh_target: a new empty database on the shared target server; sets
# TGT_DB, TGT (URL) and TGT_FP (its fingerprint now)
fresh_target() {
    TGT_DB=$(new_db dst)
    TGT=$(pg_url dst "$TGT_DB")
    TGT_FP=$(target_fingerprint dst "$TGT_DB")
}

# assert_target_unchanged [NAME DB FP]: the target's fingerprint is still FP
# (default: dst, $TGT_DB, $TGT_FP)
assert_target_unchanged() {
    local name=${1:-dst} db=${2:-$TGT_DB} fp=${3:-$TGT_FP}
    assert_eq "$fp" "$(target_fingerprint "$name" "$db")" "the target database $db was written to"
}

# file_sha FILE
file_sha() { sha256sum "$1" | cut -d ' ' -f 1; }

# job_rows STATE: the job table, read through SQLite read-only
job_rows() { sqlite3 -readonly "$1" 'SELECT * FROM job ORDER BY id'; }

# need_sqlite3: skip unless the sqlite3 CLI is available
need_sqlite3() { command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"; }

# valid_state: a real state file made by a successful clone of the fixture
# (sets STATE, TGT_DB, SRC_CONN, TGT_CONN via clone_fixture) and STATE_SHA.
# SQLite's WAL must be folded back into the file so that its bytes are final.
valid_state() {
    clone_fixture --quiet
    if [ -s "$STATE-wal" ]; then _fail "the state file's WAL was not checkpointed when clonebox ended"; fi
    STATE_SHA=$(file_sha "$STATE")
}

# assert_state_unchanged FILE SHA: FILE's bytes are still those with SHA
assert_state_unchanged() {
    assert_true "state file $1 must still exist" test -f "$1"
    assert_eq "$2" "$(file_sha "$1")" "the bytes of state file $1 changed"
}

# ERR_SCRUB: extra strings blanked out of the error line before its words are
# matched (role names, connection parameters the line may echo), so that a
# word is only found where clonebox says it.
ERR_SCRUB=()

# _scrub_line TEXT: TEXT without the strings that would make a word match by
# accident: the temp root (paths), this test's name (it is part of paths and
# database names, with their _N_PID suffix), ERR_SCRUB and the shared
# servers' ports.
_scrub_line() {
    local t=$1 s stem=${TEST_NAME#test_}
    t=${t//"$TMPROOT"/<tmp>}
    t=$(printf '%s' "$t" | sed -E "s/[A-Za-z]*_?${stem}(_[0-9]+)*/<name>/g")
    for s in "${ERR_SCRUB[@]}"; do
        if [ -n "$s" ]; then t=${t//"$s"/<...>}; fi
    done
    for s in "${src_PORT:-}" "${dst_PORT:-}"; do
        if [ -n "$s" ]; then t=${t//"$s"/<port>}; fi
    done
    printf '%s' "$t"
}

# assert_error_line WORD...: LAST_ERR has exactly one line starting with
# "clonebox: error:" and it contains every WORD (case-insensitive fixed
# strings; "a|b" means a or b), not counting the strings _scrub_line removes.
assert_error_line() {
    local lines n w alt found alts clean
    lines=$(printf '%s\n' "$LAST_ERR" | grep -- '^clonebox: error:' || true)
    n=$(printf '%s' "$lines" | grep -c '' || true)
    if [ "$n" != 1 ]; then
        _fail "stderr must have exactly one line starting 'clonebox: error:' (found $n)" "  stderr:" "$(_show "$LAST_ERR")"
    fi
    clean=$(_scrub_line "$lines")
    for w in "$@"; do
        found=0
        IFS='|' read -r -a alts <<<"$w"
        for alt in "${alts[@]}"; do
            if printf '%s' "$clean" | grep -qiF -- "$alt"; then found=1; fi
        done
        [ "$found" = 1 ] || _fail "the error line must mention ${w//|/ or }" "  error line: $lines" \
            "  (matched against: $clean)"
    done
}

# assert_no_error_line: no line of LAST_ERR starts with "clonebox: error:"
assert_no_error_line() {
    if printf '%s\n' "$LAST_ERR" | grep -q -- '^clonebox: error:'; then
        _fail "stderr must have no 'clonebox: error:' line on success" "  stderr:" "$(_show "$LAST_ERR")"
    fi
}

# expect CODE [WORD...] -- CMD...: CMD exits CODE, stderr has exactly one
# error line with every WORD, stdout is empty (unless CMD has --json).
expect() {
    local code=$1 words=() a json=0
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do words+=("$1"); shift; done
    [ "${1:-}" = -- ] || _fail "expect: missing -- before the command"
    shift
    for a in "$@"; do [ "$a" = --json ] && json=1; done
    assert_exit "$code" "$@"
    assert_error_line "${words[@]}"
    if [ "$json" = 0 ] && [ -n "$LAST_OUT" ]; then
        _fail "stdout must be empty when the command fails" "  stdout:" "$(_show "$LAST_OUT")"
    fi
}

# elapsed_ms T0: milliseconds since T0 (an $EPOCHREALTIME value)
elapsed_ms() {
    local a=${1/./} b=${EPOCHREALTIME/./}
    echo $(((b - a) / 1000))
}

# start_silent_listener: a TCP listener on 127.0.0.1 that accepts connections
# and never says a word; sets SILENT_PORT.  Killed when the test ends (and it
# kills itself after 120 s in any case).
start_silent_listener() {
    local pf="$TEST_TMP/listener.info" i
    rm -f "$pf"
    python3 -c '
import os, signal, socket, sys
signal.alarm(120)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d\n" % (s.getsockname()[1], os.getpid()))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept()
    held.append(c)
' "$pf" </dev/null >/dev/null 2>"$TEST_TMP/listener.err" &
    local shell_pid=$!
    at_exit "kill $shell_pid"
    for i in $(seq 1 200); do
        [ -s "$pf" ] && break
        pid_alive "$shell_pid" || break
        sleep 0.05
    done
    [ -s "$pf" ] || _fail "the silent listener did not start" "$(cat "$TEST_TMP/listener.err" 2>/dev/null)"
    local py_pid
    read -r SILENT_PORT py_pid <"$pf"
    at_exit "kill $py_pid"
    echo "silent listener on port $SILENT_PORT (pid $py_pid)" >&2
}

# src_url: URL of the shared fixture database
src_url() { pg_url src "$SRC_DB"; }

# ---------------------------------------------------------------------------
# 1-6: the command line
# ---------------------------------------------------------------------------

test_bad_malformed_uri() {
    fresh_target
    expect 2 source parse -- cb clone --source 'postgresql://[::1' --target "$TGT" --state "$TEST_TMP/s.db"
    assert_target_unchanged
}

test_bad_unknown_conninfo_key() {
    fresh_target
    expect 2 target bogus -- cb clone --source "$(src_url)" --target 'host=127.0.0.1 bogus=1' \
        --state "$TEST_TMP/s.db"
}

test_bad_unknown_flag() {
    fresh_target
    expect 2 --frobnicate -- cb clone --frobnicate --source "$(src_url)" --target "$TGT" --state "$TEST_TMP/s.db"
    assert_target_unchanged
}

test_bad_flag_not_for_command() {
    valid_state
    fresh_target
    expect 2 --budget step -- cb clone --budget 5s --source "$(src_url)" --target "$TGT" --state "$TEST_TMP/s2.db"
    assert_target_unchanged
    expect 2 --clean -- cb jobs --clean --state "$STATE"
    assert_state_unchanged "$STATE" "$STATE_SHA"
    expect 2 --budget -- cb status --budget 5s --state "$STATE"
    assert_state_unchanged "$STATE" "$STATE_SHA"
}

test_bad_missing_target() {
    expect 2 target -- env -u CLONEBOX_TARGET timeout -k 5 "$CB_TIMEOUT" "$CLONEBOX_BIN" clone \
        --source "$(src_url)" --state "$TEST_TMP/s.db"
}

test_bad_durations() {
    valid_state
    local d
    for d in abc -5s 0; do
        expect 2 duration -- cb step --budget "$d" --state "$STATE"
        assert_state_unchanged "$STATE" "$STATE_SHA"
    done
    expect 2 duration -- cb jobs --stale-after 0 --state "$STATE"
    assert_state_unchanged "$STATE" "$STATE_SHA"
    expect 2 duration -- cb cancel --stale --older-than -1m --state "$STATE"
    assert_state_unchanged "$STATE" "$STATE_SHA"
    fresh_target
    expect 2 duration -- cb clone --retry-for xyz --source "$(src_url)" --target "$TGT" --state "$TEST_TMP/s2.db"
    assert_target_unchanged
    expect 2 duration -- cb clone --wait 5x --source "$(src_url)" --target "$TGT" --state "$TEST_TMP/s3.db"
    assert_target_unchanged
}

# ---------------------------------------------------------------------------
# 7-11: connecting
# ---------------------------------------------------------------------------

test_bad_source_db_missing() {
    fresh_target
    expect 4 source nosuchdb -- cb clone --source "$(pg_kv src nosuchdb)" --target "$TGT" --state "$TEST_TMP/s.db"
    assert_target_unchanged
}

test_bad_wrong_password() {
    PG_START_HBA="local all all trust
host all all 127.0.0.1/32 scram-sha-256" pg_start pw "password_encryption = 'scram-sha-256'"
    psqlq pw -c "CREATE ROLE cbpw LOGIN SUPERUSER PASSWORD 'Right-Pw-4711'"
    psqlq pw -c "CREATE DATABASE app TEMPLATE template0"
    local wrong='Wr0ngPassw0rdZq8'
    run_cmd env PGPASSWORD="$wrong" psql -X -At "host=127.0.0.1 port=$pw_PORT user=cbpw dbname=app" -c "SELECT 1"
    assert_ne 0 "$LAST_RC" "sanity: the pw server must reject a wrong password"
    fresh_target
    # in PGPASSWORD
    expect 4 password -- env PGPASSWORD="$wrong" timeout -k 5 "$CB_TIMEOUT" "$CLONEBOX_BIN" clone \
        --source "host=127.0.0.1 port=$pw_PORT user=cbpw dbname=app" --target "$TGT" --state "$TEST_TMP/s.db"
    assert_not_contains "$LAST_OUT$LAST_ERR" "$wrong" "the password must not be printed"
    assert_target_unchanged
    # in the URL (a warning about the process list may come on another line)
    expect 4 password -- cb clone --source "postgresql://cbpw:$wrong@127.0.0.1:$pw_PORT/app" \
        --target "$TGT" --state "$TEST_TMP/s2.db"
    assert_not_contains "$LAST_OUT$LAST_ERR" "$wrong" "the password from the URL must not be printed"
    if [ -e "$TEST_TMP/s2.db" ]; then assert_state_clean "$TEST_TMP/s2.db" "$wrong"; fi
    assert_target_unchanged
}

test_bad_ssl_required_server_has_none() {
    assert_eq off "$(psqlq src -c 'SHOW ssl')" "sanity: the src server has ssl off"
    ERR_SCRUB=("sslmode='require'" "sslmode=require")   # "SSL" must come from the message
    fresh_target
    expect 4 SSL -- cb clone --source "host=127.0.0.1 port=$src_PORT user=postgres dbname=$SRC_DB sslmode=require" \
        --target "$TGT" --state "$TEST_TMP/s.db"
    assert_target_unchanged
}

test_bad_connection_refused() {
    local port
    port=$(free_port)
    fresh_target
    expect 4 connect -- cb clone --source "postgresql://postgres@127.0.0.1:$port/app" --target "$TGT" \
        --state "$TEST_TMP/s.db"
    assert_target_unchanged
}

test_bad_connect_timeout() {
    ERR_SCRUB=(connect_timeout)   # "timeout" must come from the message, not the echoed parameter
    start_silent_listener
    fresh_target
    local t0 ms
    t0=$EPOCHREALTIME
    expect 4 timeout -- cb clone --source "host=127.0.0.1 port=$SILENT_PORT connect_timeout=2 user=x dbname=x" \
        --target "$TGT" --state "$TEST_TMP/s.db"
    ms=$(elapsed_ms "$t0")
    echo "gave up after $ms ms with connect_timeout=2" >&2
    assert_true "connect_timeout=2 must give up in under 8 s (took $ms ms)" test "$ms" -lt 8000
    assert_target_unchanged
    # clonebox's own default (10 s); PGCONNECT_TIMEOUT (set by the test
    # library) is removed so that it cannot stand in for the default
    t0=$EPOCHREALTIME
    expect 4 timeout -- env -u PGCONNECT_TIMEOUT timeout -k 5 40 "$CLONEBOX_BIN" clone \
        --source "host=127.0.0.1 port=$SILENT_PORT user=x dbname=x" --target "$TGT" --state "$TEST_TMP/s2.db"
    ms=$(elapsed_ms "$t0")
    echo "gave up after $ms ms without connect_timeout" >&2
    assert_true "without connect_timeout clonebox must give up within 15 s (took $ms ms)" test "$ms" -lt 15000
    assert_target_unchanged
}

# ---------------------------------------------------------------------------
# 12-15: a target or source that cannot be used
# ---------------------------------------------------------------------------

test_bad_target_in_recovery() {
    pg_start prim
    assert_eq replica "$(psqlq prim -c 'SHOW wal_level')" "sanity: the primary needs wal_level=replica"
    psqlq prim -c "CREATE DATABASE tgt TEMPLATE template0"
    local dir data port='' ok=0 i r=''
    dir=$(mktemp -d "$TMPROOT/pg-stby.XXXXXX")
    chmod 755 "$dir"
    if is_root; then chown postgres: "$dir"; fi
    data="$dir/data"
    # registered like pg_start's servers, so that the runner stops it too
    echo "stby $dir" >>"$TMPROOT/servers"
    at_exit "_pg_stop_dir '$dir'"
    _as_pg "$PG_BIN/pg_basebackup" -h "$prim_DIR" -p "$prim_PORT" -U postgres -D "$data" -R -X stream -c fast
    for i in 1 2 3; do
        port=$(free_port)
        {
            echo "port = $port"
            echo "unix_socket_directories = '$dir'"
            echo "hot_standby = on"
        } >>"$data/postgresql.auto.conf"
        if _as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >"$dir/pg_ctl.log" 2>&1; then
            ok=1
            break
        fi
        grep -q "could not bind\|Address already in use" "$dir/server.log" 2>/dev/null || break
    done
    [ "$ok" = 1 ] || _fail "could not start the standby" "$(tail -n 30 "$dir/server.log" 2>/dev/null)"
    # shellcheck disable=SC2034  # read by psqlq through ${NAME}_PORT / ${NAME}_DIR
    stby_PORT=$port stby_DIR=$dir
    for i in $(seq 1 300); do   # watchdog: 30 s
        r=$(psqlq stby tgt -c 'SELECT pg_is_in_recovery()' 2>/dev/null || true)
        [ "$r" = t ] && break
        sleep 0.1
    done
    assert_eq t "$r" "the standby must accept connections and be in recovery"
    local fp
    fp=$(target_fingerprint stby tgt)
    expect 2 recovery -- cb clone --source "$(src_url)" --target "postgresql://postgres@127.0.0.1:$port/tgt" \
        --state "$TEST_TMP/s.db"
    assert_target_unchanged stby tgt "$fp"
}

test_bad_target_read_only() {
    fresh_target
    psqlq dst -c "ALTER DATABASE \"$TGT_DB\" SET default_transaction_read_only = on"
    assert_eq on "$(psqlq dst "$TGT_DB" -c 'SHOW default_transaction_read_only')" "sanity: new sessions are read-only"
    expect 2 read-only -- cb clone --source "$(src_url)" --target "$TGT" --state "$TEST_TMP/s.db"
    assert_target_unchanged
}

test_bad_target_no_create_privilege() {
    psqlq dst -c "DO \$\$BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cb_nocreate') THEN CREATE ROLE cb_nocreate LOGIN; END IF;
        END\$\$"
    at_exit "psqlq dst -c 'DROP ROLE IF EXISTS cb_nocreate'"
    ERR_SCRUB=(cb_nocreate)   # "CREATE" must not be found in the role's name
    fresh_target
    psqlq dst "$TGT_DB" -c "REVOKE CREATE ON DATABASE \"$TGT_DB\" FROM PUBLIC" -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC"
    local conn="host=127.0.0.1 port=$dst_PORT user=cb_nocreate dbname=$TGT_DB"
    run_cmd psql -X -At "$conn" -c "CREATE SCHEMA s_probe"
    assert_ne 0 "$LAST_RC" "sanity: cb_nocreate must not be able to create a schema"
    run_cmd psql -X -At "$conn" -c "CREATE TABLE public.t_probe (x int)"
    assert_ne 0 "$LAST_RC" "sanity: cb_nocreate must not be able to create in public"
    expect 1 CREATE "privilege|permission" -- cb clone --source "$(src_url)" --target "$conn" --state "$TEST_TMP/s.db"
    assert_target_unchanged
}

test_bad_source_no_select_privilege() {
    # a copy of the fixture, so that the grants do not touch the shared source
    local db
    db="s_noselect_$$"
    psqlq src -c "CREATE DATABASE \"$db\" TEMPLATE \"$SRC_DB\""
    echo "src $db" >>"$TEST_TMP/.created_dbs"
    psqlq src -c "DO \$\$BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cb_noselect') THEN CREATE ROLE cb_noselect LOGIN BYPASSRLS; END IF;
        END\$\$"
    at_exit "psqlq src -c 'DROP ROLE IF EXISTS cb_noselect'"
    at_exit "psqlq src '$db' -c 'DROP OWNED BY cb_noselect'"
    psqlq src "$db" -c "GRANT USAGE ON SCHEMA public, billing TO cb_noselect" \
        -c "GRANT SELECT ON ALL TABLES IN SCHEMA public, billing TO cb_noselect" \
        -c "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public, billing TO cb_noselect" \
        -c "REVOKE SELECT ON public.task_comments FROM cb_noselect"
    local conn="host=127.0.0.1 port=$src_PORT user=cb_noselect dbname=$db"
    ERR_SCRUB=("$db" cb_noselect)   # "SELECT" must not be found in these names
    assert_eq 500 "$(psql -X -At "$conn" -c 'SELECT count(*) FROM public.users')" "sanity: cb_noselect reads public.users"
    run_cmd psql -X -At "$conn" -c "SELECT count(*) FROM public.task_comments"
    assert_ne 0 "$LAST_RC" "sanity: cb_noselect must not read public.task_comments"
    fresh_target
    expect 1 task_comments SELECT -- cb clone --source "$conn" --target "$TGT" --state "$TEST_TMP/s.db"
    assert_target_unchanged
}

# ---------------------------------------------------------------------------
# 16-24: the state file
# ---------------------------------------------------------------------------

test_bad_state_random_bytes() {
    local f="$TEST_TMP/random.db" sha
    head -c 4096 /dev/urandom >"$f"
    sha=$(file_sha "$f")
    expect 2 "state file" -- cb status --state "$f"
    assert_state_unchanged "$f" "$sha"
    expect 2 "state file" -- cb jobs --state "$f"
    assert_state_unchanged "$f" "$sha"
    fresh_target
    expect 2 "state file" -- cb clone --source "$(src_url)" --target "$TGT" --state "$f"
    assert_state_unchanged "$f" "$sha"
    assert_target_unchanged
}

test_bad_state_truncated() {
    valid_state
    local f="$TEST_TMP/truncated.db" size sha
    cp "$STATE" "$f"
    size=$(stat -c %s "$f")
    truncate -s $((size / 2)) "$f"
    sha=$(file_sha "$f")
    expect 2 "state file" -- cb status --state "$f"
    assert_state_unchanged "$f" "$sha"
    expect 2 "state file" -- cb jobs --state "$f"
    assert_state_unchanged "$f" "$sha"
}

test_bad_state_newer_format() {
    valid_state
    local f="$TEST_TMP/newer.db" sha
    cp "$STATE" "$f"
    if command -v sqlite3 >/dev/null; then
        sqlite3 "$f" 'PRAGMA user_version = 99; PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
        rm -f "$f-wal" "$f-shm"
    else
        # SQLite's user_version: 4 bytes, big-endian, at offset 60
        printf '\000\000\000\143' | dd of="$f" bs=1 seek=60 conv=notrunc status=none
    fi
    assert_eq "0 0 0 99" "$(od -An -tu1 -j60 -N4 "$f" | xargs)" "sanity: user_version must be 99"
    sha=$(file_sha "$f")
    expect 2 newer -- cb status --state "$f"
    assert_state_unchanged "$f" "$sha"
    expect 2 newer -- cb jobs --state "$f"
    assert_state_unchanged "$f" "$sha"
    fresh_target
    expect 2 newer -- cb clone --source "$(src_url)" --target "$TGT" --state "$f"
    assert_state_unchanged "$f" "$sha"
    assert_target_unchanged
}

test_bad_state_dir_missing() {
    # (/nonexistent/dir/x.db in the README; here under the test's directory
    # so that a wrong mkdir could not touch /)
    local p="$TEST_TMP/nonexistent/dir/x.db"
    fresh_target
    expect 2 directory mkdir -- cb clone --source "$(src_url)" --target "$TGT" --state "$p"
    assert_true "clone must not create the state directory" test ! -e "$TEST_TMP/nonexistent"
    assert_target_unchanged
    expect 2 -- cb status --state "$p"
    assert_true "status must not create the state directory" test ! -e "$TEST_TMP/nonexistent"
}

test_bad_state_missing_for_status() {
    local f
    expect 2 "state file" -- cb status --state ./nope.db
    for f in nope.db nope.db-wal nope.db-shm nope.db-journal; do
        assert_true "status must not create $f" test ! -e "$TEST_TMP/$f"
    done
    expect 2 "state file" -- cb jobs --state ./nope.db
    for f in nope.db nope.db-wal nope.db-shm nope.db-journal; do
        assert_true "jobs must not create $f" test ! -e "$TEST_TMP/$f"
    done
}

test_bad_state_dir_not_writable() {
    is_root || skip "needs root to run clonebox as another user"
    command -v runuser >/dev/null || skip "runuser is not available"
    runuser -u nobody -- true 2>/dev/null || skip "cannot run commands as nobody"
    # a copy nobody can execute, wherever the checkout is (a 0700 temp dir, say)
    local bin="$TEST_TMP/bin/clonebox"
    mkdir -p "$TEST_TMP/bin" && cp "$CLONEBOX_BIN" "$bin" && chmod 755 "$TEST_TMP/bin" "$bin"
    runuser -u nobody -- test -x "$bin" || skip "nobody cannot execute $bin"
    local d="$TEST_TMP/rostate"
    mkdir "$d"
    chmod 0755 "$d"
    if runuser -u nobody -- test -w "$d"; then skip "nobody can write into $d"; fi
    fresh_target
    expect 2 "permission|writable" -- runuser -u nobody -- timeout -k 5 "$CB_TIMEOUT" "$bin" clone \
        --source "$(src_url)" --target "$TGT" --state "$d/s.db"
    assert_true "no state file may appear" test ! -e "$d/s.db"
    assert_target_unchanged
}

test_bad_state_disk_full() {
    is_root || skip "needs root to mount a tmpfs"
    local d="$TEST_TMP/full"
    mkdir "$d"
    mount -t tmpfs -o size=300k tmpfs "$d" 2>/dev/null || skip "cannot mount a tmpfs here"
    at_exit "umount '$d' || umount -l '$d'"
    fresh_target
    # the target may be partly written here: no check of it
    expect 1 "disk|full" -- cb clone --source "$(src_url)" --target "$TGT" --state "$d/s.db"
}

test_bad_state_locked() {
    need_sqlite3
    fresh_target
    STATE="$TEST_TMP/s.db"
    assert_exit 0 cb start --source "$(src_url)" --target "$TGT" --state "$STATE"
    local rows fp i
    rows=$(job_rows "$STATE")
    fp=$(target_fingerprint dst "$TGT_DB")
    # another process holds flock() on the state file
    (
        exec 9<>"$STATE"
        flock -x 9
        : >"$TEST_TMP/locked"
        exec sleep 60
    ) </dev/null >/dev/null 2>&1 &
    local holder=$!
    at_exit "kill $holder"
    for i in $(seq 1 200); do   # watchdog: 10 s
        [ -e "$TEST_TMP/locked" ] && break
        sleep 0.05
    done
    assert_true "the lock holder must have the lock" test -e "$TEST_TMP/locked"
    expect 5 busy -- cb resume --state "$STATE"
    assert_eq "$rows" "$(job_rows "$STATE")" "the job table changed"
    assert_target_unchanged dst "$TGT_DB" "$fp"
}

test_bad_unknown_job_id() {
    need_sqlite3
    valid_state
    local rows
    rows=$(job_rows "$STATE")
    expect 2 999 -- cb status 999 --state "$STATE"
    assert_eq "$rows" "$(job_rows "$STATE")" "status 999 changed the job table"
    expect 2 999 -- cb resume 999 --state "$STATE"
    assert_eq "$rows" "$(job_rows "$STATE")" "resume 999 changed the job table"
    expect 2 999 -- cb cancel 999 --state "$STATE"
    assert_eq "$rows" "$(job_rows "$STATE")" "cancel 999 changed the job table"
}

# ---------------------------------------------------------------------------
# 25-27: odd sources
# ---------------------------------------------------------------------------

test_bad_empty_source() {
    local sdb
    sdb=$(new_db src)
    fresh_target
    assert_exit 0 cb clone --source "$(pg_url src "$sdb")" --target "$TGT" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_no_error_line
}

test_bad_all_tables_excluded() {
    fresh_target
    # pg_dump's rules: '*' alone matches the tables in the search_path, '*.*' every table
    assert_exit 0 cb clone --exclude-table '*.*' --source "$(src_url)" --target "$TGT" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_no_error_line
    local t n=0
    while read -r t; do
        n=$((n + 1))
        printf '%s\n' "$LAST_OUT" | grep -F -- "$t" | grep -qi 'exclu' ||
            _fail "the report must list $t as excluded" "  report:" "$(_show "$LAST_OUT")"
    done < <(psqlq src "$SRC_DB" -c "SELECT n.nspname || '.' || c.relname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname IN ('public', 'billing') ORDER BY 1")
    assert_true "the fixture has tables" test "$n" -gt 10
}

test_bad_source_is_target() {
    local before
    before=$(db_digests src "$SRC_DB")
    expect 2 "same database" -- cb clone --source "$(src_url)" --target "$(src_url)" \
        --state "$TEST_TMP/s.db" --clean --yes
    assert_eq "$before" "$(db_digests src "$SRC_DB")" "the source's rows changed"
}

# ---------------------------------------------------------------------------
# 28-33: more command-line mistakes
# ---------------------------------------------------------------------------

test_bad_too_many_arguments() {
    valid_state
    expect 2 -- cb status 1 2 --state "$STATE"
    assert_state_unchanged "$STATE" "$STATE_SHA"
}

test_bad_unknown_command() {
    expect 2 frob -- cb frob
}

test_bad_cancel_without_job() {
    valid_state
    expect 2 -- cb cancel --state "$STATE"
    assert_state_unchanged "$STATE" "$STATE_SHA"
}

test_bad_clean_without_yes() {
    fresh_target
    expect 2 --yes -- cb clone --clean --source "$(src_url)" --target "$TGT" --state "$TEST_TMP/s.db"
    assert_target_unchanged
}

test_bad_state_is_directory() {
    mkdir "$TEST_TMP/statedir"
    fresh_target
    expect 2 "state file" -- cb clone --source "$(src_url)" --target "$TGT" --state "$TEST_TMP/statedir"
    assert_target_unchanged
    expect 2 "state file" -- cb status --state "$TEST_TMP/statedir"
    assert_eq "" "$(ls -A "$TEST_TMP/statedir")" "nothing may be created inside the directory"
}

test_bad_empty_source_string() {
    fresh_target
    expect 2 -- env -u CLONEBOX_SOURCE timeout -k 5 "$CB_TIMEOUT" "$CLONEBOX_BIN" clone --source '' \
        --target "$TGT" --state "$TEST_TMP/s.db"
    assert_target_unchanged
}

# ---------------------------------------------------------------------------
# 34-35: names and certificates
# ---------------------------------------------------------------------------

test_bad_unresolvable_host() {
    fresh_target
    expect 4 "nonexistent.invalid|translate" -- cb clone \
        --source "host=nonexistent.invalid port=5432 user=postgres dbname=app connect_timeout=5" \
        --target "$TGT" --state "$TEST_TMP/s.db"
    assert_target_unchanged
}

test_bad_missing_root_cert() {
    command -v openssl >/dev/null || skip "openssl is not installed"
    # a server with TLS on (self-signed), so that libpq gets as far as
    # loading the root certificate
    local k="$TEST_TMP/keys"
    mkdir -p "$k"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$k/server.key" \
        -out "$k/server.crt" -days 3650 -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
    chmod 600 "$k/server.key"
    if is_root; then chown -R postgres: "$k"; fi
    pg_start tlsrc "ssl = on" "ssl_cert_file = '$k/server.crt'" "ssl_key_file = '$k/server.key'"
    assert_eq on "$(psqlq tlsrc -c 'SHOW ssl')" "sanity: the server has TLS on"
    assert_true "sanity: /nonexistent/ca.pem must not exist" test ! -e /nonexistent/ca.pem
    ERR_SCRUB=("sslrootcert='/nonexistent/ca.pem'" "sslrootcert=/nonexistent/ca.pem")   # not the echoed parameter
    fresh_target
    expect 4 "root certificate|sslrootcert" -- cb clone \
        --source "host=127.0.0.1 port=$tlsrc_PORT user=postgres dbname=postgres sslmode=verify-full sslrootcert=/nonexistent/ca.pem" \
        --target "$TGT" --state "$TEST_TMP/s.db"
    assert_target_unchanged
}

# ---------------------------------------------------------------------------
# 36-37
# ---------------------------------------------------------------------------

test_bad_nonempty_target_without_clean() {
    clone_fixture --quiet
    local fp rows
    fp=$(target_fingerprint dst "$TGT_DB")
    rows=$(db_digests dst "$TGT_DB")
    expect 2 --clean already -- cb clone --new --source "$SRC_CONN" --target "$TGT_CONN" --state "$STATE"
    assert_target_unchanged dst "$TGT_DB" "$fp"
    assert_eq "$rows" "$(db_digests dst "$TGT_DB")" "the refused clone changed the target's rows"
}

test_bad_password_in_url() {
    local secret=Sekr3tCanary
    fresh_target
    assert_exit 0 cb clone --source "postgresql://postgres:$secret@127.0.0.1:$src_PORT/$SRC_DB" --target "$TGT" \
        --state "$TEST_TMP/s.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_no_error_line
    printf '%s\n' "$LAST_ERR" | grep -i 'process list' | grep -q '^clonebox: warning' ||
        _fail "stderr needs a 'clonebox: warning:' line that mentions the process list" "  stderr:" "$(_show "$LAST_ERR")"
    assert_not_contains "$LAST_OUT$LAST_ERR" "$secret" "the password must never be printed"
    assert_state_clean "$TEST_TMP/s.db" "$secret"
}

# ---------------------------------------------------------------------------
# the source or the target changes while a clone runs (clonebox pauses at a
# named point through its test hook; the test changes a database meanwhile)
# ---------------------------------------------------------------------------

# _clone_with_change SRCDB TGTDB SERVER DB SQL: clone SRCDB into TGTDB,
# pausing after the first chunk of the data phase to run SQL on SERVER/DB;
# sets LAST_RC, LAST_OUT, LAST_ERR.
_clone_with_change() {
    local srcdb=$1 tgtdb=$2 server=$3 db=$4 sql=$5
    # one worker, so that the pause holds the whole run while the test changes a database
    start_paused data:1:pause "$TEST_TMP/c" clone --jobs 1 --source "$(pg_url src "$srcdb")" \
        --target "$(pg_url dst "$tgtdb")" --state "$TEST_TMP/s.db"
    psqlq "$server" "$db" -c "$sql"
    end_pause
    LAST_OUT=$(cat "$TEST_TMP/c.out"); LAST_ERR=$(grep -v '^clonebox: test fault' "$TEST_TMP/c.err" || true)
    echo "exit $LAST_RC"; printf '%s\n' "$LAST_ERR" | grep -v '^clonebox: \[' || true
}

# a private copy of the source database, so that a test may change it
_source_copy() {
    local db
    db=$(new_db src srccopy)
    psqlq src postgres -c "DROP DATABASE \"$db\"" -c "CREATE DATABASE \"$db\" TEMPLATE \"$SRC_DB\""
    echo "$db"
}

test_bad_source_table_dropped_mid_run() {
    local srcdb tgt
    srcdb=$(_source_copy); tgt=$(new_db dst)
    _clone_with_change "$srcdb" "$tgt" src "$srcdb" "DROP TABLE public.audit_log"
    assert_eq 1 "$LAST_RC" "a table dropped on the source mid-run fails the job"
    assert_error_line "audit_log" "dropped" "--new"
}

test_bad_source_column_added_mid_run() {
    local srcdb tgt
    srcdb=$(_source_copy); tgt=$(new_db dst)
    _clone_with_change "$srcdb" "$tgt" src "$srcdb" "ALTER TABLE public.audit_log ADD COLUMN added_later int DEFAULT 7"
    # the rows planned are copied; the report names the new column
    assert_eq 3 "$LAST_RC" "a column added on the source mid-run is a verified difference"
    assert_contains "$LAST_OUT" "MISSING table column public.audit_log.added_later"
    assert_contains "$LAST_OUT" "RESULT: FAIL"
}

test_bad_target_table_altered_mid_run() {
    local tgt
    tgt=$(new_db dst)
    _clone_with_change "$SRC_DB" "$tgt" dst "$tgt" "ALTER TABLE public.audit_log DROP COLUMN action"
    assert_eq 1 "$LAST_RC" "a target table altered mid-run fails the job"
    assert_error_line "audit_log" "action"
}

# A DDL statement that fails names the object, the server's message, the
# flag that fixes it, and the statement (cut to 200 characters).
test_bad_ddl_error_names_the_statement() {
    local tgt
    tgt=$(new_db dst)
    _clone_with_change "$SRC_DB" "$tgt" dst "$tgt" "CREATE TABLE public.users_org_id_idx (x int)"
    assert_eq 1 "$LAST_RC" "an object in the way fails the job"
    assert_contains "$LAST_ERR" "creating index public.users_org_id_idx on the target"
    assert_contains "$LAST_ERR" "already exists"
    assert_contains "$LAST_ERR" "--clean"
    assert_contains "$LAST_ERR" "Statement: CREATE INDEX users_org_id_idx ON public.users"
}
