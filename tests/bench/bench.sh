#!/usr/bin/env bash
# bench.sh - clonebox against the usual ways of copying a PostgreSQL database,
# side by side in one run on the same two throwaway servers.  NOT part of the
# test suite: the machines here are shared and noisy, so compare the ratios of
# one run, never absolute times across runs.
#
# usage:
#   tests/bench/bench.sh [--rounds R] [--out FILE] [SCALE]
#       Build a source at pgbench scale SCALE (default 10: ~300 MB, ~3 min)
#       plus a wide jsonb/text/bytea table (SCALE*20000 rows), a keyless table,
#       150 small tables (PK + one index each) and a table with a trigger
#       (which raises if it fires); then time,
#       R rounds (default 3) with the tools' order rotated each round, each
#       into a fresh target database:
#         clonebox clone            (verification included, the default)
#         clonebox clone --verify none   (only if `clone --help` mentions --verify)
#         pg_dump -Fc | pg_restore
#         pg_dump -Fd -j 2 + pg_restore -j 2
#         pgcopydb clone --table-jobs 2 --index-jobs 2
#         raw limit: COPY TO STDOUT | COPY FROM STDIN (binary), 2 streams, after an
#                    untimed pg_dump --section=pre-data; and the same plus a timed
#                    pg_dump --section=post-data | psql
#       then a "kill -9 at 50%" run of clonebox and its resumed rerun.
#       Writes FILE (default tests/bench/RESULTS.md), overwriting it but keeping
#       any "many tables" sections already in it.
#   tests/bench/bench.sh --many-tables N [--out FILE]
#       A source of N tables of 20 rows (PK + one index each); times clonebox
#       clone against pg_dump -Fc | pg_restore (one round), counts clonebox's
#       per-item overhead (items, round trips, fsyncs) in one more, untimed run
#       under strace, and appends (or replaces) the "many tables, N=..."
#       section of FILE.
#
# Environment: CLONEBOX_BIN (default: the repository's ./clonebox), PG_BIN
# (default /usr/lib/postgresql/15/bin).  As root, installs the Debian packages
# pgcopydb, time, sqlite3 and strace if missing (a missing pgcopydb is recorded, not
# fatal).  Peak RSS is /usr/bin/time -v's "Maximum resident set size": the
# largest single process of the tool's process tree (servers excluded).
set -euo pipefail

# Internal: one table of the raw COPY pipe, run by xargs -P (see raw_copy).
if [ "${1:-}" = __copy_one ]; then
    set -o pipefail
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$2" -c "COPY $4 TO STDOUT (FORMAT binary)" |
        "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$3" -c "COPY $4 FROM STDIN (FORMAT binary)"
    exit
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTS=$(dirname "$here")
REPO=$(dirname "$TESTS")
SELF="$here/$(basename "${BASH_SOURCE[0]}")"

SCALE=10 ROUNDS=3 MANY=0 OUT="$here/RESULTS.md"
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) ROUNDS=$2; shift 2 ;;
        --many-tables) MANY=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        [0-9]*) SCALE=$1; shift ;;
        *) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $SCALE =~ ^[1-9][0-9]*$ && $ROUNDS =~ ^[1-9][0-9]*$ && $MANY =~ ^[0-9]+$ ]] ||
    { echo "bench.sh: SCALE, --rounds and --many-tables take positive whole numbers" >&2; exit 2; }

BIN=${CLONEBOX_BIN:-$REPO/clonebox}
[ -x "$BIN" ] || { echo "bench.sh: no clonebox binary at $BIN (set CLONEBOX_BIN)" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

say() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

# --- packages (root only; pgcopydb is optional) -----------------------------
have_pkg() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]; }
install_pkg() {
    have_pkg "$1" && return 0
    [ "$(id -u)" = 0 ] || return 1
    say "installing Debian package $1"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$1" >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$1" >/dev/null 2>&1; }
}
install_pkg time || [ -x /usr/bin/time ] || { echo "bench.sh: needs /usr/bin/time (package time)" >&2; exit 1; }
install_pkg sqlite3 || command -v sqlite3 >/dev/null || { echo "bench.sh: needs sqlite3" >&2; exit 1; }
install_pkg strace || true   # --many-tables: the per-item overhead (recorded as missing without it)
PGCOPYDB_NOTE=""
if ((MANY == 0)) && ! command -v pgcopydb >/dev/null; then
    install_pkg pgcopydb || PGCOPYDB_NOTE="pgcopydb not installed: apt-get install pgcopydb failed"
fi

# --- servers ----------------------------------------------------------------
TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/cb-bench.XXXXXX")
chmod 755 "$TMPROOT"   # the servers run as user postgres when we are root
export TMPROOT TESTS_DIR=$TESTS REPO_DIR=$REPO
# shellcheck source=../lib.sh
source "$TESTS/lib.sh"
trap 'pg_stop_all >/dev/null 2>&1 || true; rm -rf "$TMPROOT"' EXIT
trap 'exit 130' INT TERM
export PG_BIN

# A stock server's lock table (max_connections 100 x 64) for lib.sh's 40
# connections, so that thousands of tables fit in one pg_dump.
PGCONF=("max_locks_per_transaction = 160")
say "starting servers"
pg_start src "${PGCONF[@]}" >/dev/null
pg_start dst "${PGCONF[@]}" >/dev/null
SRCDB=app
pg_createdb src "$SRCDB"
SRC_URL=$(pg_url src "$SRCDB")
export SRC_URL

now() { date +%s.%N; }
fmt() { LC_ALL=C printf '%.*f' "${2:-1}" "$1"; }
calc() { LC_ALL=C awk "BEGIN { printf \"%.6f\", $* }"; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) exit; print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# check_db SERVER DB: a fingerprint that a complete copy has the same as the source
check_db() {
    psqlq "$1" "$2" -c "
        SELECT format('tables=%s indexes=%s triggers=%s', count(*) FILTER (WHERE c.relkind = 'r'),
                      count(*) FILTER (WHERE c.relkind = 'i'),
                      (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal))
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public'" 2>/dev/null | tr -d '\n'
    local t
    for t in $CHECK_TABLES; do
        printf ' %s=%s' "$t" "$(psqlq "$1" "$2" -c "SELECT count(*) FROM $t" 2>/dev/null || echo '?')"
    done
}

# first_error LOG: the first line of LOG that looks like an error (else its last line)
first_error() {
    local l
    l=$(grep -m 1 -iE 'error|fatal|fail|killed|abort' "$1" 2>/dev/null || tail -n 1 "$1" 2>/dev/null || true)
    printf '%s' "${l:0:300}" | tr '|' '/'
}

# busy_ticks: the machine's CPU time so far, every process (the servers
# too), in clock ticks (/proc/stat: all but idle and iowait)
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# measure TOOL ROUND CMD...: run CMD under /usr/bin/time -v; appends
# "tool|round|wall s|maxrss KiB|exit|error line|machine CPU s" to $RES and
# sets M_RC, M_WALL.
measure() {
    local tool=$1 round=$2 log t0 t1 c0 c1 rss err=""
    shift 2
    log="$TMPROOT/log.$tool.$round"
    M_RC=0
    c0=$(busy_ticks)
    t0=$(now)
    /usr/bin/time -v -o "$TMPROOT/time.out" "$@" >"$log" 2>&1 || M_RC=$?
    t1=$(now)
    c1=$(busy_ticks)
    M_WALL=$(calc "$t1 - $t0")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMPROOT/time.out")
    ((M_RC == 0)) || err="exit $M_RC: $(first_error "$log")"
    echo "$tool|$round|$M_WALL|${rss:-0}|$M_RC|$err|$(calc "($c1 - $c0) / $(getconf CLK_TCK)")" >>"$RES"
    say "$tool round $round: $(fmt "$M_WALL" 2) s, rc $M_RC${err:+ ($err)}"
}

# fresh_target NAME: drop + create target database NAME, checkpoint, and
# write the system's dirty pages out (untimed): no run pays for the
# writeback of the one before it
fresh_target() {
    psqlq dst -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null
    pg_createdb dst "$1" >/dev/null
    psqlq dst -c CHECKPOINT >/dev/null
    psqlq src -c CHECKPOINT >/dev/null
    sync
}

# note_check TOOL ROUND DB: compare the target's fingerprint with the source's
note_check() {
    local got
    got=$(check_db dst "$3")
    if [ "$got" != "$SRC_CHECK" ]; then
        echo "$1|$2|MISMATCH: $got" >>"$CHECKS"
        say "$1 round $2: target differs from the source: $got"
    fi
}

# per-tool statistics over the rows of $RES: median wall and machine CPU
# and largest RSS (MB) of the successful runs, every run's wall, failures
stat_median() { awk -F'|' -v t="$1" '$1 == t && $5 == 0 { print $3 }' "$RES" | median; }
stat_cpu() { awk -F'|' -v t="$1" '$1 == t && $5 == 0 { print $7 }' "$RES" | median; }
stat_rss() { awk -F'|' -v t="$1" '$1 == t && $5 == 0 && $4 > m { m = $4 } END { printf "%d", m / 1024 }' "$RES"; }
stat_walls() { awk -F'|' -v t="$1" '$1 == t { printf "%s%s", sep, ($5 == 0 ? sprintf("%.1f", $3) : "fail"); sep = ", " }' "$RES"; }
stat_errs() { awk -F'|' -v t="$1" '$1 == t && $5 != 0 { print "round " $2 ": " $6 }' "$RES" | sort -u | head -n 2; }

# ---------------------------------------------------------------------------
# --many-tables N
# ---------------------------------------------------------------------------
if ((MANY > 0)); then
    RES="$TMPROOT/results" CHECKS="$TMPROOT/checks" CHECK_TABLES="t_1 t_$MANY"
    : >"$RES"; : >"$CHECKS"
    say "creating $MANY tables of 20 rows"
    psqlq src "$SRCDB" -c "
        DO \$\$ BEGIN
          FOR i IN 1..$MANY LOOP
            EXECUTE format('CREATE TABLE t_%s (id int PRIMARY KEY, v int NOT NULL, note text)', i);
            EXECUTE format('CREATE INDEX ON t_%s (v)', i);
            EXECUTE format('INSERT INTO t_%s SELECT g, g %% 7, md5(g::text) FROM generate_series(1, 20) g', i);
            IF i % 100 = 0 THEN COMMIT; END IF;
          END LOOP;
        END \$\$" >/dev/null
    psqlq src "$SRCDB" -c "VACUUM ANALYZE" >/dev/null
    SRC_CHECK=$(check_db src "$SRCDB")
    SIZE=$(psqlq src "$SRCDB" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")

    # alternating order, round by round; the phases come from the last clonebox run
    for ((r = 1; r <= ROUNDS; r++)); do
        for t in $( ((r % 2)) && echo "cb pd" || echo "pd cb"); do
            if [ "$t" = cb ]; then
                fresh_target mt_cb
                rm -f "$TMPROOT/mt.db"
                measure clonebox "$r" "$BIN" clone --quiet --source "$SRC_URL" --target "$(pg_url dst mt_cb)" \
                    --state "$TMPROOT/mt.db"
                ((M_RC == 0)) && note_check clonebox "$r" mt_cb
            else
                fresh_target mt_dump
                measure pg_dump_fc "$r" bash -c 'set -o pipefail; "$PG_BIN/pg_dump" -Fc -d "$1" | "$PG_BIN/pg_restore" -d "$2"' \
                    _ "$SRC_URL" "$(pg_url dst mt_dump)"
                ((M_RC == 0)) && note_check pg_dump_fc "$r" mt_dump
            fi
        done
    done
    mt_phases=$(sqlite3 "$TMPROOT/mt.db" "
        WITH e AS (SELECT phase, max(done_at) AS t FROM item WHERE done_at IS NOT NULL GROUP BY phase)
        SELECT group_concat(CASE WHEN phase = (SELECT min(phase) FROM e) THEN 'plan + ' ELSE '' END
               || CASE phase WHEN 1 THEN 'enums' WHEN 2 THEN 'schema' WHEN 3 THEN 'data'
               WHEN 4 THEN 'post-data' WHEN 5 THEN 'verify' ELSE 'phase ' || phase END || ' '
               || printf('%.1f', t - coalesce((SELECT max(t) FROM e e2 WHERE e2.phase < e.phase),
                                              (SELECT started_at FROM job))) || ' s', ', ')
        FROM e" 2>/dev/null || true)
    # per-item overhead, in a run of its own (untimed: strace slows it): items per table from
    # the state file, round trips and fsyncs from the system calls
    overhead=""
    if command -v strace >/dev/null; then
        fresh_target mt_trace
        strace -f -c -o "$TMPROOT/strace.txt" -e trace=sendto,recvfrom,fsync,fdatasync "$BIN" clone --quiet \
            --source "$SRC_URL" --target "$(pg_url dst mt_trace)" --state "$TMPROOT/trace.db" >/dev/null 2>&1 || true
        sc() { awk -v c="$1" '$NF == c { n = $4 } END { print n + 0 }' "$TMPROOT/strace.txt"; }
        items=$(sqlite3 "$TMPROOT/trace.db" "SELECT count(*) FROM item WHERE status = 'done'" 2>/dev/null || echo 0)
        n_send=$(sc sendto) n_recv=$(sc recvfrom) n_sync=$(( $(sc fsync) + $(sc fdatasync) ))
        overhead="Per-item overhead (one more run under \`strace -f -c\`, untimed): $items items done
($(fmt "$(calc "$items / $MANY")" 1) a table); $n_send messages sent to the servers and $n_recv reads
($(fmt "$(calc "$n_send / $MANY")" 1) sends a table: a DDL group, a COPY, a check or a checkpoint query
each costs about one); $n_sync fsyncs in all (the state file is in WAL mode with synchronous=NORMAL:
a commit only writes, checkpoints of the WAL sync)."
    fi
    # medians of the successful rounds; a tool that never succeeded shows its first error
    cell() {   # TOOL -> "wall | peak RSS" cells
        local w; w=$(stat_median "$1")
        if [ -n "$w" ]; then echo "$(fmt "$w" 1) s | $(stat_rss "$1") MB"; else echo "failed | – "; fi
    }
    cb_wall=$(stat_median clonebox) pd_wall=$(stat_median pg_dump_fc)
    cb_err=$(stat_errs clonebox | head -n 1) pd_err=$(stat_errs pg_dump_fc | head -n 1)
    block=$(
        echo "<!-- many-tables N=$MANY -->"
        echo "## Many tables: N=$MANY"
        echo
        echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $("$BIN" --version 2>/dev/null | head -n 1), $ROUNDS round(s) in alternating order"
        echo "(median wall); source: $MANY tables × 20 rows, each with a primary key and one index; database size $SIZE."
        echo
        echo "| tool | median wall | peak RSS | ratio to pg_dump -Fc \\| pg_restore | all rounds (s) |"
        echo "|---|---:|---:|---:|---|"
        ratio="–"
        [ -n "$cb_wall" ] && [ -n "$pd_wall" ] && ratio=$(fmt "$(calc "$cb_wall / $pd_wall")" 2)
        echo "| clonebox clone | $(cell clonebox) | $ratio | $(stat_walls clonebox) |"
        echo "| pg_dump -Fc \\| pg_restore | $(cell pg_dump_fc) | 1.00 | $(stat_walls pg_dump_fc) |"
        echo
        [ -n "$mt_phases" ] && echo "clonebox phases (its last run): $mt_phases." && echo
        [ -n "$overhead" ] && echo "$overhead" && echo
        [ -n "$cb_err" ] && echo "clonebox failed: \`$cb_err\`" && echo
        [ -n "$pd_err" ] && echo "pg_dump | pg_restore failed: \`$pd_err\`" && echo
        if [ -s "$CHECKS" ]; then
            echo "Target fingerprint differs from the source's ($SRC_CHECK):"
            sed 's/^/- /' "$CHECKS"
            echo
        fi
        echo "<!-- end many-tables N=$MANY -->"
    )
    if [ -f "$OUT" ]; then
        awk -v b="<!-- many-tables N=$MANY -->" -v e="<!-- end many-tables N=$MANY -->" \
            '$0 == b { skip = 1 } !skip { print } $0 == e { skip = 0 }' "$OUT" >"$TMPROOT/out.md"
        sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$TMPROOT/out.md"   # trailing blank lines
        { cat "$TMPROOT/out.md"; echo; printf '%s\n' "$block"; } >"$OUT"
    else
        printf '%s\n' "$block" >"$OUT"
    fi
    say "wrote $OUT"
    printf '%s\n' "$block"
    exit 0
fi

# ---------------------------------------------------------------------------
# the source
# ---------------------------------------------------------------------------
say "building the source at scale $SCALE"
"$PG_BIN/pgbench" -i -q -s "$SCALE" --foreign-keys -h "$src_DIR" -p "$src_PORT" -U postgres "$SRCDB" \
    >"$TMPROOT/pgbench.log" 2>&1 || { cat "$TMPROOT/pgbench.log" >&2; exit 1; }
psqlq src "$SRCDB" >/dev/null <<SQL
-- wide rows: jsonb, text and bytea (some large enough to be TOASTed)
CREATE TABLE wide (
    id bigint PRIMARY KEY,
    doc jsonb NOT NULL,
    body text,
    blob bytea,
    created timestamptz NOT NULL);
INSERT INTO wide
SELECT g,
       jsonb_build_object('id', g, 'name', 'item ' || g, 'tags', jsonb_build_array('a' || g % 10, 'b' || g % 7),
                          'price', (g % 1000) / 10.0, 'active', g % 3 = 0, 'hash', md5(g::text)),
       repeat(md5(g::text) || ' ', 3 + g % 8) || CASE WHEN g % 50 = 0 THEN repeat(md5((-g)::text), 100) ELSE '' END,
       decode(repeat(md5((g * 7)::text), 2 + g % 4), 'hex'),
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
FROM generate_series(1, $SCALE * 20000) g;
CREATE INDEX wide_created ON wide (created);

-- no primary key, no unique index
CREATE TABLE keyless_log (at timestamptz NOT NULL, level text NOT NULL, msg text);
INSERT INTO keyless_log
SELECT timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', (ARRAY['info', 'warn', 'error'])[1 + g % 3],
       'event ' || md5(g::text)
FROM generate_series(1, $SCALE * 20000) g;

-- 150 small tables with a primary key and one index each
DO \$\$ BEGIN
  FOR i IN 1..150 LOOP
    EXECUTE format('CREATE TABLE small_%s (id int PRIMARY KEY, code text NOT NULL, qty int)', lpad(i::text, 3, '0'));
    EXECUTE format('CREATE INDEX ON small_%s (code)', lpad(i::text, 3, '0'));
    EXECUTE format('INSERT INTO small_%s SELECT g, md5((g + %s)::text), g %% 13 FROM generate_series(1, 100) g',
                   lpad(i::text, 3, '0'), i);
  END LOOP;
END \$\$;

-- a trigger that must not fire while a tool loads the rows: it refuses them
CREATE TABLE guarded (id int PRIMARY KEY, v text NOT NULL);
INSERT INTO guarded SELECT g, 'row ' || g FROM generate_series(1, 1000) g;
CREATE FUNCTION guarded_refuse() RETURNS trigger LANGUAGE plpgsql AS
\$\$ BEGIN RAISE EXCEPTION 'trigger guarded_refuse fired on row %', NEW.id; END \$\$;
CREATE TRIGGER guarded_refuse BEFORE INSERT OR UPDATE ON guarded FOR EACH ROW EXECUTE FUNCTION guarded_refuse();

VACUUM ANALYZE;
SQL
if [ "$(psqlq src "$SRCDB" -c "SELECT count(*) FROM pg_class WHERE relname = 'background_tasks'")" != 0 ]; then
    echo "bench.sh: the source must have no table named background_tasks" >&2; exit 1
fi
CHECK_TABLES="pgbench_accounts pgbench_history wide keyless_log guarded small_150"
SRC_CHECK=$(check_db src "$SRCDB")
SRC_SIZE=$(psqlq src "$SRCDB" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")
SRC_ROWS=$(psqlq src "$SRCDB" -c "SELECT sum(n_live_tup) FROM pg_stat_user_tables")
say "source: $SRC_SIZE, $SRC_ROWS rows; $SRC_CHECK"
# the raw pipe's tables, largest first so that the two streams end together
psqlq src "$SRCDB" -c "
    SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'
    ORDER BY pg_total_relation_size(c.oid) DESC" >"$TMPROOT/tables"
"$PG_BIN/pg_dump" -s --section=pre-data -d "$SRC_URL" >"$TMPROOT/pre-data.sql"

# ---------------------------------------------------------------------------
# the tools; each is called as TOOL ROUND and measures itself into a fresh db
# ---------------------------------------------------------------------------
run_clonebox() {
    local db="cb_$1"
    fresh_target "$db"
    measure clonebox "$1" "$BIN" clone --quiet --source "$SRC_URL" --target "$(pg_url dst "$db")" \
        --state "$TMPROOT/cb_$1.db"
    ((M_RC != 0)) || note_check clonebox "$1" "$db"
}
run_clonebox_noverify() {
    local db="cbnv_$1"
    fresh_target "$db"
    measure clonebox_noverify "$1" "$BIN" clone --quiet --verify none --source "$SRC_URL" \
        --target "$(pg_url dst "$db")" --state "$TMPROOT/cbnv_$1.db"
    ((M_RC != 0)) || note_check clonebox_noverify "$1" "$db"
}
run_pg_dump_fc() {
    local db="fc_$1"
    fresh_target "$db"
    measure pg_dump_fc "$1" bash -c 'set -o pipefail; "$PG_BIN/pg_dump" -Fc -d "$1" | "$PG_BIN/pg_restore" -d "$2"' \
        _ "$SRC_URL" "$(pg_url dst "$db")"
    ((M_RC != 0)) || note_check pg_dump_fc "$1" "$db"
}
run_pg_dump_fd() {
    local db="fd_$1"
    fresh_target "$db"
    rm -rf "$TMPROOT/fd"
    measure pg_dump_fd "$1" bash -c '"$PG_BIN/pg_dump" -Fd -j 2 -f "$3" -d "$1" && "$PG_BIN/pg_restore" -j 2 -d "$2" "$3"' \
        _ "$SRC_URL" "$(pg_url dst "$db")" "$TMPROOT/fd"
    rm -rf "$TMPROOT/fd"
    ((M_RC != 0)) || note_check pg_dump_fd "$1" "$db"
}
run_pgcopydb() {
    local db="pc_$1"
    fresh_target "$db"
    rm -rf "$TMPROOT/pgcopydb"
    measure pgcopydb "$1" pgcopydb clone --source "$SRC_URL" --target "$(pg_url dst "$db")" \
        --dir "$TMPROOT/pgcopydb" --table-jobs 2 --index-jobs 2
    rm -rf "$TMPROOT/pgcopydb"
    ((M_RC != 0)) || note_check pgcopydb "$1" "$db"
}
run_raw() {   # two rows from one run: copy alone, and copy + post-data
    local db="raw_$1" copy_wall copy_rc
    fresh_target "$db"
    psqlq dst "$db" -f "$TMPROOT/pre-data.sql" >/dev/null   # not timed
    measure raw_copy "$1" bash -c 'xargs -d "\n" -P 2 -n 1 "$1" __copy_one "$2" "$3" <"$4"' \
        _ "$SELF" "$SRC_URL" "$(pg_url dst "$db")" "$TMPROOT/tables"
    copy_wall=$M_WALL copy_rc=$M_RC
    measure raw_postdata "$1" bash -c 'set -o pipefail; "$PG_BIN/pg_dump" -s --section=post-data -d "$1" |
            "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$2"' _ "$SRC_URL" "$(pg_url dst "$db")"
    # the combined row: the sum of both walls, the larger RSS, the first failure
    awk -F'|' -v r="$1" -v w="$copy_wall" '
        $2 == r && $1 == "raw_copy" { rss = $4; rc = $5; err = $6 }
        $2 == r && $1 == "raw_postdata" { if ($4 > rss) rss = $4; pw = $3; if (rc == 0) { rc = $5; err = $6 } }
        $2 == r && $1 == "raw_copy" { cpu = $7 } $2 == r && $1 == "raw_postdata" { pcpu = $7 }
        END { printf "raw_copy_postdata|%s|%.6f|%s|%s|%s|%.6f\n", r, w + pw, rss, rc, err, cpu + pcpu }' "$RES" >>"$RES"
    ((copy_rc != 0 || M_RC != 0)) || note_check raw_copy_postdata "$1" "$db"
}

TOOLS=(clonebox)
VERIFY_NOTE=""
if "$BIN" clone --help 2>&1 | grep -q -- '--verify'; then
    TOOLS+=(clonebox_noverify)
else
    VERIFY_NOTE="skipped: \`$(basename "$BIN") clone --help\` does not mention --verify in this build"
fi
TOOLS+=(pg_dump_fc pg_dump_fd)
if command -v pgcopydb >/dev/null; then TOOLS+=(pgcopydb); fi
TOOLS+=(raw)

# Warm-up, untimed: the first copy into the target server also creates its
# WAL segment files, which every later run recycles; without it the first
# tool of round 1 paid for them (clonebox's round 1 took 9.0 and 9.7 s
# where its other rounds took 7.0 to 7.7 s).
say "warm-up: one untimed pg_dump | pg_restore"
fresh_target warmup
"$PG_BIN/pg_dump" -Fc -d "$SRC_URL" | "$PG_BIN/pg_restore" -d "$(pg_url dst warmup)" >/dev/null 2>&1 || true
psqlq dst -c "DROP DATABASE warmup WITH (FORCE)" >/dev/null

RES="$TMPROOT/results" CHECKS="$TMPROOT/checks"
: >"$RES"; : >"$CHECKS"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(now)
n=${#TOOLS[@]}
for ((r = 1; r <= ROUNDS; r++)); do
    for ((i = 0; i < n; i++)); do
        t=${TOOLS[$(((i + r - 1) % n))]}
        "run_$t" "$r"
        # keep the target server small: drop what was measured (untimed)
        psqlq dst -c "SELECT datname FROM pg_database WHERE datname ~ '_$r\$'" |
            while read -r d; do psqlq dst -c "DROP DATABASE \"$d\" WITH (FORCE)" >/dev/null; done
    done
done

# the medians the report compares with
CB_MED=$(stat_median clonebox)
PC_MED=$(stat_median pgcopydb)

# ---------------------------------------------------------------------------
# clonebox phases from the state files: an item's done_at is when it ended,
# so a phase lasts from the end of the previous phase (the job's start for
# the first) to its last item.  "data" is also read from tbl (first COPY
# start to last COPY end).
# ---------------------------------------------------------------------------
phase_sql="
    WITH e AS (SELECT phase, max(done_at) AS t FROM item WHERE done_at IS NOT NULL GROUP BY phase),
    d AS (SELECT phase, t - coalesce((SELECT max(t) FROM e e2 WHERE e2.phase < e.phase),
                                     (SELECT started_at FROM job)) AS dur FROM e)
    SELECT coalesce((SELECT sum(dur) FROM d WHERE phase <= 2), 0),
           coalesce((SELECT dur FROM d WHERE phase = 3), 0),
           coalesce((SELECT dur FROM d WHERE phase = 4), 0),
           coalesce((SELECT dur FROM d WHERE phase = 5), 0),
           (SELECT finished_at - started_at FROM job),
           (SELECT max(done_at) - min(started_at) FROM tbl WHERE mode = 'copy'),
           (SELECT count(*) FROM item WHERE phase = 4),
           (SELECT count(*) FROM tbl WHERE mode = 'copy')"
: >"$TMPROOT/phases"
for st in "$TMPROOT"/cb_*.db; do
    [ -f "$st" ] || continue
    [ "$(sqlite3 "$st" "SELECT status FROM job" 2>/dev/null)" = done ] || continue
    sqlite3 -separator ' ' "$st" "$phase_sql" >>"$TMPROOT/phases"
done
col_median() { awk -v c="$1" '{ print $c }' "$TMPROOT/phases" | median; }
if [ -s "$TMPROOT/phases" ]; then
    PH_SCHEMA=$(col_median 1) PH_DATA=$(col_median 2) PH_POST=$(col_median 3) PH_VERIFY=$(col_median 4)
    PH_JOB=$(col_median 5) PH_COPY=$(col_median 6) N_POST=$(col_median 7) N_TBL=$(col_median 8)
fi

# ---------------------------------------------------------------------------
# kill -9 at about half the median clonebox time, then the same command again
# ---------------------------------------------------------------------------
KILL_LINE=""
if [ -n "$CB_MED" ]; then
    # one kill per round: where it lands (which chunks are in flight) varies
    half=$(calc "$CB_MED / 2")
    K_PCTS="" K_LINES=""
    for ((r = 1; r <= ROUNDS; r++)); do
        fresh_target cb_kill
        rm -f "$TMPROOT/kill.db"
        say "kill test $r: clonebox clone, kill -9 after $(fmt "$half" 1) s"
        cmd=("$BIN" clone --quiet --source "$SRC_URL" --target "$(pg_url dst cb_kill)" --state "$TMPROOT/kill.db")
        k0=$(now)
        "${cmd[@]}" >"$TMPROOT/log.kill" 2>&1 &
        kpid=$!
        sleep "$half"
        if kill -0 "$kpid" 2>/dev/null; then kill -9 "$kpid"; killed=1; else killed=0; fi
        wait "$kpid" 2>/dev/null || true
        k1=$(now)
        K_FIRST=$(calc "$k1 - $k0")
        K_AT=$(sqlite3 "$TMPROOT/kill.db" "SELECT CASE phase WHEN 'data' THEN phase || ' (' || (SELECT sum(rows_copied) FROM tbl WHERE mode = 'copy')
                        || ' of ' || (SELECT sum(coalesce(rows_total, rows_est)) FROM tbl WHERE mode = 'copy') || ' rows copied)' ELSE phase END FROM job" 2>/dev/null || echo '?')
        measure clonebox_rerun "$r" "${cmd[@]}"
        K_RC=$M_RC K_RERUN=$M_WALL
        ((K_RC != 0)) || note_check clonebox_rerun "$r" cb_kill
        K_TOTAL=$(calc "$K_FIRST + $K_RERUN")
        if ((killed == 0)); then
            K_LINES+="- round $r: the first run ended by itself before the kill (after $(fmt "$K_FIRST" 1) s); no kill measured"$'\n'
        elif ((K_RC != 0)); then
            K_LINES+="- round $r: killed at $(fmt "$K_FIRST" 1) s (phase $K_AT); the rerun FAILED: $(stat_errs clonebox_rerun)"$'\n'
        else
            pct_extra=$(calc "($K_TOTAL / $CB_MED - 1) * 100")
            K_PCTS+=" $pct_extra"
            K_LINES+="- round $r: killed after $(fmt "$K_FIRST" 1) s, in phase $K_AT; the rerun took $(fmt "$K_RERUN" 1) s;
  total $(fmt "$K_TOTAL" 1) s: $(fmt "$pct_extra" 0)% extra"$'\n'
        fi
    done
    KILL_LINE="${K_LINES}"
    if [ -n "$K_PCTS" ]; then
        KILL_LINE+=$'\n'"Against the uninterrupted median $(fmt "$CB_MED" 1) s: **$(fmt "$(echo "$K_PCTS" | median)" 0)% extra** (median of the kills)"
    fi
fi
T_END=$(now)

# ---------------------------------------------------------------------------
# RESULTS.md
# ---------------------------------------------------------------------------
label() {
    case $1 in
        clonebox) echo "clonebox clone (verified)" ;;
        clonebox_noverify) echo "clonebox clone --verify none" ;;
        pg_dump_fc) echo "pg_dump -Fc \\| pg_restore" ;;
        pg_dump_fd) echo "pg_dump -Fd -j 2 + pg_restore -j 2" ;;
        pgcopydb) echo "pgcopydb clone --table-jobs 2 --index-jobs 2" ;;
        raw_copy) echo "raw COPY binary, 2 streams (data only)" ;;
        raw_postdata) echo "… its post-data step alone" ;;
        raw_copy_postdata) echo "raw COPY binary, 2 streams + post-data" ;;
    esac
}
row() {
    local t=$1 med ratio rss errs
    if [ "$t" = clonebox_noverify ] && [ -n "$VERIFY_NOTE" ]; then
        echo "| $(label "$t") | – | – | – | – | – | $VERIFY_NOTE |"; return
    fi
    if [ "$t" = pgcopydb ] && ! command -v pgcopydb >/dev/null; then
        echo "| $(label "$t") | – | – | – | – | – | ${PGCOPYDB_NOTE:-not installed} |"; return
    fi
    med=$(stat_median "$t")
    errs=$(stat_errs "$t" | tr '\n' ';' | sed 's/;$//; s/|/\//g')
    if [ -z "$med" ]; then
        echo "| $(label "$t") | failed | – | – | – | $(stat_walls "$t") | ${errs:-} |"; return
    fi
    ratio="–"
    [ -n "$PC_MED" ] && ratio=$(fmt "$(calc "$med / $PC_MED")" 2)
    rss=$(stat_rss "$t")
    echo "| $(label "$t") | $(fmt "$med" 1) | $ratio | $(fmt "$(stat_cpu "$t")" 1) | $rss | $(stat_walls "$t") | ${errs:+failed: \`$errs\`} |"
}
pct() { fmt "$(calc "100 * $1 / $2")" 0; }

PGVER=$(psqlq src -c "SELECT version()")
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
PCVER=$(pgcopydb --version 2>/dev/null | awk '/pgcopydb version/ { print $3; exit }' || true)
{
    echo "# clonebox benchmark results"
    echo
    echo "Written by \`tests/bench/bench.sh $SCALE\` (not part of the test suite). One run on a shared,"
    echo "noisy machine: compare the ratios, not absolute times across runs."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); the run took $(fmt "$(calc "($T_END - $T_START) / 60")" 1) min after loading the source"
    echo "- machine: $(nproc) cores ($CPU), $MEM RAM, $(uname -sr); load average before: $LOAD_BEFORE"
    echo "- PostgreSQL: $PGVER; source and target are two servers on this machine"
    echo "  (tests/lib.sh settings: fsync off, shared_buffers 64MB), connected over 127.0.0.1"
    echo "- clonebox: $("$BIN" --version 2>/dev/null | head -n 1) ($BIN)"
    echo "- pgcopydb: ${PCVER:-not available}${PGCOPYDB_NOTE:+ ($PGCOPYDB_NOTE)}"
    echo "- source: pgbench scale $SCALE (with foreign keys) + \`wide\` (jsonb/text/bytea, $((SCALE * 20000)) rows)"
    echo "  + \`keyless_log\` ($((SCALE * 20000)) rows, no key) + 150 small tables (100 rows, PK + one index)"
    echo "  + \`guarded\` (1000 rows, a BEFORE INSERT trigger that raises); $SRC_ROWS rows,"
    echo "  pg_database_size **$SRC_SIZE**"
    echo "- $ROUNDS rounds, tools' order rotated each round, each run into a fresh target database"
    echo
    echo "| tool | median wall (s) | ratio to pgcopydb | machine CPU (core-s) | peak RSS (MB) | all rounds (s) | notes |"
    echo "|---|---:|---:|---:|---:|---|---|"
    for t in clonebox clonebox_noverify pg_dump_fc pg_dump_fd pgcopydb raw_copy raw_postdata raw_copy_postdata; do
        row "$t"
    done
    echo
    echo "Peak RSS is the largest single process of the tool's process tree (for pipelines: pg_dump,"
    echo "pg_restore or a psql), not the servers. The raw rows come from one run per round: the pre-data"
    echo "schema was created untimed, then the COPY streams were timed, then post-data; they set no"
    echo "sequence values, so they are a lower bound, not a complete copy; each table costs two psql"
    echo "process starts ($(wc -l <"$TMPROOT/tables") tables), which weighs on the small tables."
    echo "Machine CPU is the CPU time of every process on the machine while the tool ran (both servers,"
    echo "the tool, anything else), from /proc/stat, median: the work a run costs. With $(nproc) cores a run"
    echo "cannot take less wall time than its CPU work divided by $(nproc)."
    cb_cpu=$(stat_cpu clonebox) fc_med=$(stat_median pg_dump_fc)
    if [ -n "$cb_cpu" ] && [ -n "$fc_med" ]; then
        echo "clonebox's verified clone costs $(fmt "$cb_cpu" 1) core-s, so on $(nproc) cores it needs at least"
        echo "$(fmt "$(calc "$cb_cpu / $(nproc)")" 1) s; $(fmt "$(calc "0.55 * $fc_med")" 1) s (0.55 × \`pg_dump -Fc | pg_restore\`)"
        echo "would allow $(fmt "$(calc "0.55 * $fc_med * $(nproc)")" 1) core-s."
        nv_cpu=$(stat_cpu clonebox_noverify)
        [ -n "$nv_cpu" ] && echo "Without verification it costs $(fmt "$nv_cpu" 1) core-s: the check (one read of the target) costs $(fmt "$(calc "$cb_cpu - $nv_cpu")" 1)."
    fi
    if [ -s "$CHECKS" ]; then
        echo
        echo "Target fingerprint differs from the source's ($SRC_CHECK):"
        sed 's/^/- /; s/|/ round /; s/|/: /' "$CHECKS"
    else
        echo "After every successful run the target had the source's tables, indexes, triggers and row counts"
        echo "(checked untimed; the \`guarded\` trigger never fired)."
    fi
    echo
    echo "## Where clonebox's time goes"
    echo
    if [ -n "${PH_JOB:-}" ]; then
        echo "Medians over the $(wc -l <"$TMPROOT/phases") verified runs, each row on its own (they need not add up),"
        echo "from the state file (\`item.done_at\` per phase, \`tbl.started_at\`/\`done_at\` for the COPYs):"
        echo
        echo "| phase | s | share of the job |"
        echo "|---|---:|---:|"
        echo "| plan + enums + schema | $(fmt "$PH_SCHEMA" 1) | $(pct "$PH_SCHEMA" "$PH_JOB")% |"
        echo "| data ($N_TBL tables) | $(fmt "$PH_DATA" 1) | $(pct "$PH_DATA" "$PH_JOB")% |"
        echo "| post-data ($N_POST keys, indexes, FKs, triggers) | $(fmt "$PH_POST" 1) | $(pct "$PH_POST" "$PH_JOB")% |"
        echo "| verify | $(fmt "$PH_VERIFY" 1) | $(pct "$PH_VERIFY" "$PH_JOB")% |"
        echo "| job (started_at → finished_at) | $(fmt "$PH_JOB" 1) | 100% |"
        echo
        raw_med=$(stat_median raw_copy)
        post_med=$(stat_median raw_postdata)
        printf '%s' "Of clonebox's $(fmt "$CB_MED" 1) s wall time, the data phase is $(pct "$PH_DATA" "$CB_MED")%"
        printf '%s' " ($(fmt "$PH_DATA" 1) s; first COPY start to last COPY end $(fmt "$PH_COPY" 1) s)"
        [ -n "$raw_med" ] && printf '%s' ", $(fmt "$(calc "$PH_DATA / $raw_med")" 2)× the raw 2-stream COPY's $(fmt "$raw_med" 1) s"
        printf '%s' "; post-data takes $(pct "$PH_POST" "$CB_MED")% ($(fmt "$PH_POST" 1) s"
        [ -n "$post_med" ] && printf '%s' " vs $(fmt "$post_med" 1) s for pg_dump's post-data through psql"
        printf '%s' ") and verification $(pct "$PH_VERIFY" "$CB_MED")% ($(fmt "$PH_VERIFY" 1) s,"
        printf '%s' " $(fmt "$(calc "$PH_VERIFY / $PH_DATA")" 2)× the data phase: one read of the target, checksummed"
        printf '%s' " against what the copy streamed). Schema and planning take $(fmt "$PH_SCHEMA" 1) s; the rest"
        printf '%s\n' " ($(fmt "$(calc "$CB_MED - $PH_JOB")" 1) s) is process start, connecting and the report."
    else
        echo "No successful clonebox run: no phase times."
    fi
    echo
    echo "## kill -9 at 50%"
    echo
    echo "\`clonebox clone\` into a fresh database, killed with SIGKILL after half the median clonebox"
    echo "time, then the same command run again to completion (it resumes from the state file); once a round:"
    echo
    echo "${KILL_LINE:-not measured (no successful clonebox run)}."
    # many-tables sections of an earlier file are kept
    if [ -f "$OUT" ]; then
        awk '/^<!-- many-tables N=/ { keep = 1; print "" } keep { print } /^<!-- end many-tables/ { keep = 0 }' "$OUT"
    fi
} >"$TMPROOT/RESULTS.md"
mv "$TMPROOT/RESULTS.md" "$OUT"
say "wrote $OUT"
cat "$OUT"
