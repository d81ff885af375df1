# shellcheck shell=bash
# --exclude-table / --exclude-table-data

test_exclude_table_data_glob() {
    clone_fixture --exclude-table-data 'public.audit*'
    assert_eq t "$(psqlq dst "$TGT_DB" -c "SELECT to_regclass('public.audit_log') IS NOT NULL")" "audit_log must exist on the target"
    assert_eq 0 "$(table_count dst "$TGT_DB" public.audit_log)" "audit_log must be empty"
    assert_contains_i "$(report_table_line "$LAST_OUT" public.audit_log)" "EXCLUDED" "report must list public.audit_log as EXCLUDED"
    assert_contains_i "$(report_table_line "$LAST_OUT" public.background_tasks)" "EXCLUDED"
    assert_tables_equal src "$SRC_DB" dst "$TGT_DB" public.background_tasks public.audit_log
    # the DDL of the excluded table is complete (indexes, sequence)
    assert_same_result "SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_log' ORDER BY 1" "indexes of the data-excluded table"
    # verify honours the same exclusion, and fails without it
    assert_exit 0 cb verify --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$TGT_DB")" --exclude-table-data 'public.audit*'
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_exit 3 cb verify --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$TGT_DB")"
    assert_contains_i "$(report_table_line "$LAST_OUT" public.audit_log)" "DIFF"
}

test_exclude_table_data_json() {
    TGT_DB=$(new_db dst)
    assert_exit 0 cb clone --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$TGT_DB")" \
        --state "$TEST_TMP/state.db" --exclude-table-data 'public.audit*' --json
    assert_json "$LAST_OUT"
    jq_assert "$LAST_OUT" '.result == "PASS"'
    jq_assert "$LAST_OUT" '.tables[] | select(.schema == "public" and .table == "audit_log") | .status == "excluded"'
    jq_assert "$LAST_OUT" '[.excluded[] | select(.name == "public.audit_log")] | length == 1'
}

test_exclude_table_glob() {
    clone_fixture --exclude-table 'public.audit*'
    assert_eq t "$(psqlq dst "$TGT_DB" -c "SELECT to_regclass('public.audit_log') IS NULL")" "audit_log must not exist on the target"
    # its serial sequence goes with it, as with pg_dump -T
    assert_eq t "$(psqlq dst "$TGT_DB" -c "SELECT to_regclass('public.audit_log_id_seq') IS NULL")" "audit_log's sequence must not exist"
    assert_contains "$LAST_OUT" "sequence public.audit_log_id_seq: left out"
    assert_contains "$LAST_OUT" "public.audit_log" "report must list the excluded table"
    assert_contains_i "$(report_table_line "$LAST_OUT" public.audit_log)" "EXCLUDED"
    assert_tables_equal src "$SRC_DB" dst "$TGT_DB" public.background_tasks public.audit_log
    # everything else is still there
    assert_eq t "$(psqlq dst "$TGT_DB" -c "SELECT to_regclass('public.projects') IS NOT NULL AND to_regclass('public.tasks_lower_title_idx') IS NOT NULL")"
    assert_exit 0 cb verify --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$TGT_DB")" --exclude-table 'public.audit*'
}

test_exclude_bare_name_and_multiple_patterns() {
    # patterns match "table" as well as "schema.table"; names with spaces
    clone_fixture --exclude-table-data 'Customer Notes' --exclude-table-data 'raw_ev?nts' --exclude-table 'usage_records*'
    assert_eq 0 "$(table_count dst "$TGT_DB" 'billing."Customer Notes"')" "billing.\"Customer Notes\" must be empty"
    assert_eq 0 "$(table_count dst "$TGT_DB" public.raw_events)" "raw_events must be empty"
    assert_eq t "$(psqlq dst "$TGT_DB" -c "SELECT to_regclass('billing.usage_records') IS NULL")" "usage_records must not exist"
    assert_contains "$LAST_OUT" "Customer Notes"
    assert_tables_equal src "$SRC_DB" dst "$TGT_DB" public.background_tasks 'billing."Customer Notes"' public.raw_events \
        billing.usage_records billing.usage_records_2024_h1 billing.usage_records_2024_h2
}
