# shellcheck shell=bash
# Fidelity: tests/kinds.sql (inheritance, partitions, hostile names, owners
# and grants, ...) clones to PASS, and pg_dump --schema-only of source and
# target agree (an oracle independent of clonebox's own verification); and
# every change made to a clone afterwards makes `clonebox verify` FAIL,
# naming the object and what differs.

# the roles tests/kinds.sql names, on both servers (roles are per server)
_kinds_roles() {
    local s
    for s in src dst; do
        psqlq "$s" postgres -c "DO \$\$ BEGIN CREATE ROLE cb_app_owner; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
            DO \$\$ BEGIN CREATE ROLE cb_anon; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;" >/dev/null
    done
}

# _kinds_source [--no-superuser]: a source database loaded with
# tests/kinds.sql and, unless told, tests/kinds_superuser.sql; prints its name
_kinds_source() {
    local db
    _kinds_roles
    db=$(new_db src kinds)
    psqlq src "$db" -f "$TESTS_DIR/kinds.sql" >/dev/null
    [ "${1:-}" = --no-superuser ] || psqlq src "$db" -f "$TESTS_DIR/kinds_superuser.sql" >/dev/null 2>&1
    echo "$db"
}

# _dump SERVER DB [pg_dump options]: schema-only dump without its \restrict lines
_dump() {
    local s=$1 d=$2 dir port; shift 2
    dir="${s}_DIR"; port="${s}_PORT"
    "$PG_BIN/pg_dump" -h "${!dir}" -p "${!port}" -U postgres --schema-only "$@" "$d" | grep -v '^\\\(un\)\?restrict '
}

test_fidelity_kinds_pass_and_pg_dump_agrees() {
    local src tgt tgt2
    src=$(_kinds_source)
    tgt=$(new_db dst)
    assert_exit 0 cb clone --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq "$(_dump src "$src")" "$(_dump dst "$tgt")" "pg_dump --schema-only of source (-) and clone (+) differ"
    assert_tables_equal src "$src" dst "$tgt"
    assert_eq "$(psqlq src "$src" -c "SELECT string_agg(oid || ':' || md5(lo_get(oid)), ',' ORDER BY oid) FROM pg_largeobject_metadata")" \
        "$(psqlq dst "$tgt" -c "SELECT string_agg(oid || ':' || md5(lo_get(oid)), ',' ORDER BY oid) FROM pg_largeobject_metadata")" \
        "large objects differ"
    # a user mapping's password reaches the target, never the state file
    assert_contains "$(psqlq dst "$tgt" -c "SELECT umoptions FROM pg_user_mappings WHERE usename = 'cb_app_owner'")" "um-canary-Secr3t"
    if cat "$TEST_TMP"/s.db* | grep -a -q um-canary; then _fail "the user mapping's password is in the state file"; fi
    # owners and grants kept: the SECURITY DEFINER function is not callable by cb_anon
    assert_eq "f" "$(psqlq dst "$tgt" -c "SELECT has_function_privilege('cb_anon', '\"select\".admin_only()', 'EXECUTE')")"
    assert_eq "cb_app_owner" "$(psqlq dst "$tgt" -c "SELECT relowner::regrole FROM pg_class WHERE oid = '\"select\".parent'::regclass")"
    # without owners and privileges
    tgt2=$(new_db dst)
    assert_exit 0 cb clone --no-owner --no-privileges --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt2")" \
        --state "$TEST_TMP/s2.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq "$(_dump src "$src" --no-owner --no-privileges)" "$(_dump dst "$tgt2" --no-owner --no-privileges)" \
        "pg_dump --no-owner --no-privileges of source (-) and clone (+) differ"
}

# Each mutation: SQL run on a copy of a finished clone, and the text the
# report must then contain.  One per line: SQL<TAB>expected.
_MUTATIONS=$(cat <<'EOF2'
DROP INDEX "Weird ""Schema"" ñ".measures_k_idx	MISSING index "Weird ""Schema"" ñ".measures_k_idx
ALTER TABLE "select".parent OWNER TO postgres	owner: cb_app_owner -> postgres
REVOKE SELECT ON "select"."order" FROM cb_anon	DIFFERENT table "select"."order" (acl
REVOKE UPDATE ("Mixed Case ""col""") ON "select"."order" FROM cb_anon	DIFFERENT table column "select"."order"."Mixed Case ""col""" (acl
GRANT EXECUTE ON FUNCTION "select".admin_only() TO cb_anon	DIFFERENT function "select".admin_only() (acl
ALTER TABLE "select"."order" REPLICA IDENTITY FULL	replica identity: d -> f
ALTER TABLE "Weird ""Schema"" ñ".measures DETACH PARTITION "Weird ""Schema"" ñ".measures_low	DIFFERENT table "Weird ""Schema"" ñ".measures_low (
ALTER TABLE "select".child2 NO INHERIT "select".parent	DIFFERENT table "select".child2 (inherits
ALTER TYPE "Weird ""Schema"" ñ"."mood ☺" ADD VALUE 'happy'	DIFFERENT type "Weird ""Schema"" ñ"."mood ☺" (labels
ALTER DOMAIN "select".positive DROP CONSTRAINT positive_check	DIFFERENT type "select".positive (constraints
CREATE OR REPLACE FUNCTION "select".order_count() RETURNS bigint LANGUAGE sql STABLE SET search_path = "select" AS $$ SELECT count(*) + 1 FROM "order" $$	DIFFERENT function "select".order_count()
ALTER FUNCTION "select".order_count() SECURITY DEFINER	DIFFERENT function "select".order_count() (definition: differs)
ALTER FUNCTION "select".order_count() COST 1000	DIFFERENT function "select".order_count() (definition: differs)
ALTER SEQUENCE "select"."order_user_seq" INCREMENT BY 5	increment: 1 -> 5
SELECT setval('"select"."order_user_seq"', 1000)	last_value: 2 -> 1000
COMMENT ON TABLE "select".parent IS 'changed'	comment: parent of children -> changed
COMMENT ON COLUMN "select"."order"."Mixed Case ""col""" IS NULL	comment: a column with a hostile name -> none
ALTER TABLE "select"."order" ALTER COLUMN price SET DEFAULT 1	default: 0 -> 1
ALTER TABLE "select"."order" ALTER COLUMN price DROP NOT NULL	not null: 1 -> 0
ALTER TABLE "select"."order" ADD COLUMN extra int	EXTRA table column "select"."order".extra
ALTER TABLE "select"."order" ALTER COLUMN "Mixed Case ""col""" SET STORAGE MAIN	storage: x -> m
ALTER TABLE "select"."order" ALTER COLUMN qty SET STATISTICS 500	statistics: -1 -> 500
ALTER TABLE "select"."order" ALTER COLUMN "Mixed Case ""col""" SET COMPRESSION pglz	compression:
ALTER TABLE "select"."order" ALTER COLUMN qty SET (n_distinct = 5)	options: none -> ["n_distinct=5"]
ALTER TABLE "select"."order" SET (fillfactor = 50)	options: none -> ["fillfactor=50"]
ALTER TABLE "select"."order" CLUSTER ON order_pkey	clustered: 0 -> 1
ALTER TABLE "select".parent DROP CONSTRAINT parent_small	MISSING table constraint parent_small on "select".parent
ALTER TABLE "select"."order" DISABLE TRIGGER "stamp it"	enabled: O -> D
DROP POLICY small_ids ON "select".parent	MISSING policy small_ids on "select".parent
ALTER TABLE "select".parent DISABLE ROW LEVEL SECURITY	row security: 1 -> 0
CREATE RULE no_insert AS ON INSERT TO "select".parent DO INSTEAD NOTHING	EXTRA rule no_insert on "select".parent
CREATE PUBLICATION cb_pub FOR TABLE "select".parent	EXTRA publication cb_pub
CREATE STATISTICS "select".order_stats ON qty, price FROM "select"."order"	EXTRA statistics object "select".order_stats
SELECT lo_create(424242)	EXTRA large object 424242
CREATE COLLATION "select".nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false)	EXTRA collation "select".nocase
CREATE TEXT SEARCH CONFIGURATION "select".cfg (COPY = pg_catalog.english)	EXTRA text search configuration "select".cfg
CREATE OPERATOR "select".=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq)	EXTRA operator "select".===(integer,integer)
ALTER TABLE "select"."order" SET UNLOGGED	persistence: p -> u
DROP MATERIALIZED VIEW "select".order_totals_2	MISSING materialized view "select".order_totals_2
REFRESH MATERIALIZED VIEW "select".order_totals WITH NO DATA	populated: 1 -> 0
ALTER INDEX "select".order_pkey SET (fillfactor = 70)	DIFFERENT index "select".order_pkey (definition
ALTER SCHEMA "select" OWNER TO cb_app_owner	DIFFERENT schema "select" (owner: postgres -> cb_app_owner)
GRANT USAGE ON TYPE "Weird ""Schema"" ñ"."mood ☺" TO cb_anon	DIFFERENT type "Weird ""Schema"" ñ"."mood ☺" (acl
ALTER DEFAULT PRIVILEGES GRANT INSERT ON TABLES TO cb_anon	DIFFERENT default acl
ALTER DEFAULT PRIVILEGES IN SCHEMA "select" GRANT SELECT ON TABLES TO cb_anon	EXTRA default acl
ALTER PUBLICATION "k2 pub" DROP TABLE k2.acls	DIFFERENT publication "k2 pub" (tables
ALTER PUBLICATION k2_schema SET (publish = 'insert')	DIFFERENT publication k2_schema (
DROP PUBLICATION k2_all	MISSING publication k2_all
CREATE EXTENSION pageinspect	EXTRA extension pageinspect
CREATE FOREIGN DATA WRAPPER cb_fdw	EXTRA foreign-data wrapper cb_fdw
CREATE OR REPLACE VIEW "select".order_summary AS SELECT o."user", o.qty, count(*) AS n, 1 AS more FROM "select"."order" o GROUP BY o."user"	EXTRA view column "select".order_summary.more
UPDATE "select"."order" SET qty = 7 WHERE "user" = 1	DIFF table select.order: rows 2 vs 2, content differs
INSERT INTO "Weird ""Schema"" ñ".measures_mid_12 VALUES (13, 1, 'new')	DIFF table Weird "Schema" ñ.measures_mid_12: rows 2 vs 3
INSERT INTO "select"."no columns" DEFAULT VALUES	DIFF table select.no columns: rows 2 vs 3
ALTER EVENT TRIGGER cb_ddl ENABLE	DIFFERENT event trigger cb_ddl (enabled: D -> O)
DROP CAST ("select".pair AS text)	MISSING cast ("select".pair AS pg_catalog.text)
ALTER TABLE "select"."order" DROP COLUMN "Mixed Case ""col"""	MISSING table column "select"."order"."Mixed Case ""col"""
ALTER TEXT SEARCH CONFIGURATION k2.cfg DROP MAPPING FOR word	DIFFERENT text search configuration k2.cfg (mappings
ALTER COLLATION k2.nocase RENAME TO nocase2	MISSING collation k2.nocase
ALTER AGGREGATE k2.my_sum(int) OWNER TO cb_app_owner	DIFFERENT aggregate k2.my_sum(integer) (owner: postgres -> cb_app_owner)
ALTER TABLE "select".parent ALTER COLUMN a SET STORAGE EXTENDED	storage: e -> x
DROP RULE "protect child1" ON "select".child1	MISSING rule "protect child1" on "select".child1
ALTER TABLE "select".child2 ENABLE RULE log_update	enabled: D -> O
DROP STATISTICS "select".parent_stats	MISSING statistics object "select".parent_stats
ALTER TABLE "select".parent REPLICA IDENTITY DEFAULT	replica identity: f -> d
ALTER SEQUENCE "select".scratch_seq SET LOGGED	persistence: u -> p
DROP OPERATOR k3.!!(NONE, k3.myint)	MISSING operator k3.!!(NONE,k3.myint)
ALTER OPERATOR FAMILY k3."loose fam" USING hash DROP OPERATOR 1 (k3.myint, k3.myint)	DIFFERENT operator family k3."loose fam" USING hash (operators
DROP OPERATOR CLASS k3.myint_hash_ops USING hash CASCADE	MISSING operator class k3.myint_hash_ops USING hash
ALTER TYPE k3.myint OWNER TO cb_app_owner	DIFFERENT type k3.myint (owner: postgres -> cb_app_owner)
DROP TYPE k3."still a shell"	MISSING type k3."still a shell"
ALTER TEXT SEARCH PARSER k3.prs RENAME TO prs2	MISSING text search parser k3.prs
DROP TEXT SEARCH TEMPLATE k3.tmpl CASCADE	MISSING text search template k3.tmpl
COMMENT ON ACCESS METHOD heap2 IS NULL	DIFFERENT access method heap2 (comment: heap under another name -> none)
REVOKE USAGE ON LANGUAGE "pl two" FROM cb_anon	DIFFERENT language "pl two" (acl
DROP TRANSFORM FOR k3.myint LANGUAGE "pl two"	MISSING transform for k3.myint on language pl two
ALTER FOREIGN DATA WRAPPER "k3 fdw" OPTIONS (SET debug 'false')	DIFFERENT foreign-data wrapper "k3 fdw" (options
ALTER SERVER k3srv OWNER TO postgres	DIFFERENT server k3srv (owner: cb_app_owner -> postgres
DROP USER MAPPING FOR PUBLIC SERVER k3srv	MISSING user mapping public on server k3srv
ALTER USER MAPPING FOR cb_app_owner SERVER k3srv OPTIONS (SET password 'other')	DIFFERENT user mapping cb_app_owner on server k3srv (options
ALTER FOREIGN TABLE k3.remote OPTIONS (SET table_name 'other')	DIFFERENT foreign table k3.remote (fdw options
ALTER FOREIGN TABLE k3.remote ALTER COLUMN id OPTIONS (DROP column_name)	DIFFERENT foreign table column k3.remote.id (fdw options
ALTER TABLE k3.split DETACH PARTITION k3.split_remote	DIFFERENT foreign table k3.split_remote (
SELECT lo_unlink(7001)	MISSING large object 7001
SELECT lo_put(7002, 0, '\xff')	DIFFERENT large object 7002 (content
GRANT SELECT ON LARGE OBJECT 7003 TO cb_anon	DIFFERENT large object 7003 (acl
COMMENT ON LARGE OBJECT 7001 IS 'changed'	DIFFERENT large object 7001 (comment: a note -> changed)
UPDATE k3.things SET label = 'uno' WHERE id OPERATOR(k3.=) '1'	DIFF table k3.things: rows 2 vs 2, content differs
ALTER TABLE k3.on_heap2 SET ACCESS METHOD heap	DIFFERENT table k3.on_heap2 (access method: heap2 -> heap)
EOF2
)

test_fidelity_every_change_is_named() {
    local src base n=0 sql want db
    src=$(_kinds_source)
    base=$(new_db dst base)
    assert_exit 0 cb clone --source "$(pg_url src "$src")" --target "$(pg_url dst "$base")" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    while IFS=$'\t' read -r sql want; do
        [ -n "$sql" ] || continue
        n=$((n + 1))
        db="mut_${n}_$$"
        psqlq dst postgres -c "CREATE DATABASE $db TEMPLATE \"$base\"" >/dev/null
        echo "$TEST_NAME $db" >/dev/null
        echo "dst $db" >>"$TEST_TMP/.created_dbs"
        psqlq dst "$db" -c "$sql" >/dev/null
        run_cmd "$CLONEBOX_BIN" verify --source "$(pg_url src "$src")" --target "$(pg_url dst "$db")"
        [ "$LAST_RC" = 3 ] || _fail "mutation $n ($sql): verify exited $LAST_RC, not 3" "$(_show "$LAST_OUT$LAST_ERR")"
        case "$LAST_OUT" in
        *"$want"*) echo "mutation $n: named ($want)" ;;
        *) _fail "mutation $n ($sql): the report does not say: $want" "$(_show "$(printf '%s\n' "$LAST_OUT" | sed -n '/DIFFERENCES/,$p')")" ;;
        esac
        psqlq dst postgres -c "DROP DATABASE $db" >/dev/null
    done <<<"$_MUTATIONS"
    echo "$n mutations, each named by verify"
    [ "$n" -ge 40 ] || _fail "only $n mutations"
}

# A managed target (RDS, Cloud SQL, Supabase): the role owns the target
# database and has no superuser, CREATEROLE, BYPASSRLS or REPLICATION.  The
# preflight names what it cannot do before anything is written; with
# --no-owner and --skip-unsupported the clone PASSes, naming what it left out.
test_fidelity_managed_target() {
    local src tgt t before
    src=$(_kinds_source --no-superuser)
    psqlq dst postgres -c "DO \$\$ BEGIN CREATE ROLE cb_managed LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS NOREPLICATION;
        EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
    tgt=$(new_db dst managed)
    psqlq dst postgres -c "ALTER DATABASE \"$tgt\" OWNER TO cb_managed" >/dev/null
    psqlq dst "$tgt" -c "ALTER SCHEMA public OWNER TO cb_managed" >/dev/null
    t="postgresql://cb_managed@127.0.0.1:${dst_PORT}/$tgt"
    before=$(_dump dst "$tgt")
    assert_exit 2 cb clone --source "$(pg_url src "$src")" --target "$t" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_ERR" "not a superuser and cannot create: publication k2_all"
    assert_exit 2 cb clone --skip-unsupported --source "$(pg_url src "$src")" --target "$t" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_ERR" "may not give objects to"
    assert_contains "$LAST_ERR" "--no-owner"
    assert_eq "$before" "$(_dump dst "$tgt")" "the refused clones wrote to the target"
    assert_exit 0 cb clone --no-owner --skip-unsupported --source "$(pg_url src "$src")" --target "$t" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_contains "$LAST_OUT" "publication k2_all: only a superuser can create it on the target"
    assert_tables_equal src "$src" dst "$tgt"
    assert_eq "cb_managed" "$(psqlq dst "$tgt" -c "SELECT relowner::regrole FROM pg_class WHERE oid = '\"select\".parent'::regclass")"
    # grants still hold: the SECURITY DEFINER function is not callable by cb_anon
    assert_eq "f" "$(psqlq dst "$tgt" -c "SELECT has_function_privilege('cb_anon', '\"select\".admin_only()', 'EXECUTE')")"
}

# Large objects are copied in the data phase in batches, each one target
# transaction and a checkpoint: killed after a batch, and with the target's
# session cut after another, the same command finishes with every large
# object equal, none twice.
test_fidelity_large_objects_resume() {
    local src tgt want
    src=$(new_db src lo)
    psqlq src "$src" -c "CREATE ROLE cb_lo_owner" >/dev/null 2>&1 || true
    psqlq dst postgres -c "CREATE ROLE cb_lo_owner" >/dev/null 2>&1 || true
    psqlq src "$src" -c "SELECT lo_from_bytea(100000 + g, convert_to(repeat(g::text, g * 97), 'UTF8')) FROM generate_series(1, 250) g;
        SELECT lo_from_bytea(99999, decode(repeat('00ff', 1500000), 'hex'));
        ALTER LARGE OBJECT 100007 OWNER TO cb_lo_owner; COMMENT ON LARGE OBJECT 100009 IS 'nine'" >/dev/null
    tgt=$(new_db dst lo)
    CLONEBOX_TEST_FAULT="data:1:kill" cb clone --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")" \
        --state "$TEST_TMP/s.db" >/dev/null 2>&1 || true
    assert_eq 1 "$(sqlite3 "$TEST_TMP/s.db" "SELECT count(*) FROM tbl WHERE mode = 'lo' AND last_key IS NOT NULL")" \
        "the killed run left a checkpoint"
    CLONEBOX_TEST_FAULT="data:1:term-dst" cb clone --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")" \
        --state "$TEST_TMP/s.db" >/dev/null 2>&1 || true
    assert_exit 0 cb clone --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/s.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    want=$(psqlq src "$src" -c "SELECT count(*) || ' ' || md5(string_agg(oid || ':' || lomowner::regrole || ':' || md5(lo_get(oid))
        || coalesce(obj_description(oid, 'pg_largeobject'), ''), ',' ORDER BY oid)) FROM pg_largeobject_metadata")
    assert_eq "$want" "$(psqlq dst "$tgt" -c "SELECT count(*) || ' ' || md5(string_agg(oid || ':' || lomowner::regrole || ':'
        || md5(lo_get(oid)) || coalesce(obj_description(oid, 'pg_largeobject'), ''), ',' ORDER BY oid))
        FROM pg_largeobject_metadata")" "large objects differ after resume"
}

# Subscriptions: by default left out, named as excluded, and the report
# still PASSes; with --subscriptions disabled created as pg_dump does
# (connect = false, enabled = false), compared, and their connection
# string (with its password) never lands in the state file.
test_fidelity_subscriptions() {
    local src t1 t2
    src=$(new_db src subs)
    psqlq src "$src" -c "CREATE TABLE t (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE t" >/dev/null 2>&1
    psqlq src "$src" -c "CREATE SUBSCRIPTION cb_sub_$$ CONNECTION 'host=127.0.0.1 port=1 dbname=x password=sub-canary-Pw'
        PUBLICATION p WITH (connect = false, binary = true); COMMENT ON SUBSCRIPTION cb_sub_$$ IS 'nope'" >/dev/null 2>&1
    t1=$(new_db dst subs)
    assert_exit 0 cb clone --source "$(pg_url src "$src")" --target "$(pg_url dst "$t1")" --state "$TEST_TMP/s1.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_contains "$LAST_OUT" "subscription cb_sub_$$: subscriptions are not cloned"
    assert_eq 0 "$(psqlq dst "$t1" -c "SELECT count(*) FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())")"
    t2=$(new_db dst subs)
    assert_exit 0 cb clone --subscriptions disabled --source "$(pg_url src "$src")" --target "$(pg_url dst "$t2")" \
        --state "$TEST_TMP/s2.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq "f|t|nope|sub-canary-Pw" "$(psqlq dst "$t2" -c "SELECT subenabled, subbinary, obj_description(oid, 'pg_subscription'),
        substring(subconninfo from 'password=(\S+)') FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database
        WHERE datname = current_database())")"
    if cat "$TEST_TMP"/s2.db* | grep -a -q sub-canary; then _fail "the subscription's password is in the state file"; fi
    # a changed subscription is named by verify
    psqlq dst "$t2" -c "ALTER SUBSCRIPTION cb_sub_$$ SET (binary = false)" >/dev/null
    assert_exit 3 cb verify --subscriptions disabled --source "$(pg_url src "$src")" --target "$(pg_url dst "$t2")"
    assert_contains "$LAST_OUT" "DIFFERENT subscription cb_sub_$$ (binary: 1 -> 0)"
    psqlq dst "$t2" -c "ALTER SUBSCRIPTION cb_sub_$$ SET (slot_name = NONE); DROP SUBSCRIPTION cb_sub_$$" >/dev/null
    psqlq src "$src" -c "ALTER SUBSCRIPTION cb_sub_$$ SET (slot_name = NONE); DROP SUBSCRIPTION cb_sub_$$" >/dev/null
}

# --role-map FROM=TO: what a source role owns or is granted goes to another
# role on the target (owners, grants, policies, default privileges, user
# mappings), the preflight asks for the new role only, and verify compares
# through the same map; without it, every renamed attribute is named.
test_fidelity_role_map() {
    local src tgt
    psqlq src postgres -c "DO \$\$ BEGIN CREATE ROLE cb_rm_alice; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
    psqlq dst postgres -c "DO \$\$ BEGIN CREATE ROLE \"cb rm bob\"; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
    src=$(new_db src rm)
    psqlq src "$src" -c "CREATE TABLE t (id int PRIMARY KEY); ALTER TABLE t OWNER TO cb_rm_alice;
        CREATE SCHEMA s AUTHORIZATION cb_rm_alice; CREATE TABLE s.x (id int); GRANT SELECT ON s.x TO cb_rm_alice;
        CREATE POLICY p ON t TO cb_rm_alice USING (true);
        ALTER DEFAULT PRIVILEGES FOR ROLE cb_rm_alice GRANT SELECT ON TABLES TO PUBLIC;
        CREATE FOREIGN DATA WRAPPER cb_rm_w; CREATE SERVER cb_rm_sv FOREIGN DATA WRAPPER cb_rm_w;
        CREATE USER MAPPING FOR cb_rm_alice SERVER cb_rm_sv OPTIONS (password 'x')" >/dev/null
    tgt=$(new_db dst rm)
    assert_exit 2 cb clone --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/s0.db"
    assert_contains "$LAST_ERR" "cb_rm_alice"
    assert_exit 2 cb clone --role-map cb_rm_alice --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/s.db"
    assert_exit 0 cb clone --role-map 'cb_rm_alice=cb rm bob' --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")" \
        --state "$TEST_TMP/s.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_eq "$(_dump src "$src" | grep -v "^--" | sed 's/cb_rm_alice/"cb rm bob"/g')" "$(_dump dst "$tgt" | grep -v "^--")" \
        "pg_dump (without comments) with the role renamed differs"
    assert_exit 0 cb verify --role-map 'cb_rm_alice=cb rm bob' --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")"
    assert_exit 3 cb verify --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")"
    assert_contains "$LAST_OUT" "DIFFERENT table public.t (owner: cb_rm_alice -> cb rm bob)"
    assert_contains "$LAST_OUT" "DIFFERENT policy p on public.t (roles:"
    assert_contains "$LAST_OUT" "MISSING user mapping cb_rm_alice on server cb_rm_sv"
}

# Tablespaces are not cloned (a cluster's directories are its own), so the
# verification compares them and names a table that is not where it was.
test_fidelity_tablespace_is_compared() {
    local src tgt dir
    dir="$TEST_TMP/ts_$$"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    src=$(new_db src ts)
    psqlq src "$src" -c "CREATE TABLE t (id int PRIMARY KEY)" >/dev/null
    tgt=$(new_db dst ts)
    assert_exit 0 cb clone --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/s.db"
    psqlq dst postgres -c "CREATE TABLESPACE cb_ts_$$ LOCATION '$dir'" >/dev/null
    psqlq dst "$tgt" -c "ALTER TABLE t SET TABLESPACE cb_ts_$$" >/dev/null
    assert_exit 3 cb verify --source "$(pg_url src "$src")" --target "$(pg_url dst "$tgt")"
    assert_contains "$LAST_OUT" "DIFFERENT table public.t (tablespace: none -> cb_ts_$$)"
    psqlq dst "$tgt" -c "ALTER TABLE t SET TABLESPACE pg_default" >/dev/null
    psqlq dst postgres -c "DROP TABLESPACE cb_ts_$$" >/dev/null
}

# Keys: a table of 1 MB or more gets its primary key and unique
# constraints as unique indexes, built with its other indexes, then
# attached (ADD CONSTRAINT ... USING INDEX); a smaller or partitioned one
# by ADD CONSTRAINT.  Either way every part of the key is kept (storage
# parameters, which pg_get_constraintdef() leaves out, INCLUDE, NULLS NOT
# DISTINCT, DEFERRABLE, comments, the replica identity, the foreign keys
# that reference it), pg_dump of both sides agrees, and a kill -9 between
# a key's index and its attach is finished by the same command.
test_fidelity_keys_built_as_indexes() {
    local s t n killed=0
    s=$(new_db src keys)
    psqlq src "$s" >/dev/null <<'SQL'
CREATE TABLE big (id int, code text NOT NULL, v int, note text,
    CONSTRAINT big_pkey PRIMARY KEY (id) INCLUDE (v) WITH (fillfactor = 90),
    CONSTRAINT big_code UNIQUE NULLS NOT DISTINCT (code) WITH (fillfactor = 80) DEFERRABLE INITIALLY DEFERRED);
INSERT INTO big SELECT g, 'c' || g, g % 100, repeat('x', 60) FROM generate_series(1, 30000) g;
CREATE INDEX big_v ON big (v);
COMMENT ON CONSTRAINT big_pkey ON big IS 'the key';
COMMENT ON INDEX big_pkey IS 'the key''s index';
ALTER TABLE big REPLICA IDENTITY USING INDEX big_pkey;
CREATE TABLE small (a int, b int, CONSTRAINT small_pkey PRIMARY KEY (a) WITH (fillfactor = 70),
    CONSTRAINT small_b UNIQUE (b) WITH (fillfactor = 60) DEFERRABLE);
INSERT INTO small SELECT g, g FROM generate_series(1, 50) g;
CREATE TABLE part (id int, at date, CONSTRAINT part_pkey PRIMARY KEY (id, at) WITH (fillfactor = 75)) PARTITION BY RANGE (at);
CREATE TABLE part_2024 PARTITION OF part FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO part SELECT g, date '2024-01-01' + g % 300 FROM generate_series(1, 1000) g;
CREATE TABLE ref (id int PRIMARY KEY, big_id int REFERENCES big, small_a int REFERENCES small);
INSERT INTO ref SELECT g, g, g FROM generate_series(1, 50) g;
ANALYZE;
SQL
    t=$(new_db dst keys)
    assert_exit 0 cb clone --json --source "$(pg_url src "$s")" --target "$(pg_url dst "$t")" --state "$TEST_TMP/k.db"
    jq_assert "$LAST_OUT" '.result == "PASS"'
    assert_eq "key index big_code on public.big|key index big_pkey on public.big|unique big_code on public.big|primary key big_pkey on public.big" \
        "$(sqlite3 "$TEST_TMP/k.db" "SELECT group_concat(name, '|') FROM (SELECT name FROM item WHERE name LIKE '%on public.big'
            AND kind IN ('key index', 'primary key', 'unique') ORDER BY seq)")" \
        "big's keys must be built as indexes, then attached"
    assert_eq "primary key small_pkey on public.small|unique small_b on public.small" \
        "$(sqlite3 "$TEST_TMP/k.db" "SELECT group_concat(name, '|') FROM (SELECT name FROM item WHERE name LIKE '%on public.small'
            AND kind IN ('key index', 'primary key', 'unique') ORDER BY name)")" "small's keys must be added as constraints"
    assert_eq "$(_dump src "$s")" "$(_dump dst "$t")" "pg_dump of source and target must agree"
    assert_eq "big_code:fillfactor=80 big_pkey:fillfactor=90 part_2024_pkey:fillfactor=75 part_pkey:fillfactor=75 small_b:fillfactor=60 small_pkey:fillfactor=70" \
        "$(psqlq dst "$t" -c "SELECT string_agg(relname || ':' || array_to_string(reloptions, ','), ' ' ORDER BY relname)
            FROM pg_class WHERE relkind IN ('i', 'I') AND reloptions IS NOT NULL")" "every key's storage parameters must be kept"
    # kill -9 at each post-data checkpoint in turn: one of them falls between a key's index and its attach
    for n in 1 2 3 4 5 6; do
        t=$(new_db dst)
        CLONEBOX_TEST_FAULT=postdata:$n:kill "$CLONEBOX_BIN" clone -q --jobs 1 --source "$(pg_url src "$s")" \
            --target "$(pg_url dst "$t")" --state "$TEST_TMP/f$n.db" >/dev/null 2>&1 && _fail "the fault postdata:$n did not stop the run"
        [ "$(sqlite3 "$TEST_TMP/f$n.db" "SELECT count(*) FROM item WHERE kind = 'key index' AND status = 'done'")" -gt 0 ] &&
            [ "$(sqlite3 "$TEST_TMP/f$n.db" "SELECT count(*) FROM item WHERE kind IN ('primary key', 'unique')
                AND name LIKE '%on public.big' AND status <> 'done'")" -gt 0 ] && killed=$((killed + 1))
        assert_exit 0 cb clone --json --source "$(pg_url src "$s")" --target "$(pg_url dst "$t")" --state "$TEST_TMP/f$n.db"
        jq_assert "$LAST_OUT" '.result == "PASS"'
        assert_eq "$(_dump src "$s")" "$(_dump dst "$t")" "pg_dump of source and target must agree after postdata:$n"
    done
    [ "$killed" -gt 0 ] || _fail "no kill fell between a key's index and its attach"
}
