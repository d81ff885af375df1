# shellcheck shell=bash
# The README's examples run, so that they cannot rot.  Each ```sh block
# after a line "<!-- example: NAME -->" runs with bash -e, clonebox on the
# PATH, and its placeholders ($PROD, $CI_DB, the usage example's hosts,
# /var/lib/clonebox, ...) pointing at this suite's servers; a block after
# "<!-- not run: WHY -->" is only named.  A ```sh block that runs clonebox
# with neither mark fails the test.

# _readme_blocks DIR: writes each sh block of the README to DIR/NAME.sh
# (NAME from its mark, "not-run-N" or "unmarked-N" without one)
_readme_blocks() {
    awk -v dir="$1" '
        /^<!-- example: / { mark = $3; next }
        /^<!-- not run: / { mark = "not-run-" NR; next }
        /^```sh$/ { n++; name = mark != "" ? mark : "unmarked-" n; file = dir "/" name ".sh"; inb = 1; mark = ""; next }
        /^```/ { inb = 0; next }
        inb { print > file }
        !inb && !/^[[:space:]]*$/ { mark = (/^<!--/ ? mark : "") }
    ' "$REPO_DIR/README.md"
}

# _readme_run NAME: runs example NAME with the suite's servers; LAST_* set
_readme_run() {
    local name=$1 f="$TEST_TMP/blocks/$1.sh"
    [ -f "$f" ] || _fail "the README has no example marked '<!-- example: $name -->'"
    mkdir -p "$TEST_TMP/bin" "$TEST_TMP/varlib" "$TEST_TMP/work"
    ln -sf "$CLONEBOX_BIN" "$TEST_TMP/bin/clonebox"
    # the usage example's literal ends, and its state directory
    sed -e "s#postgresql://app@prod-db:5432/app#$(pg_url src "$RD_SRC")#" \
        -e "s#host=10.0.0.7 dbname=app_ci user=ci sslmode=verify-full sslrootcert=/ca.pem#$(pg_kv dst "$RD_DST")#" \
        -e "s#/var/lib/clonebox#$TEST_TMP/varlib#g" "$f" >"$TEST_TMP/run-$name.sh"
    run_cmd env -C "$TEST_TMP/work" PATH="$TEST_TMP/bin:$PATH" PROD="$(pg_url src "$RD_SRC")" SRC="$(pg_url src "$RD_SRC")" \
        CI_DB="$(pg_url dst "$RD_DST")" DST="$(pg_url dst "$RD_DST")" CONSULTA="$(pg_url dst "$RD_DST")" \
        HOOK_URL="file:///dev/null" timeout -k 5 "$CB_TIMEOUT" bash -e "$TEST_TMP/run-$name.sh"
}

test_readme_every_clonebox_example_is_run() {
    mkdir -p "$TEST_TMP/blocks"
    _readme_blocks "$TEST_TMP/blocks"
    local f bad=''
    for f in "$TEST_TMP"/blocks/unmarked-*.sh; do
        [ -e "$f" ] || continue
        grep -q 'clonebox ' "$f" && bad+=" $(head -1 "$f")"
    done
    [ -z "$bad" ] || _fail "README sh blocks that run clonebox without '<!-- example: NAME -->' (or '<!-- not run: WHY -->'):$bad"
    ls "$TEST_TMP/blocks"
    for f in usage copy subset mask step-loop; do
        [ -f "$TEST_TMP/blocks/$f.sh" ] || _fail "example '$f' is gone from the README: update this test"
    done
}

test_readme_example_usage_and_step_loop() {
    mkdir -p "$TEST_TMP/blocks"; _readme_blocks "$TEST_TMP/blocks"
    RD_SRC=$SRC_DB RD_DST=$(new_db dst)
    _readme_run usage
    assert_eq 0 "$LAST_RC" "the usage example failed: $LAST_ERR"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_tables_equal src "$SRC_DB" dst "$RD_DST" public.background_tasks
    RD_DST=$(new_db dst)
    _readme_run step-loop
    assert_eq 0 "$LAST_RC" "the step loop example failed: $LAST_ERR"
    assert_contains "$LAST_OUT" "RESULT: PASS"
}

test_readme_example_subset_and_mask() {
    mkdir -p "$TEST_TMP/blocks"; _readme_blocks "$TEST_TMP/blocks"
    RD_SRC=$SRC_DB RD_DST=$(new_db dst)
    _readme_run subset
    assert_eq 0 "$LAST_RC" "the subset example failed: $LAST_ERR"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_contains "$LAST_OUT" "SUBSET of public.organizations"
    assert_eq 0 "$(psqlq dst "$RD_DST" -c "SELECT count(*) FROM users WHERE email NOT LIKE '%@example.invalid'")"
    RD_DST=$(new_db dst)
    _readme_run mask
    assert_eq 0 "$LAST_RC" "the mask example failed: $LAST_ERR"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq 0 "$(psqlq dst "$RD_DST" -c "SELECT count(*) FROM users WHERE avatar IS NOT NULL OR email NOT LIKE '%@example.invalid'")"
}

test_readme_example_copy() {
    mkdir -p "$TEST_TMP/blocks"; _readme_blocks "$TEST_TMP/blocks"
    RD_SRC=$(new_db src) RD_DST=$(new_db dst)
    psqlq src "$RD_SRC" -c "CREATE TABLE payments(id bigint PRIMARY KEY, liquidation_id int NOT NULL, amount numeric(12,2))" \
        -c "CREATE TABLE payment_fees(id bigint PRIMARY KEY, payment_id bigint NOT NULL REFERENCES payments, fee numeric(8,2))" \
        -c "INSERT INTO payments SELECT g, 40 + g % 5, g FROM generate_series(1, 5000) g" \
        -c "INSERT INTO payment_fees SELECT g, g, g / 100.0 FROM generate_series(1, 5000) g"
    psqlq dst "$RD_DST" -c "CREATE SCHEMA reporting" \
        -c "CREATE TABLE payments(id bigint PRIMARY KEY, liquidation_id int NOT NULL, amount numeric(12,2))" \
        -c "CREATE TABLE reporting.payment_fees(id bigint PRIMARY KEY, payment_id bigint NOT NULL REFERENCES payments, fee numeric(8,2))"
    _readme_run copy
    assert_eq 0 "$LAST_RC" "the copy example failed: $LAST_ERR"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_not_contains "$LAST_ERR" "--on-done command failed"
    assert_eq "1000|1000" "$(psqlq dst "$RD_DST" -c "SELECT (SELECT count(*) FROM payments), (SELECT count(*) FROM reporting.payment_fees)")"
}
