# shellcheck shell=bash
# Connection strings, environment defaults, passwords, connection errors.

PW_USER=cbuser
PW_PASS='Pw-9q7Zr!xK#secret'

# start_pw_server: server "pw" that requires SCRAM passwords over TCP, with
# a superuser role $PW_USER/$PW_PASS, the fixture in "app" and an empty "tgt".
start_pw_server() {
    PG_START_HBA="local all all trust
host all all 127.0.0.1/32 scram-sha-256" pg_start pw "password_encryption = 'scram-sha-256'"
    psqlq pw -c "CREATE ROLE $PW_USER LOGIN SUPERUSER PASSWORD '$PW_PASS'"
    psqlq pw -c "CREATE DATABASE app TEMPLATE template0"
    psqlq pw -c "CREATE DATABASE tgt TEMPLATE template0"
    load_fixture pw app
    # sanity: TCP really needs the password
    run_cmd env PGPASSWORD=wrong psql -X -At "host=127.0.0.1 port=$pw_PORT user=$PW_USER dbname=app" -c "SELECT 1"
    assert_ne 0 "$LAST_RC" "sanity: pw server must reject a wrong password"
}

test_conn_keyvalue_strings() {
    TGT_DB=$(new_db dst)
    assert_exit 0 cb clone --source "$(pg_kv src "$SRC_DB")" --target "$(pg_kv dst "$TGT_DB")" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq 5002 "$(table_count dst "$TGT_DB" public.tasks)"
}

test_conn_env_vars_default_source_target() {
    TGT_DB=$(new_db dst)
    assert_exit 0 env CLONEBOX_SOURCE="$(pg_url src "$SRC_DB")" CLONEBOX_TARGET="$(pg_kv dst "$TGT_DB")" \
        timeout "$CB_TIMEOUT" "$CLONEBOX_BIN" clone --state "$TEST_TMP/s.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq 5002 "$(table_count dst "$TGT_DB" public.tasks)"
    # verify also takes them from the environment
    assert_exit 0 env CLONEBOX_SOURCE="$(pg_url src "$SRC_DB")" CLONEBOX_TARGET="$(pg_kv dst "$TGT_DB")" \
        timeout "$CB_TIMEOUT" "$CLONEBOX_BIN" verify
    assert_contains "$LAST_OUT" "RESULT: PASS"
}

test_conn_pgpassword_scram() {
    start_pw_server
    local state="$TEST_TMP/pw.db"
    assert_exit 0 env PGPASSWORD="$PW_PASS" timeout "$CB_TIMEOUT" "$CLONEBOX_BIN" clone \
        --source "postgresql://$PW_USER@127.0.0.1:$pw_PORT/app" \
        --target "host=127.0.0.1 port=$pw_PORT user=$PW_USER dbname=tgt" --state "$state"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_tables_equal pw app pw tgt public.background_tasks
    assert_state_clean "$state" "$PW_PASS"
    assert_not_contains "$LAST_OUT$LAST_ERR" "$PW_PASS" "password printed"
}

test_conn_password_in_url_not_stored() {
    start_pw_server
    local state="$TEST_TMP/pw.db" enc
    enc=$(printf '%s' "$PW_PASS" | jq -sRr @uri)
    assert_exit 0 cb clone \
        --source "postgresql://$PW_USER:$enc@127.0.0.1:$pw_PORT/app" \
        --target "host=127.0.0.1 port=$pw_PORT user=$PW_USER dbname=tgt password='$PW_PASS'" --state "$state"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_state_clean "$state" "$PW_PASS"
    assert_state_clean "$state" "$enc"
    assert_not_contains "$LAST_OUT$LAST_ERR" "$PW_PASS" "password printed"
    assert_exit 0 cb status --state "$state"
    assert_not_contains "$LAST_OUT$LAST_ERR" "$PW_PASS" "password printed by status"
    assert_exit 0 cb jobs --state "$state" --json
    assert_not_contains "$LAST_OUT$LAST_ERR" "$PW_PASS" "password printed by jobs"
    assert_not_contains "$LAST_OUT$LAST_ERR" "$enc" "password printed by jobs"
}

test_conn_wrong_password_exit_4() {
    start_pw_server
    local wrong='Wr0ng-Pa55w0rd-XYZ'
    assert_exit 4 env PGPASSWORD="$wrong" timeout "$CB_TIMEOUT" "$CLONEBOX_BIN" clone \
        --source "postgresql://$PW_USER@127.0.0.1:$pw_PORT/app" \
        --target "host=127.0.0.1 port=$pw_PORT user=$PW_USER dbname=tgt" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_ERR" "clonebox: error:"
    assert_not_contains "$LAST_ERR$LAST_OUT" "$wrong" "the password must not be printed"
    assert_contains_i "$LAST_ERR" "password" "the error should say password authentication failed"
    # wrong password inside the URL
    assert_exit 4 cb clone --source "postgresql://$PW_USER:$wrong@127.0.0.1:$pw_PORT/app" \
        --target "host=127.0.0.1 port=$pw_PORT user=$PW_USER dbname=tgt" --state "$TEST_TMP/s2.db"
    assert_not_contains "$LAST_ERR$LAST_OUT" "$wrong" "the password from the URL must not be printed"
    if [ -e "$TEST_TMP/s2.db" ]; then assert_state_clean "$TEST_TMP/s2.db" "$wrong"; fi
    # no password at all
    assert_exit 4 cb clone --source "postgresql://$PW_USER@127.0.0.1:$pw_PORT/app" \
        --target "$(pg_url dst postgres)" --state "$TEST_TMP/s3.db"
}

test_conn_gssencmode_require_exit_4() {
    TGT_DB=$(new_db dst)
    assert_exit 4 cb clone --source "host=127.0.0.1 port=$src_PORT user=postgres dbname=$SRC_DB gssencmode=require" \
        --target "$(pg_url dst "$TGT_DB")" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_ERR" "clonebox: error:"
    assert_contains_i "$LAST_ERR" "GSSAPI" "the error must mention GSSAPI"
}

test_conn_refused_exit_4() {
    local port
    port=$(free_port)
    TGT_DB=$(new_db dst)
    local t0=$SECONDS
    assert_exit 4 cb clone --source "postgresql://postgres@127.0.0.1:$port/app" \
        --target "$(pg_url dst "$TGT_DB")" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_ERR" "clonebox: error:"
    assert_true "connection refused should fail fast" test $((SECONDS - t0)) -lt 30
    # a database that does not exist
    assert_exit 4 cb clone --source "$(pg_url src no_such_db)" --target "$(pg_url dst "$TGT_DB")" --state "$TEST_TMP/s2.db"
}

test_conn_missing_source_or_target_exit_2() {
    assert_exit 2 cb clone --source "$(pg_url src "$SRC_DB")" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_ERR" "clonebox: error:"
    assert_exit 2 cb clone --target "$(pg_url dst postgres)" --state "$TEST_TMP/s.db"
    assert_exit 2 cb clone --state "$TEST_TMP/s.db"
}

test_conn_pgpass_file() {
    start_pw_server
    local pass="$TEST_TMP/pgpass"
    printf '127.0.0.1:%s:*:%s:%s\n' "$pw_PORT" "$PW_USER" "$(printf '%s' "$PW_PASS" | sed 's/[:\\]/\\&/g')" >"$pass"
    chmod 600 "$pass"
    assert_exit 0 env PGPASSFILE="$pass" timeout "$CB_TIMEOUT" "$CLONEBOX_BIN" clone \
        --source "postgresql://$PW_USER@127.0.0.1:$pw_PORT/app" \
        --target "host=127.0.0.1 port=$pw_PORT user=$PW_USER dbname=tgt" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_state_clean "$TEST_TMP/s.db" "$PW_PASS"
}

# A canary password given each way a user can give one (URI, key=value,
# PGPASSWORD, a password file), with runs killed at 20 seeded random
# points: it appears in no file of the state directory (with -wal, -shm,
# -journal), no stdout or stderr, no status/jobs output, not in the
# target, and not in the process's command line while it runs.
test_secrets_canary_never_at_rest() {
    start_pw_server
    local canary='Can4ry-7hX!q%pw' enc mode tgt src dst n ms pid rc all="$TEST_TMP/all-output"
    enc=$(printf '%s' "$canary" | jq -sRr @uri)
    psqlq pw -c "ALTER ROLE $PW_USER PASSWORD '$canary'"
    local statedir="$TEST_TMP/state"
    mkdir -m 700 "$statedir"
    printf '127.0.0.1:%s:*:%s:%s\n' "$pw_PORT" "$PW_USER" "$canary" >"$TEST_TMP/passfile"
    chmod 600 "$TEST_TMP/passfile"
    RANDOM=4242
    : >"$all"
    for mode in uri kv env passfile; do
        tgt="tgt_$mode"
        psqlq pw -c "CREATE DATABASE $tgt TEMPLATE template0"
        local envs=(env -u PGPASSWORD PGPASSFILE="$TEST_TMP/no-passfile")
        case $mode in
        uri) src="postgresql://$PW_USER:$enc@127.0.0.1:$pw_PORT/app"
             dst="postgresql://$PW_USER:$enc@127.0.0.1:$pw_PORT/$tgt" ;;
        kv)  src="host=127.0.0.1 port=$pw_PORT user=$PW_USER dbname=app password='$canary'"
             dst="host=127.0.0.1 port=$pw_PORT user=$PW_USER dbname=$tgt password='$canary'" ;;
        env) src="host=127.0.0.1 port=$pw_PORT user=$PW_USER dbname=app"
             dst="host=127.0.0.1 port=$pw_PORT user=$PW_USER dbname=$tgt"
             envs=(env PGPASSWORD="$canary" PGPASSFILE="$TEST_TMP/no-passfile") ;;
        passfile) src="host=127.0.0.1 port=$pw_PORT user=$PW_USER dbname=app"
             dst="host=127.0.0.1 port=$pw_PORT user=$PW_USER dbname=$tgt"
             envs=(env -u PGPASSWORD PGPASSFILE="$TEST_TMP/passfile") ;;
        esac
        for n in 1 2 3 4 5; do
            ms=$((100 + RANDOM % 1500))
            "${envs[@]}" "$CLONEBOX_BIN" clone --source "$src" --target "$dst" --state "$statedir/s-$mode.db" \
                >"$TEST_TMP/o" 2>"$TEST_TMP/e" </dev/null &
            pid=$!
            sleep "$(printf '0.%03d' $((ms % 1000)))"; [ "$ms" -ge 1000 ] && sleep 1
            if pid_alive "$pid"; then
                tr '\0' ' ' <"/proc/$pid/cmdline" >>"$all" 2>/dev/null || true
                echo >>"$all"
            fi
            kill -9 "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            cat "$TEST_TMP/o" "$TEST_TMP/e" >>"$all"
            echo "$mode: kill after $ms ms"
        done
        run_cmd "${envs[@]}" timeout "$CB_TIMEOUT" "$CLONEBOX_BIN" clone --source "$src" --target "$dst" \
            --state "$statedir/s-$mode.db"
        assert_eq 0 "$LAST_RC" "$mode: the clone finishes after the kills"
        assert_contains "$LAST_OUT" "RESULT: PASS"
        printf '%s\n%s\n' "$LAST_OUT" "$LAST_ERR" >>"$all"
        run_cmd "$CLONEBOX_BIN" status --json --state "$statedir/s-$mode.db"; printf '%s\n' "$LAST_OUT$LAST_ERR" >>"$all"
        run_cmd "$CLONEBOX_BIN" jobs --json --state "$statedir/s-$mode.db"; printf '%s\n' "$LAST_OUT$LAST_ERR" >>"$all"
        run_cmd "$CLONEBOX_BIN" status --state "$statedir/s-$mode.db"; printf '%s\n' "$LAST_OUT$LAST_ERR" >>"$all"
        "$PG_BIN/pg_dump" -h "$pw_DIR" -p "$pw_PORT" -U postgres "$tgt" >>"$TEST_TMP/dumps"
    done
    local f
    for f in "$statedir"/* "$all" "$TEST_TMP/dumps"; do
        assert_file_not_contains "$f" "$canary" "the canary password leaked into $(basename "$f")"
        assert_file_not_contains "$f" "$enc" "the URL-encoded canary leaked into $(basename "$f")"
    done
    ls -la "$statedir"
    [ "$(stat -c %a "$statedir/s-uri.db")" = 600 ] || _fail "the state file must be mode 600"
}
