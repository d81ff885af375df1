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
