# shellcheck shell=bash
# The selection: -n, -N, -t, -T, --exclude-table-data, --filter (pg_dump's rules)

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

test_exclude_pg_dump_patterns() {
    # pg_dump's rules: quotes keep case and spaces, ? and * are wildcards,
    # and a name without a schema only matches tables in the search_path
    clone_fixture --exclude-table-data 'billing."Customer Notes"' --exclude-table-data 'raw_ev?nts' \
        --exclude-table 'billing.usage_records*'
    assert_eq 0 "$(table_count dst "$TGT_DB" 'billing."Customer Notes"')" "billing.\"Customer Notes\" must be empty"
    assert_eq 0 "$(table_count dst "$TGT_DB" public.raw_events)" "raw_events must be empty"
    assert_eq t "$(psqlq dst "$TGT_DB" -c "SELECT to_regclass('billing.usage_records') IS NULL")" "usage_records must not exist"
    assert_contains "$LAST_OUT" "Customer Notes"
    assert_tables_equal src "$SRC_DB" dst "$TGT_DB" public.background_tasks 'billing."Customer Notes"' public.raw_events \
        billing.usage_records billing.usage_records_2024_h1 billing.usage_records_2024_h2
    # an unqualified name outside the search_path, or unquoted capitals, match nothing: with --table that is an
    # error, before anything is written
    local tgt
    tgt=$(new_db dst)
    assert_exit 2 cb clone --table 'usage_records*' --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$tgt")" \
        --state "$TEST_TMP/s2.db"
    assert_contains "$LAST_ERR" "no table on the source matches --table 'usage_records*'"
    assert_exit 2 cb clone -t 'billing.Customer Notes' --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$tgt")" \
        --state "$TEST_TMP/s3.db"
    assert_eq 0 "$(psqlq dst "$tgt" -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'billing') AND c.relkind = 'r'")" "a refused selection must write nothing"
    assert_exit 2 cb clone -t 'a.b.c.d' --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$tgt")" \
        --state "$TEST_TMP/s4.db"
    assert_contains "$LAST_ERR" "too many dotted names"
}

# _pg_dump_tables ARGS...: the tables pg_dump --schema-only ARGS selects on the source, one per line, sorted
_pg_dump_tables() {
    _as_pg "$PG_BIN/pg_dump" -s -h "$src_DIR" -p "$src_PORT" -U postgres -d "$SRC_DB" "$@" 2>&1 |
        sed -nE 's/^CREATE (UNLOGGED |FOREIGN )?TABLE (.+) \($/\2/p' | LC_ALL=C sort
}

# -n, -N, -t, -T and their mixes select the same tables as pg_dump does
# with the same options, on the fixture (schemas public and billing,
# mixed-case and spaced names, partitions); each clone PASSes.  One
# difference, on purpose: a selected table that needs an object left out
# (public.organizations has a column of type billing.plan_tier) is left out
# too and named with the reason, where pg_dump would dump it and its
# restore would fail.
test_select_same_tables_as_pg_dump() {
    local -a cases=(
        "-t public.ta*"
        "-T public.ta* -T billing.usage_records*"
        "-n billing"
        "-N billing"
        "-n billing -T billing.invoice*"
        "-t users -t billing.invoices"
        "-N public -t public.users"
    )
    local c tgt want got i=0
    for c in "${cases[@]}"; do
        i=$((i + 1))
        # shellcheck disable=SC2086
        want=$(_pg_dump_tables $c)
        [ -n "$want" ] || _fail "pg_dump selected no table for '$c' (fixture changed?)"
        tgt=$(new_db dst)
        # shellcheck disable=SC2086
        assert_exit 0 cb clone --json $c --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$tgt")" \
            --state "$TEST_TMP/s$i.db"
        jq_assert "$LAST_OUT" '.result == "PASS"' "clone $c must PASS"
        got=$(sqlite3 "$TEST_TMP/s$i.db" "SELECT qname FROM tbl WHERE mode <> 'skip' OR reason LIKE 'depends on %'")
        got=$(printf '%s\n' "$got" | LC_ALL=C sort)
        assert_eq "$want" "$got" "clonebox $c must select the tables pg_dump $c selects (- pg_dump, + clonebox)"
        # and the target has those tables, no others
        want=$(sqlite3 "$TEST_TMP/s$i.db" "SELECT qname FROM tbl WHERE mode <> 'skip'" | LC_ALL=C sort)
        got=$(psqlq dst "$tgt" -c "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n
            ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'f') AND n.nspname IN ('public', 'billing')" | LC_ALL=C sort)
        assert_eq "$want" "$got" "the target after clone $c must have exactly those tables"
        if [ "$c" = "-N billing" ]; then
            assert_eq "depends on schema billing, which is left out" \
                "$(sqlite3 "$TEST_TMP/s$i.db" "SELECT reason FROM tbl WHERE qname = 'public.organizations'")"
        fi
        echo "ok: $c -> $(echo $want | wc -w) tables"
    done
}

# --filter FILE: pg_dump 17's rule file, comments and quoted names included;
# -N takes everything in the schema with it; a bad rule names its line.
test_select_filter_file_and_schemas() {
    local tgt f="$TEST_TMP/rules"
    printf '%s\n' '# what the reporting database needs' '' 'include schema billing' \
        'exclude table_data billing."Customer Notes"   # comment after a rule' \
        'exclude table_and_children billing.usage_records' >"$f"
    tgt=$(new_db dst)
    assert_exit 0 cb clone --filter "$f" --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$tgt")" \
        --state "$TEST_TMP/f.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq "billing.\"Customer Notes\"|nodata billing.invoice_lines|copy billing.invoices|copy" \
        "$(sqlite3 "$TEST_TMP/f.db" "SELECT group_concat(qname || '|' || mode, ' ') FROM (SELECT qname, mode FROM tbl
            WHERE mode <> 'skip' ORDER BY qname)")"
    assert_eq f "$(psqlq dst "$tgt" -c "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'S'))")" "nothing of schema public is cloned"
    local t
    for t in billing.invoices billing.invoice_lines; do
        assert_eq "$(table_multiset src "$SRC_DB" "$t")" "$(table_multiset dst "$tgt" "$t")" "$t differs"
    done
    assert_eq 0 "$(table_count dst "$tgt" 'billing."Customer Notes"')"
    # -N: the schema and all in it are left out, named in the report
    tgt=$(new_db dst)
    assert_exit 0 cb clone -N billing --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$tgt")" \
        --state "$TEST_TMP/n.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_contains "$LAST_OUT" "billing: left out by --exclude-schema"
    assert_contains "$LAST_OUT" "public.organizations: depends on schema billing, which is left out"
    assert_eq "" "$(psqlq dst "$tgt" -c "SELECT nspname FROM pg_namespace WHERE nspname = 'billing'")" "schema billing must not exist"
    assert_tables_equal src "$SRC_DB" dst "$tgt" public.background_tasks public.organizations billing.invoices billing.invoice_lines \
        'billing."Customer Notes"' billing.usage_records billing.usage_records_2024_h1 billing.usage_records_2024_h2
    # bad rules: the line is named, nothing runs
    printf '%s\n' 'include table public.users' 'include function public.f' >"$f"
    assert_exit 2 cb clone --filter "$f" --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/b.db"
    assert_contains "$LAST_ERR" "line 2: 'include function' is not a rule clonebox takes"
    printf '%s\n' 'exclude table billing."Customer Notes' >"$f"
    assert_exit 2 cb clone --filter "$f" --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/b.db"
    assert_contains "$LAST_ERR" "line 1: a double quote is not closed"
    assert_exit 2 cb clone --filter "$TEST_TMP/nosuch" --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$tgt")" \
        --state "$TEST_TMP/b.db"
    assert_exit 2 cb status -t x --state "$TEST_TMP/n.db"
}
