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

# _kinds_source: a source database loaded with tests/kinds.sql; prints its name
_kinds_source() {
    local db
    _kinds_roles
    db=$(new_db src kinds)
    psqlq src "$db" -f "$TESTS_DIR/kinds.sql" >/dev/null
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
    src=$(_kinds_source)
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
