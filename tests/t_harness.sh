# shellcheck shell=bash
# Tests of the test harness itself (no clonebox binary needed).

# The shared source was loaded by run.sh; check that it has what we expect.
test_harness_fixture_loaded() {
    assert_eq 5002 "$(table_count src "$SRC_DB" public.tasks)" "tasks row count"
    assert_eq 100 "$(table_count src "$SRC_DB" public.background_tasks)" "background_tasks row count"
    assert_eq 300 "$(table_count src "$SRC_DB" 'billing."Customer Notes"')" "Customer Notes row count"
    local tables
    tables=$(list_tables src "$SRC_DB")
    assert_eq 'billing."Customer Notes"
billing.invoice_lines
billing.invoices
billing.usage_records
billing.usage_records_2024_h1
billing.usage_records_2024_h2
public.audit_log
public.background_tasks
public.organizations
public.project_members
public.projects
public.raw_events
public.task_comments
public.task_watchers
public.tasks
public.users' "$tables" "fixture table list"
}

# The fixture really contains the tricky things the clone tests rely on.
test_harness_fixture_features() {
    q() { psqlq src "$SRC_DB" -c "$1"; }
    # enum with fractional sort order and non-alphabetical order
    assert_eq 'low medium high urgent' "$(q "SELECT string_agg(enumlabel, ' ' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'priority'::regtype")"
    assert_eq 1 "$(q "SELECT count(*) FROM pg_enum WHERE enumtypid = 'priority'::regtype AND enumsortorder <> trunc(enumsortorder)")" \
        "priority enum should have one fractional enumsortorder"
    assert_eq 'backlog todo in_progress review done cancelled' \
        "$(q "SELECT string_agg(enumlabel, ' ' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'task_status'::regtype")"
    # values > 1 MB
    assert_eq 2 "$(q "SELECT count(*) FROM tasks WHERE octet_length(description) > 1048576")" "two >1MB texts"
    assert_eq 1 "$(q "SELECT count(*) FROM billing.invoices WHERE octet_length(pdf) > 1048576")" "one >1MB bytea"
    # duplicates in the keyless table
    local dups
    dups=$(q "SELECT count(*) - count(DISTINCT r) FROM (SELECT t::text r FROM raw_events t) s")
    assert_true "raw_events should contain duplicate rows (got $dups)" test "$dups" -gt 100
    # sequence states
    assert_eq '4242|t' "$(q "SELECT last_value, is_called FROM external_ref_seq")"
    assert_eq '10|f' "$(q "SELECT last_value, is_called FROM reserved_ticket_seq")"
    assert_eq '-3|t' "$(q "SELECT last_value, is_called FROM descending_seq")"
    assert_eq '1000|5' "$(q "SELECT start_value, increment_by FROM pg_sequences WHERE sequencename = 'invoice_number_seq'")"
    # RLS
    assert_eq 'billing.invoices|t|t
public.projects|t|f
public.tasks|t|f' "$(q "SELECT relnamespace::regnamespace || '.' || relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relrowsecurity ORDER BY 1")"
    assert_eq 'PERMISSIVE 4
RESTRICTIVE 1' "$(q "SELECT permissive || ' ' || count(*) FROM pg_policies GROUP BY permissive ORDER BY 1")"
    # the secret is in the source
    assert_eq 100 "$(q "SELECT count(*) FROM background_tasks WHERE payload::text LIKE '%S3cretPassw0rd!%'")"
    # generated column, identity columns
    assert_eq 'billing.invoice_lines.amount' "$(q "SELECT format('%I.%I.%s', c.relnamespace::regnamespace, c.relname, a.attname) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE a.attgenerated = 's'")"
    assert_eq 'billing."Customer Notes".NoteId d
public.tasks.id a
public.users.id d' "$(q "SELECT format('%I.%I.%s %s', c.relnamespace::regnamespace, c.relname, a.attname, a.attidentity) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE a.attidentity <> '' ORDER BY 1")"
    # triggers and comments exist
    assert_eq 2 "$(q "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")"
    assert_true "comments present" test "$(q "SELECT count(*) FROM pg_description WHERE objoid >= 16384")" -ge 10
    # projects trigger wrote audit rows at load time
    assert_eq 200 "$(q "SELECT count(*) FROM audit_log WHERE details->>'via' = 'trigger'")"
}

# Loading the fixture twice gives identical data and identical catalog facts
# (determinism), and the digest/fact helpers notice differences.
test_harness_fixture_deterministic_and_digests() {
    local a b t0 t1
    a=$(new_db dst a)
    b=$(new_db dst b)
    t0=${EPOCHREALTIME/./}
    load_fixture dst "$a"
    t1=${EPOCHREALTIME/./}
    echo "fixture load took $(( (t1 - t0) / 1000 )) ms"
    load_fixture dst "$b"
    assert_tables_equal dst "$a" dst "$b"
    assert_schema_equal dst "$a" dst "$b"
    assert_sequences_equal dst "$a" dst "$b"
    # also identical to the shared source
    assert_schema_equal src "$SRC_DB" dst "$a"

    # the digest sees a one-row change
    local before after
    before=$(table_multiset dst "$b" public.tasks)
    psqlq dst "$b" -c "UPDATE tasks SET estimate_hours = 1.5 WHERE id = 7 AND estimate_hours IS DISTINCT FROM 1.5"
    after=$(table_multiset dst "$b" public.tasks)
    assert_ne "$before" "$after" "digest must change after UPDATE"

    # the digest is a multiset digest: swap which row is duplicated (same count)
    before=$(table_multiset dst "$b" public.raw_events)
    psqlq dst "$b" -c "
        DELETE FROM raw_events WHERE ctid = (SELECT ctid FROM raw_events WHERE path = '/dup' LIMIT 1);
        INSERT INTO raw_events SELECT * FROM raw_events WHERE path = '/billing' LIMIT 1;"
    after=$(table_multiset dst "$b" public.raw_events)
    assert_eq "${before%% *}" "${after%% *}" "row count unchanged"
    assert_ne "$before" "$after" "digest must see a changed duplicate"

    # schema_facts sees a dropped index, a changed comment and an enum order
    local f1 f2
    f1=$(schema_facts dst "$b")
    psqlq dst "$b" -c "DROP INDEX tasks_lower_title_idx; COMMENT ON TABLE tasks IS 'x'"
    f2=$(schema_facts dst "$b")
    assert_contains "$f1" "tasks_lower_title_idx"
    assert_not_contains "$f2" "tasks_lower_title_idx"
    assert_ne "$f1" "$f2"

    # sequence_states sees is_called
    local s1 s2
    s1=$(sequence_states dst "$a")
    psqlq dst "$b" -c "SELECT setval('reserved_ticket_seq', 10, true)" >/dev/null
    s2=$(sequence_states dst "$b")
    assert_contains "$s1" "public.reserved_ticket_seq 10 f"
    assert_contains "$s2" "public.reserved_ticket_seq 10 t"
}

# pg_start / pg_stop / pg_stop_all work, and servers get distinct ports.
test_harness_pg_start_stop() {
    pg_start h1 "work_mem = '8MB'"
    pg_start h2
    assert_ne "$h1_PORT" "$h2_PORT" "two servers, two ports"
    assert_eq "postgresql://postgres@127.0.0.1:$h1_PORT/postgres" "$h1_URL"
    assert_eq 8MB "$(psqlq h1 -c 'SHOW work_mem')" "extra conf line applied"
    assert_eq 127.0.0.1 "$(psqlq h1 -c 'SHOW listen_addresses')"
    assert_eq off "$(psqlq h1 -c 'SHOW fsync')"
    # TCP URL works too (trust)
    assert_eq 1 "$(psql -X -At "$h1_URL" -c 'SELECT 1')"
    assert_eq 1 "$(psql -X -At "$(pg_kv h2)" -c 'SELECT 1')"
    # owned by postgres when running as root
    if is_root; then
        assert_eq postgres "$(stat -c %U "$h1_DATA")"
    fi
    pg_createdb h1 mydb
    assert_eq mydb "$(psqlq h1 mydb -c 'SELECT current_database()')"
    local pid
    pid=$(head -n 1 "$h1_DATA/postmaster.pid")
    pg_stop h1
    assert_true "h1 postmaster should be gone" test ! -e "$h1_DATA/postmaster.pid"
    if pid_alive "$pid"; then _fail "postmaster $pid still running"; fi
    # h2 is left running on purpose: the runner must stop it after the test
    echo "$h2_DATA" >"$TMPROOT/harness_h2_data"
}

# ... and this test checks that the runner stopped h2 after the previous test.
test_harness_runner_stopped_test_servers() {
    [ -f "$TMPROOT/harness_h2_data" ] || skip "needs test_harness_pg_start_stop to run first"
    local d
    d=$(cat "$TMPROOT/harness_h2_data")
    assert_true "server started by previous test must have been stopped" test ! -e "$d/postmaster.pid"
}

# Assertions fail the test (checked in a sub-shell with its own TEST_TMP).
test_harness_assertions() {
    local sub="$TEST_TMP/sub" rc
    mkdir -p "$sub"
    _expect_fail() {
        rc=0
        (TEST_TMP=$sub; "$@") >"$sub/out" 2>&1 || rc=$?
        if [ "$rc" = 0 ]; then _fail "expected failure from: $*"; fi
        rm -f "$sub/failed"
        grep -q "ASSERTION FAILED" "$sub/out" || _fail "no ASSERTION FAILED message from: $*" "$(cat "$sub/out")"
    }
    _expect_fail assert_eq a b
    _expect_fail assert_eq $'a\nb' $'a\nc'
    _expect_fail assert_ne a a
    _expect_fail assert_contains "hello world" "bye"
    _expect_fail assert_contains_i "hello world" "BYE"
    _expect_fail assert_not_contains "hello world" "world"
    _expect_fail assert_match "abc" '^x'
    _expect_fail assert_exit 0 false
    _expect_fail assert_exit 3 sh -c 'exit 4'
    grep -q "expected exit: 3" "$sub/out" || _fail "assert_exit message lacks expected code"
    assert_eq a a
    assert_contains "hello world" "lo wo"
    assert_contains_i "hello world" "LO WO"
    assert_not_contains "hello world" "bye"
    assert_exit 3 sh -c 'echo out; echo err >&2; exit 3'
    assert_eq out "$LAST_OUT"
    assert_eq err "$LAST_ERR"
    assert_eq 3 "$LAST_RC"
}

# Without a binary the suite fails fast with a clear message (no hang).
test_harness_missing_binary_fails_cleanly() {
    local t0 t1 out rc=0
    t0=$SECONDS
    out=$(CLONEBOX_BIN="$TEST_TMP/no-such-clonebox" timeout 60 bash "$TESTS_DIR/run.sh" test_build_ 2>&1) || rc=$?
    t1=$SECONDS
    assert_ne 0 "$rc" "suite must fail without a binary"
    assert_ne 124 "$rc" "suite must not hang without a binary"
    assert_contains "$out" "clonebox binary not found"
    assert_match "$(printf '%s\n' "$out" | tail -n 1)" '^0 passed, [1-9][0-9]* failed$'
    assert_true "should be quick ($((t1 - t0))s)" test $((t1 - t0)) -lt 20
}
