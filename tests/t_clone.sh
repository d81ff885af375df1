# shellcheck shell=bash
# Cloning the fixture: data, DDL fidelity, secrets.
# Each test clones the shared source (src/app) into its own fresh target db.

SECRET='S3cretPassw0rd!'

test_clone_fixture_passes_and_copies_all_rows() {
    clone_fixture
    # the last line of the human report is the verdict
    assert_eq "RESULT: PASS" "$(printf '%s\n' "$LAST_OUT" | tail -n 1)" "last stdout line must be the verdict"
    # every table except background_tasks: identical row multiset
    assert_tables_equal src "$SRC_DB" dst "$TGT_DB" public.background_tasks
    # background_tasks: created, but empty
    assert_eq 100 "$(table_count src "$SRC_DB" public.background_tasks)"
    assert_eq 0 "$(table_count dst "$TGT_DB" public.background_tasks)" "background_tasks rows must not be copied"
    # the report lists it as excluded, and the big tables as OK with their counts
    local line
    line=$(report_table_line "$LAST_OUT" public.background_tasks)
    assert_contains_i "$line" "EXCLUDED" "report must list public.background_tasks as EXCLUDED"
    line=$(report_table_line "$LAST_OUT" public.tasks)
    assert_match_i "$line" '5002.*5002.*OK' "report line for public.tasks"
    line=$(report_table_line "$LAST_OUT" public.raw_events)
    assert_match_i "$line" '3005.*3005.*OK' "report line for public.raw_events"
    # stdout carries only the report: no ERROR lines
    assert_not_contains "$LAST_OUT" "clonebox: error:"
}

test_clone_secret_never_reaches_target_or_state() {
    clone_fixture
    local srcdump dump
    srcdump=$(pg_dump_db src "$SRC_DB")
    assert_contains "$srcdump" "$SECRET" "sanity: the source must contain the secret"
    dump=$(pg_dump_db dst "$TGT_DB")
    assert_contains "$dump" "CREATE TABLE public.background_tasks" "target dump should contain background_tasks DDL"
    assert_not_contains "$dump" "$SECRET" "the secret from background_tasks leaked into the target"
    assert_state_clean "$STATE" "$SECRET"
    assert_not_contains "$LAST_OUT" "$SECRET" "secret in stdout"
    assert_not_contains "$LAST_ERR" "$SECRET" "secret in stderr"
    # and also not via status
    assert_exit 0 cb status --state "$STATE" --json
    assert_not_contains "$LAST_OUT" "$SECRET" "secret in status output"
}

test_clone_state_file_mode_600() {
    clone_fixture
    assert_true "state file $STATE must exist" test -f "$STATE"
    assert_eq 600 "$(stat -c %a "$STATE")" "state file must be created with mode 0600"
    local f
    for f in "$STATE-wal" "$STATE-shm" "$STATE-journal"; do
        if [ -e "$f" ]; then
            assert_eq 600 "$(stat -c %a "$f")" "$(basename "$f") must have mode 0600"
        fi
    done
}

test_clone_catalog_facts_identical() {
    clone_fixture
    # all of: schemas, relations (kind, RLS flags, partitioning), columns
    # (types, defaults, identity, generated, collation), constraints, domains,
    # enums (label order), indexes, views, functions, triggers, policies,
    # sequences (definition + last_value), sequence ownership, comments.
    assert_schema_equal src "$SRC_DB" dst "$TGT_DB"
}

test_clone_enum_label_order() {
    clone_fixture
    local q="SELECT t.typnamespace::regnamespace || '.' || t.typname || ': ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
             FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typnamespace, t.typname ORDER BY 1"
    local a b
    a=$(psqlq src "$SRC_DB" -c "$q")
    b=$(psqlq dst "$TGT_DB" -c "$q")
    assert_contains "$a" "public.priority: low,medium,high,urgent"
    assert_eq "$a" "$b" "enum labels (in sort order) differ"
    # ordering semantics work on the target
    assert_eq "t" "$(psqlq dst "$TGT_DB" -c "SELECT 'medium'::priority < 'high'::priority AND 'todo'::task_status < 'cancelled'::task_status")"
    assert_same_result "SELECT string_agg(id::text, ',' ORDER BY priority, id) FROM (SELECT id, priority FROM tasks WHERE id <= 40) s" \
        "ORDER BY an enum column gives a different order on the target"
}

test_clone_sequence_state() {
    clone_fixture
    assert_sequences_equal src "$SRC_DB" dst "$TGT_DB"
    local s
    s=$(sequence_states dst "$TGT_DB")
    assert_contains "$s" "public.external_ref_seq 4242 t"
    assert_contains "$s" "public.reserved_ticket_seq 10 f"
    assert_contains "$s" "public.descending_seq -3 t"
    assert_contains "$s" "billing.invoice_number_seq 4000 t"
    # next values continue where the source stopped
    assert_eq 4243 "$(psqlq dst "$TGT_DB" -c "SELECT nextval('external_ref_seq')")"
    assert_eq 10 "$(psqlq dst "$TGT_DB" -c "SELECT nextval('reserved_ticket_seq')")"
    assert_eq -6 "$(psqlq dst "$TGT_DB" -c "SELECT nextval('descending_seq')")"
}

test_clone_identity_serial_generated_defaults_work() {
    clone_fixture
    local r
    # GENERATED ALWAYS identity continues after the copied ids
    r=$(psqlq dst "$TGT_DB" -c "INSERT INTO tasks (project_id, title, created_at, updated_at)
                                VALUES (1, 'new task', '2025-01-01', '2025-01-01') RETURNING id, status")
    assert_eq "5003|backlog" "$r" "identity (ALWAYS) next value / enum default on target"
    # ... and is still ALWAYS (explicit id rejected)
    run_cmd psqlq dst "$TGT_DB" -c "INSERT INTO tasks (id, project_id, title, created_at, updated_at) VALUES (999999, 1, 'x', now(), now())"
    assert_ne 0 "$LAST_RC" "tasks.id must still be GENERATED ALWAYS on the target"
    assert_contains "$LAST_ERR" "GENERATED ALWAYS"
    # BY DEFAULT identity with INCREMENT 10
    r=$(psqlq dst "$TGT_DB" -c "INSERT INTO users (org_id, email, display_name, created_at)
                                VALUES (md5('org1')::uuid, 'new@example.com', 'New', '2025-01-01') RETURNING id, locale")
    assert_eq "5100|en" "$r" "identity (BY DEFAULT, INCREMENT 10) / column default on target"
    # serial + AFTER INSERT trigger writing audit_log (bigserial)
    r=$(psqlq dst "$TGT_DB" -c "INSERT INTO projects (org_id, slug, name, created_at)
                                VALUES (md5('org1')::uuid, 'brand-new', 'Brand new', '2025-01-01') RETURNING id, archived, metadata")
    assert_eq "201|f|{}" "$r" "serial next value / defaults on projects"
    assert_eq "1201|201" "$(psqlq dst "$TGT_DB" -c "SELECT id, entity_id FROM audit_log WHERE entity = 'project' AND entity_id = '201'")" \
        "AFTER INSERT trigger on projects must write audit_log with the next bigserial id"
    # DEFAULT calling a SQL function that uses a custom sequence; domain default
    r=$(psqlq dst "$TGT_DB" -c "INSERT INTO billing.invoices (id, org_id, issued_at)
                                VALUES (md5('inv-new')::uuid, md5('org1')::uuid, '2025-01-01') RETURNING number, total, currency")
    assert_eq "INV-00004005|0.00|EUR" "$r" "DEFAULT billing.next_invoice_number() / domain default"
    # generated column computed on the target
    r=$(psqlq dst "$TGT_DB" -c "INSERT INTO billing.invoice_lines (invoice_id, line_no, description, quantity, unit_price)
                                VALUES (md5('inv-new')::uuid, 1, 'x', 2.5, 3.33) RETURNING amount")
    assert_eq "8.33" "$r" "generated column amount = round(2.5 * 3.33, 2)"
    # identity with a mixed-case column in a quoted table
    r=$(psqlq dst "$TGT_DB" -c "INSERT INTO billing.\"Customer Notes\" (org_id, \"Note Text\", created_at)
                                VALUES (md5('org1')::uuid, 'hi', '2025-01-01') RETURNING \"NoteId\"")
    assert_eq 301 "$r" "identity on billing.\"Customer Notes\".\"NoteId\""
    # constraints are enforced on the target
    run_cmd psqlq dst "$TGT_DB" -c "INSERT INTO users (org_id, email, display_name, created_at) VALUES (md5('org1')::uuid, 'not-an-email', 'x', now())"
    assert_ne 0 "$LAST_RC" "domain CHECK must reject a bad e-mail"
    run_cmd psqlq dst "$TGT_DB" -c "INSERT INTO projects (org_id, slug, name, created_at) VALUES (md5('org1')::uuid, 'Bad Slug', 'x', now())"
    assert_ne 0 "$LAST_RC" "CHECK (is_valid_slug(slug)) must reject a bad slug"
    run_cmd psqlq dst "$TGT_DB" -c "INSERT INTO tasks (project_id, parent_id, title, created_at, updated_at) VALUES (1, 987654321, 'orphan', now(), now())"
    assert_ne 0 "$LAST_RC" "self-referencing FK tasks.parent_id must be enforced"
    run_cmd psqlq dst "$TGT_DB" -c "INSERT INTO task_watchers VALUES (1, 1, 123456, now())"
    assert_ne 0 "$LAST_RC" "multi-column deferred FK task_watchers -> project_members must be enforced"
    # partition routing
    r=$(psqlq dst "$TGT_DB" -c "INSERT INTO billing.usage_records (id, org_id, recorded_on, metric)
                                VALUES (999999, md5('org1')::uuid, '2024-08-01', 'seats') RETURNING tableoid::regclass::text")
    assert_eq "billing.usage_records_2024_h2" "$r" "partition routing on the target"
}

test_clone_triggers_exist_and_fire() {
    clone_fixture
    local before after
    before=$(psqlq dst "$TGT_DB" -c "SELECT updated_at FROM tasks WHERE id = 1")
    assert_eq "$(psqlq src "$SRC_DB" -c "SELECT updated_at FROM tasks WHERE id = 1")" "$before" "updated_at copied verbatim"
    after=$(psqlq dst "$TGT_DB" -c "UPDATE tasks SET title = title || '!' WHERE id = 1 RETURNING updated_at")
    assert_ne "$before" "$after" "BEFORE UPDATE trigger tasks_touch_updated_at must fire on the target"
    assert_eq t "$(psqlq dst "$TGT_DB" -c "SELECT updated_at > '2025-01-01' FROM tasks WHERE id = 1")"
    # AFTER INSERT trigger
    local n0 n1
    n0=$(table_count dst "$TGT_DB" public.audit_log)
    psqlq dst "$TGT_DB" -c "INSERT INTO projects (org_id, slug, name, created_at) VALUES (md5('org2')::uuid, 'trig-test', 'T', '2025-01-01')"
    n1=$(table_count dst "$TGT_DB" public.audit_log)
    assert_eq $((n0 + 1)) "$n1" "AFTER INSERT trigger projects_audit_insert must fire on the target"
    # the triggers did NOT fire while rows were copied (audit_log identical)
    assert_eq "$(table_count src "$SRC_DB" public.audit_log)" "$n0" "audit_log row count after clone (triggers fired during copy?)"
    # trigger definitions identical
    local q="SELECT string_agg(pg_get_triggerdef(oid) || ' ' || tgenabled::text, E'\n' ORDER BY tgname) FROM pg_trigger WHERE NOT tgisinternal"
    assert_same_result "$q" "trigger definitions differ"
}

test_clone_rls_and_policies() {
    clone_fixture
    local q1="SELECT relnamespace::regnamespace || '.' || relname || ' ' || relrowsecurity || ' ' || relforcerowsecurity
              FROM pg_class WHERE relkind IN ('r', 'p') AND relnamespace::regnamespace::text IN ('public', 'billing') ORDER BY 1"
    local q2="SELECT schemaname, tablename, policyname, permissive, roles, cmd, qual, with_check FROM pg_policies ORDER BY 1, 2, 3"
    local a b
    a=$(psqlq src "$SRC_DB" -c "$q1"); b=$(psqlq dst "$TGT_DB" -c "$q1")
    assert_contains "$a" "billing.invoices true true"
    assert_eq "$a" "$b" "relrowsecurity / relforcerowsecurity differ"
    a=$(psqlq src "$SRC_DB" -c "$q2"); b=$(psqlq dst "$TGT_DB" -c "$q2")
    assert_contains "$a" "RESTRICTIVE"
    assert_eq "$a" "$b" "pg_policies differ"
    # policies are effective for a non-superuser on the target
    psqlq dst "$TGT_DB" -c "CREATE ROLE rls_probe_$$ NOLOGIN; GRANT SELECT ON tasks, projects TO rls_probe_$$"
    local visible
    visible=$(psqlq dst "$TGT_DB" -c "SET ROLE rls_probe_$$; SET app.org_id = '$(psqlq src "$SRC_DB" -c "SELECT md5('org2')::uuid")';
                                      SELECT count(*) FROM tasks")
    local expected
    expected=$(psqlq src "$SRC_DB" -c "SELECT count(*) FROM tasks t JOIN projects p ON p.id = t.project_id
                                       WHERE p.org_id = md5('org2')::uuid AND t.status <> 'cancelled'")
    psqlq dst "$TGT_DB" -c "REVOKE ALL ON tasks, projects FROM rls_probe_$$; DROP ROLE rls_probe_$$"
    assert_eq "$expected" "$visible" "RLS policies on tasks must filter rows on the target"
}

test_clone_comments_indexes_constraints_views_functions() {
    clone_fixture
    local name q a b
    # each query prints one canonical line per object; compared source vs target
    declare -A Q=(
        [comments]="SELECT pg_describe_object(classoid, objoid, objsubid) || ' = ' || description FROM pg_description WHERE objoid >= 16384 ORDER BY 1"
        [indexes]="SELECT indexdef FROM pg_indexes WHERE schemaname IN ('public', 'billing') ORDER BY 1"
        [constraints]="SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace::regnamespace::text IN ('public', 'billing') ORDER BY 1"
        [views]="SELECT c.oid::regclass || ' ' || pg_get_viewdef(c.oid, true) FROM pg_class c WHERE relkind = 'v' AND relnamespace::regnamespace::text IN ('public', 'billing') ORDER BY 1"
        [functions]="SELECT pg_get_functiondef(p.oid) FROM pg_proc p WHERE pronamespace::regnamespace::text IN ('public', 'billing') ORDER BY 1"
        [columns]="SELECT attrelid::regclass || ' ' || attname || ' ' || format_type(atttypid, atttypmod) || ' ' || attnotnull || ' ' || attidentity::text || attgenerated::text || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
                   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                   WHERE attnum > 0 AND NOT attisdropped AND c.relkind IN ('r', 'p', 'v') AND relnamespace::regnamespace::text IN ('public', 'billing') ORDER BY attrelid::regclass::text, attnum"
    )
    for name in comments indexes constraints views functions columns; do
        q=${Q[$name]}
        a=$(psqlq src "$SRC_DB" -c "$q")
        b=$(psqlq dst "$TGT_DB" -c "$q")
        [ -n "$a" ] || _fail "no $name found in the source"
        assert_eq "$a" "$b" "$name differ between source (-) and target (+)"
        echo "$name: $(printf '%s\n' "$a" | wc -l) lines identical"
    done
    # views return the same rows
    assert_same_result "SELECT md5(string_agg(v::text, ',' ORDER BY v::text)) FROM project_overview v" \
        "view project_overview returns different rows"
}

test_clone_json_report() {
    TGT_DB=$(new_db dst)
    STATE="$TEST_TMP/state.db"
    assert_exit 0 cb clone --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$TGT_DB")" --state "$STATE" --json
    local j=$LAST_OUT
    assert_json "$j"
    jq_assert "$j" '.result == "PASS"'
    jq_assert "$j" '.job | type == "number"'
    jq_assert "$j" '.tables | type == "array" and length >= 15'
    jq_assert "$j" '[.tables[] | select(.schema == "public" and .table == "background_tasks")] | length == 1 and .[0].status == "excluded"' \
        "background_tasks must be status excluded"
    jq_assert "$j" '[.tables[] | select(.table != "background_tasks") | select(.status != "ok")] | length == 0' \
        "every other table must be status ok"
    jq_assert "$j" '.tables[] | select(.schema == "public" and .table == "tasks") | .source_rows == 5002 and .target_rows == 5002 and (.source_checksum | type == "string") and .source_checksum == .target_checksum'
    jq_assert "$j" '.tables[] | select(.schema == "billing" and .table == "Customer Notes") | .source_rows == 300 and .status == "ok"' \
        'billing."Customer Notes" must be reported by its real name'
    jq_assert "$j" '[.tables[] | select(.status == "ok") | select(.source_rows != .target_rows)] | length == 0'
    jq_assert "$j" '.objects | type == "array" and length > 0'
    jq_assert "$j" '[.objects[] | select((.missing | length) > 0 or (.extra | length) > 0)] | length == 0' "no missing/extra objects"
    jq_assert "$j" '[.objects[] | select(.source != .target)] | length == 0'
    jq_assert "$j" '[.objects[] | .kind] | index("index") != null' "objects must include kind index"
    jq_assert "$j" '[.excluded[] | select(.name == "public.background_tasks")] | length == 1'
    assert_not_contains "$j" "RESULT:" "JSON output must not contain the human report"
}

# JSON is versioned ("format": 1) in the report and in status; --report
# FILE writes the JSON report whatever the output mode; a failed run with
# --json prints a JSON error object on stdout too.
test_clone_json_format_report_file_and_errors() {
    TGT_DB=$(new_db dst)
    STATE="$TEST_TMP/state.db"
    assert_exit 0 cb clone --quiet --report "$TEST_TMP/report.json" --source "$(pg_url src "$SRC_DB")" \
        --target "$(pg_url dst "$TGT_DB")" --state "$STATE"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    jq_assert "$(cat "$TEST_TMP/report.json")" '.format == 1 and .result == "PASS" and .verify == "full"'
    assert_exit 0 cb status --json --state "$STATE"
    jq_assert "$LAST_OUT" '.format == 1 and .status == "done"'
    # the stored report of a finished job goes to --report too
    assert_exit 0 cb clone --report "$TEST_TMP/again.json" --source "$(pg_url src "$SRC_DB")" \
        --target "$(pg_url dst "$TGT_DB")" --state "$STATE"
    jq_assert "$(cat "$TEST_TMP/again.json")" '.result == "PASS"'
    assert_exit 4 cb clone --json --source "$(pg_url src nosuchdb)" --target "$(pg_url dst "$TGT_DB")" --state "$TEST_TMP/s2.db"
    jq_assert "$LAST_OUT" '.format == 1 and .error.exit_code == 4 and (.error.message | test("nosuchdb"))'
    assert_exit 1 cb clone --report /nonexistent/dir/r.json --new --source "$(pg_url src "$SRC_DB")" \
        --target "$(pg_url dst "$(new_db dst)")" --state "$TEST_TMP/s3.db"
    assert_contains "$LAST_ERR" "--report /nonexistent/dir/r.json: cannot write it"
}
