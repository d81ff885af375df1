# shellcheck shell=bash
# clonebox copy: the rows of one settlement (a --where) into a table that
# already exists on the target, as a tracked, resumable, verified job.

# _payments SRCDB TGTDB: a payments table with five settlements (41..45,
# 2000 rows each, 46 with 300000) on the source, and the same table, empty,
# on the target, made by clonebox itself (as the copy's error hint says).
_payments() {
    psqlq src "$1" -c "CREATE SCHEMA pay" -c "CREATE TABLE pay.payments(
        id bigint PRIMARY KEY, liquidation_id int NOT NULL, amount numeric(12,2), iban text, note text,
        paid_at timestamptz NOT NULL DEFAULT '2026-01-01', doubled numeric GENERATED ALWAYS AS (amount * 2) STORED)" \
        -c "INSERT INTO pay.payments(id, liquidation_id, amount, iban, note)
            SELECT g, 41 + g % 5, g * 1.25, 'ES' || g, CASE WHEN g % 7 = 0 THEN NULL WHEN g % 11 = 0 THEN '' ELSE 'n' || g END
            FROM generate_series(1, 10000) g" \
        -c "INSERT INTO pay.payments(id, liquidation_id, amount, iban) SELECT g, 46, g, 'DE' || g FROM generate_series(10001, 310000) g"
    assert_exit 0 cb clone --source "$(pg_url src "$1")" --target "$(pg_url dst "$2")" --state "$TEST_TMP/ddl.db" \
        -t pay.payments --exclude-table-data pay.payments
}

# _settlement SERVER DB N: "count|distinct ids|digest" of settlement N's rows
_settlement() {
    psqlq "$1" "$2" -c "SELECT count(*), count(DISTINCT id), md5(coalesce(string_agg(p::text, ',' ORDER BY id), ''))
                        FROM pay.payments p WHERE liquidation_id = $3"
}

test_copy_settlement_conflict_modes() {
    local s t src tgt st="$TEST_TMP/copy.db" other
    s=$(new_db src); t=$(new_db dst)
    _payments "$s" "$t"
    src=$(pg_url src "$s"); tgt=$(pg_url dst "$t")
    # the target holds another settlement, and one row of 42 with another amount
    psqlq dst "$t" -c "INSERT INTO pay.payments(id, liquidation_id, amount) SELECT g, 41, 1 FROM generate_series(900001, 900050) g" \
        -c "INSERT INTO pay.payments(id, liquidation_id, amount) VALUES (1, 42, -5)"
    other=$(_settlement dst "$t" 41)
    local copy=(cb copy --source "$src" --target "$tgt" --state "$st" --label settlement-42 -t pay.payments --where 'liquidation_id = 42')
    # error (the default): the key the target has stops the job, which names the way out
    assert_exit 1 "${copy[@]}"
    assert_contains "$LAST_ERR" "duplicate key"
    assert_contains "$LAST_ERR" "--conflict skip"
    # skip keeps the target's row: the verification says so
    assert_exit 3 "${copy[@]}" --new --conflict skip
    assert_contains "$LAST_OUT" "content differs"
    assert_eq "-5.00" "$(psqlq dst "$t" -c "SELECT amount FROM pay.payments WHERE id = 1")" "skip keeps the target's row"
    # update takes the source's
    assert_exit 0 "${copy[@]}" --new --conflict update
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq "$(_settlement src "$s" 42)" "$(_settlement dst "$t" 42)" "after update"
    # replace also removes the target's rows of 42 the source does not have
    psqlq dst "$t" -c "INSERT INTO pay.payments(id, liquidation_id, amount) VALUES (800000, 42, 7)"
    assert_exit 3 "${copy[@]}" --new --conflict update
    assert_exit 0 "${copy[@]}" --new --conflict replace --json
    jq_assert "$LAST_OUT" '.result == "PASS" and .kind == "copy" and .rows_copied == 2000'
    jq_assert "$LAST_OUT" '.tables[0].where == "liquidation_id = 42" and .tables[0].conflict == "replace"'
    jq_assert "$LAST_OUT" '.tables[0].source_rows == 2000 and .tables[0].target_rows == 2000'
    assert_eq "$(_settlement src "$s" 42)" "$(_settlement dst "$t" 42)" "after replace"
    assert_eq "$other" "$(_settlement dst "$t" 41)" "settlement 41 on the target must be untouched"
    # the same command again: the stored report, nothing written
    psqlq dst "$t" -c "UPDATE pay.payments SET amount = 0 WHERE id = 900001"
    assert_exit 0 "${copy[@]}" --conflict replace
    assert_contains "$LAST_ERR" "already finished"
    assert_eq 0.00 "$(psqlq dst "$t" -c "SELECT amount FROM pay.payments WHERE id = 900001")"
    # a replace again converges, and never duplicates
    assert_exit 0 "${copy[@]}" --new --conflict replace
    assert_eq "$(_settlement src "$s" 42)" "$(_settlement dst "$t" 42)" "after a second replace"
    # the jobs: kind, tables and condition, who started it, rows, error
    assert_exit 0 cb jobs --state "$st"
    assert_contains "$LAST_OUT" "pay.payments where liquidation_id = 42"
    assert_contains "$LAST_OUT" "started by: settlement-42"
    assert_contains "$LAST_OUT" "2000/2000"
    assert_contains "$LAST_OUT" "duplicate key"
    assert_exit 0 cb status --state "$st" --json
    jq_assert "$LAST_OUT" '.kind == "copy" and .started_by == "settlement-42" and .status == "done" and .rows_total == 2000'
    jq_assert "$LAST_OUT" '.tables[0].where == "liquidation_id = 42" and .finished_at != null'
}

# kill -9 at random instants (and right after a chunk's COMMIT, before its
# checkpoint) during the copy of a large settlement, 20 times: the target
# ends with exactly the settlement's rows, each once, the other rows
# untouched.  A job that ends before the 20th kill is checked, its rows
# deleted, and a new job (a new state file) takes the next kills.
test_copy_kill_anywhere() {
    local s t src tgt other i rc kills=0 seed=${KILL_SEED:-$RANDOM} fault jobs=1
    echo "seed=$seed (rerun with KILL_SEED=$seed)"
    RANDOM=$seed
    s=$(new_db src); t=$(new_db dst)
    _payments "$s" "$t"
    src=$(pg_url src "$s"); tgt=$(pg_url dst "$t")
    psqlq dst "$t" -c "INSERT INTO pay.payments(id, liquidation_id, amount) SELECT g, 45, 3 FROM generate_series(900001, 900500) g"
    other=$(_settlement dst "$t" 45)
    local want
    want=$(_settlement src "$s" 46)
    for i in $(seq 1 80); do
        [ "$kills" -lt 20 ] || break
        case $((RANDOM % 3)) in
            0) fault="commit:$((RANDOM % 2 + 1)):kill" ;;   # after the target's COMMIT of a chunk, before its checkpoint
            1) fault="data:1:kill" ;;                       # after a checkpoint
            2) fault="" ;;                                  # anywhere: a timer
        esac
        rc=0
        CLONEBOX_TEST_FAULT=$fault timeout -s KILL "0.$((RANDOM % 9 + 1))" "$CLONEBOX_BIN" copy -q --source "$src" \
            --target "$tgt" --state "$TEST_TMP/copy$jobs.db" -t pay.payments --where 'liquidation_id = 46' \
            >"$TEST_TMP/out" 2>"$TEST_TMP/err" </dev/null || rc=$?
        echo "run $i, job $jobs (${fault:-timer}): exit $rc, $(psqlq dst "$t" -c "SELECT count(*) FROM pay.payments WHERE liquidation_id = 46") rows"
        case "$rc" in
            137) kills=$((kills + 1)) ;;
            0) assert_contains "$(cat "$TEST_TMP/out")" "RESULT: PASS"
               assert_eq "$want" "$(_settlement dst "$t" 46)" "settlement 46 after job $jobs"
               psqlq dst "$t" -c "DELETE FROM pay.payments WHERE liquidation_id = 46"
               jobs=$((jobs + 1)) ;;
            *) _fail "run $i exited $rc" "$(_show "$(cat "$TEST_TMP/err")")" ;;
        esac
        # never a duplicate, whenever it was cut
        assert_eq 0 "$(psqlq dst "$t" -c "SELECT count(*) - count(DISTINCT id) FROM pay.payments")"
    done
    [ "$kills" -ge 20 ] || _fail "only $kills kills in $i runs"
    assert_exit 0 cb copy --source "$src" --target "$tgt" --state "$TEST_TMP/copy$jobs.db" -t pay.payments \
        --where 'liquidation_id = 46'
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq "$want" "$(_settlement dst "$t" 46)" "settlement 46 after $kills kills"
    assert_eq "$other" "$(_settlement dst "$t" 45)" "settlement 45 on the target must be untouched"
    assert_eq 0 "$(psqlq dst "$t" -c "SELECT count(*) FROM pay.payments WHERE liquidation_id NOT IN (45, 46)")"
}

# What would make the copy fail is found before anything is written, and
# said with the way out.
test_copy_checks_before_writing() {
    local s t src tgt st="$TEST_TMP/copy.db"
    s=$(new_db src); t=$(new_db dst)
    _payments "$s" "$t"
    src=$(pg_url src "$s"); tgt=$(pg_url dst "$t")
    local copy=(cb copy --source "$src" --target "$tgt" --state "$st")
    assert_exit 2 "${copy[@]}" -t pay.nosuch --where 'true'
    assert_contains "$LAST_ERR" "the source has no table pay.nosuch"
    assert_exit 2 "${copy[@]}" -t pay.payments --into pay.nosuch --where 'true'
    assert_contains "$LAST_ERR" "clone -t"
    assert_exit 2 "${copy[@]}" -t pay.payments --where 'no_such_column = 1'
    assert_contains "$LAST_ERR" "no_such_column"
    # one condition, never a second statement
    assert_exit 2 "${copy[@]}" -t pay.payments --where "liquidation_id = 42); DROP TABLE pay.payments; --"
    assert_exit 2 "${copy[@]}" -t pay.payments --where "true; DELETE FROM pay.payments"
    assert_exit 2 "${copy[@]}" --where 'true' -t pay.payments
    assert_exit 2 cb clone --source "$src" --target "$tgt" --state "$st" --where 'true'
    # a ';' or a parenthesis inside a literal is part of the condition
    assert_exit 0 "${copy[@]}" -t pay.payments --where "coalesce(note, ';)') <> ';)' AND liquidation_id = 43"
    assert_eq "$(psqlq src "$s" -c "SELECT count(*) FROM pay.payments WHERE liquidation_id = 43 AND coalesce(note, ';)') <> ';)'")" \
        "$(psqlq dst "$t" -c "SELECT count(*) FROM pay.payments")"
    # columns that differ are named
    psqlq dst "$t" -c "CREATE TABLE pay.other(id bigint PRIMARY KEY, liquidation_id bigint, amount numeric(12,2), iban text,
                                              paid_at timestamptz, doubled numeric, extra int NOT NULL)"
    assert_exit 2 "${copy[@]}" -t pay.payments --into pay.other --where 'true'
    assert_contains "$LAST_ERR" "liquidation_id is integer on the source but bigint on the target"
    assert_contains "$LAST_ERR" "note is missing on the target"
    assert_contains "$LAST_ERR" "doubled is generated on the source"
    assert_contains "$LAST_ERR" "extra of the target is NOT NULL"
    # update needs the target's primary key
    psqlq dst "$t" -c "CREATE TABLE pay.nokey(id bigint, liquidation_id int, amount numeric(12,2), iban text, note text,
                       paid_at timestamptz, doubled numeric GENERATED ALWAYS AS (amount * 2) STORED)"
    assert_exit 2 "${copy[@]}" -t pay.payments --into pay.nokey --where 'liquidation_id = 44' --conflict update
    assert_contains "$LAST_ERR" "needs a primary key"
    # into another table, with another name, partitioned: fine
    psqlq dst "$t" -c "CREATE TABLE pay.by_settlement(id bigint, liquidation_id int NOT NULL, amount numeric(12,2), iban text,
                       note text, paid_at timestamptz, doubled numeric GENERATED ALWAYS AS (amount * 2) STORED,
                       PRIMARY KEY (liquidation_id, id)) PARTITION BY LIST (liquidation_id)" \
        -c "CREATE TABLE pay.by_settlement_44 PARTITION OF pay.by_settlement FOR VALUES IN (44)" \
        -c "CREATE TABLE pay.by_settlement_rest PARTITION OF pay.by_settlement DEFAULT"
    assert_exit 0 "${copy[@]}" -t pay.payments --into pay.by_settlement --where 'liquidation_id = 44' \
        -t pay.payments --into pay.nokey --where 'liquidation_id = 45' --json
    jq_assert "$LAST_OUT" '.result == "PASS" and ([.tables[].into] | sort) == ["pay.by_settlement", "pay.nokey"]'
    assert_eq 2000 "$(psqlq dst "$t" -c "SELECT count(*) FROM ONLY pay.by_settlement_44")"
    # the source was never written to
    assert_eq "10000|310000" "$(psqlq src "$s" -c "SELECT count(*) FILTER (WHERE liquidation_id < 46), count(*) FROM pay.payments")"
}

# --on-done runs when the job ends, done, failed or cancelled, with the
# facts in its environment; its own failure changes nothing.
test_copy_on_done() {
    local s t src tgt st="$TEST_TMP/copy.db" hook="$TEST_TMP/hook.sh" pid id
    s=$(new_db src); t=$(new_db dst)
    _payments "$s" "$t"
    src=$(pg_url src "$s"); tgt=$(pg_url dst "$t")
    cat >"$hook" <<'SH'
{ echo "job=$CLONEBOX_JOB status=$CLONEBOX_STATUS result=$CLONEBOX_RESULT exit=$CLONEBOX_EXIT rows=$CLONEBOX_ROWS"
  jq -c '{result, status, error: (.error // "" | .[0:40])}' "$CLONEBOX_REPORT"; } >>"${0%.sh}.log"
exit 9
SH
    local copy=(cb copy --source "$src" --target "$tgt" --state "$st" --on-done "sh $hook")
    assert_exit 0 "${copy[@]}" -t pay.payments --where 'liquidation_id = 41'
    assert_contains "$LAST_ERR" "--on-done command failed (exit code 9)"
    assert_contains "$(cat "$TEST_TMP/hook.log")" "job=1 status=done result=PASS exit=0 rows=2000"
    assert_contains "$(cat "$TEST_TMP/hook.log")" '{"result":"PASS","status":null'
    # failure: the key the target already has
    assert_exit 1 "${copy[@]}" --new -t pay.payments --where 'liquidation_id = 41'
    assert_contains "$(tail -2 "$TEST_TMP/hook.log")" "job=2 status=failed result= exit=1"
    assert_contains "$(tail -1 "$TEST_TMP/hook.log")" '"status":"failed","error":"copying pay.payments: duplicate key'
    # cancelled while it runs (paused at its first checkpoint meanwhile)
    export CLONEBOX_TEST_FAULT_DIR="$TEST_TMP/fault"
    mkdir -p "$CLONEBOX_TEST_FAULT_DIR"
    CLONEBOX_TEST_FAULT="data:1:pause" "$CLONEBOX_BIN" copy --jobs 1 --source "$src" --target "$tgt" --state "$st" \
        --on-done "sh $hook" -t pay.payments --where 'liquidation_id = 46' >"$TEST_TMP/c.out" 2>"$TEST_TMP/c.err" </dev/null &
    pid=$!
    while pid_alive "$pid" && [ ! -e "$CLONEBOX_TEST_FAULT_DIR/paused" ]; do sleep 0.05; done
    assert_exit 0 cb cancel 3 --state "$st"
    rm -f "$CLONEBOX_TEST_FAULT_DIR/paused"
    id=0; wait "$pid" || id=$?
    assert_eq 6 "$id" "the cancelled copy exits 6"
    assert_contains "$(tail -2 "$TEST_TMP/hook.log")" "job=3 status=cancelled result= exit=6"
    # a clone has it too
    assert_exit 0 cb clone --source "$src" --target "$(pg_url dst "$(new_db dst)")" --state "$st" --on-done "sh $hook"
    assert_contains "$(tail -2 "$TEST_TMP/hook.log")" "job=4 status=done result=PASS exit=0 rows=310000"
}
