# shellcheck shell=bash
# clonebox test library.  Sourced by tests/run.sh and by every test process.
#
# Conventions
#   * Every test runs in its own bash process with `set -Eeuo pipefail`; any
#     failing command or assertion fails the test.
#   * Servers are registered in "$TMPROOT/servers" so that pg_stop_all (run.sh's
#     EXIT trap) can stop everything, including servers started by tests.
#   * Assertions print "ASSERTION FAILED ..." with expected/actual to stderr,
#     touch "$TEST_TMP/failed" and exit the test.
#
# Environment (set by run.sh, exported to tests)
#   TMPROOT        suite temp root (mktemp -d)
#   TESTS_DIR      absolute path of tests/
#   REPO_DIR       absolute path of the repository
#   CLONEBOX_BIN   absolute path of the binary under test
#   TEST_TMP       per-test scratch directory (cwd of the test)
#   TEST_NAME      name of the running test function

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
CB_TIMEOUT=${CB_TIMEOUT:-300}          # seconds before a clonebox invocation is killed
export PG_BIN CB_TIMEOUT

# Keep libpq environment from leaking into tests / clonebox.
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE PGSERVICEFILE \
      PGSSLMODE PGSSLROOTCERT PGSSLCERT PGSSLKEY PGGSSENCMODE PGREQUIRESSL PGOPTIONS \
      CLONEBOX_SOURCE CLONEBOX_TARGET CLONEBOX_STATE
export PGCONNECT_TIMEOUT=10
export PGPASSFILE="${TMPDIR:-/tmp}/clonebox-tests-no-pgpass"   # ignore ~/.pgpass
export PGTZ=UTC
export PGAPPNAME=clonebox-tests

# ---------------------------------------------------------------------------
# small utilities
# ---------------------------------------------------------------------------

# _as_pg CMD...: run CMD as OS user postgres when we are root, else as ourselves.
_as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# pid_alive PID: true if PID exists and is not a zombie
pid_alive() {
    local st
    [ -r "/proc/$1/stat" ] || return 1
    st=$(sed -E 's/^.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# is_root: true when running as uid 0
is_root() { [ "$(id -u)" = 0 ]; }

# is_asan: true when the binary under test is the sanitizer build
is_asan() { case "${CLONEBOX_BIN:-}" in *-asan) return 0 ;; esac; return 1; }

# _port_in_use PORT: true if any IPv4/IPv6 TCP socket uses the local port.
_port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p="$hex" 'FNR > 1 { n = split($2, a, ":"); if (a[n] == p) f = 1 } END { exit !f }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# free_port: print a currently unused TCP port in 20000..59999
free_port() {
    local i port
    for i in $(seq 1 200); do
        port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        if ! _port_in_use "$port"; then
            echo "$port"
            return 0
        fi
    done
    echo "free_port: could not find a free port" >&2
    return 1
}

# ---------------------------------------------------------------------------
# PostgreSQL servers
# ---------------------------------------------------------------------------

# _pg_template: initdb once per suite, then servers are cheap copies.
_pg_template() {
    local t="$TMPROOT/pg-template"
    if [ -f "$t/PG_VERSION" ]; then
        return 0
    fi
    # another process may be creating it concurrently: use a lock
    (
        flock 9
        if [ ! -f "$t/PG_VERSION" ]; then
            mkdir -p "$t.tmp"
            is_root && chown postgres: "$t.tmp"
            if ! _as_pg "$PG_BIN/initdb" -D "$t.tmp" --auth=trust --username=postgres \
                    --encoding=UTF8 --locale=C.UTF-8 -N >"$TMPROOT/initdb.log" 2>&1; then
                cat "$TMPROOT/initdb.log" >&2
                echo "pg_start: initdb failed" >&2
                exit 1
            fi
            mv "$t.tmp" "$t"
        fi
    ) 9>"$TMPROOT/pg-template.lock"
}

# pg_start NAME [postgresql.conf lines...]
#   Starts a fresh server listening on 127.0.0.1:<free port> and a unix socket
#   in its own directory.  Sets (and exports) NAME_PORT, NAME_DIR (server dir,
#   also the socket directory), NAME_DATA (data directory), NAME_URL
#   (postgresql://postgres@127.0.0.1:PORT/postgres).
#   If PG_START_HBA is set (e.g. `PG_START_HBA="..." pg_start pw`), its content
#   replaces pg_hba.conf before the server starts.
pg_start() {
    local name=$1; shift
    case "$name" in
        [A-Za-z_]*) ;;
        *) echo "pg_start: bad server name '$name'" >&2; return 1 ;;
    esac
    _pg_template || return 1
    local dir data port line
    dir=$(mktemp -d "$TMPROOT/pg-$name.XXXXXX")
    data="$dir/data"
    cp -a "$TMPROOT/pg-template" "$data"
    chmod 755 "$dir"
    is_root && chown -R postgres: "$dir"
    if [ -n "${PG_START_HBA:-}" ]; then
        printf '%s\n' "$PG_START_HBA" >"$data/pg_hba.conf"
        is_root && chown postgres: "$data/pg_hba.conf"
    fi
    echo "$name $dir" >>"$TMPROOT/servers"
    for _ in 1 2 3 4 5; do
        port=$(free_port) || return 1
        {
            echo "# --- clonebox tests ---"
            echo "listen_addresses = '127.0.0.1'"
            echo "port = $port"
            echo "unix_socket_directories = '$dir'"
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
            echo "max_connections = 40"
            echo "shared_buffers = 64MB"
            echo "max_wal_size = 2GB"
            echo "checkpoint_timeout = 30min"
            echo "autovacuum = off"
            echo "log_min_messages = warning"
            echo "log_line_prefix = '%m [%p] %q%u@%d '"
            for line in "$@"; do echo "$line"; done
        } >"$data/postgresql.auto.conf"
        is_root && chown postgres: "$data/postgresql.auto.conf"
        if _as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >"$dir/pg_ctl.log" 2>&1; then
            printf -v "${name}_PORT" '%s' "$port"
            printf -v "${name}_DIR" '%s' "$dir"
            printf -v "${name}_DATA" '%s' "$data"
            printf -v "${name}_URL" '%s' "postgresql://postgres@127.0.0.1:$port/postgres"
            # shellcheck disable=SC2163
            export "${name}_PORT" "${name}_DIR" "${name}_DATA" "${name}_URL"
            return 0
        fi
        if grep -q "Address already in use\|could not bind" "$dir/server.log" 2>/dev/null; then
            echo "pg_start: port $port taken, retrying" >&2
            : >"$dir/server.log"
            continue
        fi
        break
    done
    echo "pg_start: could not start server '$name' (dir $dir)" >&2
    cat "$dir/pg_ctl.log" >&2 2>/dev/null || true
    tail -n 30 "$dir/server.log" >&2 2>/dev/null || true
    return 1
}

# _pg_stop_dir DIR: immediate stop of the server in DIR/data (if running).
_pg_stop_dir() {
    local dir=$1 data pid
    data="$dir/data"
    [ -f "$data/postmaster.pid" ] || return 0
    pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
    _as_pg timeout 30 "$PG_BIN/pg_ctl" -D "$data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
    if [ -n "$pid" ] && pid_alive "$pid"; then
        # still alive: it is our own postmaster (pid from its pid file)
        kill -9 "$pid" 2>/dev/null || true
    fi
}

# pg_stop NAME: stop one server started with pg_start
pg_stop() {
    local dirvar="${1}_DIR"
    [ -n "${!dirvar:-}" ] && _pg_stop_dir "${!dirvar}"
}

# pg_stop_all [FROM_LINE]: stop every registered server (optionally only the
# ones registered after line FROM_LINE of the registry).
pg_stop_all() {
    local from=${1:-0} n=0 name dir
    [ -n "${TMPROOT:-}" ] && [ -f "$TMPROOT/servers" ] || return 0
    while read -r name dir; do
        n=$((n + 1))
        [ "$n" -gt "$from" ] || continue
        _pg_stop_dir "$dir"
    done <"$TMPROOT/servers"
}

# pg_server_count: number of servers registered so far
pg_server_count() {
    if [ -f "$TMPROOT/servers" ]; then wc -l <"$TMPROOT/servers"; else echo 0; fi
}

# ---------------------------------------------------------------------------
# databases, psql
# ---------------------------------------------------------------------------

# pg_url NAME [DB]: postgresql:// URL for database DB (default postgres) of server NAME
pg_url() {
    local portvar="${1}_PORT"
    echo "postgresql://postgres@127.0.0.1:${!portvar}/${2:-postgres}"
}

# pg_kv NAME [DB]: libpq key=value connection string for DB on server NAME
pg_kv() {
    local portvar="${1}_PORT"
    echo "host=127.0.0.1 port=${!portvar} user=postgres dbname=${2:-postgres}"
}

# psqlq NAME [DB] [psql args...]: quiet, unaligned, tuples-only psql over the
# server's unix socket as user postgres (works whatever pg_hba says for TCP).
psqlq() {
    local name=$1; shift
    local db=postgres
    if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then db=$1; shift; fi
    local portvar="${name}_PORT" dirvar="${name}_DIR"
    psql -X -q -v ON_ERROR_STOP=1 -At -h "${!dirvar}" -p "${!portvar}" -U postgres -d "$db" "$@"
}

# pg_createdb NAME DB: create an empty database (from template0)
pg_createdb() {
    psqlq "$1" postgres -c "CREATE DATABASE \"$2\" TEMPLATE template0"
    if [ -n "${TEST_TMP:-}" ]; then echo "$1 $2" >>"$TEST_TMP/.created_dbs"; fi
}

# new_db NAME [PREFIX]: create a uniquely named empty database on server NAME
# and print its name.  Databases created by a test are dropped after the test.
new_db() {
    local name=$1 prefix=${2:-t} db seq=1 seqf="${TEST_TMP:-$TMPROOT}/.db_seq"
    # a file, not a variable: new_db usually runs in a $(...) subshell
    if [ -f "$seqf" ]; then seq=$(( $(cat "$seqf") + 1 )); fi
    echo "$seq" >"$seqf"
    db="${TEST_NAME:-x}"
    db="${prefix}_${db#test_}"
    db="${db:0:50}_${seq}_$$"
    pg_createdb "$name" "$db" >&2
    echo "$db"
}

# load_fixture NAME DB [SCALE]: load tests/fixture.sql into DB
load_fixture() {
    local portvar="${1}_PORT" dirvar="${1}_DIR"
    psql -X -q -v ON_ERROR_STOP=1 -v scale="${3:-1}" -h "${!dirvar}" -p "${!portvar}" -U postgres \
        -d "$2" -f "$TESTS_DIR/fixture.sql" >/dev/null
}

# list_tables NAME DB: every ordinary and partitioned table of user schemas as
# a quoted, schema-qualified identifier, one per line, sorted.
list_tables() {
    psqlq "$1" "$2" -c "
        SELECT q FROM (
            SELECT format('%I.%I', n.nspname, c.relname) AS q
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%') x
        ORDER BY q COLLATE \"C\""
}

# table_multiset NAME DB TABLE: "<count> <md5>" digest of the multiset of rows of
# TABLE (a quoted identifier, e.g. 'billing."Customer Notes"'); independent of
# row order, sensitive to duplicates, NULLs and column order.
table_multiset() {
    psqlq "$1" "$2" -c "
        SELECT count(*) || ' ' || coalesce(md5(string_agg(r, E'\n' ORDER BY r COLLATE \"C\")), '-')
        FROM (SELECT t::text AS r FROM $3 t) s"
}

# table_count NAME DB TABLE
table_count() {
    psqlq "$1" "$2" -c "SELECT count(*) FROM $3"
}

# schema_facts NAME DB: canonical, sorted text of the catalog facts a faithful
# clone must reproduce (no OIDs, no owners/ACLs).  Compare source vs target.
schema_facts() {
    psqlq "$1" "$2" -f - <<'SQL'
SET TimeZone = 'UTC';
WITH
ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\_%'
),
rels AS (
    SELECT c.oid, c.relkind, format('%I.%I', ns.nspname, c.relname) AS qname, c
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
),
facts(kind, fact) AS (
    SELECT 'schema', quote_ident(nspname) FROM ns
  UNION ALL
    SELECT 'extension', extname FROM pg_extension
  UNION ALL
    -- relations: kind, persistence, RLS flags, partitioning
    SELECT 'relation', qname || ' kind=' || relkind::text || ' persistence=' || (c).relpersistence::text
           || ' rls=' || (c).relrowsecurity || ' force_rls=' || (c).relforcerowsecurity
           || ' replident=' || (c).relreplident::text
           || coalesce(' partkey=' || pg_get_partkeydef(oid), '')
           || coalesce(' partof=' || (SELECT format('%s', i.inhparent::regclass) FROM pg_inherits i WHERE i.inhrelid = rels.oid), '')
           || coalesce(' bound=' || pg_get_expr((c).relpartbound, oid), '')
    FROM rels WHERE relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  UNION ALL
    -- columns in order (position rank, not attnum), type, nullability,
    -- default, identity, generated, non-default collation
    SELECT 'column', r.qname || ' #' || row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum)
           || ' ' || quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
           || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
           || CASE a.attidentity WHEN 'a' THEN ' IDENTITY ALWAYS' WHEN 'd' THEN ' IDENTITY BY DEFAULT' ELSE '' END
           || CASE a.attgenerated WHEN 's' THEN ' GENERATED STORED' ELSE '' END
           || CASE WHEN a.attcollation <> 0 AND a.attcollation <> (SELECT typcollation FROM pg_type WHERE oid = a.atttypid)
                   THEN ' COLLATE ' || (SELECT quote_ident(collname) FROM pg_collation WHERE oid = a.attcollation) ELSE '' END
    FROM rels r
    JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f')
  UNION ALL
    -- table constraints
    SELECT 'constraint', r.qname || ' ' || quote_ident(co.conname) || ' ' || pg_get_constraintdef(co.oid)
    FROM pg_constraint co JOIN rels r ON r.oid = co.conrelid
  UNION ALL
    -- domain constraints and domain definitions
    SELECT 'domain', format('%I.%I', ns.nspname, t.typname) || ' ' || format_type(t.typbasetype, t.typtypmod)
           || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END || coalesce(' DEFAULT ' || t.typdefault, '')
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace WHERE t.typtype = 'd'
  UNION ALL
    SELECT 'domain_constraint', format('%I.%I', ns.nspname, t.typname) || ' ' || quote_ident(co.conname)
           || ' ' || pg_get_constraintdef(co.oid)
    FROM pg_constraint co JOIN pg_type t ON t.oid = co.contypid JOIN ns ON ns.oid = t.typnamespace
  UNION ALL
    -- enums: labels by sort order (rank, not the float value)
    SELECT 'enum', format('%I.%I', ns.nspname, t.typname) || ' ' ||
           string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
    GROUP BY ns.nspname, t.typname
  UNION ALL
    SELECT 'index', schemaname || '.' || indexname || ' ' || indexdef
    FROM pg_indexes WHERE schemaname IN (SELECT nspname FROM ns)
  UNION ALL
    SELECT 'view', r.qname || ' ' || pg_get_viewdef(r.oid, true) FROM rels r WHERE r.relkind IN ('v', 'm')
  UNION ALL
    SELECT 'function', pg_get_functiondef(p.oid)
    FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
    WHERE p.prokind IN ('f', 'p')
      AND NOT EXISTS (SELECT 1 FROM pg_depend dp WHERE dp.classid = 'pg_proc'::regclass
                      AND dp.objid = p.oid AND dp.deptype = 'e')
  UNION ALL
    SELECT 'trigger', pg_get_triggerdef(tg.oid) || ' enabled=' || tg.tgenabled::text
    FROM pg_trigger tg JOIN rels r ON r.oid = tg.tgrelid WHERE NOT tg.tgisinternal
  UNION ALL
    SELECT 'policy', format('%s.%s %s %s %s roles=%s using=%s check=%s', schemaname, tablename, policyname,
                            permissive, cmd, roles::text, coalesce(qual, '-'), coalesce(with_check, '-'))
    FROM pg_policies WHERE schemaname IN (SELECT nspname FROM ns)
  UNION ALL
    SELECT 'sequence', format('%I.%I', schemaname, sequencename) || ' type=' || data_type::text
           || ' start=' || start_value || ' min=' || min_value || ' max=' || max_value
           || ' inc=' || increment_by || ' cycle=' || cycle || ' cache=' || cache_size
           || ' last=' || coalesce(last_value::text, 'NULL')
    FROM pg_sequences WHERE schemaname IN (SELECT nspname FROM ns)
  UNION ALL
    -- sequence ownership (serial / identity / OWNED BY)
    SELECT 'sequence_owner', format('%s', d.objid::regclass) || ' -> ' || format('%s', d.refobjid::regclass)
           || '.' || quote_ident(a.attname) || ' dep=' || d.deptype::text
    FROM pg_depend d
    JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
    JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
      AND s.relnamespace IN (SELECT oid FROM ns)
  UNION ALL
    -- comments on anything user-defined
    -- (and the public schema's, which --clean recreates with a new oid)
    SELECT 'comment', pg_describe_object(classoid, objoid, objsubid) || ' = ' || quote_literal(description)
    FROM pg_description WHERE objoid >= 16384 OR (classoid = 'pg_namespace'::regclass AND objoid = 'public'::regnamespace)
  UNION ALL
    SELECT 'rule', schemaname || '.' || tablename || ' ' || rulename || ' ' || definition
    FROM pg_rules WHERE schemaname IN (SELECT nspname FROM ns)
)
SELECT line FROM (SELECT kind || ': ' || fact AS line FROM facts) x ORDER BY line COLLATE "C";
SQL
}

# sequence_states NAME DB: "seq last_value is_called" for every sequence
sequence_states() {
    local q
    q=$(psqlq "$1" "$2" -c "
        SELECT string_agg(format('SELECT %L AS s, last_value, is_called FROM %I.%I', format('%I.%I', n.nspname, c.relname), n.nspname, c.relname), ' UNION ALL ')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema')")
    [ -n "$q" ] || return 0
    psqlq "$1" "$2" -F ' ' -c "SELECT * FROM ($q) x ORDER BY s COLLATE \"C\""
}

# ---------------------------------------------------------------------------
# assertions
# ---------------------------------------------------------------------------

# _fail MESSAGE...: report a failed assertion and end the test
_fail() {
    {
        echo "ASSERTION FAILED: $1"
        shift
        local l
        for l in "$@"; do printf '%s\n' "$l"; done
        local i
        for i in 2 3 4; do
            if caller "$i" >/dev/null 2>&1; then
                echo "  at $(caller "$i" | awk '{print $3 ":" $1 " (" $2 ")"}')"
                break
            fi
        done
    } >&2
    if [ -n "${TEST_TMP:-}" ]; then : >"$TEST_TMP/failed"; fi
    exit 1
}

# _show TEXT: print TEXT, truncated to 60 lines / 6000 chars, indented
_show() {
    local s=$1
    if [ "${#s}" -gt 6000 ]; then s="${s:0:6000}"$'\n'"[... truncated, ${#1} chars total]"; fi
    printf '%s\n' "$s" | head -n 60 | sed 's/^/    | /' || true
    local n
    n=$(printf '%s\n' "$s" | wc -l)
    if [ "$n" -gt 60 ]; then echo "    | [... $n lines total]"; fi
}

# assert_eq EXPECTED ACTUAL [MESSAGE]
assert_eq() {
    local exp=$1 act=$2 msg=${3:-values differ}
    if [ "$exp" != "$act" ]; then
        if [ "$(printf '%s\n' "$exp" | wc -l)" -gt 1 ] || [ "$(printf '%s\n' "$act" | wc -l)" -gt 1 ]; then
            _fail "$msg" "  diff (- expected, + actual):" \
                "$(diff -u <(printf '%s\n' "$exp") <(printf '%s\n' "$act") | tail -n +3 | head -n 80 | sed 's/^/    /' || true)"
        else
            _fail "$msg" "  expected: '$exp'" "  actual:   '$act'"
        fi
    fi
}

# assert_ne UNEXPECTED ACTUAL [MESSAGE]
assert_ne() {
    if [ "$1" = "$2" ]; then _fail "${3:-values should differ}" "  both are: '$1'"; fi
}

# assert_contains HAYSTACK NEEDLE [MESSAGE]   (fixed string, case-sensitive)
assert_contains() {
    case "$1" in
        *"$2"*) ;;
        *) _fail "${3:-text does not contain expected string}" "  expected to find: '$2'" "  in:" "$(_show "$1")" ;;
    esac
}

# assert_contains_i HAYSTACK NEEDLE [MESSAGE]   (fixed string, case-insensitive)
assert_contains_i() {
    if ! printf '%s' "$1" | grep -qiF -- "$2"; then
        _fail "${3:-text does not contain expected string (case-insensitive)}" "  expected to find: '$2'" "  in:" "$(_show "$1")"
    fi
}

# assert_not_contains HAYSTACK NEEDLE [MESSAGE]
assert_not_contains() {
    case "$1" in
        *"$2"*) _fail "${3:-text contains forbidden string}" "  did not expect: '$2'" "  in:" "$(_show "$1")" ;;
    esac
}

# assert_match HAYSTACK ERE [MESSAGE]   (grep -E, any line)
assert_match() {
    if ! printf '%s\n' "$1" | grep -qE -- "$2"; then
        _fail "${3:-text does not match regex}" "  regex: $2" "  text:" "$(_show "$1")"
    fi
}

# assert_match_i HAYSTACK ERE [MESSAGE]   (grep -Ei, any line)
assert_match_i() {
    if ! printf '%s\n' "$1" | grep -qEi -- "$2"; then
        _fail "${3:-text does not match regex (case-insensitive)}" "  regex: $2" "  text:" "$(_show "$1")"
    fi
}

# assert_true MESSAGE CMD...: CMD must succeed
assert_true() {
    local msg=$1; shift
    if ! "$@"; then _fail "$msg" "  command: $*"; fi
}

# assert_file_not_contains FILE STRING [MESSAGE]  (binary-safe, grep -a)
assert_file_not_contains() {
    if [ -e "$1" ] && grep -aqF -- "$2" "$1"; then
        _fail "${3:-file contains forbidden string}" "  file: $1" "  string: '$2'" \
            "  matches: $(grep -acF -- "$2" "$1")"
    fi
}

# run_cmd CMD...: run CMD, capture stdout/stderr/exit code into LAST_OUT,
# LAST_ERR, LAST_RC (never fails).  The command and its output are echoed to
# the test log.
LAST_OUT='' LAST_ERR='' LAST_RC=0
run_cmd() {
    local o e
    o=$(mktemp "$TEST_TMP/.out.XXXXXX")
    e=$(mktemp "$TEST_TMP/.err.XXXXXX")
    LAST_RC=0
    "$@" >"$o" 2>"$e" </dev/null || LAST_RC=$?
    LAST_OUT=$(cat "$o")
    LAST_ERR=$(cat "$e")
    rm -f "$o" "$e"
    {
        echo "\$ $*"
        echo "  -> exit $LAST_RC"
        if [ -n "$LAST_OUT" ]; then echo "  stdout:"; _show "$LAST_OUT"; fi
        if [ -n "$LAST_ERR" ]; then echo "  stderr:"; _show "$LAST_ERR"; fi
    } >&2
    return 0
}

# assert_exit CODE CMD...: run CMD (via run_cmd) and assert its exit status.
# LAST_OUT / LAST_ERR / LAST_RC stay available afterwards.
assert_exit() {
    local want=$1; shift
    run_cmd "$@"
    if [ "$LAST_RC" != "$want" ]; then
        local why=''
        [ "$LAST_RC" = 124 ] && why=' (TIMED OUT)'
        [ "$LAST_RC" -gt 128 ] 2>/dev/null && why=" (killed by signal $((LAST_RC - 128)))"
        _fail "wrong exit status from: $*" "  expected exit: $want" "  actual exit:   $LAST_RC$why" \
            "  stdout:" "$(_show "$LAST_OUT")" "  stderr:" "$(_show "$LAST_ERR")"
    fi
}

# ---------------------------------------------------------------------------
# clonebox helpers
# ---------------------------------------------------------------------------

# cb ARGS...: run the binary under test with a watchdog timeout
cb() {
    timeout -k 5 "$CB_TIMEOUT" "$CLONEBOX_BIN" "$@"
}

# _on_err RC CMD: ERR trap of test processes; prints the failed command and
# its call chain (the test fails through `set -e`).
_on_err() {
    local rc=$1 cmd=$2 i chain=''
    for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
        [ "${FUNCNAME[$i]}" = main ] && break
        chain+=" <- ${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}"
    done
    echo "ERROR: exit $rc from: $cmd$chain" >&2
}

# skip REASON: end the test as skipped (counted as passed, reported as SKIP)
skip() {
    echo "$*" >"$TEST_TMP/skip"
    echo "SKIP: $*" >&2
    exit 0
}

# clone_fixture [extra clonebox args...]: clone the shared source database
# (src/app) into a fresh database on the shared target server.  Asserts exit 0
# and "RESULT: PASS".  Sets TGT_DB, STATE, SRC_CONN, TGT_CONN and LAST_*.
clone_fixture() {
    TGT_DB=$(new_db dst)
    STATE="$TEST_TMP/state.db"
    SRC_CONN=$(pg_url src "$SRC_DB")
    TGT_CONN=$(pg_url dst "$TGT_DB")
    assert_exit 0 cb clone --source "$SRC_CONN" --target "$TGT_CONN" --state "$STATE" "$@"
    assert_contains "$LAST_OUT" "RESULT: PASS" "clone report does not say RESULT: PASS"
}

# db_digests NAME DB: "<table>TAB<count>TAB<md5>" for every plain table (its own rows:
# FROM ONLY, so a row moved between partitions or to an inheritance child shows;
# foreign tables are not read),
# computed in a single session (same digest as table_multiset).
db_digests() {
    psqlq "$1" "$2" -F $'\t' -f - <<'SQL'
SELECT format($q$SELECT %L, count(*), coalesce(md5(string_agg(r, E'\n' ORDER BY r COLLATE "C")), '-') FROM (SELECT t::text AS r FROM ONLY %s t) s$q$, q, q)
FROM (SELECT format('%I.%I', n.nspname, c.relname) AS q
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%') x
ORDER BY q COLLATE "C"
\gexec
SQL
}

# assert_tables_equal SRCNAME SRCDB DSTNAME DSTDB [SKIP_TABLE...]: every table of
# the source (except SKIP_TABLEs, quoted identifiers like public.background_tasks)
# exists on the target with the same row multiset (count + digest).
assert_tables_equal() {
    local sn=$1 sd=$2 dn=$3 dd=$4; shift 4
    local sdig ddig t cnt md rest x skipit checked=0 bad='' dline
    sdig=$(db_digests "$sn" "$sd") || _fail "db_digests failed on $sn/$sd"
    ddig=$(db_digests "$dn" "$dd") || _fail "db_digests failed on $dn/$dd"
    while IFS=$'\t' read -r t cnt md; do
        rest="$cnt $md"
        skipit=0
        for x in "$@"; do [ "$t" = "$x" ] && skipit=1; done
        [ "$skipit" = 1 ] && continue
        checked=$((checked + 1))
        # awk reads all its input (no exit): an early exit can kill printf with SIGPIPE, and pipefail fails the test
        dline=$(printf '%s\n' "$ddig" | awk -F '\t' -v t="$t" '$1 == t && !done { print $2 " " $3; done = 1 }')
        if [ "$rest" != "$dline" ]; then
            bad+="  $t: source=[$rest] target=[${dline:-MISSING}]"$'\n'
        fi
    done <<<"$sdig"
    echo "compared $checked tables" >&2
    [ "$checked" -gt 0 ] || _fail "no tables found in source $sd"
    [ -z "$bad" ] || _fail "table contents differ between source and target (count md5)" "$bad"
}

# assert_schema_equal SRCNAME SRCDB DSTNAME DSTDB: schema_facts are identical
assert_schema_equal() {
    local a b
    a=$(schema_facts "$1" "$2") || _fail "schema_facts failed on $1/$2"
    b=$(schema_facts "$3" "$4") || _fail "schema_facts failed on $3/$4"
    [ -n "$a" ] || _fail "schema_facts of $1/$2 is empty"
    echo "schema facts: $(printf '%s\n' "$a" | wc -l) lines" >&2
    assert_eq "$a" "$b" "catalog facts differ between $1/$2 (-) and $3/$4 (+)"
}

# assert_sequences_equal SRCNAME SRCDB DSTNAME DSTDB: same last_value/is_called
assert_sequences_equal() {
    local a b
    a=$(sequence_states "$1" "$2") || _fail "sequence_states failed on $1/$2"
    b=$(sequence_states "$3" "$4") || _fail "sequence_states failed on $3/$4"
    [ -n "$a" ] || _fail "no sequences in $1/$2"
    assert_eq "$a" "$b" "sequence states (name last_value is_called) differ between $1/$2 (-) and $3/$4 (+)"
}

# jq_assert JSON FILTER [MESSAGE]: `jq -e FILTER` must succeed (true / non-null)
jq_assert() {
    local out rc=0
    out=$(printf '%s' "$1" | jq -e "$2" 2>&1) || rc=$?
    if [ "$rc" != 0 ]; then
        _fail "${3:-JSON check failed}" "  jq filter: $2" "  jq said: $out" "  JSON:" "$(_show "$1")"
    fi
}

# assert_json JSON: JSON must be exactly one valid JSON document
assert_json() {
    local n
    n=$(printf '%s' "$1" | jq -s 'length' 2>&1) || _fail "output is not valid JSON: $n" "$(_show "$1")"
    [ "$n" = 1 ] || _fail "output should be exactly one JSON document, got $n" "$(_show "$1")"
}

# pg_dump_db NAME DB: plain-text dump (schema + data) of DB on stdout
pg_dump_db() {
    local portvar="${1}_PORT" dirvar="${1}_DIR"
    "$PG_BIN/pg_dump" -h "${!dirvar}" -p "${!portvar}" -U postgres --no-owner "$2"
}

# assert_state_clean STATE SECRET: the SQLite state file and its side files
# (-wal, -shm, -journal) do not contain SECRET
assert_state_clean() {
    local f
    [ -e "$1" ] || _fail "state file $1 does not exist"
    for f in "$1" "$1-wal" "$1-shm" "$1-journal"; do
        assert_file_not_contains "$f" "$2" "secret leaked into state file $(basename "$f")"
    done
}

# report_table_line REPORT TABLE: the human report line for TABLE
# ("schema.table  src  dst  STATUS"), empty if none
report_table_line() {
    printf '%s\n' "$1" | grep -F -- "$2" | grep -E -- "(^|[[:space:]])$(printf '%s' "$2" | sed 's/[.[\*^$]/\\&/g')([[:space:]]|$)" | head -n 1 || true
}

# assert_same_result SQL [MESSAGE]: SQL gives the same, non-empty result on the
# shared source (src/$SRC_DB) and on the test's target (dst/$TGT_DB)
assert_same_result() {
    local a b
    a=$(psqlq src "$SRC_DB" -c "$1") || _fail "query failed on the source: $1"
    b=$(psqlq dst "$TGT_DB" -c "$1") || _fail "query failed on the target: $1" "  target output: $b"
    [ -n "$a" ] || _fail "query returned nothing on the source: $1"
    assert_eq "$a" "$b" "${2:-source (-) and target (+) differ for: $1}"
}

# start_paused FAULT OUT ARGS...: run clonebox ARGS in the background with
# CLONEBOX_TEST_FAULT=FAULT (a "PHASE:N:pause") and wait until it pauses;
# its stdout and stderr go to OUT.out and OUT.err.  Sets PAUSED_PID.  The
# test changes a database meanwhile, then calls end_pause.
start_paused() {
    local fault=$1 out=$2; shift 2
    export CLONEBOX_TEST_FAULT_DIR="$TEST_TMP/fault"
    mkdir -p "$CLONEBOX_TEST_FAULT_DIR"
    CLONEBOX_TEST_FAULT=$fault "$CLONEBOX_BIN" "$@" >"$out.out" 2>"$out.err" </dev/null &
    PAUSED_PID=$!
    while pid_alive "$PAUSED_PID" && [ ! -e "$CLONEBOX_TEST_FAULT_DIR/paused" ]; do sleep 0.05; done
}

# end_pause: let the run start_paused began go on, and wait for it; sets LAST_RC
end_pause() {
    rm -f "$CLONEBOX_TEST_FAULT_DIR/paused"
    LAST_RC=0
    wait "$PAUSED_PID" || LAST_RC=$?
}
