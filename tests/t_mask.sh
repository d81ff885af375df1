# shellcheck shell=bash
# --mask: personal data replaced on the source, inside the COPY's query,
# deterministically per seed, the same way in every column a foreign key
# ties to a masked one.

# _shop DB: customers (with canary values) and orders that reference a
# customer by email, on the source
_shop() {
    psqlq src "$1" -c "CREATE TABLE customers(id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name varchar(12),
                         phone text, notes text, score int)" \
        -c "CREATE TABLE orders(id bigint PRIMARY KEY, customer_email text REFERENCES customers(email), amount int)" \
        -c "INSERT INTO customers SELECT g, 'person' || g || '@mail.example', 'Name' || g, '+34-600-' || g, 'note ' || g, g % 7
            FROM generate_series(1, 3000) g" \
        -c "INSERT INTO customers VALUES (9999, 'canary-7f3a@secret.example', 'Canaryname', '+34-600-CANARY', 'canary note', 1)" \
        -c "INSERT INTO orders SELECT g, CASE WHEN g % 10 = 0 THEN NULL WHEN g % 3 = 0 THEN 'canary-7f3a@secret.example'
            ELSE 'person' || (g % 3000 + 1) || '@mail.example' END, g FROM generate_series(1, 20000) g"
}

test_mask_clone_no_clear_value_leaves() {
    local s t src tgt dump
    s=$(new_db src); t=$(new_db dst)
    _shop "$s"
    src=$(pg_url src "$s"); tgt=$(pg_url dst "$t")
    printf '%s\n' '# the personal columns' 'mask public.customers.name=name' 'mask public.customers.notes=sql:md5(notes)' \
        >"$TEST_TMP/filter"
    assert_exit 0 cb clone --source "$src" --target "$tgt" --state "$TEST_TMP/s.db" --json --mask-seed s1 \
        --mask public.customers.email=email --mask 'public.customers.phone=null' --filter "$TEST_TMP/filter"
    jq_assert "$LAST_OUT" '.result == "PASS"'
    jq_assert "$LAST_OUT" '[.masked[] | .column + "=" + .mask + "/" + (.tied_to // "")] == ["public.customers.email=email/",
        "public.customers.name=name/", "public.customers.notes=sql:md5(notes)/", "public.customers.phone=null/",
        "public.orders.customer_email=email/public.customers.email"]'
    # no clear value of a masked column anywhere in the target
    dump=$(pg_dump_db dst "$t")
    assert_not_contains "$dump" "canary-7f3a" "the canary email must not reach the target"
    assert_not_contains "$dump" "Canaryname"
    assert_not_contains "$dump" "CANARY"
    assert_not_contains "$dump" "canary note"
    assert_not_contains "$dump" "@mail.example"
    assert_eq 0 "$(psqlq dst "$t" -c "SELECT count(*) FROM customers WHERE phone IS NOT NULL")"
    assert_eq t "$(psqlq dst "$t" -c "SELECT bool_and(length(name) <= 12) AND bool_and(email LIKE 'u%@example.invalid') FROM customers")"
    # the masked key still joins, and is still unique (the clone built the unique index and the foreign key)
    assert_eq "$(psqlq src "$s" -c "SELECT count(*) FROM orders o JOIN customers c ON c.email = o.customer_email")" \
        "$(psqlq dst "$t" -c "SELECT count(*) FROM orders o JOIN customers c ON c.email = o.customer_email")"
    assert_eq "$(psqlq src "$s" -c "SELECT count(*) FROM orders WHERE customer_email = 'canary-7f3a@secret.example'")" \
        "$(psqlq dst "$t" -c "SELECT count(*) FROM orders o JOIN customers c ON c.email = o.customer_email WHERE c.id = 9999")"
    assert_eq 0 "$(psqlq dst "$t" -c "SELECT count(*) FROM (SELECT email FROM customers GROUP BY 1 HAVING count(*) > 1) d")"
    # unmasked columns are the source's
    assert_eq "$(psqlq src "$s" -c "SELECT md5(string_agg(id || ':' || score, ',' ORDER BY id)) FROM customers")" \
        "$(psqlq dst "$t" -c "SELECT md5(string_agg(id || ':' || score, ',' ORDER BY id)) FROM customers")"
    # the same seed gives the same values; another seed others
    local t2 t3
    t2=$(new_db dst); t3=$(new_db dst)
    assert_exit 0 cb clone --source "$src" --target "$(pg_url dst "$t2")" --state "$TEST_TMP/s.db" --mask-seed s1 \
        --mask public.customers.email=email --mask 'public.customers.phone=null' --filter "$TEST_TMP/filter"
    assert_exit 0 cb clone --source "$src" --target "$(pg_url dst "$t3")" --state "$TEST_TMP/s.db" --mask-seed s2 \
        --mask public.customers.email=email --mask 'public.customers.phone=null' --filter "$TEST_TMP/filter"
    local q="SELECT md5(string_agg(email || name || notes, ',' ORDER BY id)) FROM customers"
    assert_eq "$(psqlq dst "$t" -c "$q")" "$(psqlq dst "$t2" -c "$q")" "the same seed must give the same values"
    assert_ne "$(psqlq dst "$t" -c "$q")" "$(psqlq dst "$t3" -c "$q")" "another seed must give other values"
    # a job without --mask-seed keeps a seed of its own across its runs
    local t4
    t4=$(new_db dst)
    CLONEBOX_TEST_FAULT="data:1:kill" cb clone -q --jobs 1 --source "$src" --target "$(pg_url dst "$t4")" \
        --state "$TEST_TMP/k.db" --mask public.customers.email=hash >/dev/null 2>&1 || true
    assert_exit 0 cb clone --source "$src" --target "$(pg_url dst "$t4")" --state "$TEST_TMP/k.db" \
        --mask public.customers.email=hash
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq 0 "$(psqlq dst "$t4" -c "SELECT count(*) FROM orders o LEFT JOIN customers c ON c.email = o.customer_email
                                       WHERE o.customer_email IS NOT NULL AND c.id IS NULL")"
}

test_mask_refusals() {
    local s src st="$TEST_TMP/s.db"
    s=$(new_db src)
    _shop "$s"
    src=$(pg_url src "$s")
    local clone=(cb clone --source "$src" --target "$(pg_url dst "$(new_db dst)")" --state "$st")
    assert_exit 2 "${clone[@]}" --mask 'public.customers.email'
    assert_exit 2 "${clone[@]}" --mask 'public.customers.email=scramble'
    assert_exit 2 "${clone[@]}" --mask 'public.customers.email=sql:1); DROP TABLE customers; --'
    assert_exit 2 "${clone[@]}" --mask 'public.customers.nosuch=hash'
    assert_contains "$LAST_ERR" "no column public.customers.nosuch"
    assert_exit 2 "${clone[@]}" --mask 'public.customers.id=hash'
    assert_contains "$LAST_ERR" "is the key clonebox copies its table by"
    assert_exit 2 "${clone[@]}" --mask 'public.customers.email=null'
    assert_contains "$LAST_ERR" "NOT NULL"
    assert_exit 2 "${clone[@]}" --mask 'public.customers.score=hash'
    assert_contains "$LAST_ERR" "does not suit type integer"
    assert_exit 2 "${clone[@]}" --mask 'public.customers.email=sql:lower(email)'
    assert_contains "$LAST_ERR" "public.orders.customer_email"
    assert_exit 2 "${clone[@]}" --mask 'public.customers.notes=sql:no_such_function(notes)'
    assert_contains "$LAST_ERR" "no_such_function"
    assert_exit 2 cb verify --source "$src" --target "$src" --mask 'public.customers.notes=null'
    # nothing was written: every refused job was refused at its plan
    assert_exit 0 cb jobs --state "$st" --json
    jq_assert "$LAST_OUT" 'all(.[]; .items_done == 0)'
}

# a copy job masks too: the rows of some customers, masked, into a
# reporting table
test_mask_copy() {
    local s t src tgt
    s=$(new_db src); t=$(new_db dst)
    _shop "$s"
    src=$(pg_url src "$s"); tgt=$(pg_url dst "$t")
    psqlq dst "$t" -c "CREATE TABLE customers(id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name varchar(12),
                        phone text, notes text, score int)"
    assert_exit 0 cb copy --source "$src" --target "$tgt" --state "$TEST_TMP/s.db" -t public.customers \
        --where 'id > 2990' --mask public.customers.email=hash --mask public.customers.phone=null --json
    jq_assert "$LAST_OUT" '.result == "PASS" and .rows_copied == 11 and (.masked | length) == 2'
    assert_eq "11|0|0" "$(psqlq dst "$t" -c "SELECT count(*), count(phone), count(*) FILTER (WHERE email LIKE '%@%') FROM customers")"
}
