# shellcheck shell=bash
# Safety: clonebox never writes into the source, whatever the spelling of
# --target; it refuses targets that cannot or must not be written; --clean
# says what it drops; a non-empty target is refused before any write.

# The source database's contents and object list, to prove it untouched.
_source_fingerprint() {
    db_digests src "$SRC_DB"
    psqlq src "$SRC_DB" -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"
}

test_safety_same_database_every_spelling() {
    local before after s
    before=$(_source_fingerprint)
    local spellings=(
        "$(pg_url src "$SRC_DB")"
        "postgresql://postgres@localhost:${src_PORT}/${SRC_DB}"
        "host=localhost port=${src_PORT} user=postgres dbname=${SRC_DB}"
        "host=${src_DIR} port=${src_PORT} user=postgres dbname=${SRC_DB}"
        "hostaddr=127.0.0.1 port=${src_PORT} dbname=${SRC_DB} user=postgres application_name=other"
        "postgresql:///${SRC_DB}?host=${src_DIR}&port=${src_PORT}&user=postgres"
    )
    for s in "${spellings[@]}"; do
        assert_exit 2 cb clone --source "$(pg_url src "$SRC_DB")" --target "$s" --state "$TEST_TMP/s.db" --clean --yes
        assert_contains "$LAST_ERR" "the target is the source" "refusal must say why ($s)"
        assert_contains "$LAST_ERR" "$SRC_DB" "refusal must name the database ($s)"
        assert_exit 2 cb clone --source "$(pg_url src "$SRC_DB")" --target "$s" --state "$TEST_TMP/s.db"
        assert_exit 2 cb start --source "$(pg_url src "$SRC_DB")" --target "$s" --state "$TEST_TMP/s.db"
    done
    # the reverse spelling: key=value source, URL target
    assert_exit 2 cb clone --source "host=${src_DIR} port=${src_PORT} user=postgres dbname=${SRC_DB}" \
        --target "$(pg_url src "$SRC_DB")" --state "$TEST_TMP/s.db" --clean --yes
    after=$(_source_fingerprint)
    assert_eq "$before" "$after" "the source changed"
    assert_exit 0 cb jobs --state "$TEST_TMP/s.db" --json
    assert_eq "$LAST_OUT" "[]" "a refused clone must not create a job"
}

# Without the privilege to read pg_control_system(), sameness is proved by
# an advisory lock seen through pg_locks; another database of the same
# server is a legitimate target.
test_safety_same_database_unprivileged() {
    pg_start own
    psqlq own postgres -c "CREATE DATABASE a" -c "CREATE DATABASE b" -c "CREATE ROLE plain LOGIN" \
        -c "ALTER DATABASE b OWNER TO plain"
    local d
    for d in a b; do   # function privileges live in each database
        psqlq own "$d" -c "REVOKE EXECUTE ON FUNCTION pg_catalog.pg_control_system() FROM PUBLIC"
    done
    psqlq own a -c "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'x' || g FROM generate_series(1, 100) g;
        GRANT SELECT ON t TO plain"
    psqlq own b -c "ALTER SCHEMA public OWNER TO plain"
    local a="postgresql://plain@127.0.0.1:${own_PORT}/a"
    assert_exit 2 cb clone --source "$a" --target "host=localhost port=${own_PORT} user=plain dbname=a" \
        --state "$TEST_TMP/s.db" --clean --yes
    assert_contains "$LAST_ERR" "the target is the source"
    assert_not_contains "$LAST_ERR" "system identifier" "the role cannot read the system identifier"
    assert_eq "$(psqlq own a -c 'SELECT count(*) FROM t')" 100 "source rows"
    # the source's objects belong to postgres, whom plain cannot give objects to
    assert_exit 2 cb clone --source "$a" --target "host=localhost port=${own_PORT} user=plain dbname=b" \
        --state "$TEST_TMP/s.db"
    assert_contains "$LAST_ERR" "may not give objects to postgres"
    assert_contains "$LAST_ERR" "--no-owner"
    # (plain is both the new owner and a grantee on the source: --no-privileges)
    assert_exit 0 cb clone --no-owner --no-privileges --source "$a" --target "host=localhost port=${own_PORT} user=plain dbname=b" \
        --state "$TEST_TMP/s.db"
    assert_eq "$(psqlq own b -c 'SELECT count(*) FROM t')" 100 "another database of the same server is a target"
}

# A schema-only fingerprint of a target database (objects and definitions).
_target_schema() {
    "$PG_BIN/pg_dump" -h "${dst_DIR}" -p "${dst_PORT}" -U postgres --schema-only "$1" | grep -v '^\\\(un\)\?restrict '
}

test_safety_nonempty_target_refused_before_any_write() {
    clone_fixture
    local before
    before=$(_target_schema "$TGT_DB")
    psqlq dst "$TGT_DB" -c "INSERT INTO public.users (email, name) VALUES ('extra@example.com', 'extra')" 2>/dev/null ||
        psqlq dst "$TGT_DB" -c "SELECT 1" >/dev/null
    local rows
    rows=$(db_digests dst "$TGT_DB")
    assert_exit 2 cb clone --new --source "$SRC_CONN" --target "$TGT_CONN" --state "$STATE"
    assert_contains "$LAST_ERR" "is not empty" "the preflight names the problem"
    assert_contains "$LAST_ERR" "--clean" "the preflight names the flag that solves it"
    assert_match "$LAST_ERR" "(table|type|function|sequence|view) " "the preflight names conflicting objects"
    assert_eq "$(_target_schema "$TGT_DB")" "$before" "the refused clone changed the target's schema"
    assert_eq "$(db_digests dst "$TGT_DB")" "$rows" "the refused clone changed the target's rows"
    # --clean names what it drops, and where, even with --yes
    assert_exit 0 cb clone --new --clean --yes --source "$SRC_CONN" --target "$TGT_CONN" --state "$STATE"
    assert_contains "$LAST_ERR" "--clean: schemas " "--clean says what it drops"
    assert_contains "$LAST_ERR" "$TGT_DB" "--clean names the target database"
    assert_contains "$LAST_ERR" "public" "--clean names the schemas"
    assert_tables_equal src "$SRC_DB" dst "$TGT_DB" public.background_tasks
}

# On a terminal --clean asks, naming the schemas; "no" leaves no job and
# no change.  A job created without --clean never drops anything.
test_safety_clean_prompt_and_no_clean_job() {
    local tgt before
    tgt=$(new_db dst)
    psqlq dst "$tgt" -c "CREATE SCHEMA keepme; CREATE TABLE keepme.t (x int); INSERT INTO keepme.t VALUES (1)"
    before=$(_target_schema "$tgt")
    local cmd
    cmd="$(printf '%q ' "$CLONEBOX_BIN" clone --clean --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/s.db")"
    run_cmd bash -c "printf 'n\n' | script -qec \"$cmd\" /dev/null"
    assert_eq "$LAST_RC" 2 "declined --clean exits 2"
    assert_contains "$LAST_OUT" "will DROP these schemas" "the prompt says what it drops"
    assert_contains "$LAST_OUT" "billing" "the prompt names every schema"
    assert_contains "$LAST_OUT" "$tgt" "the prompt names the target database"
    assert_not_contains "$LAST_OUT" "keepme" "schemas the job does not clone are not named"
    assert_eq "$(_target_schema "$tgt")" "$before" "declining changed the target"
    assert_exit 0 cb jobs --state "$TEST_TMP/s.db" --json
    assert_eq "$LAST_OUT" "[]" "declining leaves no job behind"
    run_cmd bash -c "printf 'y\n' | script -qec \"$cmd\" /dev/null"
    # the verification compares whole databases: keepme is an honest EXTRA
    assert_eq "$LAST_RC" 3 "confirmed --clean clones, and the report names the schema it kept"
    assert_contains "$LAST_OUT" "EXTRA schema keepme"
    assert_tables_equal src "$SRC_DB" dst "$tgt" public.background_tasks
    assert_eq "$(psqlq dst "$tgt" -c 'SELECT count(*) FROM keepme.t')" 1 "a schema the job does not clone is kept"
    # a second job without --clean refuses the (now full) target instead of dropping
    assert_exit 2 cb clone --new --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_ERR" "is not empty"
    # following the preflight's hint works on the job it refused
    assert_exit 3 cb clone --clean --yes --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_ERR" "resuming job"
    assert_contains "$LAST_ERR" "--clean: schemas "
    # --clean on a finished job is not ignored silently
    assert_exit 3 cb clone --clean --yes --source "$(pg_url src "$SRC_DB")" --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_ERR" "--clean was ignored"
}

# Nightly refresh: after a job has succeeded, `clone --refresh --yes` clones
# again from scratch (a new job, cleaning first) and keeps the old record.
test_safety_refresh() {
    local src tgt state="$TEST_TMP/s.db"
    src=$(new_db src refresh)
    psqlq src postgres -c "DROP DATABASE \"$src\"" -c "CREATE DATABASE \"$src\" TEMPLATE \"$SRC_DB\"" >/dev/null
    tgt=$(new_db dst)
    assert_exit 0 cb clone --quiet --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")" --state "$state"
    psqlq src "$src" -c "UPDATE public.organizations SET name = name || ' (renamed)' WHERE id = (SELECT id FROM public.organizations ORDER BY id LIMIT 1)" >/dev/null
    assert_exit 0 cb clone --refresh --yes --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")" --state "$state"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq "1" "$(psqlq dst "$tgt" -c "SELECT count(*) FROM public.organizations WHERE name LIKE '% (renamed)'")" \
        "the refresh must copy the source as it is now"
    assert_exit 0 cb jobs --json --state "$state"
    jq_assert "$LAST_OUT" 'length == 2 and .[0].status == "done" and .[1].status == "done"' "the old job's record stays"
    assert_exit 2 cb status --refresh --state "$state"
}
