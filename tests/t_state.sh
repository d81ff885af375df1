# shellcheck shell=bash
# State file: status / jobs.

# _tasks_entry: jq expression selecting the status entry of public.tasks,
# whether entries are {schema, table} or {name: "public.tasks"}
_TASKS='(.tables[] | select(((.schema // "") + "." + (.table // .name // "")) | test("(^|\\.)(public\\.)?tasks$")))'

test_state_status_after_clone() {
    clone_fixture
    assert_exit 0 cb status --state "$STATE"
    local out=$LAST_OUT
    assert_contains_i "$out" "done" "status must show the job as done"
    assert_contains "$out" "public.tasks" "status must list the tables"
    assert_contains "$out" "5002" "status must show row counts (tasks: 5002)"
    assert_contains_i "$out" "phase" "status must show the phase"
    # status only reads the state file: works with the servers unreachable
    assert_exit 0 env CLONEBOX_SOURCE=postgresql://nobody@127.0.0.1:1/x timeout 60 "$CLONEBOX_BIN" status --state "$STATE"
}

test_state_status_json() {
    clone_fixture
    assert_exit 0 cb status --state "$STATE" --json
    local j=$LAST_OUT
    assert_json "$j"
    jq_assert "$j" '.id | type == "number"'
    jq_assert "$j" '.status == "done"'
    jq_assert "$j" '.phase | type == "string" and length > 0'
    jq_assert "$j" '.tables | type == "array" and length >= 15'
    jq_assert "$j" '[.tables[] | select((.rows_total | type) != "number" or (.rows_copied | type) != "number")] | length == 0' \
        "every table entry needs numeric rows_total and rows_copied"
    jq_assert "$j" "[$_TASKS] | length == 1" "exactly one entry for public.tasks"
    jq_assert "$j" "$_TASKS | .rows_total == 5002 and .rows_copied == 5002"
    # the status of a given job id
    local id
    id=$(printf '%s' "$j" | jq -r .id)
    assert_exit 0 cb status "$id" --state "$STATE" --json
    jq_assert "$LAST_OUT" ".id == $id"
    run_cmd cb status 987654 --state "$STATE"
    assert_ne 0 "$LAST_RC" "status of an unknown job must fail"
}

test_state_jobs_lists_jobs() {
    clone_fixture
    local id1 id2
    id1=$(cb status --state "$STATE" --json | jq -r .id)
    # a second job (other target) in the same state file
    TGT_DB=$(new_db dst)
    assert_exit 0 cb clone --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$TGT_DB")" --state "$STATE" --json
    id2=$(printf '%s' "$LAST_OUT" | jq -r .job)
    assert_ne "$id1" "$id2" "a clone to another target must be a new job"
    assert_exit 0 cb jobs --state "$STATE"
    assert_match "$LAST_OUT" "(^|[^0-9])$id1([^0-9]|$)" "jobs must list job $id1"
    assert_match "$LAST_OUT" "(^|[^0-9])$id2([^0-9]|$)" "jobs must list job $id2"
    assert_contains_i "$LAST_OUT" "done"
    assert_exit 0 cb jobs --state "$STATE" --json
    assert_json "$LAST_OUT"
    jq_assert "$LAST_OUT" "[.. | objects | select(.id? == $id1)] | length >= 1" "jobs --json must contain job $id1"
    jq_assert "$LAST_OUT" "[.. | objects | select(.id? == $id2 and .status? == \"done\")] | length >= 1" "jobs --json must contain job $id2 (done)"
}

test_state_default_path_and_env() {
    # default: ./clonebox.db in the current directory
    local db
    db=$(new_db dst)
    mkdir -p "$TEST_TMP/cwd"
    cd "$TEST_TMP/cwd" || _fail "cd failed"
    assert_exit 0 cb clone --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$db")"
    assert_true "default state file ./clonebox.db must be created" test -f "$TEST_TMP/cwd/clonebox.db"
    assert_eq 600 "$(stat -c %a "$TEST_TMP/cwd/clonebox.db")"
    assert_exit 0 cb status
    assert_contains_i "$LAST_OUT" "done"
    # CLONEBOX_STATE
    db=$(new_db dst)
    assert_exit 0 env CLONEBOX_STATE="$TEST_TMP/env.db" timeout "$CB_TIMEOUT" "$CLONEBOX_BIN" clone \
        --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$db")"
    assert_true "CLONEBOX_STATE must be honoured" test -f "$TEST_TMP/env.db"
    assert_eq 600 "$(stat -c %a "$TEST_TMP/env.db")"
    assert_exit 0 env CLONEBOX_STATE="$TEST_TMP/env.db" timeout "$CB_TIMEOUT" "$CLONEBOX_BIN" jobs
    assert_contains_i "$LAST_OUT" "done"
}

# The state file is private: created 0600, never followed through a
# symbolic link, and an existing one readable by others is warned about.
test_state_file_private_no_symlink() {
    clone_fixture --quiet
    assert_eq 600 "$(stat -c %a "$STATE")" "a new state file must be mode 600"
    ln -s "$STATE" "$TEST_TMP/link.db"
    local before
    before=$(sha256sum "$STATE" | cut -d' ' -f1)
    assert_exit 2 cb status --state "$TEST_TMP/link.db"
    assert_contains "$LAST_ERR" "symbolic link"
    assert_exit 2 cb clone --source "$SRC_CONN" --target "$TGT_CONN" --state "$TEST_TMP/link.db"
    assert_contains "$LAST_ERR" "symbolic link"
    assert_eq "$before" "$(sha256sum "$STATE" | cut -d' ' -f1)" "the linked state file must be left alone"
    chmod 644 "$STATE"
    assert_exit 0 cb clone --source "$SRC_CONN" --target "$TGT_CONN" --state "$STATE"
    assert_contains "$LAST_ERR" "readable by others"
}

# status and jobs only read the state file: they work on a read-only copy
# for another user (a status sidecar) and leave it byte for byte as it was;
# status exits with the job's outcome (0 done PASS, 3 FAIL, 1 failed, 6
# cancelled).
test_state_status_read_only_for_another_user() {
    is_root || skip "needs root to run clonebox as another user"
    runuser -u nobody -- true 2>/dev/null || skip "cannot run commands as nobody"
    clone_fixture --quiet
    local ro="$TEST_TMP/ro" sha
    mkdir "$ro"
    cp "$STATE" "$ro/state.db"
    chmod 644 "$ro/state.db"
    chmod 555 "$ro"
    sha=$(sha256sum "$ro/state.db" | cut -d' ' -f1)
    runuser -u nobody -- test -w "$ro/state.db" && _fail "sanity: nobody must not be able to write the copy"
    # the checkout may sit in a directory nobody cannot enter (a 0700 temp dir)
    local bin="$TEST_TMP/bin/clonebox"
    mkdir -p "$TEST_TMP/bin" && cp "$CLONEBOX_BIN" "$bin" && chmod 755 "$TEST_TMP/bin" "$bin"
    assert_exit 0 runuser -u nobody -- "$bin" status --state "$ro/state.db" --json
    jq_assert "$LAST_OUT" '.status == "done" and .result == "PASS"'
    assert_exit 0 runuser -u nobody -- "$bin" jobs --state "$ro/state.db"
    assert_contains "$LAST_OUT" "done"
    assert_eq "$sha" "$(sha256sum "$ro/state.db" | cut -d' ' -f1)" "status/jobs changed the state file"
    assert_eq "state.db" "$(ls "$ro")" "status/jobs must not create files next to the state file"
    # the outcome as exit code
    local id
    assert_exit 0 cb start --new --source "$SRC_CONN" --target "$TGT_CONN" --state "$STATE" --quiet
    id=$LAST_OUT
    assert_exit 0 cb cancel "$id" --state "$STATE"
    assert_exit 6 cb status "$id" --state "$STATE"
}
