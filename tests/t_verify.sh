# shellcheck shell=bash
# clonebox verify: stand-alone comparison of source and target.

_verify() {   # _verify [extra args...]: verify src/app against the test's target db
    cb verify --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$TGT_DB")" "$@"
}

test_verify_passes_after_clone() {
    clone_fixture
    assert_exit 0 _verify
    assert_eq "RESULT: PASS" "$(printf '%s\n' "$LAST_OUT" | tail -n 1)"
    assert_match_i "$(report_table_line "$LAST_OUT" public.tasks)" '5002.*5002.*OK'
    assert_contains_i "$(report_table_line "$LAST_OUT" public.background_tasks)" "EXCLUDED"
    assert_exit 0 _verify --json
    assert_json "$LAST_OUT"
    jq_assert "$LAST_OUT" '.result == "PASS"'
}

test_verify_detects_changed_row() {
    clone_fixture
    # same row count, one value changed
    psqlq dst "$TGT_DB" -c "UPDATE tasks SET estimate_hours = 77.25 WHERE id = 4242"
    assert_exit 3 _verify
    assert_contains "$LAST_OUT" "RESULT: FAIL"
    assert_contains "$LAST_OUT" "public.tasks"
    local line
    line=$(report_table_line "$LAST_OUT" public.tasks)
    assert_contains_i "$line" "DIFF" "the tasks line must say DIFF"
    assert_contains_i "$(report_table_line "$LAST_OUT" public.projects)" "OK" "unchanged tables stay OK"
    assert_exit 3 _verify --json
    assert_json "$LAST_OUT"
    jq_assert "$LAST_OUT" '.result == "FAIL"'
    jq_assert "$LAST_OUT" '.tables[] | select(.schema == "public" and .table == "tasks") | .status == "diff" and .source_rows == .target_rows and .source_checksum != .target_checksum'
    jq_assert "$LAST_OUT" '[.tables[] | select(.status == "diff")] | length == 1' "only tasks should differ"
}

test_verify_detects_changed_duplicate_in_keyless_table() {
    clone_fixture
    # raw_events has no key and holds duplicates: remove one copy of a
    # duplicated row and duplicate a different row => same count, other multiset
    psqlq dst "$TGT_DB" -c "
        DELETE FROM raw_events WHERE ctid = (SELECT ctid FROM raw_events WHERE path = '/dup' LIMIT 1);
        INSERT INTO raw_events SELECT * FROM raw_events WHERE path = '/billing' LIMIT 1;"
    assert_eq 3005 "$(table_count dst "$TGT_DB" public.raw_events)"
    assert_exit 3 _verify --json
    jq_assert "$LAST_OUT" '.tables[] | select(.schema == "public" and .table == "raw_events") | .status == "diff"' \
        "a changed duplicate (same count) must be detected: checksums must be multiset checksums"
}

test_verify_detects_dropped_index() {
    clone_fixture
    psqlq dst "$TGT_DB" -c "DROP INDEX public.tasks_lower_title_idx"
    assert_exit 3 _verify
    assert_contains "$LAST_OUT" "RESULT: FAIL"
    assert_contains "$LAST_OUT" "tasks_lower_title_idx" "the report must name the missing index"
    assert_match "$LAST_OUT" 'MISSING.*tasks_lower_title_idx'
    assert_exit 3 _verify --json
    jq_assert "$LAST_OUT" '[.objects[] | select(.kind == "index") | .missing[] | select(test("tasks_lower_title_idx"))] | length == 1'
    jq_assert "$LAST_OUT" '[.tables[] | select(.status == "diff")] | length == 0' "data is unchanged"
}

test_verify_detects_extra_and_missing_objects() {
    clone_fixture
    psqlq dst "$TGT_DB" -c "CREATE INDEX extra_probe_idx ON public.users (locale);
                            ALTER TABLE public.projects DROP CONSTRAINT projects_org_slug_key;
                            DROP TRIGGER tasks_touch_updated_at ON public.tasks;
                            DROP VIEW billing.org_revenue;"
    assert_exit 3 _verify
    assert_contains "$LAST_OUT" "extra_probe_idx" "an extra index must be named"
    assert_contains "$LAST_OUT" "projects_org_slug_key" "a missing constraint must be named"
    assert_contains "$LAST_OUT" "tasks_touch_updated_at" "a missing trigger must be named"
    assert_contains "$LAST_OUT" "org_revenue" "a missing view must be named"
}

test_verify_detects_missing_table_and_row_count() {
    clone_fixture
    psqlq dst "$TGT_DB" -c "DELETE FROM task_comments WHERE id = md5('comment17')::uuid"
    assert_exit 3 _verify --json
    jq_assert "$LAST_OUT" '.tables[] | select(.table == "task_comments") | .status == "diff" and .source_rows == 8000 and .target_rows == 7999'
    psqlq dst "$TGT_DB" -c "DROP TABLE public.raw_events"
    assert_exit 3 _verify
    assert_contains "$LAST_OUT" "raw_events" "a missing table must be named"
}

test_verify_ignores_background_tasks_rows() {
    clone_fixture
    # rows of background_tasks are not compared (explicit id: the sequence is untouched)
    psqlq dst "$TGT_DB" -c "INSERT INTO background_tasks (id, kind, payload, run_at) VALUES (424242, 'x', '{}', '2025-01-01')"
    assert_exit 0 _verify
    assert_contains "$LAST_OUT" "RESULT: PASS"
}

test_verify_bad_args() {
    assert_exit 2 cb verify --source "$(pg_url src "$SRC_DB")"
    assert_exit 4 cb verify --source "$(pg_url src "$SRC_DB")" --target "postgresql://postgres@127.0.0.1:$(free_port)/nope"
    assert_contains "$LAST_ERR" "clonebox: error:"
}

# ---------------------------------------------------------------------------
# the clone's own verification: the source side is the rows as the copy
# streamed them (in its snapshot), the target is read once
# ---------------------------------------------------------------------------

# _steps_until_verify SRC TGT STATE: runs `step` one unit at a time until
# only verification is left (the step that ends the post-data phase may
# verify a first table too)
_steps_until_verify() {
    local i rc
    cb start --source "$1" --target "$2" --state "$3" >/dev/null
    for i in $(seq 1 400); do
        # one worker: with more, an idle one checks copied tables while post-data runs
        rc=0; cb step --jobs 1 --budget 1ms --state "$3" >/dev/null 2>&1 || rc=$?
        [ "$rc" = 75 ] || _fail "step exited $rc before verification"
        [ "$(sqlite3 "$3" "SELECT min(phase) FROM item WHERE status NOT IN ('done', 'excluded')")" = 5 ] && return 0
    done
    _fail "never reached verification"
}

# Every way a row can differ is caught by the clone's verification, each
# in the table that has it, and the others stay OK.
test_verify_clone_detects_every_row_change() {
    local src tgt t
    src=$(new_db src vrows)
    psqlq src "$src" -c "
        CREATE TABLE a_first (id int PRIMARY KEY);
        CREATE TABLE seed (id int PRIMARY KEY, b bytea, t text, f float8, x int, y int);
        INSERT INTO seed VALUES (1, '\\x00ff', '', 0, 1, 2), (2, '\\x01', 'two', 1.5, 3, 3), (3, NULL, NULL, NULL, NULL, NULL);
        DO \$\$ DECLARE n text; BEGIN FOREACH n IN ARRAY ARRAY['m_bit', 'm_null', 'm_zero', 'm_missing', 'm_extra', 'm_swap', 'm_ok']
        LOOP EXECUTE format('CREATE TABLE %I (LIKE seed INCLUDING ALL); INSERT INTO %I SELECT * FROM seed', n, n); END LOOP; END \$\$;
        CREATE TABLE m_dup (v int, w text); INSERT INTO m_dup VALUES (1, 'a'), (2, 'b'), (2, 'b');
        CREATE TABLE m_parent (id int, v text); CREATE TABLE m_child1 () INHERITS (m_parent); CREATE TABLE m_child2 () INHERITS (m_parent);
        INSERT INTO m_child1 VALUES (1, 'one'); INSERT INTO m_child2 VALUES (2, 'two');" >/dev/null
    tgt=$(new_db dst vrows)
    _steps_until_verify "$(pg_url src "$src")" "$(pg_url dst "$tgt")" "$TEST_TMP/s.db"
    psqlq dst "$tgt" -c "
        UPDATE m_bit SET b = '\\x00fe' WHERE id = 1;
        UPDATE m_null SET t = NULL WHERE id = 1;
        UPDATE m_zero SET f = '-0' WHERE id = 1;
        DELETE FROM m_missing WHERE id = 2;
        INSERT INTO m_extra VALUES (4, NULL, NULL, NULL, NULL, NULL);
        UPDATE m_swap SET x = y, y = x WHERE id = 1;
        DELETE FROM m_dup WHERE ctid = (SELECT ctid FROM m_dup WHERE v = 2 LIMIT 1); INSERT INTO m_dup VALUES (1, 'a');
        DELETE FROM m_child1; INSERT INTO m_child2 VALUES (1, 'one');" >/dev/null
    assert_exit 3 cb resume --state "$TEST_TMP/s.db"
    for t in m_bit m_null m_zero m_swap m_dup m_child1 m_child2; do
        assert_contains "$LAST_OUT" "DIFF table public.$t: rows"
    done
    assert_contains "$LAST_OUT" "DIFF table public.m_missing: rows 3 vs 2"
    assert_contains "$LAST_OUT" "DIFF table public.m_extra: rows 3 vs 4"
    assert_match_i "$(report_table_line "$LAST_OUT" public.m_ok)" 'OK'
    assert_match_i "$(report_table_line "$LAST_OUT" public.seed)" 'OK'
}

# A source written to while it is cloned: the copy took one snapshot, the
# verification compares the target with exactly what was copied, so the
# clone PASSes although the source is no longer what it was.
test_verify_clone_of_a_live_source_passes() {
    local src tgt pid
    src=$(new_db src live)
    psqlq src "$src" -c "CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE b (id int PRIMARY KEY, v text);
        CREATE TABLE c (v text); INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 30000) g;
        INSERT INTO b SELECT g, 'b' || g FROM generate_series(1, 30000) g; INSERT INTO c SELECT 'c' FROM generate_series(1, 100) g" >/dev/null
    tgt=$(new_db dst live)
    export CLONEBOX_TEST_FAULT_DIR="$TEST_TMP/fault"
    mkdir -p "$CLONEBOX_TEST_FAULT_DIR"
    CLONEBOX_TEST_FAULT="data:1:pause" "$CLONEBOX_BIN" clone --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")" \
        --state "$TEST_TMP/s.db" >"$TEST_TMP/c.out" 2>"$TEST_TMP/c.err" </dev/null &
    pid=$!
    while pid_alive "$pid" && [ ! -e "$CLONEBOX_TEST_FAULT_DIR/paused" ]; do sleep 0.05; done
    psqlq src "$src" -c "UPDATE a SET v = 'changed' WHERE id % 7 = 0; DELETE FROM b WHERE id > 29000;
        INSERT INTO a SELECT g, 'new' FROM generate_series(30001, 30500) g; INSERT INTO c VALUES ('late')" >/dev/null
    rm -f "$CLONEBOX_TEST_FAULT_DIR/paused"
    LAST_RC=0; wait "$pid" || LAST_RC=$?
    LAST_OUT=$(cat "$TEST_TMP/c.out")
    assert_eq 0 "$LAST_RC" "the clone of a live source must PASS: $(tail -5 "$TEST_TMP/c.err")"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq 30000 "$(table_count dst "$tgt" public.a)"
    assert_eq 0 "$(psqlq dst "$tgt" -c "SELECT count(*) FROM a WHERE v = 'changed'")"
    # the report says, as information, which tables the source wrote to
    # after the snapshot (from its statistics: a session flushes them at its end)
    assert_contains "$LAST_OUT" "SOURCE CHANGED AFTER ITS SNAPSHOT"
    assert_contains "$LAST_OUT" "public.a"
    # the stand-alone verify compares with the source as it is now
    assert_exit 3 cb verify --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")"
}

# --verify full|counts|none: the report says which was done; counts sees
# a missing row but not a changed value; none compares nothing and says so.
test_verify_modes() {
    local src t1 t2
    src=$(new_db src vmodes)
    psqlq src "$src" -c "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g" >/dev/null
    t1=$(new_db dst vmodes)
    assert_exit 0 cb clone --verify none --source "$(pg_url src "$src")" --target "$(pg_url dst "$t1")" --state "$TEST_TMP/s1.db"
    assert_contains "$LAST_OUT" "VERIFICATION: none"
    assert_eq "RESULT: UNVERIFIED" "$(printf '%s\n' "$LAST_OUT" | tail -n 1)"
    assert_eq 0 "$(sqlite3 "$TEST_TMP/s1.db" "SELECT count(*) FROM item WHERE phase = 5")" "no verification items"
    assert_exit 0 cb status --json --state "$TEST_TMP/s1.db"
    t2=$(new_db dst vmodes)
    assert_exit 0 cb clone --verify counts --source "$(pg_url src "$src")" --target "$(pg_url dst "$t2")" --state "$TEST_TMP/s2.db"
    assert_contains "$LAST_OUT" "VERIFICATION: row counts and objects only"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    psqlq dst "$t2" -c "UPDATE t SET v = 'changed' WHERE id = 5" >/dev/null
    assert_exit 0 cb verify --verify counts --source "$(pg_url src "$src")" --target "$(pg_url dst "$t2")"
    assert_exit 3 cb verify --source "$(pg_url src "$src")" --target "$(pg_url dst "$t2")"
    assert_contains "$LAST_OUT" "VERIFICATION: every row checksummed"
    psqlq dst "$t2" -c "DELETE FROM t WHERE id = 6" >/dev/null
    assert_exit 3 cb verify --verify counts --source "$(pg_url src "$src")" --target "$(pg_url dst "$t2")"
    assert_contains "$LAST_OUT" "DIFF table public.t: rows 100 vs 99"
    assert_exit 2 cb verify --verify none --source "$(pg_url src "$src")" --target "$(pg_url dst "$t2")"
    assert_exit 2 cb clone --verify some --source "$(pg_url src "$src")" --target "$(pg_url dst "$t2")" --state "$TEST_TMP/s3.db"
}
