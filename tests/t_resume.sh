# shellcheck shell=bash
# Resumable jobs: kill -9 and resume, step budgets, connection faults,
# concurrent runners, stale jobs, cancel, --clean, option mismatches.
#
# The kill/resume scenario (kill_resume_scenario) is shared with tests/kill.sh.
#
# env: KILL_SEED    seed of the kill delays (default: random, printed as seed=N)
#      KILL_COUNT   kills before the job may finish (default 30)
#      KILL_SCALE   fixture scale of the kill test (default 20)

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

# scaled_source SCALE: print the name of a database on the shared source
# server holding tests/fixture.sql at SCALE.  Loaded once per suite (the
# source is never modified by these tests), shared between tests.
scaled_source() {
    local scale=$1 db="app_scale$1"
    (
        flock 9
        if [ ! -f "$TMPROOT/.scaled_$scale.ok" ]; then
            local t0=$EPOCHREALTIME
            psqlq src postgres -c "DROP DATABASE IF EXISTS $db" >&2
            psqlq src postgres -c "CREATE DATABASE $db TEMPLATE template0" >&2
            load_fixture src "$db" "$scale" >&2
            : >"$TMPROOT/.scaled_$scale.ok"
            echo "loaded fixture at scale $scale into src/$db in $(_secs_since "$t0") s" >&2
        fi
    ) 9>"$TMPROOT/.scaled_$scale.lock"
    echo "$db"
}

# _secs_since START: seconds (3 decimals) since START (an $EPOCHREALTIME / date +%s.%N value)
_secs_since() {
    awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'
}

# _ms_to_s MS: "S.mmm" for sleep
_ms_to_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# _rand_ms LO HI: set RAND_MS to a pseudo-random integer in [LO, HI] drawn from
# bash's RANDOM (seeded by the caller).  Not used in $(...): a subshell would
# not advance the caller's generator.
RAND_MS=0
_rand_ms() {
    local lo=$1 hi=$2
    [ "$hi" -ge "$lo" ] || hi=$lo
    RAND_MS=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
}

# job_json STATE [JOB] [extra args]: status --json of a job ('' when none)
job_json() {
    local state=$1; shift
    timeout 30 "$CLONEBOX_BIN" status "$@" --json --state "$state" 2>/dev/null || true
}

# job_field STATE FIELD [JOB]: one field of status --json ('' when unknown)
job_field() {
    local j
    j=$(job_json "$1" ${3:+"$3"})
    [ -n "$j" ] || return 0
    printf '%s' "$j" | jq -r ".$2 // empty" 2>/dev/null || true
}

# wait_for_phase STATE PHASE PID [TIMEOUT_S]: poll status until the job's phase
# is PHASE (or later than it when PHASE is "data": any of data/postdata/verify
# fails the wait, as the test wants to catch the data phase).  Fails if PID
# exits first.
wait_for_phase() {
    local state=$1 want=$2 pid=$3 limit=${4:-60} t0=$EPOCHREALTIME ph=''
    while :; do
        ph=$(job_field "$state" phase)
        [ "$ph" = "$want" ] && { echo "phase $want reached after $(_secs_since "$t0") s" >&2; return 0; }
        pid_alive "$pid" || _fail "clonebox (pid $pid) ended before phase $want (last phase seen: '${ph}')"
        awk -v s="$(_secs_since "$t0")" -v l="$limit" 'BEGIN { exit !(s > l) }' &&
            _fail "phase $want not reached within $limit s (last phase seen: '${ph}')"
        sleep 0.05
    done
}

# bg_clone OUTPREFIX ARGS...: start the binary under test (no timeout wrapper,
# so that kill -9 hits clonebox itself) in the background; sets BG_PID.
# stdout/stderr go to OUTPREFIX.out / OUTPREFIX.err.
BG_PID=''
bg_clone() {
    local p=$1; shift
    "$CLONEBOX_BIN" "$@" >"$p.out" 2>"$p.err" </dev/null &
    BG_PID=$!
}

# report_tables_digest JSON: "schema.table rows rows checksum checksum status"
# per table of a --json report, sorted
report_tables_digest() {
    printf '%s' "$1" | jq -r '.tables[] | [(.schema + "." + .table), .source_rows, .target_rows,
        .source_checksum, .target_checksum, .status] | map(tostring) | join(" ")' | LC_ALL=C sort
}

# ---------------------------------------------------------------------------
# the kill -9 / resume scenario (also used by tests/kill.sh)
# ---------------------------------------------------------------------------

# _PROGRESS: jq program estimating the fraction of a job's wall time done,
# from status --json (phase weights measured on the fixture: plan+schema ~5 %,
# data ~30 %, postdata ~20 %, verify ~45 %)
_PROGRESS='if .phase == "data" then 0.05 + 0.30 * (if .rows_total > 0 then .rows_copied / .rows_total else 0 end)
           elif .phase == "postdata" then 0.40 elif .phase == "verify" then 0.70 elif .phase == "done" then 1
           elif .phase == "schema" then 0.03 else 0 end | . * 100 | floor / 100'

# kill_resume_scenario SRCDB KILLS SEED
#   1. measures an uninterrupted clone of src/SRCDB (into a scratch database);
#   2. into a fresh target: repeatedly starts `clonebox clone` and kill -9s it
#      after a seeded random delay.  A kill "hits" when the killed run had
#      taken the job (the job's run counter went up); a kill that lands while
#      the process is still starting is counted but not as a hit.  Until KILLS
#      kills have hit, delays are short
#      (50 ms .. max(150 ms, 2 * remaining time / (remaining kills + 1)),
#      remaining time estimated from the job's phase; the first kills at most
#      400 ms, in plan/schema) so the job does not
#      finish early;
#      after that they are drawn from 50 ms .. T, so kills land in every
#      phase, until a run finishes by itself;
#   3. runs clone once more: the stored report, exit 0, RESULT: PASS;
#   4. every table equals the source; background_tasks is empty; the job's
#      run counter is >= the hits (the final run adds one unless a hit came
#      after the job had finished).
#   Sets KR_TGT_DB, KR_STATE, KR_KILLS.  KR_EXTRA (an array) holds options
#   given to every clone (e.g. --jobs 4).
KR_EXTRA=()
kill_resume_scenario() {
    local srcdb=$1 kills_wanted=$2 seed=$3
    local src_conn tgt_conn scratch t0 T_ms hi1 n=0 kills=0 hits=0 job_hits=0 runs=0 prev_runs=0 rc ms ph maxruns left j prog=0
    local -A hist=()
    echo "seed=$seed kills=$kills_wanted source=src/$srcdb"
    RANDOM=$seed
    src_conn=$(pg_url src "$srcdb")

    # 1. uninterrupted duration
    scratch=$(new_db dst kscratch)
    t0=$(date +%s.%N)
    assert_exit 0 cb clone --quiet "${KR_EXTRA[@]}" --source "$src_conn" --target "$(pg_url dst "$scratch")" --state "$TEST_TMP/scratch.db"
    T_ms=$(awk -v s="$(_secs_since "$t0")" 'BEGIN { printf "%d", s * 1000 }')
    echo "uninterrupted clone: ${T_ms} ms"
    assert_contains "$LAST_OUT" "RESULT: PASS"

    # 2. kill loop
    KR_TGT_DB=$(new_db dst kill)
    KR_STATE="$TEST_TMP/kill-state.db"
    tgt_conn=$(pg_url dst "$KR_TGT_DB")
    maxruns=$((kills_wanted * 4 + 200))
    while :; do
        n=$((n + 1))
        [ "$n" -le "$maxruns" ] || _fail "the job did not finish after $n runs ($kills kills, seed $seed)"
        if [ "$hits" -lt "$kills_wanted" ]; then
            # spread the remaining (estimated) time over the remaining hits
            left=$((kills_wanted - hits)); [ "$left" -ge 1 ] || left=1
            hi1=$(awk -v t="$T_ms" -v p="$prog" -v l="$left" -v k="$hits" 'BEGIN { h = 2 * t * (1 - p) / (l + 1); if (p < 0.05 && k < 5 && h > 400) h = 400; if (h < 150) h = 150; if (h > t) h = t; printf "%d", h }')
            _rand_ms 50 "$hi1"
        else
            _rand_ms 50 "$T_ms"
        fi
        ms=$RAND_MS
        bg_clone "$TEST_TMP/run" clone "${KR_EXTRA[@]}" --source "$src_conn" --target "$tgt_conn" --state "$KR_STATE"
        sleep "$(_ms_to_s "$ms")"
        kill -9 "$BG_PID" 2>/dev/null || true
        rc=0; wait "$BG_PID" 2>/dev/null || rc=$?
        if [ "$rc" = 137 ]; then
            kills=$((kills + 1))
            ph=$(job_field "$KR_STATE" phase); ph=${ph:-none}
            j=$(job_json "$KR_STATE")
            runs=0 prog=0
            if [ -n "$j" ]; then
                runs=$(printf '%s' "$j" | jq -r '.runs // 0')
                prog=$(printf '%s' "$j" | jq -r "$_PROGRESS")
            fi
            if [ "$runs" -gt "$prev_runs" ]; then
                hits=$((hits + 1)); job_hits=$((job_hits + 1)); prev_runs=$runs
                hist[$ph]=$((${hist[$ph]:-0} + 1))
            else
                ph="$ph, before the run took the job"
            fi
            echo "run $n: kill -9 after ${ms} ms, phase $ph, job runs $runs, progress ~$prog"
        elif [ "$rc" = 0 ]; then
            echo "run $n: finished by itself within ${ms} ms"
            assert_contains "$(cat "$TEST_TMP/run.out")" "RESULT: PASS" "run $n exited 0 without RESULT: PASS"
            [ "$hits" -lt "$kills_wanted" ] || break
            # The job ended before enough kills had hit it (the delays are
            # drawn at random): check this target, then go on with a new
            # job on a new target, so the test always reaches its count.
            echo "only $hits of $kills_wanted hits so far: checking this target, then a new job"
            assert_tables_equal src "$srcdb" dst "$KR_TGT_DB" public.background_tasks
            jq_assert "$(job_json "$KR_STATE")" '.status == "done" and .result == "PASS"' "job must be done with PASS"
            KR_TGT_DB=$(new_db dst kill)
            KR_STATE="$TEST_TMP/kill-state-$n.db"
            tgt_conn=$(pg_url dst "$KR_TGT_DB")
            prev_runs=0 prog=0 job_hits=0
        else
            _fail "run $n (not killed, after ${ms} ms) exited $rc (seed $seed)" \
                "  stdout:" "$(_show "$(cat "$TEST_TMP/run.out")")" "  stderr:" "$(_show "$(cat "$TEST_TMP/run.err")")"
        fi
    done
    KR_KILLS=$kills
    echo "kills: $kills, of which $hits hit a run that had taken the job; hits by phase:"
    for ph in "${!hist[@]}"; do echo "  $ph: ${hist[$ph]}"; done

    # 3. once more: the stored report
    assert_exit 0 cb clone "${KR_EXTRA[@]}" --source "$src_conn" --target "$tgt_conn" --state "$KR_STATE"
    assert_contains "$LAST_OUT" "RESULT: PASS" "clone after the kills must report RESULT: PASS"
    assert_contains "$LAST_ERR" "already finished" "clone of a finished job must print the stored report"

    # 4. the target
    assert_tables_equal src "$srcdb" dst "$KR_TGT_DB" public.background_tasks
    assert_eq "$(table_multiset src "$srcdb" public.raw_events)" "$(table_multiset dst "$KR_TGT_DB" public.raw_events)" \
        "keyless public.raw_events (with duplicates) differs"
    local dups
    dups=$(psqlq dst "$KR_TGT_DB" -c "SELECT count(*) - count(DISTINCT r) FROM (SELECT t::text r FROM public.raw_events t) s")
    [ "$dups" -gt 0 ] || _fail "raw_events on the target has no duplicate rows (fixture changed?)"
    assert_eq 0 "$(table_count dst "$KR_TGT_DB" public.background_tasks)" "background_tasks rows must not be copied"
    local j
    j=$(job_json "$KR_STATE")
    jq_assert "$j" ".status == \"done\" and .result == \"PASS\"" "job must be done with PASS"
    jq_assert "$j" ".runs >= $job_hits and .runs <= $n" "the job's run counter must count its $job_hits hits and not exceed the $n invocations"
    echo "job runs: $(printf '%s' "$j" | jq .runs), kills: $kills, hits: $hits, clone invocations: $n"
}

# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------

test_kill_resume() {
    local db seed=${KILL_SEED:-$RANDOM}
    echo "seed=$seed (rerun with KILL_SEED=$seed)"
    db=$(scaled_source "${KILL_SCALE:-20}")
    kill_resume_scenario "$db" "${KILL_COUNT:-30}" "$seed"
}

test_step_budget() {
    local db src_conn tgt tgt_conn state id i rc t0 wall budget=0.5 steps=0
    db=$(scaled_source 20)   # big enough that no 0.5 s step can do it all, on a fast machine too
    src_conn=$(pg_url src "$db")
    tgt=$(new_db dst)
    tgt_conn=$(pg_url dst "$tgt")
    state="$TEST_TMP/state.db"
    assert_exit 0 cb start --source "$src_conn" --target "$tgt_conn" --state "$state"
    id=$LAST_OUT
    [[ "$id" =~ ^[0-9]+$ ]] || _fail "start must print the job id on stdout" "$(_show "$LAST_OUT")"
    for i in $(seq 1 40); do
        t0=$(date +%s.%N)
        run_cmd cb step "$id" --budget "${budget}s" --state "$state"
        wall=$(_secs_since "$t0")
        rc=$LAST_RC steps=$i
        echo "step $i: exit $rc in $wall s"
        awk -v w="$wall" -v b="$budget" 'BEGIN { exit !(w <= b + 2) }' ||
            _fail "step $i took $wall s, budget ${budget}s (+2 s allowed)"
        case "$rc" in
            75) continue ;;
            0) break ;;
            *) _fail "step $i exited $rc (want 0 or 75)" "  stderr:" "$(_show "$LAST_ERR")" ;;
        esac
    done
    assert_eq 0 "$rc" "the job did not finish within $steps steps"
    [ "$steps" -ge 2 ] || _fail "the job finished in a single ${budget}s step: fixture too small to test budgets"
    assert_contains "$LAST_OUT" "RESULT: PASS" "final step must print the report with RESULT: PASS"
    assert_tables_equal src "$db" dst "$tgt" public.background_tasks
    assert_eq 0 "$(table_count dst "$tgt" public.background_tasks)"
    # the stored report, as JSON
    assert_exit 0 cb clone --json --source "$src_conn" --target "$tgt_conn" --state "$state"
    local stepped=$LAST_OUT
    assert_json "$stepped"
    jq_assert "$stepped" '.result == "PASS"'
    # an uninterrupted clone of the same source: same counts and checksums
    local tgt2
    tgt2=$(new_db dst)
    assert_exit 0 cb clone --json --source "$src_conn" --target "$(pg_url dst "$tgt2")" --state "$TEST_TMP/state2.db"
    local direct=$LAST_OUT
    jq_assert "$direct" '.result == "PASS"'
    jq_assert "$stepped" '.tables | length >= 14'
    assert_eq "$(report_tables_digest "$direct")" "$(report_tables_digest "$stepped")" \
        "report tables of the stepped job (+) differ from an uninterrupted clone (-)"
}

# A budget smaller than any unit of work: every step still does exactly one
# unit (the plan, one DDL object, one copy chunk or one verification chunk),
# so the loop advances each time; the verification of a table bigger than
# one chunk is cut between steps, and the report still equals an
# uninterrupted run (no chunk counted twice or skipped).
test_step_one_unit_each() {
    local db src_conn tgt tgt_conn state id i rc=75 j prev='' cur midverify=0
    db=$(scaled_source 3)
    src_conn=$(pg_url src "$db")
    tgt=$(new_db dst)
    tgt_conn=$(pg_url dst "$tgt")
    state="$TEST_TMP/state.db"
    assert_exit 0 cb start --source "$src_conn" --target "$tgt_conn" --state "$state"
    id=$LAST_OUT
    for i in $(seq 1 600); do
        run_cmd cb step "$id" --budget 1ms --state "$state"
        rc=$LAST_RC
        case "$rc" in
            75|0) ;;
            *) _fail "step $i exited $rc (want 0 or 75)" "  stderr:" "$(_show "$LAST_ERR")" ;;
        esac
        j=$(job_json "$state" "$id")
        cur=$(printf '%s' "$j" | jq -c '[.items_done, .rows_copied, ([.tables[].rows_verified] | add)]')
        [ "$cur" != "$prev" ] || _fail "step $i made no progress (items done, rows copied, rows verified: $cur)"
        prev=$cur
        # task_comments (24000 rows at scale 3) needs two verification chunks
        printf '%s' "$j" | jq -e '.tables[] | select(.table == "public.task_comments")
            | .rows_verified > 0 and .rows_verified < .rows_total' >/dev/null && midverify=$((midverify + 1))
        [ "$rc" = 75 ] || break
    done
    assert_eq 0 "$rc" "the job did not finish within $i steps"
    echo "$i steps; $midverify ended inside the verification of public.task_comments"
    [ "$midverify" -ge 1 ] || _fail "no step ended between two verification chunks of public.task_comments"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_exit 0 cb clone --json --source "$src_conn" --target "$tgt_conn" --state "$state"
    local stepped=$LAST_OUT tgt2
    tgt2=$(new_db dst)
    assert_exit 0 cb clone --json --source "$src_conn" --target "$(pg_url dst "$tgt2")" --state "$TEST_TMP/state2.db"
    assert_eq "$(report_tables_digest "$LAST_OUT")" "$(report_tables_digest "$stepped")" \
        "report tables of the one-unit steps (+) differ from an uninterrupted clone (-)"
}

# Verification in chunks still sees every row: a changed row in a middle
# chunk and an extra target row past the source's last key.
test_verify_chunks_see_every_row() {
    local db src_conn tgt tgt_conn
    db=$(scaled_source 10)
    src_conn=$(pg_url src "$db")
    tgt=$(new_db dst)
    tgt_conn=$(pg_url dst "$tgt")
    assert_exit 0 cb clone --quiet --source "$src_conn" --target "$tgt_conn" --state "$TEST_TMP/s.db"
    psqlq dst "$tgt" -c "UPDATE public.task_comments SET body = body || '!'
        WHERE id = (SELECT id FROM public.task_comments ORDER BY id OFFSET 50000 LIMIT 1)" >/dev/null
    psqlq dst "$tgt" -c "INSERT INTO public.tasks (id, project_id, title, created_at, updated_at) OVERRIDING SYSTEM VALUE
        SELECT max(id) + 1000, min(project_id), 'extra', now(), now() FROM public.tasks" >/dev/null
    assert_exit 3 cb verify --json --source "$src_conn" --target "$tgt_conn"
    local r=$LAST_OUT
    jq_assert "$r" '.result == "FAIL"'
    jq_assert "$r" '.tables[] | select(.schema == "public" and .table == "task_comments")
        | .status == "diff" and .source_rows == .target_rows and .source_checksum != .target_checksum'
    jq_assert "$r" '.tables[] | select(.schema == "public" and .table == "tasks")
        | .status == "diff" and .target_rows == .source_rows + 1'
    jq_assert "$r" '[.tables[] | select(.status == "diff")] | length == 2' "only the two changed tables differ"
}

# Lost connections at named points (clonebox's test hook makes its own
# session terminate itself at the N-th checkpoint of a phase), on each side
# and in every phase: one invocation survives them all and ends exact.
test_connection_fault() {
    local db src_conn tgt spec n
    db=$(scaled_source 2)
    src_conn=$(pg_url src "$db")
    for spec in \
        "plan:1:term-src,schema:2:term-dst,data:2:term-src,data:5:term-dst,postdata:2:term-src,postdata:4:term-dst,verify:2:term-dst,verify:5:term-src" \
        "schema:5:term-src,data:1:term-dst,data:9:term-src,postdata:7:term-dst,verify:1:term-src,verify:9:term-dst"; do
        tgt=$(new_db dst)
        # one worker, so that each phase's fault points are counted in that phase (with more, an idle
        # worker checks tables while post-data runs)
        run_cmd env CLONEBOX_TEST_FAULT="$spec" timeout -k 5 120 "$CLONEBOX_BIN" clone --jobs 1 --source "$src_conn" \
            --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/state-$tgt.db"
        assert_eq 0 "$LAST_RC" "clone must survive terminated connections in a single invocation ($spec)"
        assert_contains "$LAST_OUT" "RESULT: PASS"
        n=$(printf '%s\n' "$LAST_ERR" | grep -c "test fault at" || true)
        assert_eq "$(printf '%s' "$spec" | tr ',' '\n' | grep -c .)" "$n" "every fault point must have been reached ($spec)"
        assert_contains "$LAST_ERR" "retrying" "stderr should say it is retrying"
        # the report counts the retries
        assert_contains "$LAST_OUT" " $(printf '%s\n' "$LAST_ERR" | grep -c "retrying in") retries;"
        assert_tables_equal src "$db" dst "$tgt" public.background_tasks
    done
    # the same with three workers: each retries its own sessions; where the faults land depends on which
    # worker reaches a checkpoint first
    tgt=$(new_db dst)
    spec="schema:2:term-dst,data:2:term-src,data:5:term-dst,postdata:3:term-src,postdata:6:term-dst"
    run_cmd env CLONEBOX_TEST_FAULT="$spec" timeout -k 5 120 "$CLONEBOX_BIN" clone --jobs 3 --source "$src_conn" \
        --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/state-jobs3.db"
    assert_eq 0 "$LAST_RC" "clone --jobs 3 must survive terminated connections"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    n=$(printf '%s\n' "$LAST_ERR" | grep -c "test fault at" || true)
    [ "$n" -ge 3 ] || _fail "only $n fault points were reached with three workers"
    assert_contains "$LAST_ERR" "retrying"
    assert_tables_equal src "$db" dst "$tgt" public.background_tasks
}

# _restart_at_pauses SERVER PID: while clonebox (PID) runs, restart SERVER
# (pg_ctl restart -m fast) each time clonebox pauses at a fault point.
_restart_at_pauses() {
    local server=$1 pid=$2 datavar n=0
    datavar="${server}_DATA"
    while pid_alive "$pid"; do
        if [ -e "$CLONEBOX_TEST_FAULT_DIR/paused" ]; then
            _as_pg "$PG_BIN/pg_ctl" -D "${!datavar}" -m fast -w -t 60 restart >/dev/null 2>&1 ||
                echo "restart of $server failed" >&2
            n=$((n + 1))
            rm -f "$CLONEBOX_TEST_FAULT_DIR/paused"
        fi
        sleep 0.05
    done
    echo "$n"
}

# Each server restarted (fast shutdown: sessions terminated, connections
# refused, then "starting up") in every phase of one clone: clonebox
# reconnects with backoff (--retry-for) and the job ends exact.
test_server_restart_every_phase() {
    local db src_conn tgt server spec restarts
    db=$(scaled_source 2)
    src_conn=$(pg_url src "$db")
    spec="plan:1:pause,schema:3:pause,data:2:pause,data:6:pause,postdata:3:pause,verify:3:pause"
    export CLONEBOX_TEST_FAULT_DIR="$TEST_TMP/fault"
    mkdir -p "$CLONEBOX_TEST_FAULT_DIR"
    for server in src dst; do
        tgt=$(new_db dst)
        # one worker: each fault point is then one pause (two workers could pause at once)
        CLONEBOX_TEST_FAULT="$spec" "$CLONEBOX_BIN" clone --jobs 1 --source "$src_conn" --target "$(pg_url dst "$tgt")" \
            --state "$TEST_TMP/state-$server.db" >"$TEST_TMP/c.out" 2>"$TEST_TMP/c.err" </dev/null &
        BG_PID=$!
        restarts=$(_restart_at_pauses "$server" "$BG_PID")
        local rc=0; wait "$BG_PID" || rc=$?
        echo "$server restarted $restarts times; clone exit $rc"; grep -E "test fault|retrying|giving up" "$TEST_TMP/c.err" || true
        assert_eq 0 "$rc" "the clone must survive $server restarts in every phase"
        assert_eq 6 "$restarts" "$server must have been restarted at every fault point"
        assert_contains "$(cat "$TEST_TMP/c.out")" "RESULT: PASS"
        assert_tables_equal src "$db" dst "$tgt" public.background_tasks
    done
    # a permanent failure on reconnect is not retried: the source vanishes
    tgt=$(new_db dst)
    psqlq src postgres -c "CREATE DATABASE vanishing TEMPLATE $db" >/dev/null
    CLONEBOX_TEST_FAULT="data:2:pause" "$CLONEBOX_BIN" clone --source "$(pg_url src vanishing)" \
        --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/state-v.db" >"$TEST_TMP/c.out" 2>"$TEST_TMP/c.err" </dev/null &
    BG_PID=$!
    while pid_alive "$BG_PID" && [ ! -e "$CLONEBOX_TEST_FAULT_DIR/paused" ]; do sleep 0.05; done
    psqlq src postgres -c "DROP DATABASE vanishing WITH (FORCE)" >/dev/null
    rm -f "$CLONEBOX_TEST_FAULT_DIR/paused"
    local rc=0 t0=$EPOCHREALTIME; wait "$BG_PID" || rc=$?
    cat "$TEST_TMP/c.err" | tail -n 3
    assert_eq 4 "$rc" "a database that no longer exists is a fast exit 4, not a retry loop"
    assert_contains "$(cat "$TEST_TMP/c.err")" "vanishing"
}

test_two_runners() {
    local db src_conn tgt state id trial rc1 rc2 n5=0 nfin=0 p1 p2 busy_err
    db=$(scaled_source 2)
    src_conn=$(pg_url src "$db")
    for trial in $(seq 1 20); do
        tgt=$(new_db dst)
        state="$TEST_TMP/state$trial.db"
        assert_exit 0 cb start --source "$src_conn" --target "$(pg_url dst "$tgt")" --state "$state"
        id=$LAST_OUT
        "$CLONEBOX_BIN" resume "$id" --state "$state" >"$TEST_TMP/r1.out" 2>"$TEST_TMP/r1.err" </dev/null & p1=$!
        "$CLONEBOX_BIN" resume "$id" --state "$state" >"$TEST_TMP/r2.out" 2>"$TEST_TMP/r2.err" </dev/null & p2=$!
        rc1=0; wait "$p1" || rc1=$?
        rc2=0; wait "$p2" || rc2=$?
        echo "trial $trial: job $id exits $rc1 $rc2"
        local pair
        pair=$(printf '%s\n' "$rc1" "$rc2" | sort -n | tr '\n' ' ')
        local r
        if [ "$pair" = "0 5 " ]; then
            n5=$((n5 + 1))
            if [ "$rc1" = 5 ]; then r=1; else r=2; fi
            busy_err=$(cat "$TEST_TMP/r$r.err")
            assert_contains "$busy_err" "busy" "trial $trial: the losing runner must say the job is busy"
            assert_match "$busy_err" "runner [^ ]+ holds it|holds it" "trial $trial: the busy message must name the holder"
            if [ "$r" = 1 ]; then r=2; else r=1; fi
            assert_contains "$(cat "$TEST_TMP/r$r.out")" "RESULT: PASS" "trial $trial: the winner must PASS"
        elif [ "$pair" = "0 0 " ] && { grep -q "already finished" "$TEST_TMP/r1.err" || grep -q "already finished" "$TEST_TMP/r2.err"; }; then
            nfin=$((nfin + 1))
            assert_contains "$(cat "$TEST_TMP/r1.out")" "RESULT: PASS"
            assert_contains "$(cat "$TEST_TMP/r2.out")" "RESULT: PASS"
        else
            _fail "trial $trial: two concurrent 'resume $id' exited $rc1 and $rc2; want one 5 (busy) and one 0" \
                "  runner 1 stderr:" "$(_show "$(tail -n 20 "$TEST_TMP/r1.err")")" \
                "  runner 2 stderr:" "$(_show "$(tail -n 20 "$TEST_TMP/r2.err")")"
        fi
        jq_assert "$(job_json "$state" "$id")" '.status == "done" and .runs == 1' \
            "trial $trial: the job must be done after exactly one run"
    done
    echo "busy: $n5 trials, loser came after the end: $nfin trials"
    [ "$n5" -gt 0 ] || _fail "no trial saw a busy (exit 5) runner"
}

test_stale_and_cancel() {
    local db src_conn tgt tgt_conn state id j
    db=$(scaled_source 10)
    src_conn=$(pg_url src "$db")
    tgt=$(new_db dst)
    tgt_conn=$(pg_url dst "$tgt")
    state="$TEST_TMP/state.db"
    bg_clone "$TEST_TMP/c1" clone --source "$src_conn" --target "$tgt_conn" --state "$state"
    wait_for_phase "$state" data "$BG_PID"
    sleep 0.3
    kill -9 "$BG_PID"; wait "$BG_PID" 2>/dev/null || true
    id=$(job_field "$state" id)
    sleep 2
    assert_exit 0 cb status --json --stale-after 1s --state "$state"
    jq_assert "$LAST_OUT" '.status == "stale"' "a killed runner's job must be stale after 2 s with --stale-after 1s"
    assert_exit 0 cb status --json --stale-after 60s --state "$state"
    jq_assert "$LAST_OUT" '.status == "running"' "with --stale-after 60s the job is still running"
    assert_exit 0 cb jobs --stale-after 1s --state "$state"
    assert_contains "$LAST_OUT" "stale" "jobs must show the job as stale"
    assert_exit 0 cb cancel --stale --stale-after 1s --state "$state"
    assert_contains "$LAST_OUT" "1 job cancelled"
    assert_exit 6 cb status "$id" --json --state "$state"   # a cancelled job: exit 6
    jq_assert "$LAST_OUT" '.status == "cancelled"'
    assert_exit 6 cb resume "$id" --state "$state"
    assert_contains_i "$LAST_ERR" "cancelled"
    # a new job over the partial target
    assert_exit 0 cb clone --new --clean --yes --source "$src_conn" --target "$tgt_conn" --state "$state"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_tables_equal src "$db" dst "$tgt" public.background_tasks
    j=$(job_json "$state")
    jq_assert "$j" ".id != $id and .status == \"done\"" "clone --new must make (and finish) a new job"
}

test_cancel_running() {
    local db state id t0 rc took
    db=$(scaled_source 10)
    state="$TEST_TMP/state.db"
    bg_clone "$TEST_TMP/c1" clone --source "$(pg_url src "$db")" --target "$(pg_url dst "$(new_db dst)")" --state "$state"
    wait_for_phase "$state" data "$BG_PID"
    id=$(job_field "$state" id)
    t0=$(date +%s.%N)
    assert_exit 0 cb cancel "$id" --state "$state"
    assert_contains "$LAST_OUT" "1 job cancelled"
    rc=0
    local i
    for i in $(seq 1 200); do pid_alive "$BG_PID" || break; sleep 0.05; done
    took=$(_secs_since "$t0")
    pid_alive "$BG_PID" && { kill -9 "$BG_PID"; _fail "the runner still runs 10 s after cancel"; }
    wait "$BG_PID" || rc=$?
    echo "runner exited $rc, $took s after cancel"
    echo "runner stderr (tail):"; tail -n 5 "$TEST_TMP/c1.err" | sed 's/^/  /'
    assert_eq 6 "$rc" "a cancelled runner must exit 6"
    awk -v t="$took" 'BEGIN { exit !(t <= 3.5) }' || _fail "the runner took $took s to stop after cancel (want <= ~3 s)"
    jq_assert "$(job_json "$state" "$id")" '.status == "cancelled"'
}

test_status_json_fields() {
    clone_fixture
    local j
    assert_exit 0 cb status --json --state "$STATE"
    j=$LAST_OUT
    assert_json "$j"
    jq_assert "$j" '.id | type == "number"'
    jq_assert "$j" '.status == "done" and .phase == "done" and .result == "PASS"'
    jq_assert "$j" '.runs >= 1'
    jq_assert "$j" '(.rows_total | type) == "number" and .rows_total > 0 and .rows_total == .rows_copied'
    jq_assert "$j" '.items_total > 0 and .items_total == .items_done'
    jq_assert "$j" 'has("current_item") and has("error") and has("owner") and (.seconds_since_update | type) == "number"'
    jq_assert "$j" '.error == null'
    jq_assert "$j" '.tables | type == "array" and length >= 15'
    jq_assert "$j" '[.tables[] | select(has("table") and has("mode") and has("status") and has("rows_total") and has("rows_copied") | not)] | length == 0' \
        "every table entry needs table, mode, status, rows_total, rows_copied"
    jq_assert "$j" '[.tables[] | select(.table == "public.tasks")][0] | .rows_total == 5002 and .rows_copied == 5002 and .status == "done"'
    # exit codes
    assert_exit 2 cb step --budget 2s --state "$TEST_TMP/nojobs.db"
    assert_exit 2 cb step --budget nonsense --state "$STATE"
    assert_exit 0 cb jobs --state "$STATE"
    assert_contains "$LAST_OUT" "done"
}

test_clean() {
    clone_fixture
    # the target as people use it: a stray table in a cloned schema, a schema
    # of its own, and a role granted access to public
    local acl
    psqlq dst "$TGT_DB" -c "CREATE TABLE public.stray (x int); CREATE SCHEMA keepme; CREATE TABLE keepme.t (x int);
        DO \$\$ BEGIN CREATE ROLE clonebox_test_reader; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
        GRANT USAGE ON SCHEMA public TO clonebox_test_reader" >/dev/null
    acl=$(psqlq dst "$TGT_DB" -c "SELECT nspowner::regrole, nspacl FROM pg_namespace WHERE nspname = 'public'")
    assert_contains "$acl" "clonebox_test_reader" "sanity: the grant is in public's ACL"
    # the verification sees keepme as extra (exit 3) and nothing else
    assert_exit 3 cb clone --json --new --clean --yes --source "$SRC_CONN" --target "$TGT_CONN" --state "$STATE"
    jq_assert "$LAST_OUT" '[.objects[] | select(.status != "ok") | .missing[], .different[]] | length == 0'
    jq_assert "$LAST_OUT" '[.objects[] | select(.status != "ok") | .extra[] | select(startswith("keepme") | not)] | length == 0'
    jq_assert "$LAST_OUT" '[.tables[] | select(.status != "ok" and .status != "excluded")] | length == 0'
    assert_eq "" "$(psqlq dst "$TGT_DB" -c "SELECT to_regclass('public.stray')")" "--clean must drop what a cloned schema held"
    assert_eq "keepme.t" "$(psqlq dst "$TGT_DB" -c "SELECT to_regclass('keepme.t')")" "--clean must not touch other schemas"
    psqlq dst "$TGT_DB" -c "DROP SCHEMA keepme CASCADE" >/dev/null
    assert_exit 0 cb verify --source "$SRC_CONN" --target "$TGT_CONN"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_tables_equal src "$SRC_DB" dst "$TGT_DB" public.background_tasks
    assert_schema_equal src "$SRC_DB" dst "$TGT_DB"
    # owners and grants are copied: public gets the source's, not the stray grant
    local q="SELECT nspowner::regrole, (SELECT array_agg(a ORDER BY a::text) FROM unnest(nspacl) a) FROM pg_namespace
        WHERE nspname = 'public'"
    assert_eq "$(psqlq src "$SRC_DB" -c "$q")" "$(psqlq dst "$TGT_DB" -c "$q")" \
        "--clean then the source's owner and grants: public as on the source"
    # with --no-owner --no-privileges it keeps the target's owner and grants
    psqlq dst "$TGT_DB" -c "GRANT USAGE ON SCHEMA public TO clonebox_test_reader" >/dev/null
    acl=$(psqlq dst "$TGT_DB" -c "$q")
    assert_exit 0 cb clone --new --clean --yes --no-owner --no-privileges --source "$SRC_CONN" --target "$TGT_CONN" \
        --state "$STATE"
    assert_eq "$acl" "$(psqlq dst "$TGT_DB" -c "$q")" \
        "--clean --no-owner --no-privileges must give public back its owner and grants"
    # --clean without a terminal and without --yes: refuse (stdin is /dev/null)
    run_cmd cb clone --new --clean --source "$SRC_CONN" --target "$TGT_CONN" --state "$STATE" </dev/null
    assert_eq 2 "$LAST_RC" "--clean without --yes and without a terminal must exit 2"
    assert_contains "$LAST_ERR" "--yes"
    assert_tables_equal src "$SRC_DB" dst "$TGT_DB" public.background_tasks
}

test_resume_options_differ() {
    local db src_conn tgt_conn state
    db=$(scaled_source 10)
    src_conn=$(pg_url src "$db")
    tgt_conn=$(pg_url dst "$(new_db dst)")
    state="$TEST_TMP/state.db"
    bg_clone "$TEST_TMP/c1" clone --source "$src_conn" --target "$tgt_conn" --state "$state"
    wait_for_phase "$state" data "$BG_PID"
    kill -9 "$BG_PID"; wait "$BG_PID" 2>/dev/null || true
    assert_exit 2 cb clone --source "$src_conn" --target "$tgt_conn" --state "$state" --exclude-table-data 'public.tasks'
    assert_contains "$LAST_ERR" "options" "the message must say the options differ"
    assert_contains "$LAST_ERR" "--exclude-table-data" "the message must name the differing options"
    # the original options still resume it
    assert_exit 0 cb clone --source "$src_conn" --target "$tgt_conn" --state "$state"
    assert_contains "$LAST_OUT" "RESULT: PASS"
}

# _no_target_lock DB: the target holds no clonebox advisory lock
_no_target_lock() {
    assert_eq 0 "$(psqlq dst "$1" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
        AND (classid, objid) = (1668246382, 1701736312)")" "a stopped runner must release the target's lock"
}

# SIGTERM, SIGINT and SIGHUP stop a runner at its next checkpoint within
# ~2 s, release its fences and exit 75; the same command then finishes.
test_signal_stops_at_checkpoint() {
    local db src_conn tgt tgt_conn state sig t0 rc took j
    db=$(scaled_source 10)
    src_conn=$(pg_url src "$db")
    for sig in TERM INT HUP; do
        tgt=$(new_db dst)
        tgt_conn=$(pg_url dst "$tgt")
        state="$TEST_TMP/state$sig.db"
        bg_clone "$TEST_TMP/c" clone --source "$src_conn" --target "$tgt_conn" --state "$state"
        wait_for_phase "$state" data "$BG_PID"
        sleep 0.2
        t0=$(date +%s.%N)
        kill -"$sig" "$BG_PID"
        rc=0; wait "$BG_PID" || rc=$?
        took=$(_secs_since "$t0")
        echo "SIG$sig: exit $rc after $took s"; tail -n 3 "$TEST_TMP/c.err"
        assert_eq 75 "$rc" "SIG$sig must stop the runner with exit 75 (resumable)"
        awk -v t="$took" 'BEGIN { exit !(t <= 4) }' || _fail "SIG$sig took $took s to stop (want ~2 s)"
        assert_contains "$(cat "$TEST_TMP/c.err")" "stopped by SIG$sig at a checkpoint"
        j=$(job_json "$state")
        jq_assert "$j" '.owner == null and .status == "running"' "SIG$sig: the lease must be given back"
        _no_target_lock "$tgt"
        [ "$sig" = HUP ] || continue
        assert_exit 0 cb clone --source "$src_conn" --target "$tgt_conn" --state "$state"
        assert_contains "$LAST_OUT" "RESULT: PASS"
    done
    tgt=$(new_db dst)
    tgt_conn=$(pg_url dst "$tgt")
    state="$TEST_TMP/state2.db"
    # a second signal exits at once, and the job is still resumable
    bg_clone "$TEST_TMP/c" clone --source "$src_conn" --target "$tgt_conn" --state "$state"
    wait_for_phase "$state" data "$BG_PID"
    kill -TERM "$BG_PID"; kill -TERM "$BG_PID"
    rc=0; wait "$BG_PID" || rc=$?
    assert_eq 75 "$rc" "a second signal exits 75 at once"
    assert_exit 0 cb clone --source "$src_conn" --target "$tgt_conn" --state "$state"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_tables_equal src "$db" dst "$tgt" public.background_tasks
}

# `clonebox status | head -1`: a closed stdout is not an error.
test_sigpipe_is_not_an_error() {
    clone_fixture --quiet
    local rc
    set +o pipefail
    "$CLONEBOX_BIN" status --state "$STATE" | head -c 1 >/dev/null; rc=${PIPESTATUS[0]}
    set -o pipefail
    assert_eq 0 "$rc" "status into a closed pipe must exit 0"
    set +o pipefail
    timeout 10 "$CLONEBOX_BIN" status --watch --state "$STATE" | head -c 1 >/dev/null; rc=${PIPESTATUS[0]}
    set -o pipefail
    assert_eq 0 "$rc" "status --watch into a closed pipe must exit 0"
}

# A restarted container: the new process is PID 1 again, as the killed one
# was, on the same host, a moment after its last heartbeat.  It takes the
# job over at once (state file and target lock are free) instead of exiting
# 5 until the lease goes stale; a live holder still gets exit 5, or --wait.
test_restart_takes_over_at_once() {
    is_root || skip "needs root for PID namespaces (unshare)"
    unshare --pid --fork true 2>/dev/null || skip "unshare --pid does not work here"
    local db src_conn tgt tgt_conn state rc child
    db=$(scaled_source 10)
    src_conn=$(pg_url src "$db")
    tgt=$(new_db dst)
    tgt_conn=$(pg_url dst "$tgt")
    state="$TEST_TMP/state.db"
    unshare --pid --fork --kill-child "$CLONEBOX_BIN" clone --source "$src_conn" --target "$tgt_conn" --state "$state" \
        >"$TEST_TMP/c1.out" 2>"$TEST_TMP/c1.err" </dev/null &
    BG_PID=$!
    wait_for_phase "$state" data "$BG_PID"
    jq_assert "$(job_json "$state")" '.owner | test(":1:")' "the first runner is PID 1 in its namespace"
    child=$(pgrep -P "$BG_PID" | head -n 1)
    kill -9 "$child"; wait "$BG_PID" 2>/dev/null || true
    # immediately, with a lease that is anything but stale
    assert_exit 0 unshare --pid --fork --kill-child "$CLONEBOX_BIN" clone --source "$src_conn" \
        --target "$tgt_conn" --state "$state"
    assert_contains "$LAST_ERR" "taking over job"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_tables_equal src "$db" dst "$tgt" public.background_tasks
    # a live holder: exit 5 at once, or after --wait
    local tgt2 id
    tgt2=$(new_db dst)
    state="$TEST_TMP/state2.db"
    assert_exit 0 cb start --source "$src_conn" --target "$(pg_url dst "$tgt2")" --state "$state"
    id=$LAST_OUT
    flock "$state" sleep 4 &
    local holder=$!
    sleep 0.5
    assert_exit 5 cb resume "$id" --state "$state"
    assert_contains "$LAST_ERR" "busy"
    assert_exit 0 cb resume "$id" --wait 30s --state "$state"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    wait "$holder" || true
}

# ---------------------------------------------------------------------------
# parallel workers (--jobs)
# ---------------------------------------------------------------------------

# Workers take the tables, indexes and checks at once, inside one exported
# snapshot: the copies of two tables overlap in time, more than one worker
# did the work of each wave, and the clone equals an uninterrupted one-worker
# clone, checksum for checksum.
test_jobs_parallel_clone() {
    local db src_conn tgt state par one
    db=$(scaled_source 20)
    src_conn=$(pg_url src "$db")
    tgt=$(new_db dst)
    state="$TEST_TMP/state.db"
    assert_exit 0 cb clone --json --jobs 3 --source "$src_conn" --target "$(pg_url dst "$tgt")" --state "$state"
    par=$LAST_OUT
    jq_assert "$par" '.result == "PASS" and .snapshots == 1 and .workers >= 2' "3 workers, one snapshot, PASS"
    assert_eq 1 "$(sqlite3 "$state" "SELECT EXISTS (SELECT 1 FROM tbl a, tbl b WHERE a.job = b.job AND a.id < b.id
        AND a.mode = 'copy' AND b.mode = 'copy' AND a.started_at < b.done_at AND b.started_at < a.done_at)")" \
        "no two table copies overlapped in time: the workers did not copy at once"
    assert_eq 1 "$(sqlite3 "$state" "SELECT count(DISTINCT worker) >= 2 FROM item WHERE phase = 3")" \
        "the data phase's copies were all done by one worker"
    assert_eq 1 "$(sqlite3 "$state" "SELECT count(DISTINCT worker) >= 2 FROM item WHERE kind IN ('index', 'primary key')")" \
        "the keys and indexes were all built by one worker"
    assert_eq 0 "$(sqlite3 "$state" "SELECT count(*) FROM item WHERE worker IS NOT NULL AND status IN ('todo', 'running')")" \
        "claims of a finished run must be given back"
    assert_tables_equal src "$db" dst "$tgt" public.background_tasks
    tgt=$(new_db dst)
    assert_exit 0 cb clone --json --jobs 1 --source "$src_conn" --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/one.db"
    one=$LAST_OUT
    jq_assert "$one" '.result == "PASS" and .workers == 1'
    assert_eq "$(report_tables_digest "$one")" "$(report_tables_digest "$par")" \
        "report tables of the 3-worker clone (+) differ from a one-worker clone (-)"
    assert_exit 2 cb clone --jobs 0 --source "$src_conn" --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/x.db"
    assert_contains "$LAST_ERR" "--jobs takes a number"
    assert_exit 2 cb status --jobs 2 --state "$state"
}

# kill -9 at random instants of a clone with four workers: the kill-anywhere
# guarantee holds with --jobs 4 (a dead run's claims are taken back; no row
# lost or duplicated; the keyless table's duplicates survive).
test_kill_resume_jobs4() {
    local db seed=${KILL_SEED:-$RANDOM}
    db=$(scaled_source "${KILL_SCALE:-20}")
    KR_EXTRA=(--jobs 4)
    kill_resume_scenario "$db" "${KILL_COUNT_JOBS:-12}" "$seed"
    assert_exit 0 cb clone --json --jobs 4 --source "$(pg_url src "$db")" --target "$(pg_url dst "$KR_TGT_DB")" \
        --state "$KR_STATE"
    jq_assert "$LAST_OUT" '.result == "PASS" and .workers >= 2'
}

# A permanent error in one worker stops the others at their next checkpoint:
# the run fails with that error (naming the table), the job records it, and
# the same command finishes the job once the cause is gone.
test_jobs_worker_error_stops_all() {
    local src tgt state rc=0
    src=$(new_db src)
    load_fixture src "$src" 2
    tgt=$(new_db dst)
    state="$TEST_TMP/state.db"
    export CLONEBOX_TEST_FAULT_DIR="$TEST_TMP/fault"
    mkdir -p "$CLONEBOX_TEST_FAULT_DIR"
    CLONEBOX_TEST_FAULT="plan:1:pause" "$CLONEBOX_BIN" clone --jobs 3 --source "$(pg_url src "$src")" \
        --target "$(pg_url dst "$tgt")" --state "$state" >"$TEST_TMP/c.out" 2>"$TEST_TMP/c.err" </dev/null &
    BG_PID=$!
    while pid_alive "$BG_PID" && [ ! -e "$CLONEBOX_TEST_FAULT_DIR/paused" ]; do sleep 0.05; done
    # planned: now the copy of raw_events will find no such table
    psqlq src "$src" -c "ALTER TABLE public.raw_events RENAME TO raw_events_gone" >/dev/null
    rm -f "$CLONEBOX_TEST_FAULT_DIR/paused"
    wait "$BG_PID" || rc=$?
    cat "$TEST_TMP/c.err"
    assert_eq 1 "$rc" "a missing table is a permanent error: exit 1"
    assert_contains "$(cat "$TEST_TMP/c.err")" "raw_events"
    assert_not_contains "$(cat "$TEST_TMP/c.err")" "because another one stopped"
    assert_eq failed "$(job_field "$state" status)"
    assert_contains "$(job_field "$state" error)" "raw_events"
    assert_eq 0 "$(sqlite3 "$state" "SELECT count(*) FROM item WHERE worker IS NOT NULL AND status IN ('todo', 'running')")" \
        "the stopped workers' claims must be given back"
    psqlq src "$src" -c "ALTER TABLE public.raw_events_gone RENAME TO raw_events" >/dev/null
    assert_exit 0 cb clone --jobs 3 --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")" --state "$state"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_tables_equal src "$src" dst "$tgt" public.background_tasks
}

# Small tables are copied and checked many at a time (one target transaction,
# one state-file write per group): kill -9 right after a group's COMMIT, before
# the state file knows, and at a group's checkpoint; each time the next run
# copies every table exactly once.
test_small_table_groups_kill_safe() {
    local s t fault
    s=$(new_db src)
    psqlq src "$s" -c "DO \$\$ BEGIN FOR i IN 1..120 LOOP
        EXECUTE format('CREATE TABLE s_%s (id int PRIMARY KEY, v text)', i);
        EXECUTE format('INSERT INTO s_%s SELECT g, md5(g::text) FROM generate_series(1, %s) g', i, i);
        EXECUTE format('CREATE TABLE k_%s (v text)', i);
        EXECUTE format('INSERT INTO k_%s SELECT md5(g::text) FROM generate_series(1, 3) g', i);
      END LOOP; END \$\$" -c "ANALYZE"
    for fault in commit:1:kill commit:3:kill data:2:kill verify:1:kill; do
        t=$(new_db dst)
        CLONEBOX_TEST_FAULT=$fault "$CLONEBOX_BIN" clone -q --jobs 2 --source "$(pg_url src "$s")" --target "$(pg_url dst "$t")" \
            --state "$TEST_TMP/$fault.db" >/dev/null 2>&1 && _fail "the fault $fault did not stop the run"
        assert_exit 0 cb clone --source "$(pg_url src "$s")" --target "$(pg_url dst "$t")" --state "$TEST_TMP/$fault.db" --json
        jq_assert "$LAST_OUT" '.result == "PASS" and ([.tables[] | select(.status != "ok")] | length) == 0'
        assert_tables_equal src "$s" dst "$t"
    done
    # -v: a line for every item done, grouped or not
    t=$(new_db dst)
    assert_exit 0 cb clone -v --source "$(pg_url src "$s")" --target "$(pg_url dst "$t")" --state "$TEST_TMP/v.db"
    assert_eq "$(sqlite3 "$TEST_TMP/v.db" "SELECT count(*) FROM item WHERE status = 'done'")" \
        "$(printf '%s\n' "$LAST_ERR" | grep -c ' (worker ')" "-v must print a line for every item done"
    # a group's checks find a difference in any of its tables: the target is changed while the clone pauses
    # before its checks
    t=$(new_db dst)
    start_paused postdata:1:pause "$TEST_TMP/c" clone --jobs 1 --source "$(pg_url src "$s")" --target "$(pg_url dst "$t")" \
        --state "$TEST_TMP/diff.db"
    psqlq dst "$t" -c "UPDATE s_77 SET v = 'x' WHERE id = 5" -c "DELETE FROM k_12"
    end_pause
    assert_eq 3 "$LAST_RC" "the changed tables must fail the verification"
    assert_contains "$(cat "$TEST_TMP/c.out")" "DIFF table public.s_77: rows 77 vs 77, content differs"
    assert_contains "$(cat "$TEST_TMP/c.out")" "DIFF table public.k_12: rows 3 vs 0"
    assert_eq 2 "$(grep -c '^  DIFF' "$TEST_TMP/c.out")" "only the two changed tables differ"
}

# A large table is copied in key ranges by several workers at once
# (--split-rows): the ranges of one table copy at the same time, each
# range is checkpointed on its own, and kill -9 right after a range's chunk
# COMMIT (before its checkpoint), at a checkpoint or during the checks
# leaves a job that the same command finishes with exactly the source's
# rows: none lost at a cut, none twice.
test_split_table_kill_safe() {
    local s t fault
    s=$(new_db src)
    psqlq src "$s" -c "CREATE TABLE acc (id bigint PRIMARY KEY, bal int, note text)" \
        -c "INSERT INTO acc SELECT g * 3, g % 1000, md5(g::text) FROM generate_series(1, 120000) g" \
        -c "CREATE TABLE pair (k text, n int, v bytea, PRIMARY KEY (k, n))" \
        -c "INSERT INTO pair SELECT 'k' || (g % 37), g, decode(md5(g::text), 'hex') FROM generate_series(1, 60000) g" \
        -c "CREATE TABLE logs (line text)" -c "INSERT INTO logs SELECT 'l' || (g % 100) FROM generate_series(1, 50000) g" \
        -c "ANALYZE" >/dev/null
    # a clean run: ranges, copied at once by two workers
    t=$(new_db dst)
    assert_exit 0 cb clone --json --jobs 2 --split-rows 30000 --source "$(pg_url src "$s")" --target "$(pg_url dst "$t")" \
        --state "$TEST_TMP/clean.db"
    jq_assert "$LAST_OUT" '.result == "PASS" and .tables_copied == 3 and ([.tables[] | select(.status != "ok")] | length) == 0'
    assert_eq "4 2" "$(sqlite3 "$TEST_TMP/clean.db" "SELECT group_concat(n, ' ') FROM (SELECT count(*) n FROM tbl t
        JOIN tbl p ON p.id = t.part_of AND p.job = t.job WHERE t.mode = 'part' GROUP BY p.qname ORDER BY p.qname)")" \
        "acc (120,000 rows) must be cut in 4 ranges and pair (60,000) in 2; logs (no key) in none"
    assert_eq 1 "$(sqlite3 "$TEST_TMP/clean.db" "SELECT EXISTS (SELECT 1 FROM tbl a, tbl b WHERE a.job = b.job
        AND a.part_of = b.part_of AND a.id < b.id AND a.started_at < b.done_at AND b.started_at < a.done_at)")" \
        "no two ranges of a table were copied at the same time"
    assert_eq "120000 60000" "$(sqlite3 "$TEST_TMP/clean.db" "SELECT group_concat(rows_copied, ' ') FROM (SELECT rows_copied
        FROM tbl WHERE relkind = 'r' AND mode = 'copy' AND key_cols IS NOT NULL ORDER BY qname)")" \
        "a split table's rows copied must add up its ranges'"
    assert_tables_equal src "$s" dst "$t"
    for fault in commit:1:kill commit:4:kill data:3:kill verify:1:kill; do
        t=$(new_db dst)
        CLONEBOX_TEST_FAULT=$fault "$CLONEBOX_BIN" clone -q --jobs 3 --split-rows 30000 --source "$(pg_url src "$s")" \
            --target "$(pg_url dst "$t")" --state "$TEST_TMP/$fault.db" >/dev/null 2>&1 &&
            _fail "the fault $fault did not stop the run"
        assert_exit 0 cb clone --json --jobs 2 --source "$(pg_url src "$s")" --target "$(pg_url dst "$t")" \
            --state "$TEST_TMP/$fault.db"
        jq_assert "$LAST_OUT" '.result == "PASS" and ([.tables[] | select(.status != "ok")] | length) == 0'
        assert_tables_equal src "$s" dst "$t"
        # a chunk committed before its checkpoint is found by its transaction (pending), not deleted and
        # copied again: the target's tables saw no DELETE (statistics, once the sessions have reported
        # every row inserted)
        case $fault in commit:*)
            local i
            for i in $(seq 50); do
                [ "$(psqlq dst "$t" -c "SELECT sum(n_tup_ins) >= 230000 FROM pg_stat_user_tables")" = t ] && break
                sleep 0.1
            done
            assert_eq 0 "$(psqlq dst "$t" -c "SELECT sum(n_tup_del) FROM pg_stat_user_tables")" \
                "after $fault, the resumed run must delete no rows"
        esac
    done
    # its check reads the target's pages in slices, one per range, and finds a change in any of them (the
    # target is changed while the clone pauses before its checks)
    assert_eq 4 "$(sqlite3 "$TEST_TMP/clean.db" "SELECT count(*) FROM item WHERE kind = 'vtable' AND name LIKE '%acc (pages%'")" \
        "the check of acc must be cut in 4 slices"
    t=$(new_db dst)
    start_paused postdata:1:pause "$TEST_TMP/c" clone --jobs 1 --split-rows 30000 --source "$(pg_url src "$s")" \
        --target "$(pg_url dst "$t")" --state "$TEST_TMP/diff.db"
    psqlq dst "$t" -c "UPDATE acc SET bal = bal + 1 WHERE id = 300000" -c "DELETE FROM pair WHERE k = 'k5' AND n = 5"
    end_pause
    assert_eq 3 "$LAST_RC" "the changed tables must fail the verification"
    assert_contains "$(cat "$TEST_TMP/c.out")" "DIFF table public.acc: rows 120000 vs 120000, content differs"
    assert_contains "$(cat "$TEST_TMP/c.out")" "DIFF table public.pair: rows 60000 vs 59999"
    # 0: no table is split; not a number: a usage error
    t=$(new_db dst)
    assert_exit 0 cb clone --split-rows 0 --source "$(pg_url src "$s")" --target "$(pg_url dst "$t")" --state "$TEST_TMP/0.db"
    assert_eq 0 "$(sqlite3 "$TEST_TMP/0.db" "SELECT count(*) FROM tbl WHERE mode = 'part'")" "--split-rows 0 must split nothing"
    assert_exit 2 cb clone --split-rows many --source "$(pg_url src "$s")" --target "$(pg_url dst "$t")" --state "$TEST_TMP/x.db"
    assert_contains "$LAST_ERR" "--split-rows takes a number"
}
