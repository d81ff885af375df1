# shellcheck shell=bash
# TLS: verify-full against a server whose certificate is signed by a test CA.

# make_ca DIR NAME: CA key + self-signed cert DIR/NAME.key, DIR/NAME.crt
make_ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$1/$2.key" -out "$1/$2.crt" -days 3650 -subj "/CN=clonebox test $2" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# start_tls_server: CA in $TEST_TMP/ca.crt, server "tls" with ssl=on that only
# accepts TLS on TCP (hostssl), fixture loaded into "app".
start_tls_server() {
    local d="$TEST_TMP/pki"
    mkdir -p "$d"
    make_ca "$d" ca
    make_ca "$d" otherca
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
        -out "$d/server.crt" -days 3650 -extfile "$d/ext.cnf" 2>/dev/null
    CA="$d/ca.crt"
    OTHER_CA="$d/otherca.crt"
    # the key must be owned by the server user and not group/world readable
    local kdir="$TEST_TMP/serverkeys"
    mkdir -p "$kdir"
    cp "$d/server.crt" "$d/server.key" "$kdir/"
    chmod 600 "$kdir/server.key"
    if is_root; then chown -R postgres: "$kdir"; fi
    PG_START_HBA="local all all trust
hostssl all all 127.0.0.1/32 trust
hostnossl all all 127.0.0.1/32 reject" pg_start tls "ssl = on" "ssl_cert_file = '$kdir/server.crt'" "ssl_key_file = '$kdir/server.key'"
    psqlq tls -c "CREATE DATABASE app TEMPLATE template0"
    load_fixture tls app
    # sanity: psql with verify-full works, plain connections are rejected
    assert_eq t "$(psql -X -At "host=127.0.0.1 port=$tls_PORT user=postgres dbname=app sslmode=verify-full sslrootcert=$CA" \
        -c "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")" "sanity: psql over verify-full TLS"
    run_cmd psql -X -At "host=127.0.0.1 port=$tls_PORT user=postgres dbname=app sslmode=disable" -c "SELECT 1"
    assert_ne 0 "$LAST_RC" "sanity: non-TLS connections must be rejected"
}

test_tls_verify_full_succeeds() {
    start_tls_server
    TGT_DB=$(new_db dst)
    assert_exit 0 cb clone \
        --source "host=127.0.0.1 port=$tls_PORT user=postgres dbname=app sslmode=verify-full sslrootcert=$CA" \
        --target "$(pg_url dst "$TGT_DB")" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_tables_equal tls app dst "$TGT_DB" public.background_tasks
    # URI form, TLS on the target side too
    psqlq tls -c "CREATE DATABASE tgt2 TEMPLATE template0"
    assert_exit 0 cb clone --source "$(pg_url src "$SRC_DB")" \
        --target "postgresql://postgres@localhost:$tls_PORT/tgt2?sslmode=verify-full&sslrootcert=$CA" --state "$TEST_TMP/s2.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
}

test_tls_wrong_ca_exit_4() {
    start_tls_server
    TGT_DB=$(new_db dst)
    assert_exit 4 cb clone \
        --source "host=127.0.0.1 port=$tls_PORT user=postgres dbname=app sslmode=verify-full sslrootcert=$OTHER_CA" \
        --target "$(pg_url dst "$TGT_DB")" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_ERR" "clonebox: error:"
    assert_match "$LAST_ERR" '[Cc]ertificate verif' "stderr must mention certificate verification"
    assert_eq 0 "$(psqlq dst "$TGT_DB" -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")" \
        "nothing may be created on the target when the source connection fails"
}
