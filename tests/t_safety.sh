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
    assert_exit 0 cb clone --source "$a" --target "host=localhost port=${own_PORT} user=plain dbname=b" \
        --state "$TEST_TMP/s.db"
    assert_eq "$(psqlq own b -c 'SELECT count(*) FROM t')" 100 "another database of the same server is a target"
}
