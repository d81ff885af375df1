# shellcheck shell=bash
# --subset: a referentially whole slice of the source (roots, down through
# the rows that reference them, up through the rows they reference),
# selected once and recorded in the state file.

_ROOTS="id IN (SELECT id FROM public.organizations ORDER BY id LIMIT 20)"

test_subset_twenty_organisations() {
    local tgt src tgt_conn before roots
    before=$(db_digests src "$SRC_DB")
    src=$(pg_url src "$SRC_DB")
    tgt=$(new_db dst); tgt_conn=$(pg_url dst "$tgt")
    assert_exit 0 cb clone --source "$src" --target "$tgt_conn" --state "$TEST_TMP/s.db" --json \
        --exclude-table-data public.raw_events --subset "public.organizations: $_ROOTS"
    jq_assert "$LAST_OUT" '.result == "PASS" and (.subset.roots | length) == 1 and .subset.foreign_keys_validated > 0'
    jq_assert "$LAST_OUT" '[.subset.tables[] | select(.selected != .copied)] == []'
    jq_assert "$LAST_OUT" '.subset.tables[] | select(.table == "public.organizations") | .selected >= 20'
    # every foreign key of the source is on the target, validated
    assert_eq "$(psqlq src "$SRC_DB" -c "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated")" \
        "$(psqlq dst "$tgt" -c "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated")"
    # every row of the 20 organisations
    roots=$(psqlq src "$SRC_DB" -c "SELECT string_agg(quote_literal(id), ',') FROM (SELECT id FROM organizations ORDER BY id LIMIT 20) o")
    local q
    for q in "SELECT count(*) FROM projects WHERE org_id IN ($roots)" \
             "SELECT count(*) FROM users WHERE org_id IN ($roots)" \
             "SELECT count(*) FROM tasks t JOIN projects p ON p.id = t.project_id WHERE p.org_id IN ($roots)" \
             "SELECT count(*) FROM task_comments c JOIN tasks t ON t.id = c.task_id JOIN projects p ON p.id = t.project_id WHERE p.org_id IN ($roots)" \
             "SELECT count(*) FROM billing.invoice_lines l JOIN billing.invoices i ON i.id = l.invoice_id WHERE i.org_id IN ($roots)" \
             "SELECT count(*) FROM billing.usage_records WHERE org_id IN ($roots)" \
             "SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM tasks t JOIN projects p ON p.id = t.project_id WHERE p.org_id IN ($roots)"; do
        assert_eq "$(psqlq src "$SRC_DB" -c "$q")" "$(psqlq dst "$tgt" -c "$q")" "$q"
    done
    [ "$(psqlq dst "$tgt" -c "SELECT count(*) FROM projects")" -gt 0 ] || _fail "the subset copied no project"
    # no row of another organisation, unless a row of the subset references it (going up: the project of a task
    # assigned to one of the organisations' users), or it references one (going down: that task)
    q="SELECT count(*) FROM projects p WHERE org_id NOT IN ($roots) AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.project_id = p.id)
       AND NOT EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id)"
    assert_eq 0 "$(psqlq dst "$tgt" -c "$q")" "projects of other organisations must be there only because a row references them"
    q="SELECT count(*) FROM tasks t JOIN projects p ON p.id = t.project_id WHERE p.org_id NOT IN ($roots) AND NOT EXISTS
       (SELECT 1 FROM users u WHERE u.id = t.assignee_id AND u.org_id IN ($roots)) AND NOT EXISTS (SELECT 1 FROM tasks c
       WHERE c.parent_id = t.id) AND NOT EXISTS (SELECT 1 FROM task_comments c WHERE c.task_id = t.id)
       AND NOT EXISTS (SELECT 1 FROM task_watchers w WHERE w.task_id = t.id)"
    assert_eq 0 "$(psqlq dst "$tgt" -c "$q")" "tasks of other organisations must be there only because of a row of the subset"
    q="SELECT count(*) FROM billing.invoices WHERE org_id NOT IN ($roots)"
    assert_eq 0 "$(psqlq dst "$tgt" -c "$q")" "$q"
    q="SELECT count(*) FROM billing.usage_records WHERE org_id NOT IN ($roots)"
    assert_eq 0 "$(psqlq dst "$tgt" -c "$q")" "$q"
    q="SELECT count(*) FROM users u WHERE org_id NOT IN ($roots) AND NOT EXISTS (SELECT 1 FROM project_members m WHERE m.user_id = u.id)
       AND NOT EXISTS (SELECT 1 FROM task_comments c WHERE c.author_id = u.id) AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.assignee_id = u.id)"
    assert_eq 0 "$(psqlq dst "$tgt" -c "$q")" "users of other organisations must be there only because a row references them"
    q="SELECT count(*) FROM organizations o WHERE id NOT IN ($roots) AND NOT EXISTS (SELECT 1 FROM users u WHERE u.org_id = o.id)"
    assert_eq 0 "$(psqlq dst "$tgt" -c "$q")" "other organisations must be there only because a row references them"
    # the source is untouched
    assert_eq "$before" "$(db_digests src "$SRC_DB")" "the source changed"
    # --subset-down-from-references follows those rows down too: more rows
    local wide
    wide=$(new_db dst)
    assert_exit 0 cb clone --source "$src" --target "$(pg_url dst "$wide")" --state "$TEST_TMP/s.db" --json \
        --exclude-table-data public.raw_events --subset "public.organizations: $_ROOTS" --subset-down-from-references
    jq_assert "$LAST_OUT" '.result == "PASS" and .subset.down_from_references'
    [ "$(psqlq dst "$wide" -c "SELECT count(*) FROM projects")" -gt "$(psqlq dst "$tgt" -c "SELECT count(*) FROM projects")" ] ||
        _fail "--subset-down-from-references must take the projects of the organisations reached going up"
}

# The selection is recorded: a run killed after it, and a source changed
# meanwhile, copy the rows selected, not a new selection.
test_subset_selection_survives_a_kill() {
    local s t src tgt n
    s=$(new_db src)
    psqlq src postgres -c "DROP DATABASE \"$s\"" -c "CREATE DATABASE \"$s\" TEMPLATE \"$SRC_DB\""
    t=$(new_db dst)
    src=$(pg_url src "$s"); tgt=$(pg_url dst "$t")
    local clone=(cb clone --source "$src" --target "$tgt" --state "$TEST_TMP/s.db" --exclude-table-data public.raw_events
                 --subset "public.organizations: $_ROOTS" --jobs 1)
    CLONEBOX_TEST_FAULT="data:1:kill" "${clone[@]}" >/dev/null 2>&1 || true
    assert_eq done "$(sqlite3 "$TEST_TMP/s.db" "SELECT status FROM item WHERE kind = 'subset'")" "the selection must be recorded"
    n=$(sqlite3 "$TEST_TMP/s.db" "SELECT rows_total FROM tbl WHERE qname = 'public.projects'")
    psqlq src "$s" -c "INSERT INTO projects(org_id, slug, name, created_at) SELECT id, 'new-after', 'new after the selection', now()
                       FROM organizations ORDER BY id LIMIT 1"
    assert_exit 0 "${clone[@]}"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq "$n" "$(psqlq dst "$t" -c "SELECT count(*) FROM projects")" "the copy must take the recorded selection"
    assert_eq 0 "$(psqlq dst "$t" -c "SELECT count(*) FROM projects WHERE name = 'new after the selection'")"
}

test_subset_refusals() {
    local src tgt
    src=$(pg_url src "$SRC_DB")
    tgt=$(pg_url dst "$(new_db dst)")
    # a table without a key cannot have its rows recorded
    assert_exit 2 cb clone --source "$src" --target "$tgt" --state "$TEST_TMP/s.db" --subset "public.organizations: $_ROOTS"
    assert_contains "$LAST_ERR" "public.raw_events"
    assert_contains "$LAST_ERR" "--exclude-table-data"
    assert_exit 2 cb clone --source "$src" --target "$tgt" --state "$TEST_TMP/s2.db" --subset "public.organizations id = 1"
    assert_exit 2 cb clone --source "$src" --target "$tgt" --state "$TEST_TMP/s3.db" --subset "public.organizations: 1); SELECT (1"
    assert_exit 2 cb clone --source "$src" --target "$tgt" --state "$TEST_TMP/s4.db" --subset-down-from-references
    assert_exit 2 cb copy --source "$src" --target "$tgt" --state "$TEST_TMP/s5.db" -t public.users --subset "public.organizations: true"
    assert_exit 2 cb clone --source "$src" --target "$tgt" --state "$TEST_TMP/s6.db" --exclude-table-data public.raw_events \
        --subset "public.nosuch: true"
    assert_contains "$LAST_ERR" "public.nosuch"
    assert_exit 2 cb clone --source "$src" --target "$(pg_url dst "$(new_db dst)")" --state "$TEST_TMP/s7.db" \
        --exclude-table-data public.raw_events --subset "public.organizations: no_such_column = 1"
    assert_contains "$LAST_ERR" "no_such_column"
}
