/*
 * clonebox — copy a PostgreSQL database, schema and data, into another one,
 * resumably, and prove the copy with a verification report.
 *
 * One file, one static binary:  ./build.sh   (see build.sh for the exact
 * gcc line: clonebox.c + vendor/pq_shims.c + static libpq, SQLite, OpenSSL).
 *
 * How it works, in one paragraph.  A job is planned once: the source's
 * catalogs are read and turned into a list of work items (one per DDL
 * object, one per table to copy, one per table to verify), ordered by the
 * dependency graph in pg_depend, and stored in a local SQLite state file.
 * Worker threads (--jobs) then claim the unfinished items, wave by wave
 * (every table's copy, or key range of a large one, at once, the indexes
 * at once, ...), run them, and record them as done.  Every item is
 * idempotent or repaired on resume, so a run can be killed at any
 * instant and the same command finishes the job.  The same engine runs
 * partial jobs: `copy` (the rows a condition
 * selects, into tables that exist on the target), --subset (a clone whose
 * rows are a referentially whole slice, selected once and recorded) and
 * --mask (values replaced by the source inside the COPY's query).
 *
 * Contents (each number is a section banner below; a section only calls
 * sections above it):
 *   1. Includes, constants and types
 *   2. Utilities: errors, logging, time, strings, row checksums
 *   3. PostgreSQL layer (db_): connect, session settings, exec, the target guard
 *   4. State store (st_): the SQLite schema, statements kept prepared, job records
 *   5. Runner control (lease_): fences, take-over, heartbeat, signals, cancel
 *   6. Catalog (cat_): the selection, objects, their DDL and order, the inventory, copy jobs, masks, subsets, key ranges, the plan
 *   7. Work items (run_): progress, DDL, the snapshot, subsets, chunked copy, large objects, verification
 *   8. Reports and status (rp_)
 *   9. Engine (eng_): preflight, claims, the item loop, retries, workers, job creation
 *  10. Command line and main (cmd_)
 */

/* {====================================================================
 * 1. Includes, constants and types
 * ==================================================================== */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/random.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>
#define pg_attribute_printf(f, a) __attribute__((format(printf, f, a)))
#include <internal/pqexpbuffer.h>
#include <sqlite3.h>
/* pg_dump's and psql's own name patterns, from PostgreSQL's libpgfeutils
 * (fe_utils/string_utils.h, which needs the server's headers) */
extern bool processSQLNamePattern(PGconn *conn, PQExpBuffer buf, const char *pattern, bool have_where,
                                  bool force_escape, const char *schemavar, const char *namevar,
                                  const char *altnamevar, const char *visibilityrule, PQExpBuffer dbnamebuf,
                                  int *dotcnt);

#define CLONEBOX_VERSION "0.2.0"
#ifndef CLONEBOX_COMMIT /* build.sh passes the git commit it builds */
#define CLONEBOX_COMMIT "unknown"
#endif
#define DEFAULT_STATE "clonebox.db"
/* The session advisory lock a runner holds on the target: 'clon', 'ebox'. */
#define ADVISORY_KEY "1668246382, 1701736312"

/* Exit codes: documented in --help and the README; tests rely on them. */
enum {
  EXIT_OK = 0,         /* job done, verification PASS */
  EXIT_FAILED = 1,     /* job failed: SQL or runtime error */
  EXIT_USAGE = 2,      /* bad command line */
  EXIT_VERIFY = 3,     /* verification found differences */
  EXIT_CONNECT = 4,    /* cannot connect or authenticate (TLS, GSS too) */
  EXIT_BUSY = 5,       /* another runner holds the job */
  EXIT_CANCELLED = 6,  /* the job was cancelled */
  EXIT_MORE = 75,      /* step: more work remains (EX_TEMPFAIL) */
};

/* Phases in pipeline order; item.phase stores the name. */
static const char *const azPhase[] = {"plan",     "enums",  "schema", "data",
                                      "postdata", "verify", "done"};
enum { PH_PLAN, PH_ENUMS, PH_SCHEMA, PH_DATA, PH_POSTDATA, PH_VERIFY, PH_DONE };

/* A list of patterns or other repeated values from the command line. */
typedef struct PatList {
  const char **azPat; /* borrowed from argv or Options.azOwned; array freed with free() */
  int nPat;           /* number of patterns */
} PatList;

/* What to clone, as pg_dump selects it (-n, -N, -t, -T, ...): one pattern
 * list each, stored in job.options under these keys. */
enum {
  SEL_SCHEMA, SEL_EXCL_SCHEMA, SEL_TABLE, SEL_TABLE_CHILDREN, SEL_EXCL_TABLE, SEL_EXCL_TABLE_CHILDREN, SEL_EXCL_DATA,
  SEL_EXCL_DATA_CHILDREN, SEL_N
};
static const char *const azSelKey[SEL_N] = {
    "schema", "exclude_schema", "table", "table_and_children", "exclude_table", "exclude_table_and_children",
    "exclude_table_data", "exclude_table_data_and_children"};

/* One --table of `copy`: a source table, the rows to copy (--where, an
 * SQL condition; NULL: all) and the target table (--into; NULL: the same
 * name).  Strings borrowed from argv. */
typedef struct CopySpec {
  const char *zTable, *zWhere, *zInto;
} CopySpec;

/* Everything the command line said.  Strings are borrowed from argv/env. */
typedef struct Options {
  const char *zCmd;      /* subcommand: clone, verify, status, jobs */
  const char *zSource;   /* source conninfo (URI or key=value) */
  const char *zTarget;   /* target conninfo */
  const char *zState;    /* path of the SQLite state file */
  const char *zJob;      /* JOB argument of status, or NULL */
  PatList aSel[SEL_N];   /* -n, -N, -t, -T, --exclude-table-data, ... (azSelKey) */
  PatList roleMap;       /* --role-map FROM=TO, each as given */
  char **azOwned;        /* patterns read from --filter files; each and the array free() */
  int nOwned;
  bool bJson;            /* machine-readable output on stdout */
  bool bQuiet;           /* no progress on stderr */
  bool bVerbose;         /* a line on stderr for every item done */
  bool bNew;             /* clone: start a new job even if one matches */
  bool bClean;           /* drop and recreate the cloned schemas first */
  bool bNoOwner;         /* objects belong to the target role; owners not compared */
  bool bNoPrivileges;    /* grants not copied nor compared */
  bool bSkipUnsupported; /* leave out what the target role cannot create */
  bool bSubscriptions;   /* --subscriptions disabled: create them, disabled */
  const char *zVerify;   /* --verify: full (default), counts or none */
  const char *zReport;   /* --report FILE: the JSON report also goes there */
  bool bYes;             /* --clean without asking */
  bool bWatch;           /* status: redraw until the job ends */
  bool bAll;             /* cancel: every unfinished job */
  bool bStale;           /* cancel: every stale job */
  double budget;         /* step: seconds of work, 0 = no limit */
  double staleAfter;     /* seconds without heartbeat before a job is stale */
  double olderThan;      /* cancel --stale: only jobs idle this long */
  double wait;           /* seconds to wait for a live runner holding the job, 0 = none */
  double retryFor;       /* seconds to keep reconnecting after a lost connection */
  int nJobs;             /* --jobs: worker threads (0: the default, eng_default_jobs()) */
  long nSplitRows;       /* --split-rows: tables larger are copied in key ranges (-1: SPLIT_ROWS; 0: never) */
  CopySpec *aCopy;       /* copy: each --table with its --where and --into; array free() */
  int nCopy;
  const char *zConflict; /* copy --conflict: error (default), skip, update or replace */
  const char *zLabel;    /* --label: who started the job, shown by status and jobs */
  const char *zOnDone;   /* --on-done CMD: run by /bin/sh when the job ends */
  PatList masks;         /* --mask TABLE.COLUMN=MASK, each as given (or from --filter) */
  PatList subsets;       /* --subset 'TABLE: CONDITION': the subset's roots */
  bool bSubsetDownAll;   /* --subset-down-from-references */
  const char *zMaskSeed; /* --mask-seed: the masks' seed (default: random, kept with the job) */
} Options;

/* A running job as one thread sees it: the runner's (which holds the
 * lease, the target's lock and the exported snapshot) or a worker's (its
 * own state-file connection, its own connections to both servers). */
typedef struct Job {
  const Options *pOpt;  /* command line (borrowed) */
  sqlite3 *db;          /* state store; closed by job_close() */
  sqlite3_int64 id;     /* job.id in the state store */
  char *zSrcInfo;       /* source conninfo to use; free() */
  char *zDstInfo;       /* target conninfo to use; free() */
  double deadline;      /* step: stop at a checkpoint after this time; 0 = never */
  int lockFd;           /* flock()ed descriptor of the state file, or -1 */
  char zOwner[300];     /* this runner, host:pid:nonce, as written in job.owner */
  char zLockBackend[64];/* pid/start of our target session holding the lock, or "" */
  PGconn *src;          /* source connection or NULL; PQfinish in job_close */
  PGconn *dst;          /* target connection or NULL; PQfinish in job_close */
  PGconn *snap;         /* source session holding the data phase's exported snapshot, or NULL */
  char zSnapshot[64];   /* its id (pg_export_snapshot) */
  bool bSnapshot;       /* snap holds the snapshot this run's copies read in */
  bool bVerifyOnly;     /* stand-alone `verify`: no DDL, no copy */
  bool bPartial;        /* a copy job: rows of some tables into existing ones, no DDL */
  bool bLockTarget;     /* this runner holds the lease: fence the target too */
  bool bDeclined;       /* the user answered no to --clean's question */
  int phase;            /* PH_* of the item being run */
  double tLastBeat;     /* last time progress/heartbeat was written */
  long nCheckpoint;     /* checkpoints written by this run (retry budget) */
  int nJobs;            /* workers that take items (1: the runner takes them itself) */
  char zWorker[16];     /* this thread's name in item.worker (its claims): w1, w2, ... */
} Job;

#define MAX_JOBS 64 /* --jobs at most: two connections each */

/* One row of the item table, as the engine sees it. */
typedef struct Item {
  sqlite3_int64 seq;    /* position in the job's plan */
  int phase;            /* PH_* */
  char *zKind;          /* schema, enum, table, index, copy, vtable, ...; free() */
  char *zName;          /* display name, e.g. "table public.orders"; free() */
  sqlite3_int64 tbl;    /* tbl.id for copy/vtable items, else 0 */
  char *zDdl;           /* SQL to run on the target, or NULL; free() */
  char *zProbe;         /* SQL returning true if already applied; free() */
  char *zStatus;        /* todo or running (a previous run started it); free() */
  bool bEarly;          /* a table's check taken while post-data runs: its phase is not entered */
} Item;

/* }==================================================================== */

/* {====================================================================
 * 2. Utilities: errors, logging, time, strings, row checksums
 * ==================================================================== */

/* The error slot, one per thread (the runner's, each worker's): the
 * first failure is recorded here where it happens; callers only
 * propagate `false`. */
static _Thread_local struct {
  char zMsg[2048]; /* one line for people: object, cause, hint */
  int rc;          /* exit code to use */
  bool bSet;       /* a message is recorded */
  bool bTransient; /* worth a retry from the last checkpoint */
  char zState[6];  /* the server's SQLSTATE, when the server said no */
} g_err;

static bool g_bQuiet;      /* --quiet: no progress */
static bool g_bVerbose;    /* --verbose: a line for every item done */
static bool g_bJson;       /* --json: errors go to stdout as JSON too */
static bool g_bTty;        /* stderr is a terminal: redraw progress */
static _Thread_local int g_iSlot; /* 0: the runner's thread; k: worker k, which draws no progress */

/* Records an error (only the first one sticks) and returns false. */
static bool fail(int rc, const char *zFmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(int rc, const char *zFmt, ...) {
  if (g_err.bSet) return false;
  va_list ap;
  va_start(ap, zFmt);
  vsnprintf(g_err.zMsg, sizeof g_err.zMsg, zFmt, ap);
  va_end(ap);
  /* Keep it one line: libpq messages end with newlines and may hold a
   * DETAIL line; join them. */
  for (char *p = g_err.zMsg; *p; p++)
    if (*p == '\n') *p = (p[1] ? ' ' : '\0');
  g_err.rc = rc;
  g_err.bSet = true;
  return false;
}

static void clear_progress_line(void);

/* Informational line on stderr (progress-style messages, warnings). */
static void note(const char *zFmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *zFmt, ...) {
  if (g_bQuiet) return;
  char z[1200];
  va_list ap;
  va_start(ap, zFmt);
  vsnprintf(z, sizeof z, zFmt, ap);
  va_end(ap);
  if (g_iSlot == 0) clear_progress_line();
  /* one write, so that workers' lines do not interleave; a worker's
   * line wipes the progress line the runner draws on a terminal */
  fprintf(stderr, "%sclonebox: %s\n", g_iSlot && g_bTty ? "\r\033[K" : "", z);
}

/* Warnings are printed even with --quiet. */
static void warn(const char *zFmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *zFmt, ...) {
  char z[2400];
  va_list ap;
  va_start(ap, zFmt);
  vsnprintf(z, sizeof z, zFmt, ap);
  va_end(ap);
  if (g_iSlot == 0) clear_progress_line(); /* as note() */
  fprintf(stderr, "%sclonebox: warning: %s\n", g_iSlot && g_bTty ? "\r\033[K" : "", z);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Returns a malloc'd copy of z (NULL stays NULL); aborts on OOM. */
static char *xstrdup(const char *z) {
  if (!z) return NULL;
  char *p = strdup(z);
  if (!p) {
    fputs("clonebox: out of memory\n", stderr);
    exit(EXIT_FAILED);
  }
  return p;
}

static void *xcalloc(size_t n, size_t sz) {
  void *p = calloc(n ? n : 1, sz);
  if (!p) {
    fputs("clonebox: out of memory\n", stderr);
    exit(EXIT_FAILED);
  }
  return p;
}

/* First line of a (libpq) message, without the trailing newline and
 * without the "ERROR:  " prefix.  Returns a pointer into a static
 * buffer of the calling thread. */
static const char *first_line(const char *zMsg) {
  static _Thread_local char buf[1024];
  if (!zMsg) zMsg = "";
  if (strncmp(zMsg, "ERROR:  ", 8) == 0) zMsg += 8;
  snprintf(buf, sizeof buf, "%s", zMsg);
  buf[strcspn(buf, "\n")] = '\0';
  return buf;
}

/* A 128-bit hash of n bytes (MurmurHash3, x64, 128-bit variant): fast,
 * well mixed, and not a secret-keeping hash; it tells rows apart. */
static uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  return k ^ (k >> 33);
}
static void hash128(const unsigned char *p, size_t n, uint64_t aOut[2]) {
  const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
  uint64_t h1 = 0x636c6f6e65626f78ULL, h2 = h1, k1, k2; /* seed: "clonebox" */
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    memcpy(&k1, p + i, 8);
    memcpy(&k2, p + i + 8, 8);
    h1 ^= rotl64(k1 * c1, 31) * c2;
    h1 = (rotl64(h1, 27) + h2) * 5 + 0x52dce729;
    h2 ^= rotl64(k2 * c2, 33) * c1;
    h2 = (rotl64(h2, 31) + h1) * 5 + 0x38495ab5;
  }
  unsigned char aTail[16] = {0};
  memcpy(aTail, p + i, n - i);
  memcpy(&k1, aTail, 8);
  memcpy(&k2, aTail + 8, 8);
  if (n - i > 8) h2 ^= rotl64(k2 * c2, 33) * c1;
  if (n - i > 0) h1 ^= rotl64(k1 * c1, 31) * c2;
  h1 ^= n;
  h2 ^= n;
  h1 += h2;
  h2 += h1;
  h1 = fmix64(h1);
  h2 = fmix64(h2);
  h1 += h2;
  aOut[0] = h1;
  aOut[1] = h2 + h1;
}

/* The checksum of a multiset of rows: how many, and in each of two lanes
 * the sum modulo 2^64 of their 128-bit hashes.  Sums do not depend on row
 * order and count duplicates, so equal checksums mean equal multisets
 * (with overwhelming probability), and the checksums of parts add up to
 * the whole's, however the rows were cut into parts.  Stored as count and
 * 32 hex digits.  nBytes counts the bytes hashed, for the report. */
typedef struct RowSum {
  sqlite3_int64 nRow;
  uint64_t a, b;
  sqlite3_int64 nBytes;
} RowSum;

static void sum_add_row(RowSum *s, const char *p, size_t n) {
  uint64_t h[2];
  hash128((const unsigned char *)p, n, h);
  s->nRow++;
  s->a += h[0];
  s->b += h[1];
  s->nBytes += (sqlite3_int64)n;
}

static void sum_add(RowSum *s, const RowSum *x) {
  s->nRow += x->nRow;
  s->a += x->a;
  s->b += x->b;
  s->nBytes += x->nBytes;
}

static void sum_text(const RowSum *s, char z[33]) {
  snprintf(z, 33, "%016llx%016llx", (unsigned long long)s->a, (unsigned long long)s->b);
}

/* Reads a stored checksum (count, hex text or NULL: empty). */
static void sum_parse(RowSum *s, sqlite3_int64 nRow, const char *zHex) {
  unsigned long long a = 0, b = 0;
  if (zHex && sscanf(zHex, "%16llx%16llx", &a, &b) != 2) a = b = 0;
  s->nRow = nRow;
  s->a = a;
  s->b = b;
}

/* Where a name in an option ends: the first c outside double quotes
 * ("public.users.email=hash", "public.orgs: id < 5"), or NULL. */
static const char *name_end(const char *z, char c) {
  bool bQuoted = false;
  for (; *z; z++) {
    if (*z == '"') bQuoted = !bQuoted;
    else if (*z == c && !bQuoted) return z;
  }
  return NULL;
}

/* A text progress bar of width w for done/total. */
static void fmt_bar(char *z, int w, double done, double total) {
  double f = total > 0 ? done / total : 1; /* values come from a state file: clamp before the cast */
  if (!(f >= 0)) f = 0;
  if (f > 1) f = 1;
  int k = (int)(w * f);
  for (int i = 0; i < w; i++) z[i] = i < k ? '#' : '.';
  z[w] = '\0';
}

/* Human duration: "1h02m", "3m05s", "12s". */
static void fmt_duration(char *z, size_t n, double sec) {
  if (!(sec >= 0)) sec = 0; /* negative or NaN */
  if (sec > 3.6e9) sec = 3.6e9; /* a century and more: no overflow in the cast */
  long s = (long)(sec + 0.5);
  if (s >= 3600) snprintf(z, n, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  else if (s >= 60) snprintf(z, n, "%ldm%02lds", s / 60, s % 60);
  else snprintf(z, n, "%lds", s);
}

/* }==================================================================== */

/* {====================================================================
 * 3. PostgreSQL layer (db_): connect, session settings, exec, the target guard
 * ==================================================================== */

/* Is this failure worth a retry from the last checkpoint?  Lost
 * connections, shutdowns, terminated backends, serialization failures. */
static bool db_transient(PGconn *conn, const PGresult *res) {
  if (conn && PQstatus(conn) != CONNECTION_OK) return true;
  const char *zState = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  if (!zState) return false;
  return strncmp(zState, "08", 2) == 0 || strcmp(zState, "57P01") == 0 || strcmp(zState, "57P02") == 0 ||
         strcmp(zState, "57P03") == 0 || strcmp(zState, "57P05") == 0 || strcmp(zState, "53300") == 0 ||
         strcmp(zState, "40001") == 0 || strcmp(zState, "40P01") == 0;
}

/* Returns the connection string without its password, as key=value text
 * (malloc'd, caller frees), or NULL when it does not parse.  This is the
 * only form of a connection string that is ever stored or printed. */
static char *db_describe(const char *zConninfo) {
  PQconninfoOption *aOpt = PQconninfoParse(zConninfo ? zConninfo : "", NULL);
  if (!aOpt) return NULL;
  PQExpBuffer b = createPQExpBuffer();
  for (PQconninfoOption *o = aOpt; o->keyword; o++) {
    if (!o->val || !o->val[0] || strstr(o->keyword, "password")) continue; /* password, sslpassword */
    if (b->len) appendPQExpBufferChar(b, ' ');
    appendPQExpBuffer(b, "%s='", o->keyword);
    for (const char *p = o->val; *p; p++) {
      if (*p == '\'' || *p == '\\') appendPQExpBufferChar(b, '\\');
      appendPQExpBufferChar(b, *p);
    }
    appendPQExpBufferChar(b, '\'');
  }
  PQconninfoFree(aOpt);
  char *z = xstrdup(b->len ? b->data : "(defaults)");
  destroyPQExpBuffer(b);
  return z;
}

/* A hint for a failed connection, from the words of libpq's message. */
static const char *db_connect_hint(const char *zMsg) {
  if (strstr(zMsg, "GSS"))
    return "this static build has no GSSAPI/Kerberos; use gssencmode=disable "
           "and password or certificate authentication";
  if (strstr(zMsg, "certificate") || strstr(zMsg, "SSL") || strstr(zMsg, "ssl"))
    return "check sslmode, sslrootcert (the CA that signed the server's "
           "certificate) and that the host name matches the certificate";
  if (strstr(zMsg, "password"))
    return "check the password (PGPASSWORD, ~/.pgpass or the URL) and the user name";
  if (strstr(zMsg, "LDAP"))
    return "this static build has no LDAP; spell out host, port and dbname";
  if (strstr(zMsg, "local user"))
    return "pass user=NAME in the connection string (no /etc/passwd here)";
  return "check host, port, database name and user, and that the server accepts "
         "connections from here";
}

/* Is a failed connection attempt worth retrying once a job has been
 * connected (a server restarting, a failover under way), as opposed to
 * a wrong password, a missing database or a TLS problem?  libpq gives no
 * SQLSTATE for connection failures, so its words decide. */
static bool db_connect_transient(const char *zMsg) {
  static const char *const azPermanent[] = {"password", "does not exist", "pg_hba.conf", "permission denied",
                                            "SSL", "certificate", "GSS", "LDAP", "role"};
  static const char *const azTransient[] = {"Connection refused", "could not connect", "shutting down",
                                            "starting up", "recovery mode", "not yet accepting connections",
                                            "closed the connection", "timeout expired", "No such file or directory",
                                            "Connection reset", "too many clients", "could not translate host name",
                                            "Network is unreachable", "No route to host", "terminating connection"};
  for (size_t i = 0; i < sizeof azPermanent / sizeof *azPermanent; i++)
    if (strstr(zMsg, azPermanent[i])) return false;
  for (size_t i = 0; i < sizeof azTransient / sizeof *azTransient; i++)
    if (strstr(zMsg, azTransient[i])) return true;
  return false;
}

/* Opens a connection.  zSide is "source" or "target" for messages.
 * Returns NULL after recording an error.  Caller owns the PGconn. */
static PGconn *db_connect(const char *zConninfo, const char *zSide) {
  char *zErr = NULL;
  PQconninfoOption *aOpt = PQconninfoParse(zConninfo, &zErr);
  if (!aOpt) {
    fail(EXIT_USAGE, "the %s connection string does not parse: %s Hint: use "
         "postgresql://user@host:port/dbname or 'host=... dbname=...'",
         zSide, first_line(zErr));
    PQfreemem(zErr);
    return NULL;
  }
  PQconninfoFree(aOpt);
  /* Later keywords override earlier ones; the user's string may override
   * connect_timeout and set application_name. */
  const char *azKey[] = {"connect_timeout", "dbname", "fallback_application_name", NULL};
  const char *azVal[] = {"10", zConninfo, "clonebox", NULL};
  PGconn *conn = PQconnectdbParams(azKey, azVal, 1);
  if (PQstatus(conn) != CONNECTION_OK) {
    char *zDesc = db_describe(zConninfo);
    char zMsg[1024];
    snprintf(zMsg, sizeof zMsg, "%s", PQerrorMessage(conn));
    for (char *p = zMsg; *p; p++)
      if (*p == '\n') *p = p[1] ? ' ' : '\0';
    bool bFirst = !g_err.bSet;
    fail(EXIT_CONNECT, "cannot connect to the %s (%s): %s. Hint: %s", zSide, zDesc,
         zMsg, db_connect_hint(zMsg));
    if (bFirst) g_err.bTransient = db_connect_transient(zMsg);
    free(zDesc);
    PQfinish(conn);
    return NULL;
  }
  return conn;
}

/* Records a failed statement as one line:
 * "<what>: <primary message> (SQLSTATE x). Detail: ... Hint: ..." */
static bool db_fail(PGconn *conn, const PGresult *res, const char *zWhat) {
  const char *zMsg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  const char *zDetail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
  const char *zHint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
  const char *zState = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  PQExpBuffer b = createPQExpBuffer();
  appendPQExpBuffer(b, "%s: %s", zWhat, zMsg ? zMsg : first_line(PQerrorMessage(conn)));
  if (zState) appendPQExpBuffer(b, " (SQLSTATE %s)", zState);
  if (zDetail) appendPQExpBuffer(b, ". Detail: %s", zDetail);
  if (zHint) appendPQExpBuffer(b, ". Hint: %s", zHint);
  /* clonebox's SQL comes from the catalogs it planned from: a missing
   * table or column means a database changed under the job. */
  else if (zState && (strcmp(zState, "42P01") == 0 || strcmp(zState, "42703") == 0))
    appendPQExpBuffer(b, ". Hint: it was dropped, renamed or altered on the source or the target after the job was "
                      "planned; start a new job: clonebox clone --new --clean");
  else if (zState && (strcmp(zState, "42710") == 0 || strcmp(zState, "42P07") == 0))
    appendPQExpBuffer(b, ". Hint: the target already has it; --clean (with --new once a job has begun) drops what "
                      "this clone creates before creating it, or choose an empty target database");
  bool bFirst = !g_err.bSet;
  fail(EXIT_FAILED, "%s", b->data);
  if (bFirst) g_err.bTransient = db_transient(conn, res);
  if (bFirst && zState) snprintf(g_err.zState, sizeof g_err.zState, "%s", zState);
  destroyPQExpBuffer(b);
  return false;
}

/* Discards a connection's pending results.  A connection that died in
 * the middle of a COPY keeps answering PGRES_COPY_* instead of NULL, so
 * stop there rather than spin. */
static void db_drain(PGconn *conn) {
  PGresult *r;
  while ((r = PQgetResult(conn)) != NULL) {
    ExecStatusType st = PQresultStatus(r);
    PQclear(r);
    if (PQstatus(conn) == CONNECTION_BAD || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) break;
    if (st == PGRES_COPY_IN && PQputCopyEnd(conn, "clonebox: copy aborted") != 1) break;
  }
}

/* Runs a statement that returns no rows; false after recording an error. */
static bool db_exec(PGconn *conn, const char *zSql, const char *zWhat) {
  PGresult *res = PQexec(conn, zSql);
  ExecStatusType st = PQresultStatus(res);
  bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (!ok) db_fail(conn, res, zWhat);
  PQclear(res);
  return ok;
}

/* Runs a query with text parameters; returns its rows (caller PQclears)
 * or NULL after recording an error. */
static PGresult *db_query(PGconn *conn, const char *zSql, int nParam,
                          const char *const *azParam, const char *zWhat) {
  PGresult *res = PQexecParams(conn, zSql, nParam, NULL, azParam, NULL, NULL, 0);
  if (PQresultStatus(res) == PGRES_TUPLES_OK) return res;
  db_fail(conn, res, zWhat);
  PQclear(res);
  return NULL;
}

/* Runs the same query on two connections at once (verification scans both
 * databases in parallel).  Both results or neither. */
static bool db_query_pair(PGconn *a, PGconn *b, const char *zSql, int nParam,
                          const char *const *azParam, const char *zWhat,
                          PGresult **pResA, PGresult **pResB) {
  PGconn *aConn[2] = {a, b};
  PGresult *aRes[2] = {NULL, NULL};
  bool ok = true;
  for (int i = 0; i < 2; i++)
    if (!PQsendQueryParams(aConn[i], zSql, nParam, NULL, azParam, NULL, NULL, 0)) {
      ok = db_fail(aConn[i], NULL, zWhat);
      aConn[i] = NULL;
    }
  for (int i = 0; i < 2; i++) {
    PGresult *r;
    if (!aConn[i]) continue;
    while ((r = PQgetResult(aConn[i])) != NULL) {
      if (!aRes[i] && PQresultStatus(r) == PGRES_TUPLES_OK) { aRes[i] = r; continue; }
      if (PQresultStatus(r) != PGRES_TUPLES_OK) ok = db_fail(aConn[i], r, zWhat);
      PQclear(r);
    }
    if (!aRes[i]) ok = ok ? db_fail(aConn[i], NULL, zWhat) : false;
  }
  if (!ok) {
    PQclear(aRes[0]);
    PQclear(aRes[1]);
    return false;
  }
  *pResA = aRes[0];
  *pResB = aRes[1];
  return true;
}

/* Session settings shared by both ends so that DDL text is fully
 * qualified and row text (for checksums) is rendered identically. */
static const char zSessionSql[] =
    "SELECT pg_catalog.set_config('search_path', '', false),"
    " pg_catalog.set_config('DateStyle', 'ISO, YMD', false),"
    " pg_catalog.set_config('IntervalStyle', 'postgres', false),"
    " pg_catalog.set_config('TimeZone', 'UTC', false),"
    " pg_catalog.set_config('extra_float_digits', '3', false),"
    " pg_catalog.set_config('bytea_output', 'hex', false),"
    " pg_catalog.set_config('standard_conforming_strings', 'on', false),"
    " pg_catalog.set_config('statement_timeout', '0', false),"
    " pg_catalog.set_config('lock_timeout', '0', false),"
    " pg_catalog.set_config('idle_in_transaction_session_timeout', '0', false),"
    " pg_catalog.set_config('row_security', 'off', false),"
    /* the catalog queries are large: compiling them (JIT) takes seconds,
     * running them milliseconds */
    " pg_catalog.set_config('jit', 'off', false),"
    /* function bodies may name objects created later (or left out), as
     * with pg_dump; they are checked when they run */
    " pg_catalog.set_config('check_function_bodies', 'off', false),"
    " pg_catalog.set_config('client_min_messages', 'warning', false)";

/* Prepares a fresh session; zEncoding is the client encoding to use
 * (the source database's, on both ends). */
static bool db_setup(PGconn *conn, const char *zEncoding, const char *zSide) {
  char zWhat[64];
  snprintf(zWhat, sizeof zWhat, "preparing the %s session", zSide);
  if (!db_exec(conn, zSessionSql, zWhat)) return false;
  /* The target (the session given an encoding): commits need not wait for
   * the disk, since every unit is checkpointed and verified, and a kill of
   * clonebox loses nothing committed; only a crash of the target server
   * may lose its last fraction of a second, which the verification then
   * names.  Index builds get more memory. */
  if (zEncoding && !db_exec(conn, "SELECT pg_catalog.set_config('synchronous_commit', 'off', false),"
                            " pg_catalog.set_config('maintenance_work_mem', '256MB', false)", zWhat))
    return false;
  if (zEncoding && PQsetClientEncoding(conn, zEncoding) != 0)
    return fail(EXIT_FAILED, "%s: cannot set client_encoding to %s: %s", zWhat,
                zEncoding, first_line(PQerrorMessage(conn)));
  return true;
}

/* One scalar (first column of first row) as a malloc'd string, NULL on
 * error or SQL NULL (check g_err.bSet to tell them apart). */
static char *db_scalar(PGconn *conn, const char *zSql, int nParam,
                       const char *const *azParam, const char *zWhat) {
  PGresult *res = db_query(conn, zSql, nParam, azParam, zWhat);
  if (!res) return NULL;
  char *z = (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) ? xstrdup(PQgetvalue(res, 0, 0)) : NULL;
  PQclear(res);
  return z;
}

/* Is the session's role a superuser?  The server reports it when the
 * connection starts (ParameterStatus), so no query is needed. */
static bool db_is_superuser(PGconn *conn) {
  const char *z = PQparameterStatus(conn, "is_superuser");
  return z && strcmp(z, "on") == 0;
}

/* The server's system identifier (malloc'd), or NULL when this role may
 * not read it.  Two queries: a function's EXECUTE privilege is checked
 * when a statement starts, whatever branch of a CASE would call it. */
static char *db_sysid(PGconn *conn, const char *zWhat) {
  char *z = db_scalar(conn, "SELECT pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')",
                      0, NULL, zWhat);
  bool bMay = z && z[0] == 't';
  free(z);
  return bMay ? db_scalar(conn, "SELECT system_identifier::text FROM pg_catalog.pg_control_system()", 0, NULL, zWhat)
              : NULL;
}

/* Facts about one end that the guard below compares: recovery and
 * read-only state, database name and OID, and the server's system
 * identifier where this role may read it (NULL otherwise). */
static const char zEndFactsSql[] =
    "SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.current_setting('default_transaction_read_only'),"
    " pg_catalog.current_setting('transaction_read_only'), pg_catalog.current_database(),"
    " (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()),"
    " $1::text,"
    " coalesce(pg_catalog.host(pg_catalog.inet_server_addr()) || ':' || pg_catalog.inet_server_port(), 'local socket')";

/* Refuses a target that must not be written: a standby, a read-only
 * database, or the source database itself under another name.  Runs
 * before the first write of every connection to the target, so a mistyped
 * --target (or a DNS alias that moved during a failover) cannot harm the
 * source.
 *
 * Sameness is proved without privileges: the source session takes a
 * session advisory lock on a random key, and the target looks for that
 * lock in pg_locks, which every role may read.  Advisory locks belong to
 * one database of one server, so the target sees the lock exactly when it
 * is the source database, whatever host name, address, socket or
 * connection-string spelling reached it.  Where pg_control_system() is
 * readable, the same system identifier and database OID also count as the
 * same database (a physical copy: its writes would not harm the source,
 * but nobody means to clone a database onto itself).  Returns false after
 * recording an EXIT_USAGE error. */
static bool db_guard_target(PGconn *src, PGconn *dst) {
  PGresult *rs = NULL, *rd = NULL, *r = NULL;
  bool ok = false;
  uint32_t aKey[2] = {0, 0};
  if (getrandom(aKey, sizeof aKey, 0) != (ssize_t)sizeof aKey) aKey[0] = (uint32_t)getpid(), aKey[1] = (uint32_t)time(NULL);
  char zK1[16], zK2[16];
  snprintf(zK1, sizeof zK1, "%u", aKey[0] & 0x7fffffffu);
  snprintf(zK2, sizeof zK2, "%u", aKey[1] & 0x7fffffffu);
  const char *azKey[2] = {zK1, zK2};
  char *zSysS = db_sysid(src, "identifying the source"), *zSysD = db_sysid(dst, "identifying the target");
  const char *azS[1] = {zSysS}, *azD[1] = {zSysD};
  rs = g_err.bSet ? NULL : db_query(src, zEndFactsSql, 1, azS, "identifying the source");
  rd = rs ? db_query(dst, zEndFactsSql, 1, azD, "identifying the target") : NULL;
  free(zSysS);
  free(zSysD);
  if (!rd) goto done;
  const char *zWhere = PQgetvalue(rd, 0, 6), *zDb = PQgetvalue(rd, 0, 3);
  if (PQgetvalue(rd, 0, 0)[0] == 't') {
    fail(EXIT_USAGE, "the target database %s at %s is a standby in recovery and cannot be written; nothing was "
         "done. Hint: point --target at a primary server", zDb, zWhere);
    goto done;
  }
  if (PQgetvalue(rd, 0, 1)[0] == 'o' && PQgetvalue(rd, 0, 1)[1] == 'n') {
    fail(EXIT_USAGE, "the target database %s at %s is read-only (default_transaction_read_only = on); nothing was "
         "done. Hint: ALTER DATABASE ... SET default_transaction_read_only = off, or choose a writable target",
         zDb, zWhere);
    goto done;
  }
  if (PQgetvalue(rd, 0, 2)[0] == 'o' && PQgetvalue(rd, 0, 2)[1] == 'n') {
    fail(EXIT_USAGE, "the target database %s at %s is read-only (transaction_read_only = on, set by the connection "
         "string or the role); nothing was done. Hint: connect with a role and options that may write", zDb, zWhere);
    goto done;
  }
  bool bSame = false;
  if (!PQgetisnull(rs, 0, 5) && !PQgetisnull(rd, 0, 5))
    bSame = strcmp(PQgetvalue(rs, 0, 5), PQgetvalue(rd, 0, 5)) == 0 &&
            strcmp(PQgetvalue(rs, 0, 4), PQgetvalue(rd, 0, 4)) == 0 && strcmp(PQgetvalue(rs, 0, 3), zDb) == 0;
  if (!bSame) {
    if (!(r = db_query(src, "SELECT pg_catalog.pg_try_advisory_lock($1::int, $2::int)", 2, azKey, "identifying the source")))
      goto done;
    bool bLocked = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    r = NULL;
    if (bLocked) {
      r = db_query(dst, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = 'advisory'"
                   " AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())"
                   " AND classid = $1::oid AND objid = $2::oid AND objsubid = 2)", 2, azKey, "identifying the target");
      bSame = r && PQgetvalue(r, 0, 0)[0] == 't';
      PQclear(r);
      r = db_query(src, "SELECT pg_catalog.pg_advisory_unlock($1::int, $2::int)", 2, azKey, "identifying the source");
      if (!r) goto done;
    }
  }
  if (bSame) {
    fail(EXIT_USAGE, "the target is the source: --source and --target both reach the same database %s at %s (same server "
         "and database%s%s); nothing was written. Hint: check --target (a different host, port or dbname)",
         zDb, zWhere, PQgetisnull(rd, 0, 5) ? "" : ", system identifier ", PQgetisnull(rd, 0, 5) ? "" : PQgetvalue(rd, 0, 5));
    goto done;
  }
  ok = !g_err.bSet;
done:
  PQclear(rs);
  PQclear(rd);
  PQclear(r);
  return ok;
}

/* }==================================================================== */

/* {====================================================================
 * 4. State store (st_): the SQLite schema, statements kept prepared, job records
 *
 * The state file is the job's only memory: the plan (items), per-table
 * progress and checksums, the verification inventory and the report.  It
 * never holds a password: connection strings are stored via db_describe().
 * Readers (status, jobs) use it alone, without any database connection.
 * ==================================================================== */

/* The schema, one statement per entry; PRAGMA user_version tells its
 * revision (ST_VERSION; st_open migrates older ones, refuses newer). */
#define ST_VERSION 8
#define ST_VERSION_TEXT "8"
static const char *const azStSchema[] = {
    "CREATE TABLE IF NOT EXISTS job("
    " id INTEGER PRIMARY KEY,"
    " src_id TEXT NOT NULL,"           /* source system identifier/database */
    " dst_id TEXT NOT NULL,"           /* target system identifier/database */
    " status TEXT NOT NULL,"           /* running, done, failed, cancelled */
    " phase TEXT NOT NULL,"            /* plan .. verify, done */
    " source TEXT NOT NULL,"           /* conninfo without password */
    " target TEXT NOT NULL,"
    " options TEXT NOT NULL,"          /* JSON: filters */
    " created_at REAL NOT NULL, started_at REAL, finished_at REAL,"
    " updated_at REAL,"                /* last progress write */
    " owner TEXT, heartbeat_at REAL,"  /* runner lease */
    " runs INTEGER NOT NULL DEFAULT 0,"/* how many runs/steps worked on it */
    " snapshots INTEGER NOT NULL DEFAULT 0," /* source snapshots the data took */
    " retries INTEGER NOT NULL DEFAULT 0,"   /* transient failures retried from a checkpoint */
    " current_item TEXT,"              /* e.g. Copying public.orders (1200/5000) */
    " error TEXT,"                     /* last error, one line */
    " result TEXT,"                    /* PASS or FAIL once verified */
    " report TEXT,"                    /* JSON report once verified */
    " lock_backend TEXT,"              /* pid/backend_start of the runner's target sessions, comma-separated: the lock's, then its workers' */
    " kind TEXT NOT NULL DEFAULT 'clone'," /* clone, or copy (rows of some tables into existing ones) */
    " started_by TEXT,"                /* --label, else user@host of the command that created it */
    " mask_seed TEXT)",                /* --mask's seed when --mask-seed did not give one: random, per job */
    "CREATE INDEX IF NOT EXISTS job_ends ON job(src_id, dst_id)",
    "CREATE TABLE IF NOT EXISTS item("
    " job INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL,"           /* run order within the job */
    " phase INTEGER NOT NULL,"         /* PH_* */
    " kind TEXT NOT NULL,"             /* schema, enum, table, copy, vtable, ... */
    " name TEXT NOT NULL,"             /* display name */
    " tbl INTEGER,"                    /* tbl.id for copy/vtable items */
    " relid INTEGER, refrelid INTEGER,"/* source tables it needs (exclusions) */
    " ddl TEXT, probe TEXT,"           /* SQL to run; SQL telling it ran */
    " status TEXT NOT NULL DEFAULT 'todo'," /* todo, running, done, excluded */
    " note TEXT, done_at REAL,"
    " wave INTEGER,"                   /* items of a phase with the same wave may run at once; NULL: seq */
    " worker TEXT,"                    /* the worker that claimed it in this run, or NULL */
    " PRIMARY KEY(job, seq))",
    "CREATE TABLE IF NOT EXISTS tbl("
    " job INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,"
    " id INTEGER NOT NULL,"
    " relid INTEGER NOT NULL,"         /* source pg_class oid */
    " schema_name TEXT NOT NULL, table_name TEXT NOT NULL,"
    " qname TEXT NOT NULL,"            /* quoted "schema"."table" */
    " relkind TEXT NOT NULL,"
    " copy_cols TEXT, all_cols TEXT,"  /* quoted column lists */
    " key_cols TEXT,"                  /* quoted unique not-null key columns, or NULL */
    " key_types TEXT,"                 /* JSON array: their types (format_type) */
    " copy_format TEXT,"               /* binary, or text when a column type has no binary I/O */
    " key_expr TEXT,"                  /* SQL: json_build_array of the key as text */
    " last_key TEXT,"                  /* JSON array: key of the last committed chunk */
    " vkey TEXT,"                      /* JSON array: key of the last verified chunk */
    " restarts INTEGER NOT NULL DEFAULT 0," /* keyless table copies begun again */
    " mode TEXT NOT NULL,"             /* copy, nodata (created empty), skip (left out), parent (partitioned),
                                          part (a key range of a copy table: part_of), lo (large objects) */
    " reason TEXT,"                    /* why nodata/skip */
    " rows_est INTEGER,"               /* reltuples at plan time */
    " rows_total INTEGER,"             /* exact count, once per job (split: its ranges' rows, at the end) */
    " rows_copied INTEGER NOT NULL DEFAULT 0,"
    " status TEXT NOT NULL DEFAULT 'todo'," /* todo, copying, done */
    " started_at REAL, done_at REAL,"
    " copy_rows INTEGER, copy_sum TEXT,"/* checksum of the rows as the copy streamed them (to last_key) */
    " snap_writes INTEGER,"            /* the source's write counter for it when its snapshot was taken */
    " verify_writes INTEGER,"          /* the same counter at verification */
    " src_rows INTEGER, src_sum TEXT," /* checksum so far (to vkey), then whole */
    " dst_rows INTEGER, dst_sum TEXT,"
    " verdict TEXT,"                   /* ok, diff, excluded */
    /* a copy job's table (copy): */
    " where_sql TEXT,"                 /* the rows: --where, an SQL condition (clone: NULL, every row) */
    " into_qname TEXT,"                /* the target table (--into), quoted */
    " into_from TEXT,"                 /* how the target's rows are read: ONLY "s"."t", or "s"."t" when partitioned */
    " conflict TEXT,"                  /* --conflict: error, skip, update, replace */
    " conflict_sql TEXT,"              /* skip, update: the INSERT's ON CONFLICT clause, made from the target's primary key */
    " pending TEXT,"                   /* JSON: a chunk sent and not yet known committed (xid) and its checkpoint */
    " copy_select TEXT,"               /* the source's select list when columns are masked (copy_cols otherwise) */
    " bytes_copied INTEGER,"           /* bytes of rows the copy streamed (as COPY sent them), to last_key */
    " size_est INTEGER,"               /* bytes on disk at plan time (main forks of the table and its TOAST): copies go largest first */
    " part_of INTEGER,"                /* mode part: the table (tbl.id) whose key range this is */
    " part_hi TEXT,"                   /* mode part: JSON array, the range's last key (NULL: to the end); its
                                          first key is after the last_key it was planned with (NULL: from the start) */
    " exact INTEGER,"                  /* 1: each chunk's transaction is recorded (pending) before its COMMIT, so a run
                                          after a kill asks the target whether it committed and deletes nothing;
                                          NULL: it deletes past the checkpoint (a job planned before format 8) */
    " PRIMARY KEY(job, id))",
    "CREATE TABLE IF NOT EXISTS vobj("    /* verification inventory: the objects the two sides do not define alike */
    " job INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,"
    " side TEXT NOT NULL,"             /* src or dst */
    " kind TEXT NOT NULL, name TEXT NOT NULL, def TEXT)",
    "CREATE INDEX IF NOT EXISTS vobj_job ON vobj(job, kind, name)",
    "CREATE TABLE IF NOT EXISTS vobj_count(" /* the inventory's objects per kind (vobj keeps only those that differ) */
    " job INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL, n_src INTEGER NOT NULL, n_dst INTEGER NOT NULL, PRIMARY KEY(job, kind))",
    "CREATE TABLE IF NOT EXISTS subset_key(" /* --subset: the rows selected, by table (their order is rowid's) */
    " job INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,"
    " tbl INTEGER NOT NULL,"           /* tbl.id (a leaf table) */
    " k TEXT NOT NULL,"                /* the row's copy key, a JSON array of text (as last_key) */
    " down INTEGER NOT NULL,"          /* 1: its referencing rows belong to the subset too (a root's, or below one) */
    " done_down INTEGER NOT NULL DEFAULT 0, done_up INTEGER NOT NULL DEFAULT 0)", /* followed down, up */
    "CREATE UNIQUE INDEX IF NOT EXISTS subset_row ON subset_key(job, tbl, k)",
    "CREATE INDEX IF NOT EXISTS subset_todo ON subset_key(job, tbl, done_down, done_up)",
    "CREATE TABLE IF NOT EXISTS mask("     /* --mask: the columns whose values are replaced on the source */
    " job INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,"
    " relid INTEGER NOT NULL,"         /* source pg_class oid */
    " col TEXT NOT NULL,"              /* quoted column name */
    " mask TEXT NOT NULL,"             /* hash, email, name, null or sql:EXPRESSION */
    " expr TEXT,"                      /* the SQL that replaces the column's value in the source's SELECT */
    " via TEXT,"                       /* NULL: asked for; else the masked column a foreign key ties it to */
    " PRIMARY KEY(job, relid, col))",
    /* so that the time per item does not grow with the number of items:
     * the next item to run (eng_next), items by status (the plan's
     * exclusions), tables by oid */
    "CREATE INDEX IF NOT EXISTS item_todo ON item(job, phase, seq) WHERE status IN ('todo', 'running')",
    /* the unfinished items of a wave, for groups (run_group_claim, run_ddl_run) */
    "CREATE INDEX IF NOT EXISTS item_wave ON item(job, phase, wave, seq) WHERE status IN ('todo', 'running')",
    "CREATE INDEX IF NOT EXISTS item_status ON item(job, status)",
    "CREATE INDEX IF NOT EXISTS tbl_relid ON tbl(job, relid)",
    /* a split table's key ranges (the plan asks every table for them) */
    "CREATE INDEX IF NOT EXISTS tbl_part ON tbl(job, part_of)",
    "PRAGMA user_version = " ST_VERSION_TEXT,
};

/* Statements that run to completion (st_run, st_int, st_text) are kept
 * prepared for their next use: the claims, checkpoints and plan of a job
 * with thousands of tables run the same few statements tens of thousands
 * of times, and preparing one costs more than running it.  A statement is
 * taken out of the cache while in use, so no two threads ever share one;
 * st_close() finalizes a connection's before closing it. */
#define ST_CACHE 128
static struct {
  sqlite3 *db;        /* its connection; NULL: a free slot */
  uint64_t hash;      /* of zSql */
  char *zSql;         /* its text */
  sqlite3_stmt *p;    /* reset, bindings cleared */
  uint64_t used;      /* when last given back (g_stClock), for eviction */
} g_stCache[ST_CACHE];
static uint64_t g_stClock;
static pthread_mutex_t g_stMutex = PTHREAD_MUTEX_INITIALIZER;

static uint64_t st_hash(const char *z) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *z; z++) h = (h ^ (unsigned char)*z) * 1099511628211ULL;
  return h;
}

/* Takes zSql's statement for db out of the cache, or NULL. */
static sqlite3_stmt *st_cache_take(sqlite3 *db, const char *zSql, uint64_t h) {
  sqlite3_stmt *p = NULL;
  pthread_mutex_lock(&g_stMutex);
  for (int i = 0; i < ST_CACHE && !p; i++) {
    if (g_stCache[i].db == db && g_stCache[i].hash == h && strcmp(g_stCache[i].zSql, zSql) == 0) {
      p = g_stCache[i].p;
      free(g_stCache[i].zSql);
      memset(&g_stCache[i], 0, sizeof g_stCache[i]);
    }
  }
  pthread_mutex_unlock(&g_stMutex);
  return p;
}

/* Gives a statement that has run back to the cache (reset), in the slot
 * of the least recently used one, which is finalized. */
static void st_cache_give(sqlite3 *db, const char *zSql, uint64_t h, sqlite3_stmt *p) {
  sqlite3_reset(p);
  sqlite3_clear_bindings(p);
  pthread_mutex_lock(&g_stMutex);
  int k = 0;
  for (int i = 0; i < ST_CACHE; i++) {
    if (!g_stCache[i].db) { k = i; break; }
    if (g_stCache[i].used < g_stCache[k].used) k = i;
  }
  sqlite3_stmt *pOld = g_stCache[k].p;
  free(g_stCache[k].zSql);
  g_stCache[k].db = db;
  g_stCache[k].hash = h;
  g_stCache[k].zSql = xstrdup(zSql);
  g_stCache[k].p = p;
  g_stCache[k].used = ++g_stClock;
  pthread_mutex_unlock(&g_stMutex);
  sqlite3_finalize(pOld);
}

/* Closes a state-file connection, with its cached statements. */
static void st_close(sqlite3 *db) {
  if (!db) return;
  pthread_mutex_lock(&g_stMutex);
  for (int i = 0; i < ST_CACHE; i++) {
    if (g_stCache[i].db != db) continue;
    sqlite3_finalize(g_stCache[i].p);
    free(g_stCache[i].zSql);
    memset(&g_stCache[i], 0, sizeof g_stCache[i]);
  }
  pthread_mutex_unlock(&g_stMutex);
  sqlite3_close(db);
}

/* Prepares zSql (taken from the cache when hCache, its hash, is not 0)
 * and binds its parameters, one per letter of zTypes: i int64, d double,
 * t text (NULL: NULL).  NULL after recording an error. */
static sqlite3_stmt *st_vprep_in(sqlite3 *db, const char *zSql, uint64_t hCache, const char *zTypes, va_list ap) {
  sqlite3_stmt *pStmt = hCache ? st_cache_take(db, zSql, hCache) : NULL;
  if (!pStmt && sqlite3_prepare_v2(db, zSql, -1, &pStmt, NULL) != SQLITE_OK) {
    fail(EXIT_FAILED, "state file: %s (in: %.80s)", sqlite3_errmsg(db), zSql);
    return NULL;
  }
  for (int i = 0; zTypes && zTypes[i]; i++) {
    switch (zTypes[i]) {
      case 'i': sqlite3_bind_int64(pStmt, i + 1, va_arg(ap, sqlite3_int64)); break;
      case 'd': sqlite3_bind_double(pStmt, i + 1, va_arg(ap, double)); break;
      default: sqlite3_bind_text(pStmt, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
    }
  }
  return pStmt;
}

/* A statement for the caller to step and finalize. */
static sqlite3_stmt *st_prep(sqlite3 *db, const char *zSql, const char *zTypes, ...) {
  va_list ap;
  va_start(ap, zTypes);
  sqlite3_stmt *p = st_vprep_in(db, zSql, 0, zTypes, ap);
  va_end(ap);
  return p;
}

/* Runs a statement to completion (no rows wanted). */
static bool st_vrun(sqlite3 *db, const char *zSql, const char *zTypes, va_list ap) {
  uint64_t h = st_hash(zSql);
  sqlite3_stmt *p = st_vprep_in(db, zSql, h, zTypes, ap);
  if (!p) return false;
  int rc;
  while ((rc = sqlite3_step(p)) == SQLITE_ROW) {}
  bool ok = rc == SQLITE_DONE;
  if (!ok) fail(EXIT_FAILED, "state file: %s (in: %.80s)", sqlite3_errmsg(db), zSql);
  st_cache_give(db, zSql, h, p);
  return ok;
}

static bool st_run(sqlite3 *db, const char *zSql, const char *zTypes, ...) {
  va_list ap;
  va_start(ap, zTypes);
  bool ok = st_vrun(db, zSql, zTypes, ap);
  va_end(ap);
  return ok;
}

/* First column of the first row as int64 (dflt when no row). */
static sqlite3_int64 st_int(sqlite3 *db, sqlite3_int64 dflt, const char *zSql, const char *zTypes, ...) {
  va_list ap;
  va_start(ap, zTypes);
  uint64_t h = st_hash(zSql);
  sqlite3_stmt *p = st_vprep_in(db, zSql, h, zTypes, ap);
  va_end(ap);
  if (!p) return dflt;
  sqlite3_int64 v = sqlite3_step(p) == SQLITE_ROW ? sqlite3_column_int64(p, 0) : dflt;
  st_cache_give(db, zSql, h, p);
  return v;
}

/* First column of the first row as a malloc'd string (NULL when none). */
static char *st_text(sqlite3 *db, const char *zSql, const char *zTypes, ...) {
  va_list ap;
  va_start(ap, zTypes);
  uint64_t h = st_hash(zSql);
  sqlite3_stmt *p = st_vprep_in(db, zSql, h, zTypes, ap);
  va_end(ap);
  if (!p) return NULL;
  char *z = sqlite3_step(p) == SQLITE_ROW ? xstrdup((const char *)sqlite3_column_text(p, 0)) : NULL;
  st_cache_give(db, zSql, h, p);
  return z;
}

/* Opens (creating when bCreate) the state file with mode 0600.  zPath
 * ":memory:" gives a throw-away store (stand-alone verify). */
static sqlite3 *st_open(const char *zPath, bool bCreate) {
  sqlite3 *db = NULL;
  char *zErr = NULL;
  if (strcmp(zPath, ":memory:") != 0) {
    /* Create it ourselves so that it is never readable by others, not
     * even for an instant; SQLite gives its -wal/-shm files the same mode.
     * Never through a symbolic link (someone else's file). */
    int fd = open(zPath, O_RDWR | (bCreate ? O_CREAT : 0) | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      int e = errno;
      char *zDir = xstrdup(zPath), *zSlash = strrchr(zDir, '/');
      if (zSlash) *zSlash = '\0';
      struct stat sb;
      bool bNoDir = e == ENOENT && zSlash && zDir[0] && stat(zDir, &sb) != 0;
      if (e == ELOOP)
        fail(EXIT_USAGE, "state file %s is a symbolic link; clonebox does not follow it. Hint: pass the real path", zPath);
      else if (bNoDir)
        fail(EXIT_USAGE, "state file %s: its directory %s does not exist. Hint: mkdir -p -m 700 '%s'", zPath, zDir, zDir);
      else if (e == ENOENT)
        fail(EXIT_USAGE, "state file %s does not exist. Hint: pass --state FILE (the file given to clone)", zPath);
      else if (e == EACCES || e == EROFS)
        fail(EXIT_USAGE, "state file %s: %s. Hint: use a writable directory for --state (permission denied "
             "or read-only file system)", zPath, strerror(e));
      else
        fail(EXIT_USAGE, "state file %s: %s. Hint: --state must name a file", zPath, strerror(e));
      free(zDir);
      return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) == 0 && (sb.st_mode & 077))
      warn("state file %s is readable by others (mode %03o); it holds no passwords, but chmod 600 keeps job "
           "details private", zPath, (unsigned)(sb.st_mode & 0777));
    close(fd);
  }
  if (sqlite3_open_v2(zPath, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    fail(EXIT_FAILED, "state file %s: %s", zPath, db ? sqlite3_errmsg(db) : "out of memory");
    st_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 10000);
  /* Before anything could write to it: is it a state file we can read? */
  sqlite3_stmt *p = NULL;
  int version = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &p, NULL) == SQLITE_OK && sqlite3_step(p) == SQLITE_ROW)
    version = sqlite3_column_int(p, 0);
  sqlite3_finalize(p);
  if (version < 0 || (version == 0 && sqlite3_exec(db, "SELECT 1 FROM sqlite_schema LIMIT 1", NULL, NULL, NULL) != SQLITE_OK)) {
    fail(EXIT_USAGE, "state file %s is not a clonebox state file (%s); it was left as it is. Hint: pass the file "
         "given to clone, or a new path", zPath, sqlite3_errmsg(db));
    st_close(db);
    return NULL;
  }
  if (version > ST_VERSION) {
    fail(EXIT_USAGE, "state file %s was written by a newer clonebox (format %d; this one knows up to %d); it was "
         "left as it is. Hint: use the newer clonebox", zPath, version, ST_VERSION);
    st_close(db);
    return NULL;
  }
  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON",
                   NULL, NULL, &zErr) != SQLITE_OK) {
    fail(EXIT_USAGE, "state file %s: %s. Hint: is it a clonebox state file?", zPath, zErr);
    sqlite3_free(zErr);
    st_close(db);
    return NULL;
  }
  /* Older formats: 1 lacks tbl.vkey (chunked verification), 1-2 lack
   * job.lock_backend (take-over of a dead runner's target session) and
   * tbl.copy_format (text COPY for types without binary I/O), 1-3 lack
   * tbl.copy_rows and copy_sum (a job begun without them verifies both
   * sides, as it did), snap_writes and verify_writes, 1-4 lack item.wave
   * (a job planned without it runs one item at a time) and item.worker,
   * 1-5 lack job.kind (every older job is a clone), job.started_by and
   * the copy job's columns of tbl, 1-6 tbl.size_est, part_of and part_hi
   * (a job planned without them copies each table in one range), 1-7
   * tbl.exact (its chunks are repaired by deleting past the checkpoint). */
  if ((version == 1 && !st_run(db, "ALTER TABLE tbl ADD COLUMN vkey TEXT", NULL)) ||
      (version >= 1 && version <= 2 && (!st_run(db, "ALTER TABLE job ADD COLUMN lock_backend TEXT", NULL) ||
                                        !st_run(db, "ALTER TABLE tbl ADD COLUMN copy_format TEXT", NULL))) ||
      (version >= 1 && version <= 3 && (!st_run(db, "ALTER TABLE tbl ADD COLUMN copy_rows INTEGER", NULL) ||
                                        !st_run(db, "ALTER TABLE tbl ADD COLUMN copy_sum TEXT", NULL) ||
                                        !st_run(db, "ALTER TABLE tbl ADD COLUMN snap_writes INTEGER", NULL) ||
                                        !st_run(db, "ALTER TABLE tbl ADD COLUMN verify_writes INTEGER", NULL))) ||
      (version >= 1 && version <= 4 && (!st_run(db, "ALTER TABLE item ADD COLUMN wave INTEGER", NULL) ||
                                        !st_run(db, "ALTER TABLE item ADD COLUMN worker TEXT", NULL))) ||
      (version >= 1 && version <= 5 &&
       sqlite3_exec(db, "ALTER TABLE job ADD COLUMN kind TEXT NOT NULL DEFAULT 'clone';"
                    " ALTER TABLE job ADD COLUMN started_by TEXT;"
                    " ALTER TABLE tbl ADD COLUMN where_sql TEXT; ALTER TABLE tbl ADD COLUMN into_qname TEXT;"
                    " ALTER TABLE tbl ADD COLUMN into_from TEXT; ALTER TABLE tbl ADD COLUMN conflict TEXT;"
                    " ALTER TABLE tbl ADD COLUMN conflict_sql TEXT; ALTER TABLE tbl ADD COLUMN pending TEXT;"
                    " ALTER TABLE tbl ADD COLUMN copy_select TEXT; ALTER TABLE job ADD COLUMN mask_seed TEXT;"
                    " ALTER TABLE tbl ADD COLUMN bytes_copied INTEGER;"
                    " ALTER TABLE job ADD COLUMN retries INTEGER NOT NULL DEFAULT 0",
                    NULL, NULL, NULL) != SQLITE_OK && !fail(EXIT_FAILED, "state file %s: %s", zPath, sqlite3_errmsg(db))) ||
      (version >= 1 && version <= 6 &&
       sqlite3_exec(db, "ALTER TABLE tbl ADD COLUMN size_est INTEGER; ALTER TABLE tbl ADD COLUMN part_of INTEGER;"
                    " ALTER TABLE tbl ADD COLUMN part_hi TEXT", NULL, NULL,
                    NULL) != SQLITE_OK && !fail(EXIT_FAILED, "state file %s: %s", zPath, sqlite3_errmsg(db))) ||
      (version >= 1 && version <= 7 && !st_run(db, "ALTER TABLE tbl ADD COLUMN exact INTEGER", NULL))) {
    st_close(db);
    return NULL;
  }
  /* The schema, on a new file or after a migration; a current file is
   * left byte for byte as it is. */
  for (size_t i = 0; version < ST_VERSION && i < sizeof azStSchema / sizeof *azStSchema; i++)
    if (sqlite3_exec(db, azStSchema[i], NULL, NULL, &zErr) != SQLITE_OK) {
      fail(EXIT_FAILED, "state file %s: %s", zPath, zErr);
      sqlite3_free(zErr);
      st_close(db);
      return NULL;
    }
  return db;
}

/* Another connection to the state file st_open() opened (a worker's).
 * Without an open() and close() of our own: closing any descriptor of the
 * file would drop the POSIX locks SQLite holds on it for this process's
 * other connections. */
static sqlite3 *st_open_again(const char *zPath) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(zPath, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK ||
      sqlite3_exec(db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK) {
    fail(EXIT_FAILED, "state file %s: %s", zPath, db ? sqlite3_errmsg(db) : "out of memory");
    st_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 10000);
  return db;
}

/* Column i of the current row as text, "?" for NULL: for printing values
 * read back from a state file, which may have been edited by hand. */
static const char *st_col(sqlite3_stmt *p, int i) {
  const char *z = (const char *)sqlite3_column_text(p, i);
  return z ? z : "?";
}

/* Opens the state file for reading only (status, jobs): never creates,
 * changes or locks it for writing, so it works on a read-only mount and
 * for another user who may read the file (a status sidecar). */
static sqlite3 *st_open_read(const char *zPath) {
  sqlite3 *db = NULL;
  int fd = open(zPath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int e = errno;
    if (e == ELOOP)
      fail(EXIT_USAGE, "state file %s is a symbolic link; clonebox does not follow it. Hint: pass the real path", zPath);
    else if (e == ENOENT)
      fail(EXIT_USAGE, "state file %s does not exist. Hint: pass --state FILE (the file given to clone)", zPath);
    else
      fail(EXIT_USAGE, "state file %s: %s. Hint: --state must name a clonebox state file this user may read", zPath,
           strerror(e));
    return NULL;
  }
  struct stat sb;
  bool bDir = fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode);
  close(fd);
  if (bDir) {
    fail(EXIT_USAGE, "state file %s: Is a directory. Hint: --state must name a file", zPath);
    return NULL;
  }
  int version = -1;
  for (int iTry = 0; iTry < 2 && version < 0; iTry++) {
    /* A WAL file needs its -shm index; where it cannot be created (a
     * read-only directory) and no -wal holds pending writes, the file
     * alone is the whole truth: read it as immutable. */
    char zWal[4096];
    snprintf(zWal, sizeof zWal, "%s-wal", zPath);
    if (iTry == 1 && (stat(zWal, &sb) != 0 || sb.st_size == 0)) {
      PQExpBuffer u = createPQExpBuffer();
      appendPQExpBufferStr(u, "file:");
      for (const unsigned char *c = (const unsigned char *)zPath; *c; c++)
        if (isalnum(*c) || strchr("/._-~", *c)) appendPQExpBufferChar(u, (char)*c);
        else appendPQExpBuffer(u, "%%%02X", *c);
      appendPQExpBufferStr(u, "?immutable=1");
      st_close(db);
      db = NULL;
      if (sqlite3_open_v2(u->data, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK) version = -2;
      destroyPQExpBuffer(u);
    } else if (iTry == 1) {
      break;
    } else if (sqlite3_open_v2(zPath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
      version = -2;
    }
    if (version == -2) break;
    sqlite3_busy_timeout(db, 10000);
    sqlite3_stmt *p = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &p, NULL) == SQLITE_OK && sqlite3_step(p) == SQLITE_ROW)
      version = sqlite3_column_int(p, 0);
    sqlite3_finalize(p);
  }
  if (version == -2) {
    fail(EXIT_USAGE, "state file %s: %s", zPath, db ? sqlite3_errmsg(db) : "out of memory");
    st_close(db);
    return NULL;
  }
  if (version < 1 || sqlite3_exec(db, "SELECT 1 FROM job LIMIT 1", NULL, NULL, NULL) != SQLITE_OK)
    fail(EXIT_USAGE, "state file %s is not a clonebox state file (%s); it was left as it is. Hint: pass the file "
         "given to clone", zPath, version < 0 ? sqlite3_errmsg(db) : "no jobs table");
  else if (version > ST_VERSION)
    fail(EXIT_USAGE, "state file %s was written by a newer clonebox (format %d; this one knows up to %d); it was "
         "left as it is. Hint: use the newer clonebox", zPath, version, ST_VERSION);
  else
    return db;
  st_close(db);
  return NULL;
}

/* Has job `job` written to the target yet (a DDL item done, or running
 * and so perhaps committed)?  Until then it may still take --clean or give
 * way to a job with other options, and the preflight still applies. */
static bool st_job_wrote(sqlite3 *db, sqlite3_int64 job) {
  return st_int(db, 0, "SELECT 1 FROM item WHERE job = ? AND phase BETWEEN ? AND ? AND status IN ('done', 'running')"
                " LIMIT 1", "iii", job, (sqlite3_int64)PH_ENUMS, (sqlite3_int64)PH_POSTDATA) != 0;
}

static bool st_begin(sqlite3 *db) { return st_run(db, "BEGIN IMMEDIATE", NULL); }
static bool st_commit(sqlite3 *db) { return st_run(db, "COMMIT", NULL); }
static void st_rollback(sqlite3 *db) {
  if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* }==================================================================== */

/* {====================================================================
 * 5. Runner control (lease_): fences, take-over, heartbeat, signals, cancel
 *
 * Three fences keep a second runner off a live job, taken in this order:
 * an flock() on the state file (the kernel drops it when the runner dies),
 * a session advisory lock on the target database (taken in run_dst(); the
 * server drops it when the runner's connection dies, so it fences runners
 * on hosts that share nothing), and a lease in the job row (owner +
 * heartbeat, renewed every second by a thread that also watches for
 * cancel).  Holding the first two proves any other lease owner dead, so a
 * restarted runner takes over at once.  Signals stop a runner at its next
 * checkpoint.
 * ==================================================================== */

enum { STOP_NONE, STOP_CANCEL, STOP_LOST };

/* The heartbeat thread's state.  It owns its own SQLite connection. */
static struct {
  pthread_t thread;      /* valid while bStarted */
  bool bStarted;         /* the thread runs */
  atomic_bool bQuit;     /* main thread asks it to end */
  atomic_int stop;       /* STOP_*: what the thread saw (cancel, lease lost) */
  sqlite3 *db;           /* its connection; closed by lease_release() */
  sqlite3_int64 job;     /* the job it beats for */
  char zOwner[300];      /* the owner string it must find in job.owner */
} g_beat;

/* Signals.  The first SIGTERM, SIGINT or SIGHUP asks the runner to stop
 * at its next checkpoint (chunks take about half a second); a statement still
 * running 1.5 s later is cancelled on the server (the transaction rolls
 * back, the item is redone on resume).  A second signal exits at once.
 * Either way the job stays resumable: exit 75. */
static struct {
  atomic_int n;          /* signals received */
  atomic_int num;        /* the first one's number */
  _Atomic double t;      /* when the first one came */
} g_sig;

static void lease_on_signal(int sig) {
  if (atomic_fetch_add(&g_sig.n, 1) == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* async-signal-safe, unlike now()'s callers */
    atomic_store(&g_sig.t, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
    atomic_store(&g_sig.num, sig);
    return;
  }
  static const char z[] = "\nclonebox: second signal: exiting at once; the job can be resumed\n";
  ssize_t w = write(STDERR_FILENO, z, sizeof z - 1);
  (void)w;
  _exit(EXIT_MORE);
}

/* Runners stop at checkpoints on SIGTERM (kubectl delete, docker stop, a
 * CI cancel; ignored by default when clonebox is PID 1), SIGINT and
 * SIGHUP.  No SA_RESTART: a blocking read (the --clean question) ends. */
static void lease_catch_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = lease_on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
}

/* The cancel handles of the open connections of the runner and of its
 * workers, so that the heartbeat thread can interrupt a statement that
 * outlasts a stop request. */
static struct {
  pthread_mutex_t mu;    /* guards the rest */
  PGcancel *aCancel[2 * (MAX_JOBS + 1)]; /* source, target of each thread (g_iSlot); PQfreeCancel by lease_track() */
  bool bSent;            /* cancel requests went out for this stop */
} g_cancel = {PTHREAD_MUTEX_INITIALIZER, {NULL}, false};

/* Set when a worker ends for any reason but "no work left": the others
 * stop at their next checkpoint, and the runner reports the first cause. */
static atomic_bool g_bHalt;

/* Records (conn) or forgets (NULL) the calling thread's side 0 (source)
 * or 1 (target). */
static void lease_track(int side, PGconn *conn) {
  pthread_mutex_lock(&g_cancel.mu);
  PGcancel **pp = &g_cancel.aCancel[2 * g_iSlot + side];
  PQfreeCancel(*pp);
  *pp = conn ? PQgetCancel(conn) : NULL;
  pthread_mutex_unlock(&g_cancel.mu);
}

/* Is a stop (signal, cancel, lost lease) pending for longer than sec? */
static bool lease_stop_overdue(double sec) {
  if (atomic_load(&g_sig.n)) return now() - atomic_load(&g_sig.t) >= sec;
  return atomic_load(&g_beat.stop) != STOP_NONE && sec <= 0;
}


/* Renews the lease every second and watches for cancel. */
static void *lease_beat(void *pArg) {
  (void)pArg;
  while (!atomic_load(&g_beat.bQuit)) {
    for (int i = 0; i < 10 && !atomic_load(&g_beat.bQuit); i++) {
      struct timespec ts = {0, 100 * 1000 * 1000};
      nanosleep(&ts, NULL);
      if (atomic_load(&g_beat.stop) != STOP_NONE && !atomic_load(&g_sig.n)) continue;
      if (!lease_stop_overdue(1.5)) continue;
      pthread_mutex_lock(&g_cancel.mu);
      if (!g_cancel.bSent) { /* the main thread is stuck in a statement */
        char zErr[256];
        for (int k = 0; k < 2 * (MAX_JOBS + 1); k++)
          if (g_cancel.aCancel[k]) PQcancel(g_cancel.aCancel[k], zErr, sizeof zErr);
        g_cancel.bSent = true;
      }
      pthread_mutex_unlock(&g_cancel.mu);
    }
    sqlite3_stmt *p = NULL;
    if (sqlite3_prepare_v2(g_beat.db, "UPDATE job SET heartbeat_at = ? WHERE id = ? AND owner = ? RETURNING status",
                           -1, &p, NULL) != SQLITE_OK)
      continue; /* a busy or locked state file: try again next second */
    sqlite3_bind_double(p, 1, now());
    sqlite3_bind_int64(p, 2, g_beat.job);
    sqlite3_bind_text(p, 3, g_beat.zOwner, -1, SQLITE_STATIC);
    int rc = sqlite3_step(p);
    if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(p, 0), "cancelled") == 0)
      atomic_store(&g_beat.stop, STOP_CANCEL);
    else if (rc == SQLITE_DONE)
      atomic_store(&g_beat.stop, STOP_LOST); /* someone else took the job */
    sqlite3_finalize(p);
  }
  return NULL;
}

/* Should the runner stop at this checkpoint?  Returns 0 or the exit code
 * (cancelled, lease lost, budget spent) after recording why. */
static int run_should_stop(Job *j) {
  if (atomic_load(&g_sig.n)) {
    fail(EXIT_MORE, "stopped by SIG%s at a checkpoint; job %lld can be resumed: run the same command again",
         sigabbrev_np(atomic_load(&g_sig.num)), (long long)j->id);
    return EXIT_MORE;
  }
  switch (atomic_load(&g_beat.stop)) {
    case STOP_CANCEL:
      fail(EXIT_CANCELLED, "job %lld was cancelled; stopped at a checkpoint", (long long)j->id);
      return EXIT_CANCELLED;
    case STOP_LOST:
      fail(EXIT_BUSY, "job %lld was taken over by another runner; this one stops", (long long)j->id);
      return EXIT_BUSY;
  }
  if (atomic_load(&g_bHalt)) { /* the runner reports the worker that halted the others */
    fail(EXIT_MORE, "worker %s stopped at a checkpoint because another one stopped", j->zWorker);
    return EXIT_MORE;
  }
  /* A step always gets one unit of work done, however small its budget
   * (or long its connecting took), so a step loop cannot stall. */
  if (j->deadline > 0 && j->nCheckpoint > 0 && now() >= j->deadline) return EXIT_MORE;
  return 0;
}

/* "busy" error naming the holder and its last heartbeat. */
static int lease_busy(Job *j, const char *zHow) {
  sqlite3_stmt *p = st_prep(j->db, "SELECT coalesce(owner, 'unknown'), round(? - coalesce(heartbeat_at, created_at), 1)"
                            " FROM job WHERE id = ?", "di", now(), j->id);
  if (p && sqlite3_step(p) == SQLITE_ROW)
    fail(EXIT_BUSY, "job %lld is busy: runner %s holds it (%s; last heartbeat %.1f s ago). Hint: wait for it "
         "(--wait DURATION), 'clonebox status' shows its progress", (long long)j->id, sqlite3_column_text(p, 0), zHow,
         sqlite3_column_double(p, 1));
  else
    fail(EXIT_BUSY, "job %lld is busy: another runner holds it (%s)", (long long)j->id, zHow);
  sqlite3_finalize(p);
  return EXIT_BUSY;
}

/* Locks the state file for this process (the first fence), waiting up to
 * --wait for a live holder.  A runner that dies, however it dies, loses
 * the lock with its last file descriptor. */
static int lease_lock_file(Job *j, const char *zState) {
  j->lockFd = open(zState, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (j->lockFd < 0) return fail(EXIT_FAILED, "state file %s: %s", zState, strerror(errno)), EXIT_FAILED;
  double tGiveUp = now() + j->pOpt->wait;
  for (bool bSaid = false; flock(j->lockFd, LOCK_EX | LOCK_NB) != 0; bSaid = true) {
    if (now() >= tGiveUp || atomic_load(&g_sig.n)) return lease_busy(j, "it has the state file locked");
    if (!bSaid) note("job %lld is busy; waiting up to %.0f s for its runner to end", (long long)j->id, tGiveUp - now());
    struct timespec ts = {0, 250 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return EXIT_OK;
}

/* Takes the job for this process, which holds the state file's lock and
 * the target's lock already: so any other owner the lease names is dead,
 * whatever its heartbeat says (a pod restarted a second ago, or a process
 * with the same PID in a new container), and is taken over at once.  The
 * owner string is unique per process lifetime: host, PID and a random
 * nonce.  Returns EXIT_OK or why not (an exit code). */
static int lease_take(Job *j, const char *zState) {
  char zHost[256] = "?";
  uint32_t nonce = 0;
  gethostname(zHost, sizeof zHost - 1);
  if (getrandom(&nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce) nonce = (uint32_t)(now() * 1e6);
  snprintf(j->zOwner, sizeof j->zOwner, "%s:%d:%08x", zHost, (int)getpid(), nonce);
  if (!st_begin(j->db)) return EXIT_FAILED;
  sqlite3_stmt *p = st_prep(j->db, "SELECT status, owner, ? - coalesce(heartbeat_at, 0) FROM job WHERE id = ?", "di",
                            now(), j->id);
  int rc = EXIT_OK;
  if (p && sqlite3_step(p) == SQLITE_ROW) {
    const char *zStatus = (const char *)sqlite3_column_text(p, 0);
    const char *zOwner = (const char *)sqlite3_column_text(p, 1);
    if (strcmp(zStatus, "cancelled") == 0) {
      fail(EXIT_CANCELLED, "job %lld was cancelled. Hint: --new starts a fresh job", (long long)j->id);
      rc = EXIT_CANCELLED;
    } else if (zOwner && sqlite3_column_double(p, 2) < j->pOpt->staleAfter) {
      note("taking over job %lld from runner %s, which is gone (the state file and the target are not locked)",
           (long long)j->id, zOwner);
    }
  } else {
    fail(EXIT_FAILED, "state file: job %lld is missing", (long long)j->id);
    rc = EXIT_FAILED;
  }
  sqlite3_finalize(p);
  if (rc == EXIT_OK &&
      st_run(j->db, "UPDATE job SET owner = ?, heartbeat_at = ?2, updated_at = ?2, status = 'running', error = NULL,"
             " runs = runs + 1, started_at = coalesce(started_at, ?2), lock_backend = ? WHERE id = ?", "tdti",
             j->zOwner, now(), j->zLockBackend, j->id) &&
      st_commit(j->db)) {
    /* The heartbeat thread. */
    if (sqlite3_open_v2(zState, &g_beat.db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
      return fail(EXIT_FAILED, "state file %s: %s", zState, sqlite3_errmsg(g_beat.db)), EXIT_FAILED;
    sqlite3_busy_timeout(g_beat.db, 900);
    g_beat.job = j->id;
    snprintf(g_beat.zOwner, sizeof g_beat.zOwner, "%s", j->zOwner);
    atomic_store(&g_beat.bQuit, false);
    atomic_store(&g_beat.stop, STOP_NONE);
    if (pthread_create(&g_beat.thread, NULL, lease_beat, NULL) != 0)
      return fail(EXIT_FAILED, "cannot start the heartbeat thread: %s", strerror(errno)), EXIT_FAILED;
    g_beat.bStarted = true;
    return EXIT_OK;
  }
  st_rollback(j->db);
  return rc ? rc : EXIT_FAILED;
}

/* Gives the job back: stops the heartbeat, clears the owner. */
static void lease_release(Job *j) {
  if (g_beat.bStarted) {
    atomic_store(&g_beat.bQuit, true);
    pthread_join(g_beat.thread, NULL);
    g_beat.bStarted = false;
  }
  st_close(g_beat.db);
  g_beat.db = NULL;
  if (j->id && j->zOwner[0])
    st_run(j->db, "UPDATE job SET owner = NULL, lock_backend = NULL WHERE id = ? AND owner = ?", "it", j->id, j->zOwner);
  /* the flock goes with lockFd, closed by job_close() after the last
   * SQLite connection: closing it now would drop SQLite's POSIX locks */
}

/* }==================================================================== */

/* {====================================================================
 * 6. Catalog (cat_): the selection, objects, their DDL and order, the inventory, copy jobs, masks, subsets, key ranges, the plan
 *
 * All DDL text is produced by the source server itself, from its catalogs
 * and pg_get_*def(), with format('%I') quoting.  Sessions run with an
 * empty search_path, so every name in that text comes out schema-qualified
 * and catalog names below resolve to pg_catalog.
 * ==================================================================== */

#define USER_NS(n) n ".nspname !~ '^pg_' AND " n ".nspname <> 'information_schema'"
/* The name of role oid x as the target knows it: --role-map renames
 * roles through a setting of the source session (run_src), so that every
 * query naming roles, DDL and inventory alike, renames them the same way;
 * on the target, and without --role-map, the role's own name. */
#define ROLE_NAME(x)                                                        \
  "coalesce(current_setting('clonebox.role_map', true)::jsonb ->> pg_get_userbyid(" x "), pg_get_userbyid(" x "))"
/* Not created by another object (a range type's constructor functions
 * and casts, a multirange): those come with it. */
#define NOT_INTERNAL(cls, id)                                               \
  "NOT EXISTS (SELECT 1 FROM pg_depend xi WHERE xi.classid = '" cls          \
  "'::regclass AND xi.objid = " id " AND xi.deptype = 'i')"
#define NOT_EXT(cls, id)                                                    \
  "NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = '" cls          \
  "'::regclass AND x.objid = " id " AND x.deptype = 'e')"
/* ";\nCOMMENT ON <what> <ident> IS '<text>'" when there is a comment. */
#define CMT(what, ident, descr)                                             \
  "CASE WHEN " descr " IS NOT NULL THEN format(E';\\nCOMMENT ON %s %s IS %L', " what \
  ", " ident ", " descr ") ELSE '' END"
/* Comments of a relation c (in namespace n) and of its columns. */
#define REL_COMMENTS                                                        \
  "coalesce((SELECT string_agg(CASE WHEN d.objsubid = 0 THEN"               \
  " format(E';\\nCOMMENT ON %s %I.%I IS %L', CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE'" \
  " WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, n.nspname, c.relname, d.description)" \
  " ELSE format(E';\\nCOMMENT ON COLUMN %I.%I.%I IS %L', n.nspname, c.relname,"   \
  " (SELECT attname FROM pg_attribute WHERE attrelid = c.oid AND attnum = d.objsubid),"  \
  " d.description) END, '' ORDER BY d.objsubid) FROM pg_description d"     \
  " WHERE d.objoid = c.oid AND d.classoid = 'pg_class'::regclass), '')"
#define QUAL_COLL(oid)                                                      \
  "(SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co"   \
  " JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = " oid ")"
/* SQL telling whether an object named name (column namecol) of catalog
 * cat exists on the target: the probe of a non-idempotent CREATE of an
 * object in no schema. */
#define NAME_PROBE(cat, namecol, name)                                      \
  "format('SELECT EXISTS (SELECT 1 FROM pg_catalog." cat " WHERE " namecol " = %L)', " name ")"
/* The same for an object of namespace n. */
#define NS_PROBE(cat, namecol, nscol, name)                                 \
  "format('SELECT EXISTS (SELECT 1 FROM pg_catalog." cat " WHERE " namecol " = %L AND " nscol \
  " = pg_catalog.to_regnamespace(%L))', " name ", quote_ident(n.nspname))"
/* " OPTIONS (key 'value', ...)" of a foreign data wrapper, server, foreign
 * table or column (a text[] of key=value), or ''. */
#define FDW_OPTIONS(col)                                                    \
  "coalesce((SELECT ' OPTIONS (' || string_agg(format('%I %L', option_name, option_value), ', ') || ')'" \
  " FROM pg_options_to_table(" col ")), '')"
/* " USING <access method>" of relation c when it is not the default heap. */
#define REL_USING                                                           \
  "coalesce((SELECT ' USING ' || quote_ident(am.amname) FROM pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap'), '')"
/* The members of an operator class or family (refcls, refoid) as rows
 * (sort key, "OPERATOR n op(type,type)" or "FUNCTION n (type, type) f(args)"):
 * those pg_depend ties to it, as pg_dump finds them. */
#define AM_MEMBERS(refcls, refoid)                                          \
  "SELECT format('1 %s %s', lpad(o.amopstrategy::text, 5, '0'), o.oid), format('OPERATOR %s %s%s', o.amopstrategy," \
  " o.amopopr::regoperator, CASE WHEN o.amoppurpose = 'o' THEN (SELECT format(' FOR ORDER BY %I.%I', sn.nspname, sf.opfname)" \
  " FROM pg_opfamily sf JOIN pg_namespace sn ON sn.oid = sf.opfnamespace WHERE sf.oid = o.amopsortfamily) ELSE '' END)" \
  " FROM pg_amop o JOIN pg_depend d ON d.classid = 'pg_amop'::regclass AND d.objid = o.oid" \
  " WHERE d.refclassid = '" refcls "'::regclass AND d.refobjid = " refoid                 \
  " UNION ALL SELECT format('2 %s %s', lpad(p.amprocnum::text, 5, '0'), p.oid), format('FUNCTION %s (%s, %s) %s', p.amprocnum," \
  " format_type(p.amproclefttype, NULL), format_type(p.amprocrighttype, NULL), p.amproc::regprocedure)" \
  " FROM pg_amproc p JOIN pg_depend d ON d.classid = 'pg_amproc'::regclass AND d.objid = p.oid" \
  " WHERE d.refclassid = '" refcls "'::regclass AND d.refobjid = " refoid
/* The probe and the comment of type t in namespace n. */
#define TYPE_PROBE "format('SELECT pg_catalog.to_regtype(%L) IS NOT NULL', format('%I.%I', n.nspname, t.typname))"
#define TYPE_COMMENT CMT("'TYPE'", "format('%I.%I', n.nspname, t.typname)", "obj_description(t.oid, 'pg_type')")
#define REGCLASS_PROBE "format('SELECT pg_catalog.to_regclass(%L) IS NOT NULL', format('%I.%I', n.nspname, c.relname))"

/* Tables whose rows may be copied: plain and partitioned tables. */
static const char zTablesSql[] =
    "SELECT c.oid, n.nspname, c.relname, format('%I.%I', n.nspname, c.relname), c.relkind,"
    " (SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a"
    "   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''),"
    " (SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a"
    "   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),"
    /* rows by the planner; a table never analyzed (-1): its size at a
     * hundred bytes a row */
    " CASE WHEN c.reltuples < 0 THEN pg_relation_size(c.oid) / 100 ELSE c.reltuples END::bigint,"
    /* the copy key: the primary key, else the narrowest unique index on
     * plain not-null columns; chunks are cut in its order */
    " (SELECT string_agg(format('%I', a.attname), ', ' ORDER BY k.ord) FROM unnest(ki.indkey) WITH ORDINALITY k(attnum, ord)"
    "   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum),"
    " (SELECT json_agg(format_type(a.atttypid, a.atttypmod) ORDER BY k.ord) FROM unnest(ki.indkey) WITH ORDINALITY k(attnum, ord)"
    "   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum),"
    " (SELECT format('json_build_array(%s)', string_agg(format('%I::text', a.attname), ', ' ORDER BY k.ord))"
    "   FROM unnest(ki.indkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum),"
    " has_table_privilege(c.oid, 'SELECT'),"
    /* can every copied column go through binary COPY?  A type without
     * send/receive functions (aclitem, say), directly, under a domain or
     * as an array's element, makes the table go as text; so does a
     * composite, or an array of a type that is not built in: their binary
     * form holds type oids, which differ between the servers (the rows'
     * checksums would) */
    " NOT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
    "  JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END"
    "  LEFT JOIN pg_type e ON e.oid = b.typelem AND b.typsubscript = 'array_subscript_handler'::regproc"
    "  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''"
    "  AND (t.typsend = 0 OR t.typreceive = 0 OR b.typsend = 0 OR b.typreceive = 0 OR e.typsend = 0 OR e.typreceive = 0"
    "  OR b.typtype = 'c' OR e.oid >= 16384 OR e.typtype = 'c')),"
    /* its size on disk (with TOAST): what a copy costs, more than rows
     * (the main forks only: pg_table_size() asks for six files a table) */
    " pg_relation_size(c.oid) + CASE WHEN c.reltoastrelid <> 0 THEN pg_relation_size(c.reltoastrelid) ELSE 0 END"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN LATERAL (SELECT i.indkey FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid"
    "   AND i.indpred IS NULL AND i.indexprs IS NULL AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey) k"
    "   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k WHERE NOT a.attnotnull)"
    "   ORDER BY i.indisprimary DESC, i.indnatts, i.indexrelid LIMIT 1) ki ON true"
    " WHERE c.relkind IN ('r', 'p') AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    " ORDER BY n.nspname, c.relname";

#define CON_PROBE                                                           \
  "format('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass(%L)" \
  " AND conname = %L)', format('%I.%I', n.nspname, c.relname), k.conname)"
/* Constraint k's definition.  A key's, with its index's storage
 * parameters, which pg_get_constraintdef() leaves out: before DEFERRABLE. */
#define CON_DEF                                                             \
  "coalesce((SELECT regexp_replace(pg_get_constraintdef(k.oid), '(( DEFERRABLE)?( INITIALLY DEFERRED)?)$'," \
  " ' WITH (' || string_agg(format('%s=%L', split_part(o, '=', 1), substr(o, strpos(o, '=') + 1)), ', ') || ')\\1')" \
  " FROM pg_class ic, unnest(ic.reloptions) o WHERE ic.oid = k.conindid AND k.contype IN ('p', 'u')), pg_get_constraintdef(k.oid))"
#define ADD_CON                                                             \
  "format('ALTER TABLE %s%I.%I ADD CONSTRAINT %I %s', CASE WHEN c.relkind = 'p' OR (k.contype = 'c' AND NOT k.connoinherit) THEN '' ELSE 'ONLY ' END," \
  " n.nspname, c.relname, k.conname, " CON_DEF ") || "     \
  CMT("'CONSTRAINT'", "format('%I ON %I.%I', k.conname, n.nspname, c.relname)", "obj_description(k.oid, 'pg_constraint')")
/* Whether key k of table c is built as a unique index, then attached to
 * its constraint (ADD CONSTRAINT ... USING INDEX), instead of by one ADD
 * CONSTRAINT: CREATE INDEX locks out writers only, so the table's other
 * indexes and its check run meanwhile, where ADD CONSTRAINT locks out
 * everything while it builds.  Primary keys and unique constraints of
 * plain tables of 1 MB or more (a partitioned table cannot attach an
 * index; on a small one the second statement would cost more than the
 * wait it saves). */
#define KEY_BY_INDEX                                                        \
  "(k.contype IN ('p', 'u') AND c.relkind = 'r' AND pg_relation_size(c.oid) >= 1048576)"
/* SQL telling whether a named object of table c (in namespace n) exists on
 * the target: the probe of a trigger, rule or policy item. */
#define ON_TABLE_PROBE(cat, relcol, namecol, name)                          \
  "format('SELECT EXISTS (SELECT 1 FROM pg_catalog." cat " WHERE " relcol " = pg_catalog.to_regclass(%L) AND " namecol \
  " = %L)', format('%I.%I', n.nspname, c.relname), " name ")"
/* ";\nALTER TABLE ... DISABLE|ENABLE REPLICA|ENABLE ALWAYS <what> <name>"
 * for a trigger's or rule's firing state (c, n: its table, namespace). */
#define ENABLED_STATE(what, col, name)                                      \
  "CASE " col " WHEN 'D' THEN format(E';\\nALTER TABLE %I.%I DISABLE " what " %I', n.nspname, c.relname, " name ")" \
  " WHEN 'R' THEN format(E';\\nALTER TABLE %I.%I ENABLE REPLICA " what " %I', n.nspname, c.relname, " name ")" \
  " WHEN 'A' THEN format(E';\\nALTER TABLE %I.%I ENABLE ALWAYS " what " %I', n.nspname, c.relname, " name ") ELSE '' END"
/* A primary key or unique constraint that a view needs (a GROUP BY on
 * the key lets it select other columns): created before the view, in the
 * schema phase, instead of with the other keys after the data. */
#define VIEW_NEEDS_KEY(k)                                                   \
  "(" k ".contype IN ('p', 'u') AND EXISTS (SELECT 1 FROM pg_depend vd WHERE vd.classid = 'pg_rewrite'::regclass" \
  " AND vd.refclassid = 'pg_constraint'::regclass AND vd.refobjid = " k ".oid))"
/* Pre-data objects, one row each: key (classid/objid), kind, rank (tie
 * breaker for the topological order), schema, display name, DDL, probe
 * (SQL telling whether a non-idempotent DDL already ran), table oid. */
static const char zNodesSql[] =
    /* schemas */
    "SELECT 'pg_namespace'::regclass::oid || '/' || n.oid, 'schema', 0, n.nspname, format('%I', n.nspname),"
    " format('CREATE SCHEMA IF NOT EXISTS %I', n.nspname) || "
    CMT("'SCHEMA'", "format('%I', n.nspname)",
        "(SELECT d.description FROM pg_description d WHERE d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass"
        " AND NOT (n.nspname = 'public' AND d.description = 'standard public schema'))") " || ';',"
    " NULL, 0"
    " FROM pg_namespace n WHERE " USER_NS("n") " AND " NOT_EXT("pg_namespace", "n.oid")
    /* extensions */
    " UNION ALL SELECT 'pg_extension'::regclass::oid || '/' || e.oid, 'extension', 1, n.nspname, format('%I', e.extname),"
    " format('CREATE EXTENSION IF NOT EXISTS %I WITH SCHEMA %I;', e.extname, n.nspname), NULL, 0"
    " FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'"
    /* procedural languages, access methods, foreign data wrappers and
     * servers that no extension created */
    " UNION ALL SELECT 'pg_language'::regclass::oid || '/' || l.oid, 'language', 1, NULL, format('%I', l.lanname),"
    " format('CREATE OR REPLACE %sPROCEDURAL LANGUAGE %I HANDLER %s%s%s', CASE WHEN l.lanpltrusted THEN 'TRUSTED ' ELSE '' END,"
    "  l.lanname, l.lanplcallfoid::regproc, coalesce(' INLINE ' || nullif(l.laninline, 0)::regproc::text, ''),"
    "  coalesce(' VALIDATOR ' || nullif(l.lanvalidator, 0)::regproc::text, '')) || "
    CMT("'LANGUAGE'", "format('%I', l.lanname)", "obj_description(l.oid, 'pg_language')") " || ';', NULL, 0"
    " FROM pg_language l WHERE l.oid >= 16384 AND " NOT_EXT("pg_language", "l.oid")
    " UNION ALL SELECT 'pg_am'::regclass::oid || '/' || a.oid, 'access method', 1, NULL, format('%I', a.amname),"
    " format('CREATE ACCESS METHOD %I TYPE %s HANDLER %s', a.amname, CASE a.amtype WHEN 'i' THEN 'INDEX' ELSE 'TABLE' END,"
    "  a.amhandler::regproc) || " CMT("'ACCESS METHOD'", "format('%I', a.amname)", "obj_description(a.oid, 'pg_am')") " || ';',"
    " " NAME_PROBE("pg_am", "amname", "a.amname") ", 0"
    " FROM pg_am a WHERE a.oid >= 16384 AND " NOT_EXT("pg_am", "a.oid")
    " UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass::oid || '/' || w.oid, 'foreign data wrapper', 1, NULL,"
    " format('%I', w.fdwname), format('CREATE FOREIGN DATA WRAPPER %I%s%s', w.fdwname,"
    "  coalesce(' HANDLER ' || nullif(w.fdwhandler, 0)::regproc::text, ''),"
    "  coalesce(' VALIDATOR ' || nullif(w.fdwvalidator, 0)::regproc::text, '')) || " FDW_OPTIONS("w.fdwoptions") " || "
    CMT("'FOREIGN DATA WRAPPER'", "format('%I', w.fdwname)", "obj_description(w.oid, 'pg_foreign_data_wrapper')") " || ';',"
    " " NAME_PROBE("pg_foreign_data_wrapper", "fdwname", "w.fdwname") ", 0"
    " FROM pg_foreign_data_wrapper w WHERE " NOT_EXT("pg_foreign_data_wrapper", "w.oid")
    " UNION ALL SELECT 'pg_foreign_server'::regclass::oid || '/' || s.oid, 'server', 2, NULL, format('%I', s.srvname),"
    " format('CREATE SERVER %I%s%s FOREIGN DATA WRAPPER %I', s.srvname, coalesce(' TYPE ' || quote_literal(s.srvtype), ''),"
    "  coalesce(' VERSION ' || quote_literal(s.srvversion), ''), w.fdwname) || " FDW_OPTIONS("s.srvoptions") " || "
    CMT("'SERVER'", "format('%I', s.srvname)", "obj_description(s.oid, 'pg_foreign_server')") " || ';',"
    " " NAME_PROBE("pg_foreign_server", "srvname", "s.srvname") ", 0"
    " FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw WHERE " NOT_EXT("pg_foreign_server", "s.oid")
    /* collations */
    " UNION ALL SELECT 'pg_collation'::regclass::oid || '/' || c.oid, 'collation', 1, n.nspname, format('%I.%I', n.nspname, c.collname),"
    " format('CREATE COLLATION %I.%I (%s, deterministic = %s)', n.nspname, c.collname, CASE c.collprovider"
    "  WHEN 'i' THEN format('provider = icu, locale = %L', c.colliculocale)"
    "  ELSE format('provider = libc, lc_collate = %L, lc_ctype = %L', c.collcollate, c.collctype) END, c.collisdeterministic::text) || "
    CMT("'COLLATION'", "format('%I.%I', n.nspname, c.collname)", "obj_description(c.oid, 'pg_collation')") " || ';',"
    " " NS_PROBE("pg_collation", "collname", "collnamespace", "c.collname") ", 0"
    " FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace"
    " WHERE " USER_NS("n") " AND " NOT_EXT("pg_collation", "c.oid")
    /* text search dictionaries and configurations (with their mappings) */
    " UNION ALL SELECT 'pg_ts_dict'::regclass::oid || '/' || d.oid, 'text search dictionary', 2, n.nspname,"
    " format('%I.%I', n.nspname, d.dictname),"
    " format('CREATE TEXT SEARCH DICTIONARY %I.%I (TEMPLATE = %s%s)', n.nspname, d.dictname,"
    "  (SELECT format('%I.%I', tn.nspname, t.tmplname) FROM pg_ts_template t JOIN pg_namespace tn ON tn.oid = t.tmplnamespace"
    "  WHERE t.oid = d.dicttemplate), coalesce(', ' || d.dictinitoption, '')) || "
    CMT("'TEXT SEARCH DICTIONARY'", "format('%I.%I', n.nspname, d.dictname)", "obj_description(d.oid, 'pg_ts_dict')") " || ';',"
    " " NS_PROBE("pg_ts_dict", "dictname", "dictnamespace", "d.dictname") ", 0"
    " FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace"
    " WHERE " USER_NS("n") " AND " NOT_EXT("pg_ts_dict", "d.oid")
    " UNION ALL SELECT 'pg_ts_config'::regclass::oid || '/' || c.oid, 'text search configuration', 2, n.nspname,"
    " format('%I.%I', n.nspname, c.cfgname),"
    " format('CREATE TEXT SEARCH CONFIGURATION %I.%I (PARSER = %s)', n.nspname, c.cfgname,"
    "  (SELECT format('%I.%I', pn.nspname, p.prsname) FROM pg_ts_parser p JOIN pg_namespace pn ON pn.oid = p.prsnamespace"
    "  WHERE p.oid = c.cfgparser))"
    " || coalesce((SELECT string_agg(format(E';\\nALTER TEXT SEARCH CONFIGURATION %I.%I ADD MAPPING FOR %s WITH %s', n.nspname,"
    "  c.cfgname, t.alias, m.dicts), '' ORDER BY t.alias) FROM (SELECT maptokentype, string_agg(mapdict::regdictionary::text, ', '"
    "  ORDER BY mapseqno) AS dicts FROM pg_ts_config_map WHERE mapcfg = c.oid GROUP BY maptokentype) m"
    "  JOIN ts_token_type(c.cfgparser) t ON t.tokid = m.maptokentype), '') || "
    CMT("'TEXT SEARCH CONFIGURATION'", "format('%I.%I', n.nspname, c.cfgname)", "obj_description(c.oid, 'pg_ts_config')") " || ';',"
    " " NS_PROBE("pg_ts_config", "cfgname", "cfgnamespace", "c.cfgname") ", 0"
    " FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace"
    " WHERE " USER_NS("n") " AND " NOT_EXT("pg_ts_config", "c.oid")
    /* text search parsers and templates */
    " UNION ALL SELECT 'pg_ts_parser'::regclass::oid || '/' || p.oid, 'text search parser', 1, n.nspname,"
    " format('%I.%I', n.nspname, p.prsname),"
    " format('CREATE TEXT SEARCH PARSER %I.%I (START = %s, GETTOKEN = %s, END = %s, LEXTYPES = %s%s)', n.nspname, p.prsname,"
    "  p.prsstart::regproc, p.prstoken::regproc, p.prsend::regproc, p.prslextype::regproc,"
    "  coalesce(', HEADLINE = ' || nullif(p.prsheadline, 0)::regproc::text, '')) || "
    CMT("'TEXT SEARCH PARSER'", "format('%I.%I', n.nspname, p.prsname)", "obj_description(p.oid, 'pg_ts_parser')") " || ';',"
    " " NS_PROBE("pg_ts_parser", "prsname", "prsnamespace", "p.prsname") ", 0"
    " FROM pg_ts_parser p JOIN pg_namespace n ON n.oid = p.prsnamespace"
    " WHERE " USER_NS("n") " AND " NOT_EXT("pg_ts_parser", "p.oid")
    " UNION ALL SELECT 'pg_ts_template'::regclass::oid || '/' || t.oid, 'text search template', 1, n.nspname,"
    " format('%I.%I', n.nspname, t.tmplname),"
    " format('CREATE TEXT SEARCH TEMPLATE %I.%I (%sLEXIZE = %s)', n.nspname, t.tmplname,"
    "  coalesce('INIT = ' || nullif(t.tmplinit, 0)::regproc::text || ', ', ''), t.tmpllexize::regproc) || "
    CMT("'TEXT SEARCH TEMPLATE'", "format('%I.%I', n.nspname, t.tmplname)", "obj_description(t.oid, 'pg_ts_template')") " || ';',"
    " " NS_PROBE("pg_ts_template", "tmplname", "tmplnamespace", "t.tmplname") ", 0"
    " FROM pg_ts_template t JOIN pg_namespace n ON n.oid = t.tmplnamespace"
    " WHERE " USER_NS("n") " AND " NOT_EXT("pg_ts_template", "t.oid")
    /* shell types: a base type's, created before its I/O functions (the
     * base type itself comes after them; its key ends in /shell here), or
     * one that was never defined */
    " UNION ALL SELECT 'pg_type'::regclass::oid || '/' || t.oid || CASE WHEN t.typisdefined THEN '/shell' ELSE '' END,"
    " 'shell type', 2, n.nspname, format('%I.%I', n.nspname, t.typname),"
    " format('CREATE TYPE %I.%I', n.nspname, t.typname) || CASE WHEN t.typisdefined THEN '' ELSE "
    TYPE_COMMENT " END || ';',"
    " " TYPE_PROBE ", 0"
    " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
    " WHERE (t.typtype = 'b' OR (t.typtype = 'p' AND NOT t.typisdefined)) AND " USER_NS("n")
    " AND " NOT_EXT("pg_type", "t.oid") " AND " NOT_INTERNAL("pg_type", "t.oid")
    /* range types (the multirange comes with its range) */
    " UNION ALL SELECT 'pg_type'::regclass::oid || '/' || t.oid, 'range', 3, n.nspname, format('%I.%I', n.nspname, t.typname),"
    " format('CREATE TYPE %I.%I AS RANGE (SUBTYPE = %s%s%s%s%s%s)', n.nspname, t.typname, format_type(r.rngsubtype, NULL),"
    "  CASE WHEN NOT oc.opcdefault THEN format(', SUBTYPE_OPCLASS = %I.%I', ocn.nspname, oc.opcname) ELSE '' END,"
    "  CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation THEN ', COLLATION = ' || " QUAL_COLL("r.rngcollation") " ELSE '' END,"
    "  CASE WHEN r.rngcanonical <> 0 THEN ', CANONICAL = ' || r.rngcanonical::regproc::text ELSE '' END,"
    "  CASE WHEN r.rngsubdiff <> 0 THEN ', SUBTYPE_DIFF = ' || r.rngsubdiff::regproc::text ELSE '' END,"
    "  format(', MULTIRANGE_TYPE_NAME = %I.%I', mn.nspname, mt.typname)) || "
    TYPE_COMMENT " || ';',"
    " " TYPE_PROBE ", 0"
    " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_range r ON r.rngtypid = t.oid"
    " JOIN pg_type st ON st.oid = r.rngsubtype JOIN pg_opclass oc ON oc.oid = r.rngsubopc"
    " JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace JOIN pg_type mt ON mt.oid = r.rngmultitypid"
    " JOIN pg_namespace mn ON mn.oid = mt.typnamespace"
    " WHERE t.typtype = 'r' AND " USER_NS("n") " AND " NOT_EXT("pg_type", "t.oid")
    /* enum types */
    " UNION ALL SELECT 'pg_type'::regclass::oid || '/' || t.oid, 'enum', 2, n.nspname, format('%I.%I', n.nspname, t.typname),"
    " format(E'CREATE SCHEMA IF NOT EXISTS %I;\\nCREATE TYPE %I.%I AS ENUM (%s)', n.nspname, n.nspname, t.typname,"
    "  (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)) || "
    TYPE_COMMENT " || ';',"
    " " TYPE_PROBE ", 0"
    " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
    " WHERE t.typtype = 'e' AND " USER_NS("n") " AND " NOT_EXT("pg_type", "t.oid")
    /* domains */
    " UNION ALL SELECT 'pg_type'::regclass::oid || '/' || t.oid, 'domain', 3, n.nspname, format('%I.%I', n.nspname, t.typname),"
    " format('CREATE DOMAIN %I.%I AS %s', n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod))"
    " || CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation THEN ' COLLATE ' || " QUAL_COLL("t.typcollation") " ELSE '' END"
    " || coalesce(' DEFAULT ' || coalesce(pg_get_expr(t.typdefaultbin, 0), t.typdefault), '')"
    " || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END"
    " || coalesce((SELECT string_agg(format(' CONSTRAINT %I %s', k.conname, pg_get_constraintdef(k.oid)), '' ORDER BY k.conname)"
    "   FROM pg_constraint k WHERE k.contypid = t.oid AND k.convalidated), '')"
    /* NOT VALID checks cannot be written in CREATE DOMAIN */
    " || coalesce((SELECT string_agg(format(E';\\nALTER DOMAIN %I.%I ADD CONSTRAINT %I %s', n.nspname, t.typname, k.conname,"
    "   pg_get_constraintdef(k.oid)), '' ORDER BY k.conname) FROM pg_constraint k WHERE k.contypid = t.oid AND NOT k.convalidated), '') || "
    CMT("'DOMAIN'", "format('%I.%I', n.nspname, t.typname)", "obj_description(t.oid, 'pg_type')") " || ';',"
    " " TYPE_PROBE ", 0"
    " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_type bt ON bt.oid = t.typbasetype"
    " WHERE t.typtype = 'd' AND " USER_NS("n") " AND " NOT_EXT("pg_type", "t.oid")
    /* composite types */
    " UNION ALL SELECT 'pg_type'::regclass::oid || '/' || t.oid, 'type', 3, n.nspname, format('%I.%I', n.nspname, t.typname),"
    " format('CREATE TYPE %I.%I AS (%s)', n.nspname, t.typname,"
    "  (SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod))"
    "   || CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation THEN ' COLLATE ' || " QUAL_COLL("a.attcollation") " ELSE '' END,"
    "   ', ' ORDER BY a.attnum) FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid"
    "   WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)) || "
    TYPE_COMMENT " || ';',"
    " " TYPE_PROBE ", 0"
    " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class tc ON tc.oid = t.typrelid"
    " WHERE t.typtype = 'c' AND tc.relkind = 'c' AND " USER_NS("n") " AND " NOT_EXT("pg_type", "t.oid")
    /* sequences other than identity ones (those come with their table) */
    " UNION ALL SELECT 'pg_class'::regclass::oid || '/' || c.oid, 'sequence', 4, n.nspname, format('%I.%I', n.nspname, c.relname),"
    " format('CREATE %sSEQUENCE %I.%I AS %s INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s CACHE %s%s',"
    "  CASE WHEN c.relpersistence = 'u' THEN 'UNLOGGED ' ELSE '' END, n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache,"
    "  CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END) || "
    CMT("'SEQUENCE'", "format('%I.%I', n.nspname, c.relname)", "obj_description(c.oid, 'pg_class')") " || ';',"
    " " REGCLASS_PROBE ","
    /* a serial sequence goes with its table (OWNED BY), as in pg_dump */
    " coalesce((SELECT d.refobjid FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid"
    "  AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' LIMIT 1), 0)"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid"
    " WHERE c.relkind = 'S' AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')"
    /* tables: columns, defaults, identity, generated, not-null, checks.
     * A partition is created PARTITION OF its parent (columns and
     * constraints come from it), an inheritance child INHERITS its parents
     * and lists only its local columns and constraints, as pg_dump does;
     * an inherited column's own default and NOT NULL are set after. */
    " UNION ALL SELECT 'pg_class'::regclass::oid || '/' || c.oid, CASE c.relkind WHEN 'f' THEN 'foreign table' ELSE 'table' END,"
    " 5, n.nspname, format('%I.%I', n.nspname, c.relname),"
    " format('CREATE %sTABLE %I.%I %s%s%s%s%s',"
    "  CASE WHEN c.relpersistence = 'u' THEN 'UNLOGGED ' WHEN c.relkind = 'f' THEN 'FOREIGN ' ELSE '' END, n.nspname, c.relname,"
    "  CASE WHEN c.relispartition THEN 'PARTITION OF ' || (SELECT i.inhparent::regclass::text FROM pg_inherits i"
    "    WHERE i.inhrelid = c.oid) || coalesce(E' (\\n  ' || cols.list || E'\\n)', '') || ' ' || pg_get_expr(c.relpartbound, c.oid)"
    "   ELSE E'(\\n  ' || coalesce(cols.list, '') || E'\\n)' || coalesce(' INHERITS (' || (SELECT string_agg(i.inhparent::regclass::text,"
    "    ', ' ORDER BY i.inhseqno) FROM pg_inherits i WHERE i.inhrelid = c.oid) || ')', '') END,"
    "  CASE WHEN c.relkind = 'p' THEN ' PARTITION BY ' || pg_get_partkeydef(c.oid) ELSE '' END, " REL_USING ","
    "  CASE WHEN c.reloptions IS NOT NULL THEN format(' WITH (%s)', array_to_string(c.reloptions, ', ')) ELSE '' END,"
    "  (SELECT format(' SERVER %I', s.srvname) || " FDW_OPTIONS("ft.ftoptions") " FROM pg_foreign_table ft"
    "   JOIN pg_foreign_server s ON s.oid = ft.ftserver WHERE ft.ftrelid = c.oid))"
    " || coalesce((SELECT string_agg(format(E';\\nALTER TABLE %I.%I ALTER COLUMN %I %s', n.nspname, c.relname, a.attname,"
    "   coalesce('SET DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid), 'DROP DEFAULT'))"
    "   || CASE WHEN a.attnotnull THEN format(E';\\nALTER TABLE %I.%I ALTER COLUMN %I SET NOT NULL', n.nspname, c.relname,"
    "   a.attname) ELSE '' END, '' ORDER BY a.attnum)"
    "  FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
    "  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attinhcount > 0 AND a.attgenerated = ''"
    "  AND a.attidentity = ''), '')"
    /* column storage, compression, statistics target and options where
     * they are not the defaults (or the column is inherited: then as on
     * the source, whatever the parent's) */
    " || coalesce((SELECT string_agg(format(E';\\nALTER TABLE %I.%I ALTER COLUMN %I SET STORAGE %s,%s"
    "   ALTER COLUMN %I SET STATISTICS %s', n.nspname, c.relname, a.attname, CASE a.attstorage WHEN 'p' THEN 'PLAIN'"
    "   WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END, CASE WHEN c.relkind <> 'f' THEN"
    "   format(' ALTER COLUMN %I SET COMPRESSION %s,', a.attname, CASE a.attcompression"
    "   WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' ELSE 'DEFAULT' END) ELSE '' END, a.attname, a.attstattarget)"
    "   || coalesce((SELECT format(', ALTER COLUMN %I SET (%s)', a.attname, string_agg(x, ', ')) FROM unnest(a.attoptions) x"
    "    WHERE x !~ '^pg_' HAVING count(*) > 0), ''), '' ORDER BY a.attnum)"
    "  FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid"
    "  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND (a.attinhcount > 0 OR a.attstorage <> ty.typstorage"
    "  OR a.attcompression <> '' OR a.attstattarget <> -1 OR EXISTS (SELECT 1 FROM unnest(a.attoptions) x WHERE x !~ '^pg_'))), '')"
    " || " REL_COMMENTS " || ';',"
    " " REGCLASS_PROBE ", c.oid"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN LATERAL (SELECT string_agg(col, E',\\n  ' ORDER BY ord) AS list FROM ("
    "   SELECT a.attnum AS ord, format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)) || " FDW_OPTIONS("a.attfdwoptions")
    "   || CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation THEN ' COLLATE ' || " QUAL_COLL("a.attcollation") " ELSE '' END"
    "   || CASE WHEN a.attgenerated = 's' THEN format(' GENERATED ALWAYS AS (%s) STORED', pg_get_expr(ad.adbin, ad.adrelid))"
    "           WHEN ad.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid) ELSE '' END"
    "   || CASE WHEN a.attidentity IN ('a', 'd') THEN"
    "        format(' GENERATED %s AS IDENTITY (SEQUENCE NAME %I.%I INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s CACHE %s%s)',"
    "        CASE a.attidentity WHEN 'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END, sn.nspname, sc.relname, sq.seqincrement,"
    "        sq.seqmin, sq.seqmax, sq.seqstart, sq.seqcache, CASE WHEN sq.seqcycle THEN ' CYCLE' ELSE '' END) ELSE '' END"
    "   || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END AS col"
    "   FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid"
    "   LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
    "   LEFT JOIN (pg_depend sd JOIN pg_class sc ON sc.oid = sd.objid JOIN pg_namespace sn ON sn.oid = sc.relnamespace"
    "     JOIN pg_sequence sq ON sq.seqrelid = sc.oid)"
    "    ON a.attidentity <> '' AND sd.classid = 'pg_class'::regclass AND sd.refclassid = 'pg_class'::regclass"
    "    AND sd.refobjid = a.attrelid AND sd.refobjsubid = a.attnum AND sd.deptype = 'i'"
    "   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND NOT c.relispartition AND a.attislocal"
    "   UNION ALL SELECT 100000 + row_number() OVER (ORDER BY k.conname),"
    "    format('CONSTRAINT %I %s', k.conname, pg_get_constraintdef(k.oid))"
    "   FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'c' AND k.convalidated AND k.conislocal) x) cols ON true"
    " WHERE c.relkind IN ('r', 'p', 'f') AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    /* keys that views need */
    " UNION ALL SELECT 'pg_constraint'::regclass::oid || '/' || k.oid, CASE k.contype WHEN 'p' THEN 'primary key' ELSE 'unique' END,"
    " 5, n.nspname, format('%I on %I.%I', k.conname, n.nspname, c.relname), " ADD_CON " || ';', " CON_PROBE ", c.oid"
    " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE " VIEW_NEEDS_KEY("k") " AND k.conparentid = 0 AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    /* functions and procedures (CREATE OR REPLACE: idempotent) */
    " UNION ALL SELECT 'pg_proc'::regclass::oid || '/' || p.oid, 'function', 6, n.nspname, p.oid::regprocedure::text,"
    " pg_get_functiondef(p.oid) || "
    CMT("CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END", "p.oid::regprocedure::text",
        "obj_description(p.oid, 'pg_proc')") " || ';',"
    " NULL, 0"
    " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE p.prokind IN ('f', 'p') AND " USER_NS("n") " AND " NOT_EXT("pg_proc", "p.oid") " AND " NOT_INTERNAL("pg_proc", "p.oid")
    /* casts between user types, after the functions they call */
    " UNION ALL SELECT 'pg_cast'::regclass::oid || '/' || c.oid, 'cast', 6, NULL,"
    " (pg_identify_object('pg_cast'::regclass, c.oid, 0)).identity,"
    " format('CREATE CAST (%s AS %s) %s%s', format_type(c.castsource, NULL), format_type(c.casttarget, NULL),"
    "  CASE c.castmethod WHEN 'f' THEN 'WITH FUNCTION ' || c.castfunc::regprocedure::text WHEN 'i' THEN 'WITH INOUT'"
    "  ELSE 'WITHOUT FUNCTION' END, CASE c.castcontext WHEN 'a' THEN ' AS ASSIGNMENT' WHEN 'i' THEN ' AS IMPLICIT' ELSE '' END) || "
    CMT("'CAST'", "format('(%s AS %s)', format_type(c.castsource, NULL), format_type(c.casttarget, NULL))",
        "obj_description(c.oid, 'pg_cast')") " || ';',"
    " format('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_cast WHERE castsource = %L::regtype AND casttarget = %L::regtype)',"
    "  format_type(c.castsource, NULL), format_type(c.casttarget, NULL)), 0"
    " FROM pg_cast c WHERE c.oid >= 16384 AND " NOT_EXT("pg_cast", "c.oid") " AND " NOT_INTERNAL("pg_cast", "c.oid")
    /* aggregates, after the functions they call */
    " UNION ALL SELECT 'pg_proc'::regclass::oid || '/' || p.oid, 'aggregate', 6, n.nspname, p.oid::regprocedure::text,"
    " format('CREATE AGGREGATE %I.%I (%s) (SFUNC = %s, STYPE = %s%s%s%s%s%s%s%s%s%s%s%s%s%s)', n.nspname, p.proname,"
    "  CASE WHEN p.pronargs = 0 AND g.aggkind = 'n' THEN '*' ELSE pg_get_function_arguments(p.oid) END,"
    "  g.aggtransfn::regproc, format_type(g.aggtranstype, NULL),"
    "  CASE WHEN g.aggtransspace <> 0 THEN ', SSPACE = ' || g.aggtransspace ELSE '' END,"
    "  CASE WHEN g.aggfinalfn <> 0 THEN ', FINALFUNC = ' || g.aggfinalfn::regproc::text ELSE '' END,"
    "  CASE WHEN g.aggfinalextra THEN ', FINALFUNC_EXTRA' ELSE '' END,"
    "  CASE WHEN g.aggfinalfn <> 0 THEN ', FINALFUNC_MODIFY = ' || CASE g.aggfinalmodify WHEN 'r' THEN 'READ_ONLY'"
    "   WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END ELSE '' END,"
    "  CASE WHEN g.aggcombinefn <> 0 THEN ', COMBINEFUNC = ' || g.aggcombinefn::regproc::text ELSE '' END,"
    "  CASE WHEN g.aggserialfn <> 0 THEN ', SERIALFUNC = ' || g.aggserialfn::regproc::text ELSE '' END,"
    "  CASE WHEN g.aggdeserialfn <> 0 THEN ', DESERIALFUNC = ' || g.aggdeserialfn::regproc::text ELSE '' END,"
    "  CASE WHEN g.agginitval IS NOT NULL THEN ', INITCOND = ' || quote_literal(g.agginitval) ELSE '' END,"
    "  CASE WHEN g.aggmtransfn <> 0 THEN format(', MSFUNC = %s, MINVFUNC = %s, MSTYPE = %s', g.aggmtransfn::regproc,"
    "   g.aggminvtransfn::regproc, format_type(g.aggmtranstype, NULL)) ELSE '' END,"
    "  CASE WHEN g.aggmfinalfn <> 0 THEN ', MFINALFUNC = ' || g.aggmfinalfn::regproc::text ELSE '' END,"
    "  CASE WHEN g.aggminitval IS NOT NULL THEN ', MINITCOND = ' || quote_literal(g.aggminitval) ELSE '' END,"
    "  CASE WHEN g.aggsortop <> 0 THEN ', SORTOP = ' || g.aggsortop::regoperator::text ELSE '' END,"
    "  CASE p.proparallel WHEN 's' THEN ', PARALLEL = SAFE' WHEN 'r' THEN ', PARALLEL = RESTRICTED' ELSE '' END"
    "  || CASE WHEN g.aggkind = 'h' THEN ', HYPOTHETICAL' ELSE '' END) || "
    CMT("'AGGREGATE'", "p.oid::regprocedure::text", "obj_description(p.oid, 'pg_proc')") " || ';',"
    " format('SELECT pg_catalog.to_regprocedure(%L) IS NOT NULL', p.oid::regprocedure::text), 0"
    " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_aggregate g ON g.aggfnoid = p.oid"
    " WHERE p.prokind = 'a' AND " USER_NS("n") " AND " NOT_EXT("pg_proc", "p.oid")
    /* base types, after their I/O functions */
    " UNION ALL SELECT 'pg_type'::regclass::oid || '/' || t.oid, 'base type', 6, n.nspname, format('%I.%I', n.nspname, t.typname),"
    " format('CREATE TYPE %I.%I (INPUT = %s, OUTPUT = %s%s)', n.nspname, t.typname, t.typinput::regproc, t.typoutput::regproc,"
    "  concat(', RECEIVE = ' || nullif(t.typreceive, 0)::regproc::text, ', SEND = ' || nullif(t.typsend, 0)::regproc::text,"
    "  ', TYPMOD_IN = ' || nullif(t.typmodin, 0)::regproc::text, ', TYPMOD_OUT = ' || nullif(t.typmodout, 0)::regproc::text,"
    "  ', ANALYZE = ' || nullif(t.typanalyze, 0)::regproc::text, ', SUBSCRIPT = ' || nullif(t.typsubscript, 0)::regproc::text,"
    "  ', INTERNALLENGTH = ' || CASE WHEN t.typlen < 0 THEN 'VARIABLE' ELSE t.typlen::text END,"
    "  CASE WHEN t.typbyval THEN ', PASSEDBYVALUE' END,"
    "  ', ALIGNMENT = ' || CASE t.typalign WHEN 'c' THEN 'char' WHEN 's' THEN 'int2' WHEN 'i' THEN 'int4' ELSE 'double' END,"
    "  ', STORAGE = ' || CASE t.typstorage WHEN 'p' THEN 'plain' WHEN 'e' THEN 'external' WHEN 'm' THEN 'main' ELSE 'extended' END,"
    "  ', CATEGORY = ' || quote_literal(t.typcategory::text), CASE WHEN t.typispreferred THEN ', PREFERRED = true' END,"
    "  ', DEFAULT = ' || quote_literal(t.typdefault), ', ELEMENT = ' || format_type(nullif(t.typelem, 0), NULL),"
    "  ', DELIMITER = ' || quote_literal(t.typdelim::text), CASE WHEN t.typcollation <> 0 THEN ', COLLATABLE = true' END)) || "
    TYPE_COMMENT " || ';',"
    " format('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_type WHERE oid = pg_catalog.to_regtype(%L) AND typtype = ''b'')',"
    "  format('%I.%I', n.nspname, t.typname)), 0"
    " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
    " WHERE t.typtype = 'b' AND " USER_NS("n") " AND " NOT_EXT("pg_type", "t.oid") " AND " NOT_INTERNAL("pg_type", "t.oid")
    /* operators (one that names a commutator or negator not yet created
     * makes a shell of it, which that one's CREATE fills in) */
    " UNION ALL SELECT 'pg_operator'::regclass::oid || '/' || o.oid, 'operator', 6, n.nspname, o.oid::regoperator::text,"
    " format('CREATE OPERATOR %I.%s (FUNCTION = %s%s)', n.nspname, o.oprname, o.oprcode::regproc, concat("
    "  ', LEFTARG = ' || format_type(nullif(o.oprleft, 0), NULL), ', RIGHTARG = ' || format_type(nullif(o.oprright, 0), NULL),"
    "  (SELECT format(', COMMUTATOR = OPERATOR(%I.%s)', xn.nspname, x.oprname) FROM pg_operator x"
    "   JOIN pg_namespace xn ON xn.oid = x.oprnamespace WHERE x.oid = o.oprcom),"
    "  (SELECT format(', NEGATOR = OPERATOR(%I.%s)', xn.nspname, x.oprname) FROM pg_operator x"
    "   JOIN pg_namespace xn ON xn.oid = x.oprnamespace WHERE x.oid = o.oprnegate),"
    "  ', RESTRICT = ' || nullif(o.oprrest, 0)::regproc::text, ', JOIN = ' || nullif(o.oprjoin, 0)::regproc::text,"
    "  CASE WHEN o.oprcanhash THEN ', HASHES' END, CASE WHEN o.oprcanmerge THEN ', MERGES' END)) || "
    CMT("'OPERATOR'", "o.oid::regoperator::text", "obj_description(o.oid, 'pg_operator')") " || ';',"
    " format('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_operator WHERE oid = pg_catalog.to_regoperator(%L) AND oprcode <> 0)',"
    "  o.oid::regoperator::text), 0"
    " FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace"
    " WHERE o.oprcode <> 0 AND " USER_NS("n") " AND " NOT_EXT("pg_operator", "o.oid")
    /* operator families with their loose members, then classes */
    " UNION ALL SELECT 'pg_opfamily'::regclass::oid || '/' || f.oid, 'operator family', 7, n.nspname,"
    " format('%I.%I USING %I', n.nspname, f.opfname, a.amname),"
    " format('CREATE OPERATOR FAMILY %I.%I USING %I', n.nspname, f.opfname, a.amname)"
    " || coalesce((SELECT format(E';\\nALTER OPERATOR FAMILY %I.%I USING %I ADD %s', n.nspname, f.opfname, a.amname,"
    "  string_agg(m, ', ' ORDER BY k)) FROM (" AM_MEMBERS("pg_opfamily", "f.oid") ") x(k, m) HAVING count(*) > 0), '') || "
    CMT("'OPERATOR FAMILY'", "format('%I.%I USING %I', n.nspname, f.opfname, a.amname)", "obj_description(f.oid, 'pg_opfamily')")
    " || ';', format('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_am a ON a.oid = f.opfmethod"
    "  WHERE f.opfname = %L AND a.amname = %L AND f.opfnamespace = pg_catalog.to_regnamespace(%L))', f.opfname, a.amname,"
    "  quote_ident(n.nspname)), 0"
    " FROM pg_opfamily f JOIN pg_am a ON a.oid = f.opfmethod JOIN pg_namespace n ON n.oid = f.opfnamespace"
    " WHERE " USER_NS("n") " AND " NOT_EXT("pg_opfamily", "f.oid")
    " UNION ALL SELECT 'pg_opclass'::regclass::oid || '/' || c.oid, 'operator class', 8, n.nspname,"
    " format('%I.%I USING %I', n.nspname, c.opcname, a.amname),"
    " format('CREATE OPERATOR CLASS %I.%I %sFOR TYPE %s USING %I FAMILY %I.%I AS %s', n.nspname, c.opcname,"
    "  CASE WHEN c.opcdefault THEN 'DEFAULT ' ELSE '' END, format_type(c.opcintype, NULL), a.amname, fn.nspname, f.opfname,"
    "  coalesce(nullif(concat_ws(', ', (SELECT string_agg(m, ', ' ORDER BY k) FROM (" AM_MEMBERS("pg_opclass", "c.oid") ") x(k, m)),"
    "  'STORAGE ' || format_type(nullif(c.opckeytype, 0), NULL)), ''), 'STORAGE ' || format_type(c.opcintype, NULL))) || "
    CMT("'OPERATOR CLASS'", "format('%I.%I USING %I', n.nspname, c.opcname, a.amname)", "obj_description(c.oid, 'pg_opclass')")
    " || ';', format('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_am a ON a.oid = c.opcmethod"
    "  WHERE c.opcname = %L AND a.amname = %L AND c.opcnamespace = pg_catalog.to_regnamespace(%L))', c.opcname, a.amname,"
    "  quote_ident(n.nspname)), 0"
    " FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod JOIN pg_opfamily f ON f.oid = c.opcfamily"
    " JOIN pg_namespace fn ON fn.oid = f.opfnamespace JOIN pg_namespace n ON n.oid = c.opcnamespace"
    " WHERE " USER_NS("n") " AND " NOT_EXT("pg_opclass", "c.oid")
    /* transforms */
    " UNION ALL SELECT 'pg_transform'::regclass::oid || '/' || t.oid, 'transform', 7, NULL,"
    " (pg_identify_object('pg_transform'::regclass, t.oid, 0)).identity,"
    " format('CREATE TRANSFORM FOR %s LANGUAGE %I (%s)', format_type(t.trftype, NULL), l.lanname,"
    "  concat_ws(', ', 'FROM SQL WITH FUNCTION ' || nullif(t.trffromsql, 0)::regprocedure::text,"
    "  'TO SQL WITH FUNCTION ' || nullif(t.trftosql, 0)::regprocedure::text)) || "
    CMT("'TRANSFORM'", "format('FOR %s LANGUAGE %I', format_type(t.trftype, NULL), l.lanname)",
        "obj_description(t.oid, 'pg_transform')") " || ';',"
    " format('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_transform WHERE trftype = %L::pg_catalog.regtype AND trflang ="
    "  (SELECT oid FROM pg_catalog.pg_language WHERE lanname = %L))', format_type(t.trftype, NULL), l.lanname), 0"
    " FROM pg_transform t JOIN pg_language l ON l.oid = t.trflang WHERE " NOT_EXT("pg_transform", "t.oid")
    /* views (CREATE OR REPLACE) and materialized views (filled in post-data) */
    " UNION ALL SELECT 'pg_class'::regclass::oid || '/' || c.oid, CASE c.relkind WHEN 'v' THEN 'view' ELSE 'matview' END, 7,"
    " n.nspname, format('%I.%I', n.nspname, c.relname),"
    " format(CASE c.relkind WHEN 'v' THEN E'CREATE OR REPLACE VIEW %I.%I%s%s AS\\n%s' ELSE E'CREATE MATERIALIZED VIEW %I.%I%s%s AS\\n%s WITH NO DATA' END,"
    "  n.nspname, c.relname, CASE WHEN c.relkind = 'm' THEN " REL_USING " ELSE '' END,"
    "  CASE WHEN c.reloptions IS NOT NULL THEN format(' WITH (%s)', array_to_string(c.reloptions, ', ')) ELSE '' END,"
    "  rtrim(rtrim(pg_get_viewdef(c.oid)), ';')) || " REL_COMMENTS " || ';',"
    " CASE c.relkind WHEN 'm' THEN " REGCLASS_PROBE " END, 0"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('v', 'm') AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    " ORDER BY 3, 4, 5";

/* Dependencies between pre-data objects: rows (dependent key, referenced
 * key).  Sub-objects map to the object that creates them: a column
 * default, a check constraint or a rowtype to its table, a view's rule to
 * the view, an array type to its element type, an extension's members to
 * the extension.  A serial sequence's "owned by" link is left out: the
 * sequence must exist before the table whose default calls it. */
#define SELF_NODE(cat) "  UNION ALL SELECT '" cat "'::regclass, x.oid, '" cat "'::regclass::oid || '/' || x.oid FROM " cat " x"
static const char zEdgesSql[] =
    "WITH RECURSIVE m0(c, o, node) AS ("
    "  SELECT 'pg_class'::regclass, c.oid, 'pg_class'::regclass::oid || '/' || c.oid FROM pg_class c"
    "   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
    "  UNION ALL SELECT 'pg_class'::regclass, c.oid, 'pg_type'::regclass::oid || '/' || c.reltype FROM pg_class c WHERE c.relkind = 'c'"
    "  UNION ALL SELECT 'pg_type'::regclass, t.oid, CASE WHEN t.typrelid <> 0 AND tc.relkind <> 'c'"
    "   THEN 'pg_class'::regclass::oid || '/' || t.typrelid ELSE 'pg_type'::regclass::oid || '/' || t.oid END"
    "   FROM pg_type t LEFT JOIN pg_class tc ON tc.oid = t.typrelid WHERE t.typtype IN ('e', 'd', 'c', 'r', 'b', 'm', 'p')"
    "  UNION ALL SELECT 'pg_attrdef'::regclass, ad.oid, 'pg_class'::regclass::oid || '/' || ad.adrelid FROM pg_attrdef ad"
    "  UNION ALL SELECT 'pg_constraint'::regclass, k.oid, CASE WHEN k.contypid <> 0"
    "   THEN 'pg_type'::regclass::oid || '/' || k.contypid ELSE 'pg_class'::regclass::oid || '/' || k.conrelid END"
    "   FROM pg_constraint k WHERE k.contype = 'c'"
    "  UNION ALL SELECT 'pg_constraint'::regclass, k.oid, 'pg_constraint'::regclass::oid || '/' || k.oid"
    "   FROM pg_constraint k WHERE " VIEW_NEEDS_KEY("k")
    "  UNION ALL SELECT 'pg_rewrite'::regclass, r.oid, 'pg_class'::regclass::oid || '/' || r.ev_class FROM pg_rewrite r"
    SELF_NODE("pg_proc") SELF_NODE("pg_namespace") SELF_NODE("pg_extension") SELF_NODE("pg_collation") SELF_NODE("pg_cast")
    SELF_NODE("pg_ts_dict") SELF_NODE("pg_ts_config") SELF_NODE("pg_ts_parser") SELF_NODE("pg_ts_template")
    SELF_NODE("pg_language") SELF_NODE("pg_am") SELF_NODE("pg_foreign_data_wrapper") SELF_NODE("pg_foreign_server")
    SELF_NODE("pg_operator") SELF_NODE("pg_opfamily") SELF_NODE("pg_opclass") SELF_NODE("pg_transform")
    /* an operator class's or family's members: to the class or family */
    "  UNION ALL SELECT d.classid, d.objid, d.refclassid::oid || '/' || d.refobjid FROM pg_depend d"
    "   WHERE d.classid IN ('pg_amop'::regclass, 'pg_amproc'::regclass)"
    "   AND d.refclassid IN ('pg_opclass'::regclass, 'pg_opfamily'::regclass)"
    "), m1(c, o, node) AS ("
    "  SELECT m0.c, m0.o, coalesce((SELECT 'pg_extension'::regclass::oid || '/' || x.refobjid FROM pg_depend x"
    "   WHERE x.classid = m0.c AND x.objid = m0.o AND x.deptype = 'e' LIMIT 1), m0.node) FROM m0"
    "), m(c, o, node) AS ("
    "  SELECT c, o, node FROM m1"
    "  UNION ALL SELECT 'pg_type'::regclass, at.oid, m1.node FROM m1 JOIN pg_type et ON m1.c = 'pg_type'::regclass AND et.oid = m1.o"
    "   JOIN pg_type at ON at.oid = et.typarray"
    ")"
    /* a base type's I/O functions need only its shell, which the type
     * itself follows: the cycle broken as pg_dump breaks it */
    " SELECT DISTINCT a.node, CASE WHEN d.classid = 'pg_proc'::regclass AND b.node = 'pg_type'::regclass::oid || '/' || d.refobjid"
    "  AND EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = d.refobjid AND t.typtype = 'b' AND d.objid IN (t.typinput, t.typoutput,"
    "  t.typreceive, t.typsend, t.typmodin, t.typmodout, t.typanalyze, t.typsubscript)) THEN b.node || '/shell' ELSE b.node END"
    " FROM pg_depend d"
    " JOIN m a ON a.c = d.classid AND a.o = d.objid"
    " JOIN m b ON b.c = d.refclassid AND b.o = d.refobjid"
    " WHERE d.deptype IN ('n', 'a') AND a.node <> b.node"
    " AND NOT (d.deptype = 'a' AND d.classid = 'pg_class'::regclass"
    "  AND EXISTS (SELECT 1 FROM pg_class s WHERE s.oid = d.objid AND s.relkind = 'S'))"
    " UNION SELECT 'pg_type'::regclass::oid || '/' || t.oid, 'pg_type'::regclass::oid || '/' || t.oid || '/shell'"
    " FROM pg_type t WHERE t.typtype = 'b'";

/* Every object that has an owner and maybe privileges, one row each:
 * catalog, oid, the keyword of its ALTER ... OWNER TO, the keyword of its
 * GRANT (NULL: it has none), its quoted name as those statements take it,
 * owner, ACL, its table (for exclusions) and whether it is linked to a
 * column (a serial sequence follows its table's owner).  The owner and
 * privileges items and the roles preflight both read this list. */
#define OWNED_OBJECTS \
    "SELECT 'pg_class'::regclass AS cls, c.oid, CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'" \
    "   WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kw," \
    "   CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS gkw, format('%I.%I', n.nspname, c.relname) AS ident," \
    "   c.relowner AS owner, c.relacl AS acl, c.oid AS relid, c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid =" \
    "   'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a') AS linked" \
    "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')" \
    "  AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid") \
    "  AND (c.relkind <> 'S' OR NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid" \
    "  AND d.deptype = 'i'))" \
    "  UNION ALL SELECT 'pg_proc'::regclass, p.oid, CASE p.prokind WHEN 'a' THEN 'AGGREGATE' ELSE 'ROUTINE' END," \
    "   CASE p.prokind WHEN 'a' THEN 'FUNCTION' ELSE 'ROUTINE' END, p.oid::regprocedure::text, p.proowner, p.proacl, 0, false" \
    "  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.prokind IN ('f', 'p', 'a')" \
    "  AND " NOT_INTERNAL("pg_proc", "p.oid") \
    "  AND " USER_NS("n") " AND " NOT_EXT("pg_proc", "p.oid") \
    /* types of every kind but arrays and multiranges (they come with
     * theirs); a shell type has no privileges */ \
    "  UNION ALL SELECT 'pg_type'::regclass, t.oid, CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END," \
    "   CASE t.typtype WHEN 'd' THEN 'DOMAIN' WHEN 'p' THEN NULL ELSE 'TYPE' END, format('%I.%I', n.nspname, t.typname)," \
    "   t.typowner, t.typacl, 0, false" \
    "  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace LEFT JOIN pg_class tc ON tc.oid = t.typrelid" \
    "  WHERE (t.typtype IN ('e', 'd', 'c', 'r', 'b') OR (t.typtype = 'p' AND NOT t.typisdefined))" \
    "  AND (t.typrelid = 0 OR tc.relkind = 'c') AND " USER_NS("n") " AND " NOT_EXT("pg_type", "t.oid") \
    "  AND (t.typtype <> 'b' OR " NOT_INTERNAL("pg_type", "t.oid") ")" \
    "  UNION ALL SELECT 'pg_publication'::regclass, p.oid, 'PUBLICATION', NULL, format('%I', p.pubname), p.pubowner, NULL, 0, false" \
    "  FROM pg_publication p" \
    "  UNION ALL SELECT 'pg_collation'::regclass, c.oid, 'COLLATION', NULL, format('%I.%I', n.nspname, c.collname), c.collowner," \
    "   NULL, 0, false FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace WHERE " USER_NS("n") \
    "  AND " NOT_EXT("pg_collation", "c.oid") \
    "  UNION ALL SELECT 'pg_ts_dict'::regclass, d.oid, 'TEXT SEARCH DICTIONARY', NULL, format('%I.%I', n.nspname, d.dictname)," \
    "   d.dictowner, NULL, 0, false FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace WHERE " USER_NS("n") \
    "  AND " NOT_EXT("pg_ts_dict", "d.oid") \
    "  UNION ALL SELECT 'pg_ts_config'::regclass, c.oid, 'TEXT SEARCH CONFIGURATION', NULL, format('%I.%I', n.nspname, c.cfgname)," \
    "   c.cfgowner, NULL, 0, false FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace WHERE " USER_NS("n") \
    "  AND " NOT_EXT("pg_ts_config", "c.oid") \
    "  UNION ALL SELECT 'pg_operator'::regclass, o.oid, 'OPERATOR', NULL, o.oid::regoperator::text, o.oprowner, NULL, 0, false" \
    "  FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE " USER_NS("n") " AND " NOT_EXT("pg_operator", "o.oid") \
    "  UNION ALL SELECT 'pg_opfamily'::regclass, f.oid, 'OPERATOR FAMILY', NULL, format('%I.%I USING %I', n.nspname, f.opfname," \
    "   a.amname), f.opfowner, NULL, 0, false FROM pg_opfamily f JOIN pg_am a ON a.oid = f.opfmethod" \
    "  JOIN pg_namespace n ON n.oid = f.opfnamespace WHERE " USER_NS("n") " AND " NOT_EXT("pg_opfamily", "f.oid") \
    "  UNION ALL SELECT 'pg_opclass'::regclass, c.oid, 'OPERATOR CLASS', NULL, format('%I.%I USING %I', n.nspname, c.opcname," \
    "   a.amname), c.opcowner, NULL, 0, false FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod" \
    "  JOIN pg_namespace n ON n.oid = c.opcnamespace WHERE " USER_NS("n") " AND " NOT_EXT("pg_opclass", "c.oid") \
    "  UNION ALL SELECT 'pg_language'::regclass, l.oid, 'LANGUAGE', 'LANGUAGE', format('%I', l.lanname), l.lanowner, l.lanacl, 0, false" \
    "  FROM pg_language l WHERE l.oid >= 16384 AND " NOT_EXT("pg_language", "l.oid") \
    "  UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass, w.oid, 'FOREIGN DATA WRAPPER', 'FOREIGN DATA WRAPPER'," \
    "   format('%I', w.fdwname), w.fdwowner, w.fdwacl, 0, false FROM pg_foreign_data_wrapper w" \
    "  WHERE " NOT_EXT("pg_foreign_data_wrapper", "w.oid") \
    "  UNION ALL SELECT 'pg_foreign_server'::regclass, s.oid, 'SERVER', 'FOREIGN SERVER', format('%I', s.srvname), s.srvowner," \
    "   s.srvacl, 0, false FROM pg_foreign_server s WHERE " NOT_EXT("pg_foreign_server", "s.oid") \
    "  UNION ALL SELECT 'pg_namespace'::regclass, n.oid, 'SCHEMA', 'SCHEMA', format('%I', n.nspname), n.nspowner, n.nspacl, 0, false" \
    "  FROM pg_namespace n WHERE " USER_NS("n") " AND " NOT_EXT("pg_namespace", "n.oid")

/* The statements that give object o (a row of OWNED_OBJECTS) its owner
 * (unless $1, --no-owner, or it follows its table) and its privileges
 * (unless $2, --no-privileges): the ACL replaces the built-in one.  $3:
 * ", role, ..." for the roles that the target's own default privileges
 * grant to when the cloning role creates an object, or ''; then objects
 * with the built-in ACL on the source get it explicitly on the target. */
#define OWNER_GRANTS \
    " CASE WHEN $1::bool OR o.linked OR (o.cls = 'pg_class'::regclass" \
    "  AND " ROLE_NAME("o.owner") " = current_setting('clonebox.target_role', true))" \
    "  THEN '' ELSE format('ALTER %s %s OWNER TO %I;', o.kw, o.ident, " ROLE_NAME("o.owner") ") END" \
    /* with --no-owner, what the source's owner holds goes to the new owner */ \
    " || CASE WHEN $2::bool OR o.gkw IS NULL OR (o.acl IS NULL AND $3 = '') THEN ''" \
    "  ELSE format('REVOKE ALL ON %s %s FROM PUBLIC%s; REVOKE ALL ON %s %s FROM %s;'," \
    "  o.gkw, o.ident, $3, o.gkw, o.ident, CASE WHEN $1::bool THEN 'CURRENT_USER' ELSE quote_ident(" ROLE_NAME("o.owner") ") END)" \
    "  || (SELECT string_agg(format('GRANT %s ON %s %s TO %s%s;', x.privilege_type, o.gkw, o.ident," \
    "  CASE WHEN x.grantee = 0 THEN 'PUBLIC' WHEN $1::bool AND x.grantee = o.owner THEN 'CURRENT_USER'" \
    "  ELSE quote_ident(" ROLE_NAME("x.grantee") ") END," \
    "  CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END), ' ' ORDER BY x.grantee, x.privilege_type)" \
    "  FROM aclexplode(coalesce(o.acl, acldefault(CASE o.cls WHEN 'pg_class'::regclass THEN CASE o.gkw WHEN 'SEQUENCE' THEN 's'" \
    "  ELSE 'r' END WHEN 'pg_proc'::regclass THEN 'f' WHEN 'pg_type'::regclass THEN 'T' WHEN 'pg_namespace'::regclass THEN 'n'" \
    "  WHEN 'pg_language'::regclass THEN 'l' WHEN 'pg_foreign_data_wrapper'::regclass THEN 'F'" \
    "  WHEN 'pg_foreign_server'::regclass THEN 'S' ELSE 'L' END::\"char\", o.owner))) x) END"

/* Post-data objects, in the order they must be created: keys before the
 * indexes and foreign keys that need them, triggers and row security last
 * so that none of them fires or filters while data loads, sequence values
 * read at run time.  Columns: kind, rank, display name, DDL, probe, table
 * oid, referenced table oid. */
static const char zPostSql[] =
    "SELECT kind, rank, name, ddl, probe, relid, refrelid FROM ("
    /* primary keys, unique and exclusion constraints (rank 10); a key
     * attached USING INDEX is first built as a unique index, with the
     * other indexes (rank 11) */
    " SELECT CASE WHEN x.attach THEN 'key index' WHEN k.contype = 'p' THEN 'primary key'"
    "  WHEN k.contype = 'u' THEN 'unique' ELSE 'exclusion' END AS kind, CASE WHEN x.attach THEN 11 ELSE 10 END AS rank,"
    " format('%I on %I.%I', k.conname, n.nspname, c.relname) AS name,"
    " CASE WHEN x.attach THEN pg_get_indexdef(k.conindid) ELSE " ADD_CON " END || "
    CMT("'INDEX'", "format('%I.%I', n.nspname, k.conname)", "obj_description(k.conindid, 'pg_class')") " || ';' AS ddl,"
    " CASE WHEN x.attach THEN format('SELECT pg_catalog.to_regclass(%L) IS NOT NULL', format('%I.%I', n.nspname,"
    "  k.conname)) ELSE " CON_PROBE " END AS probe, c.oid AS relid, 0::oid AS refrelid"
    " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace,"
    " LATERAL (SELECT " KEY_BY_INDEX " AS attach) x"
    " WHERE k.contype IN ('p', 'u', 'x') AND k.conparentid = 0 AND NOT " VIEW_NEEDS_KEY("k")
    " AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    /* ... then attached to its constraint (rank 12: a catalog change) */
    " UNION ALL SELECT CASE k.contype WHEN 'p' THEN 'primary key' ELSE 'unique' END, 12,"
    " format('%I on %I.%I', k.conname, n.nspname, c.relname),"
    " format('ALTER TABLE ONLY %I.%I ADD CONSTRAINT %I %s USING INDEX %I', n.nspname, c.relname, k.conname,"
    "  CASE k.contype WHEN 'p' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END, k.conname)"
    " || CASE WHEN k.condeferrable THEN ' DEFERRABLE' ELSE '' END || CASE WHEN k.condeferred THEN ' INITIALLY DEFERRED' ELSE '' END || "
    CMT("'CONSTRAINT'", "format('%I ON %I.%I', k.conname, n.nspname, c.relname)", "obj_description(k.oid, 'pg_constraint')")
    " || ';', " CON_PROBE ", c.oid, 0"
    " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE k.contype IN ('p', 'u') AND k.conparentid = 0 AND NOT " VIEW_NEEDS_KEY("k") " AND " KEY_BY_INDEX
    " AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    /* other indexes (an index of a partition comes with its parent's) */
    " UNION ALL SELECT 'index', 11, format('%I.%I', n.nspname, ic.relname),"
    " replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ') || "
    CMT("'INDEX'", "format('%I.%I', n.nspname, ic.relname)", "obj_description(ic.oid, 'pg_class')") " || ';',"
    " format('SELECT pg_catalog.to_regclass(%L) IS NOT NULL', format('%I.%I', n.nspname, ic.relname)), c.oid, 0"
    " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid"
    " JOIN pg_namespace n ON n.oid = ic.relnamespace"
    " WHERE c.relkind IN ('r', 'p', 'm') AND NOT ic.relispartition AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid"
    "  AND k.contype IN ('p', 'u', 'x'))"
    /* check constraints not yet validated on the source */
    " UNION ALL SELECT 'check', 13, format('%I on %I.%I', k.conname, n.nspname, c.relname), " ADD_CON " || ';',"
    " " CON_PROBE ", c.oid, 0"
    " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE k.contype = 'c' AND NOT k.convalidated AND k.conislocal AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    /* an inherited check that a child has validated while its parent's
     * is NOT VALID (the child was created after the parent's check) */
    " UNION ALL SELECT 'validate check', 14, format('%I on %I.%I', k.conname, n.nspname, c.relname),"
    " format('ALTER TABLE %I.%I VALIDATE CONSTRAINT %I;', n.nspname, c.relname, k.conname), NULL, c.oid, 0"
    " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE k.contype = 'c' AND k.convalidated AND NOT k.conislocal AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    " AND EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_constraint pk ON pk.conrelid = i.inhparent AND pk.conname = k.conname"
    "  WHERE i.inhrelid = c.oid AND pk.contype = 'c' AND NOT pk.convalidated)"
    /* foreign keys */
    " UNION ALL SELECT 'foreign key', 14, format('%I on %I.%I', k.conname, n.nspname, c.relname), " ADD_CON " || ';',"
    " " CON_PROBE ", c.oid, k.confrelid"
    " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE k.contype = 'f' AND k.conparentid = 0 AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    /* triggers, with their enabled state */
    " UNION ALL SELECT 'trigger', 15, format('%I on %I.%I', t.tgname, n.nspname, c.relname),"
    " pg_get_triggerdef(t.oid)"
    " || " ENABLED_STATE("TRIGGER", "t.tgenabled", "t.tgname") " || "
    CMT("'TRIGGER'", "format('%I ON %I.%I', t.tgname, n.nspname, c.relname)", "obj_description(t.oid, 'pg_trigger')") " || ';',"
    " " ON_TABLE_PROBE("pg_trigger", "tgrelid", "tgname", "t.tgname") ", c.oid, 0"
    " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    /* replica identity and CLUSTER ON, once the indexes exist (idempotent) */
    " UNION ALL SELECT 'table settings', 13, format('%I.%I', n.nspname, c.relname),"
    " concat_ws(E'\\n', CASE WHEN c.relkind IN ('r', 'p') AND c.relreplident <> 'd' THEN format('ALTER TABLE %I.%I REPLICA IDENTITY %s;', n.nspname, c.relname,"
    "  CASE c.relreplident WHEN 'f' THEN 'FULL' WHEN 'n' THEN 'NOTHING' ELSE (SELECT format('USING INDEX %I', ic.relname)"
    "  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisreplident) END) END,"
    "  (SELECT format('ALTER TABLE %I.%I CLUSTER ON %I;', n.nspname, c.relname, ic.relname) FROM pg_index i"
    "  JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisclustered)), NULL, c.oid, 0"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE ((c.relkind IN ('r', 'p') AND c.relreplident <> 'd')"
    "  OR EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisclustered))"
    " AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    /* extended statistics */
    " UNION ALL SELECT 'statistics', 13, format('%I.%I', n.nspname, s.stxname),"
    " pg_get_statisticsobjdef(s.oid) || CASE WHEN s.stxstattarget <> -1 THEN format(E';\\nALTER STATISTICS %I.%I SET STATISTICS %s',"
    "  n.nspname, s.stxname, s.stxstattarget) ELSE '' END || "
    CMT("'STATISTICS'", "format('%I.%I', n.nspname, s.stxname)", "obj_description(s.oid, 'pg_statistic_ext')") " || ';',"
    " " NS_PROBE("pg_statistic_ext", "stxname", "stxnamespace", "s.stxname") ", s.stxrelid, 0"
    " FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace"
    " WHERE " USER_NS("n") " AND " NOT_EXT("pg_statistic_ext", "s.oid")
    /* rules (not a view's own _RETURN rule), with their enabled state */
    " UNION ALL SELECT 'rule', 16, format('%I on %I.%I', r.rulename, n.nspname, c.relname),"
    " rtrim(pg_get_ruledef(r.oid), ';')"
    " || " ENABLED_STATE("RULE", "r.ev_enabled", "r.rulename") " || "
    CMT("'RULE'", "format('%I ON %I.%I', r.rulename, n.nspname, c.relname)", "obj_description(r.oid, 'pg_rewrite')") " || ';',"
    " " ON_TABLE_PROBE("pg_rewrite", "ev_class", "rulename", "r.rulename") ", c.oid, 0"
    " FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE r.rulename <> '_RETURN' AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    /* publications (harmless on a target: nothing replicates until someone
     * subscribes), then each member table (left out with its table) and
     * schema */
    " UNION ALL SELECT 'publication', 18, format('%I', p.pubname),"
    " format('CREATE PUBLICATION %I%s WITH (publish = %L, publish_via_partition_root = %s)', p.pubname,"
    "  CASE WHEN p.puballtables THEN ' FOR ALL TABLES' ELSE '' END,"
    "  concat_ws(', ', CASE WHEN p.pubinsert THEN 'insert' END, CASE WHEN p.pubupdate THEN 'update' END,"
    "  CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END), p.pubviaroot::text) || "
    CMT("'PUBLICATION'", "format('%I', p.pubname)", "obj_description(p.oid, 'pg_publication')") " || ';',"
    " " NAME_PROBE("pg_publication", "pubname", "p.pubname") ", 0, 0"
    " FROM pg_publication p"
    " UNION ALL SELECT 'publication table', 19, format('%I.%I in %I', n.nspname, c.relname, p.pubname),"
    " format('ALTER PUBLICATION %I ADD TABLE ONLY %I.%I%s%s;', p.pubname, n.nspname, c.relname,"
    "  (SELECT ' (' || string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) || ')' FROM unnest(r.prattrs::int2[])"
    "   WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum),"
    "  coalesce(' WHERE (' || pg_get_expr(r.prqual, r.prrelid) || ')', '')),"
    " format('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel r JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid"
    "  WHERE p.pubname = %L AND r.prrelid = pg_catalog.to_regclass(%L))', p.pubname, format('%I.%I', n.nspname, c.relname)),"
    " c.oid, 0"
    " FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid JOIN pg_class c ON c.oid = r.prrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " UNION ALL SELECT 'publication schema', 19, format('%I in %I', n.nspname, p.pubname),"
    " format('ALTER PUBLICATION %I ADD TABLES IN SCHEMA %I;', p.pubname, n.nspname),"
    " format('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication_namespace s JOIN pg_catalog.pg_publication p"
    "  ON p.oid = s.pnpubid WHERE p.pubname = %L AND s.pnnspid = pg_catalog.to_regnamespace(%L))', p.pubname,"
    "  quote_ident(n.nspname)), 0, 0"
    " FROM pg_publication_namespace s JOIN pg_publication p ON p.oid = s.pnpubid JOIN pg_namespace n ON n.oid = s.pnnspid"
    /* default privileges: for the whole database, the complete list
     * replaces the built-in default (revoke, then grant); in one schema,
     * grants are added */
    " UNION ALL SELECT 'default privileges', 101, pg_describe_object('pg_default_acl'::regclass, d.oid, 0),"
    " CASE WHEN $2::bool THEN '' ELSE"
    /* with --no-owner the target role creates everything: its defaults */
    "  CASE WHEN d.defaclnamespace = 0 THEN format('ALTER DEFAULT PRIVILEGES FOR ROLE %s REVOKE ALL ON %s FROM PUBLIC;"
    "   ALTER DEFAULT PRIVILEGES FOR ROLE %s REVOKE ALL ON %s FROM %s; ', o.who, o.objs, o.who, o.objs, o.who) ELSE '' END"
    "  || (SELECT string_agg(format('ALTER DEFAULT PRIVILEGES FOR ROLE %s%s GRANT %s ON %s TO %s%s;',"
    "   o.who, CASE WHEN d.defaclnamespace <> 0 THEN format(' IN SCHEMA %I', n.nspname) ELSE '' END,"
    "   x.privilege_type, o.objs, CASE WHEN x.grantee = 0 THEN 'PUBLIC' WHEN $1::bool AND x.grantee = d.defaclrole"
    "   THEN 'CURRENT_USER' ELSE quote_ident(" ROLE_NAME("x.grantee") ") END,"
    "   CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END), ' ' ORDER BY x.grantee, x.privilege_type)"
    "   FROM aclexplode(d.defaclacl) x) END, NULL, 0, 0"
    " FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace"
    " CROSS JOIN LATERAL (SELECT CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS'"
    "  WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END AS objs,"
    "  CASE WHEN $1::bool THEN 'CURRENT_USER' ELSE quote_ident(" ROLE_NAME("d.defaclrole") ") END AS who) o"
    " WHERE d.defaclnamespace = 0 OR " USER_NS("n")
    /* event triggers, last of all so that none fires while clonebox
     * builds the target; with their enabled state */
    " UNION ALL SELECT 'event trigger', 102, format('%I', e.evtname),"
    " format('CREATE EVENT TRIGGER %I ON %I%s EXECUTE FUNCTION %s', e.evtname, e.evtevent,"
    "  CASE WHEN e.evttags IS NOT NULL THEN ' WHEN TAG IN (' || (SELECT string_agg(quote_literal(t), ', ')"
    "  FROM unnest(e.evttags) t) || ')' ELSE '' END, e.evtfoid::regprocedure::text)"
    " || CASE e.evtenabled WHEN 'D' THEN format(E';\\nALTER EVENT TRIGGER %I DISABLE', e.evtname)"
    "    WHEN 'R' THEN format(E';\\nALTER EVENT TRIGGER %I ENABLE REPLICA', e.evtname)"
    "    WHEN 'A' THEN format(E';\\nALTER EVENT TRIGGER %I ENABLE ALWAYS', e.evtname) ELSE '' END || "
    CMT("'EVENT TRIGGER'", "format('%I', e.evtname)", "obj_description(e.oid, 'pg_event_trigger')") " || ';',"
    " " NAME_PROBE("pg_event_trigger", "evtname", "e.evtname") ", 0, 0"
    " FROM pg_event_trigger e WHERE " NOT_EXT("pg_event_trigger", "e.oid")
    /* user mappings: their options may hold a password, so the statement
     * is made on the source when the item runs and never stored; the DDL
     * column holds the query that makes it (run_ddl_from_source) */
    " UNION ALL SELECT 'user mapping', 18, format('%s on server %s', CASE WHEN u.umuser = 0 THEN 'public'"
    "  ELSE quote_ident(" ROLE_NAME("u.umuser") ") END, quote_ident(u.srvname)),"
    " $q$SELECT format('CREATE USER MAPPING FOR %s SERVER %I', CASE WHEN umuser = 0 THEN 'PUBLIC' ELSE quote_ident("
    ROLE_NAME("umuser") ") END, srvname) || " FDW_OPTIONS("umoptions") " || ';'"
    " FROM pg_catalog.pg_user_mappings WHERE umid = $q$ || u.umid,"
    " format('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_user_mappings WHERE srvname = %L AND usename = %L)', u.srvname,"
    "  CASE WHEN u.umuser = 0 THEN 'public' ELSE " ROLE_NAME("u.umuser") " END), 0, 0"
    " FROM pg_user_mappings u WHERE " NOT_EXT("pg_foreign_server", "u.srvid")
    /* row level security switches (idempotent) */
    " UNION ALL SELECT 'row security', 16, format('%I.%I', n.nspname, c.relname),"
    " format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', n.nspname, c.relname)"
    " || CASE WHEN c.relforcerowsecurity THEN format(E';\\nALTER TABLE %I.%I FORCE ROW LEVEL SECURITY', n.nspname, c.relname) ELSE '' END"
    " || ';', NULL, c.oid, 0"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relrowsecurity AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    /* policies */
    " UNION ALL SELECT 'policy', 17, format('%I on %I.%I', p.polname, n.nspname, c.relname),"
    " format('CREATE POLICY %I ON %I.%I AS %s FOR %s TO %s%s%s', p.polname, n.nspname, c.relname,"
    "  CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,"
    "  CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,"
    "  (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(" ROLE_NAME("r") ") END, ', ') FROM unnest(p.polroles) r),"
    "  CASE WHEN p.polqual IS NOT NULL THEN format(' USING (%s)', pg_get_expr(p.polqual, p.polrelid)) ELSE '' END,"
    "  CASE WHEN p.polwithcheck IS NOT NULL THEN format(' WITH CHECK (%s)', pg_get_expr(p.polwithcheck, p.polrelid)) ELSE '' END) || "
    CMT("'POLICY'", "format('%I ON %I.%I', p.polname, n.nspname, c.relname)", "obj_description(p.oid, 'pg_policy')") " || ';',"
    " " ON_TABLE_PROBE("pg_policy", "polrelid", "polname", "p.polname") ", c.oid, 0"
    " FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    /* serial sequences: OWNED BY their column (idempotent) */
    " UNION ALL SELECT 'sequence owner', 18, format('%I.%I', n.nspname, s.relname),"
    " format('ALTER SEQUENCE %I.%I OWNED BY %I.%I.%I;', n.nspname, s.relname, tn.nspname, c.relname, a.attname), NULL, c.oid, 0"
    " FROM pg_depend d JOIN pg_class s ON s.oid = d.objid JOIN pg_namespace n ON n.oid = s.relnamespace"
    " JOIN pg_class c ON c.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = c.relnamespace"
    " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid"
    " WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'"
    " AND s.relkind = 'S' AND " USER_NS("n") " AND " NOT_EXT("pg_class", "s.oid")
    /* sequence values, read from the source when the item runs (the DDL
     * column holds the sequence's quoted name) */
    " UNION ALL SELECT 'sequence value', 19, format('%I.%I', n.nspname, s.relname), format('%I.%I', n.nspname, s.relname), NULL,"
    " coalesce((SELECT d.refobjid FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid"
    "  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('i', 'a') LIMIT 1), 0), 0"
    " FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace"
    " WHERE s.relkind = 'S' AND " USER_NS("n") " AND " NOT_EXT("pg_class", "s.oid")
    /* materialized views are filled last, from the copied data, each after
     * the views and materialized views it reads (rank 20 + depth) */
    " UNION ALL SELECT 'refresh', 20 + (WITH RECURSIVE up(o, l) AS (SELECT c.oid, 0 UNION ALL"
    "   SELECT d.refobjid, up.l + 1 FROM up JOIN pg_rewrite r ON r.ev_class = up.o JOIN pg_depend d"
    "   ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass"
    "   JOIN pg_class rc ON rc.oid = d.refobjid AND rc.relkind IN ('v', 'm') AND rc.oid <> up.o WHERE up.l < 50)"
    "  SELECT max(l) FROM up), format('%I.%I', n.nspname, c.relname),"
    " format('REFRESH MATERIALIZED VIEW %I.%I;', n.nspname, c.relname), NULL, 0, 0"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'm' AND c.relispopulated AND " USER_NS("n") " AND " NOT_EXT("pg_class", "c.oid")
    /* owners and privileges, last, so that loading and building run as
     * the cloning role; relations, routines, types, schemas */
    " UNION ALL SELECT 'owner and privileges', 100, o.ident,"
    " " OWNER_GRANTS
    " || CASE WHEN $2::bool THEN '' ELSE coalesce((SELECT string_agg(format('GRANT %s (%I) ON TABLE %s TO %s%s;', x.privilege_type,"
    "  a.attname, o.ident, CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(" ROLE_NAME("x.grantee") ") END,"
    "  CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END), ' ' ORDER BY a.attnum, x.grantee, x.privilege_type)"
    "  FROM pg_attribute a, aclexplode(a.attacl) x WHERE o.cls = 'pg_class'::regclass AND a.attrelid = o.oid"
    "  AND a.attacl IS NOT NULL AND NOT a.attisdropped), '') END,"
    " NULL, o.relid, 0"
    " FROM (" OWNED_OBJECTS ") o"
    ") q ORDER BY rank, name";

/* A batch of the source's large objects after oid $4, in oid order: oid
 * and the statements that give it its owner, privileges and comment ($1
 * to $3 as for OWNER_GRANTS). */
static const char zLoBatchSql[] =
    "SELECT o.oid, " OWNER_GRANTS " || coalesce((SELECT format(' COMMENT ON LARGE OBJECT %s IS %L;', o.oid, d.description)"
    " FROM pg_description d WHERE d.classoid = 'pg_largeobject'::regclass AND d.objoid = o.oid), '')"
    " FROM (SELECT 'pg_largeobject'::regclass AS cls, l.oid, 'LARGE OBJECT' AS kw, 'LARGE OBJECT' AS gkw, l.oid::text AS ident,"
    " l.lomowner AS owner, l.lomacl AS acl, false AS linked FROM pg_largeobject_metadata l WHERE l.oid > $4::oid"
    " ORDER BY l.oid LIMIT 100) o"
    " ORDER BY o.oid";

/* The verification inventory, run identically on both databases: one row
 * per user object (kind, name, definition), complete by construction.  It
 * walks every catalog that holds user objects; kinds and names come from
 * PostgreSQL itself (pg_identify_object), and the definition is a JSON
 * object of the attributes that make the object what it is, including its
 * owner, its privileges (explicit, without grantor), its comment and its
 * security labels, so a difference can be named by attribute.  Extension
 * members are covered by their extension.  Objects the job cannot create
 * still appear, so the report shows them as missing rather than hiding
 * them.  A self-check closes the inventory: any user object that pg_depend,
 * pg_description, pg_seclabel or pg_shdepend knows in a catalog not walked
 * here comes out as an "unsupported kind" row, which fails the report, so
 * a catalog added by a future PostgreSQL cannot be missed silently.
 * $1: names left out of the job on purpose (text[] of quoted names). */
static const char zInventorySql[] =
    " WITH ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e'"
    " UNION SELECT classid, objid FROM pg_depend WHERE deptype = 'i' AND classid IN ('pg_proc'::regclass, 'pg_cast'::regclass)),"
    " ns AS (SELECT oid FROM pg_namespace n WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'),"
    " o(classid, objid, subid, owner, acl, acltype, def, rel, rel2) AS ("
    " SELECT 'pg_namespace'::regclass, n.oid, 0, n.nspowner, n.nspacl, 'n', '{}'::jsonb, NULL::oid, NULL::oid"
    " FROM pg_namespace n WHERE n.oid IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_class'::regclass, c.oid, 0, CASE WHEN c.relkind NOT IN ('i', 'I') THEN c.relowner END, c.relacl,"
    " CASE c.relkind WHEN 'S' THEN 's' WHEN 'i' THEN NULL WHEN 'I' THEN NULL ELSE 'r' END,"
    " CASE WHEN c.relkind IN ('v', 'm') THEN jsonb_build_object('definition', pg_get_viewdef(c.oid), 'populated', c.relispopulated)"
    " WHEN c.relkind = 'S' THEN (SELECT jsonb_build_object('type', format_type(s.seqtypid, NULL), 'increment', s.seqincrement,"
    " 'min', s.seqmin, 'max', s.seqmax, 'start', s.seqstart, 'cache', s.seqcache, 'cycle', s.seqcycle,"
    " 'last_value', pg_sequence_last_value(c.oid)) FROM pg_sequence s WHERE s.seqrelid = c.oid)"
    " WHEN c.relkind IN ('i', 'I') THEN jsonb_build_object('definition', pg_get_indexdef(c.oid),"
    " 'clustered', (SELECT i.indisclustered FROM pg_index i WHERE i.indexrelid = c.oid),"
    " 'replica identity', (SELECT i.indisreplident FROM pg_index i WHERE i.indexrelid = c.oid))"
    " WHEN c.relkind = 'f' THEN (SELECT jsonb_build_object('server', s.srvname, 'fdw options', ft.ftoptions)"
    " FROM pg_foreign_table ft JOIN pg_foreign_server s ON s.oid = ft.ftserver WHERE ft.ftrelid = c.oid)"
    " ELSE '{}'::jsonb END"
    " || jsonb_build_object('persistence', c.relpersistence, 'options', c.reloptions,"
    " 'tablespace', (SELECT ts.spcname FROM pg_tablespace ts WHERE ts.oid = c.reltablespace),"
    " 'access method', (SELECT amname FROM pg_am WHERE oid = c.relam),"
    " 'row security', c.relrowsecurity, 'force row security', c.relforcerowsecurity,"
    " 'replica identity', CASE WHEN c.relkind IN ('r', 'p') THEN c.relreplident END,"
    " 'partition key', pg_get_partkeydef(c.oid), 'partition bound', pg_get_expr(c.relpartbound, c.oid),"
    " 'of type', CASE WHEN c.reloftype <> 0 THEN c.reloftype::regtype::text END,"
    " 'inherits', (SELECT jsonb_agg(i.inhparent::regclass::text ORDER BY i.inhseqno) FROM pg_inherits i WHERE i.inhrelid = c.oid)),"
    " CASE WHEN c.relkind IN ('i', 'I') THEN (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = c.oid)"
    " WHEN c.relkind = 'S' THEN (SELECT d.refobjid FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid"
    " AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('i', 'a') LIMIT 1) ELSE c.oid END, NULL"
    " FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'i', 'I')"
    " UNION ALL SELECT 'pg_class'::regclass, a.attrelid, a.attnum, NULL, a.attacl, 'c',"
    " jsonb_build_object('type', format_type(a.atttypid, a.atttypmod), 'not null', a.attnotnull,"
    " 'default', pg_get_expr(ad.adbin, ad.adrelid), 'identity', a.attidentity, 'generated', a.attgenerated,"
    " 'collation', CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END,"
    " 'storage', a.attstorage, 'compression', a.attcompression, 'statistics', a.attstattarget,"
    " 'options', (SELECT array_agg(x ORDER BY x) FROM unnest(a.attoptions) x WHERE x !~ '^pg_'), 'fdw options', a.attfdwoptions, 'local', a.attislocal, 'inherited', a.attinhcount,"
    " 'position', rank() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)),"
    " a.attrelid, NULL"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid"
    " LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
    " WHERE c.relnamespace IN (SELECT oid FROM ns) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped"
    " UNION ALL SELECT 'pg_constraint'::regclass, k.oid, 0, NULL, NULL, NULL,"
    " jsonb_build_object('definition', pg_get_constraintdef(k.oid), 'validated', k.convalidated, 'local', k.conislocal,"
    " 'inherited', k.coninhcount), k.conrelid, nullif(k.confrelid, 0)"
    " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE c.relnamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_type'::regclass, t.oid, 0, t.typowner, t.typacl, 'T',"
    " CASE t.typtype"
    " WHEN 'e' THEN jsonb_build_object('labels', (SELECT jsonb_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid))"
    " WHEN 'd' THEN jsonb_build_object('base', format_type(t.typbasetype, t.typtypmod), 'not null', t.typnotnull,"
    " 'default', coalesce(pg_get_expr(t.typdefaultbin, 0), t.typdefault),"
    " 'collation', CASE WHEN t.typcollation <> bt.typcollation THEN t.typcollation::regcollation::text END,"
    " 'constraints', (SELECT jsonb_object_agg(k.conname, pg_get_constraintdef(k.oid) || CASE WHEN k.convalidated THEN '' ELSE ' (not validated)' END)"
    " FROM pg_constraint k WHERE k.contypid = t.oid))"
    " WHEN 'c' THEN jsonb_build_object('attributes', (SELECT jsonb_agg(jsonb_build_array(a.attname, format_type(a.atttypid, a.atttypmod),"
    " CASE WHEN a.attcollation <> at.typcollation THEN a.attcollation::regcollation::text END) ORDER BY a.attnum)"
    " FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))"
    " WHEN 'r' THEN (SELECT jsonb_build_object('subtype', format_type(r.rngsubtype, NULL), 'opclass', r.rngsubopc::regclass::text,"
    " 'collation', r.rngcollation, 'canonical', r.rngcanonical::regproc::text, 'diff', r.rngsubdiff::regproc::text,"
    " 'multirange', r.rngmultitypid::regtype::text) FROM pg_range r WHERE r.rngtypid = t.oid)"
    " ELSE jsonb_build_object('input', t.typinput::regproc::text, 'output', t.typoutput::regproc::text,"
    " 'receive', t.typreceive::regproc::text, 'send', t.typsend::regproc::text, 'length', t.typlen, 'by value', t.typbyval,"
    " 'align', t.typalign, 'storage', t.typstorage, 'category', t.typcategory, 'defined', t.typisdefined) END,"
    " NULL, NULL"
    " FROM pg_type t LEFT JOIN pg_type bt ON bt.oid = t.typbasetype LEFT JOIN pg_class tc ON tc.oid = t.typrelid"
    " WHERE t.typnamespace IN (SELECT oid FROM ns) AND (t.typrelid = 0 OR tc.relkind = 'c')"
    " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'i')"
    " UNION ALL SELECT 'pg_proc'::regclass, p.oid, 0, p.proowner, p.proacl, 'f',"
    " CASE WHEN p.prokind = 'a' THEN (SELECT jsonb_build_object('kind', g.aggkind, 'transition', g.aggtransfn::regproc::text,"
    " 'final', g.aggfinalfn::regproc::text, 'combine', g.aggcombinefn::regproc::text, 'state type', format_type(g.aggtranstype, NULL),"
    " 'initial', g.agginitval, 'sort operator', g.aggsortop::regoperator::text, 'arguments', pg_get_function_arguments(p.oid))"
    " FROM pg_aggregate g WHERE g.aggfnoid = p.oid)"
    " ELSE jsonb_build_object('definition', pg_get_functiondef(p.oid)) END, NULL, NULL"
    " FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_trigger'::regclass, g.oid, 0, NULL, NULL, NULL,"
    " jsonb_build_object('definition', pg_get_triggerdef(g.oid), 'enabled', g.tgenabled), g.tgrelid, NULL"
    " FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid WHERE NOT g.tgisinternal AND c.relnamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_policy'::regclass, p.oid, 0, NULL, NULL, NULL,"
    " jsonb_build_object('command', p.polcmd, 'permissive', p.polpermissive,"
    " 'roles', (SELECT jsonb_agg(CASE WHEN r = 0 THEN 'public' ELSE " ROLE_NAME("r") " END ORDER BY 1) FROM unnest(p.polroles) r),"
    " 'using', pg_get_expr(p.polqual, p.polrelid), 'with check', pg_get_expr(p.polwithcheck, p.polrelid)), p.polrelid, NULL"
    " FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_rewrite'::regclass, r.oid, 0, NULL, NULL, NULL,"
    " jsonb_build_object('definition', pg_get_ruledef(r.oid), 'enabled', r.ev_enabled), r.ev_class, NULL"
    " FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE r.rulename <> '_RETURN' AND c.relnamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_extension'::regclass, e.oid, 0, NULL, NULL, NULL,"
    " jsonb_build_object('version', e.extversion, 'schema', e.extnamespace::regnamespace::text), NULL, NULL FROM pg_extension e"
    " UNION ALL SELECT 'pg_collation'::regclass, c.oid, 0, c.collowner, NULL, NULL,"
    " jsonb_build_object('provider', c.collprovider, 'deterministic', c.collisdeterministic, 'encoding', c.collencoding,"
    " 'collate', c.collcollate, 'ctype', c.collctype, 'icu locale', c.colliculocale), NULL, NULL"
    " FROM pg_collation c WHERE c.collnamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_conversion'::regclass, c.oid, 0, c.conowner, NULL, NULL,"
    " jsonb_build_object('from', pg_encoding_to_char(c.conforencoding), 'to', pg_encoding_to_char(c.contoencoding),"
    " 'function', c.conproc::regproc::text, 'default', c.condefault), NULL, NULL"
    " FROM pg_conversion c WHERE c.connamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_operator'::regclass, o.oid, 0, o.oprowner, NULL, NULL,"
    " jsonb_build_object('function', o.oprcode::regproc::text, 'result', format_type(o.oprresult, NULL),"
    " 'commutator', nullif(o.oprcom, 0)::regoperator::text, 'negator', nullif(o.oprnegate, 0)::regoperator::text,"
    " 'restrict', o.oprrest::regproc::text, 'join', o.oprjoin::regproc::text, 'merges', o.oprcanmerge, 'hashes', o.oprcanhash),"
    " NULL, NULL FROM pg_operator o WHERE o.oprnamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_opclass'::regclass, c.oid, 0, c.opcowner, NULL, NULL,"
    " jsonb_build_object('family', pg_describe_object('pg_opfamily'::regclass, c.opcfamily, 0), 'type', format_type(c.opcintype, NULL),"
    " 'default', c.opcdefault, 'storage', nullif(c.opckeytype, 0)::regtype::text), NULL, NULL"
    " FROM pg_opclass c WHERE c.opcnamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_opfamily'::regclass, f.oid, 0, f.opfowner, NULL, NULL,"
    " jsonb_build_object('operators', (SELECT jsonb_agg(format('%s %s %s', o.amopstrategy, o.amopopr::regoperator, o.amoppurpose)"
    " ORDER BY o.amopstrategy, o.amoplefttype, o.amoprighttype) FROM pg_amop o WHERE o.amopfamily = f.oid),"
    " 'functions', (SELECT jsonb_agg(format('%s %s %s %s', p.amprocnum, format_type(p.amproclefttype, NULL), format_type(p.amprocrighttype, NULL),"
    " p.amproc::regprocedure) ORDER BY p.amprocnum, p.amproclefttype, p.amprocrighttype) FROM pg_amproc p WHERE p.amprocfamily = f.oid)),"
    " NULL, NULL FROM pg_opfamily f WHERE f.opfnamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_cast'::regclass, c.oid, 0, NULL, NULL, NULL,"
    " jsonb_build_object('function', nullif(c.castfunc, 0)::regprocedure::text, 'context', c.castcontext, 'method', c.castmethod),"
    " NULL, NULL FROM pg_cast c WHERE c.oid >= 16384"
    " UNION ALL SELECT 'pg_ts_parser'::regclass, p.oid, 0, NULL, NULL, NULL,"
    " jsonb_build_object('start', p.prsstart::regproc::text, 'token', p.prstoken::regproc::text, 'end', p.prsend::regproc::text,"
    " 'headline', p.prsheadline::regproc::text, 'lextypes', p.prslextype::regproc::text), NULL, NULL"
    " FROM pg_ts_parser p WHERE p.prsnamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_ts_template'::regclass, t.oid, 0, NULL, NULL, NULL,"
    " jsonb_build_object('init', t.tmplinit::regproc::text, 'lexize', t.tmpllexize::regproc::text), NULL, NULL"
    " FROM pg_ts_template t WHERE t.tmplnamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_ts_dict'::regclass, d.oid, 0, d.dictowner, NULL, NULL,"
    " jsonb_build_object('template', pg_describe_object('pg_ts_template'::regclass, d.dicttemplate, 0), 'options', d.dictinitoption),"
    " NULL, NULL FROM pg_ts_dict d WHERE d.dictnamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_ts_config'::regclass, c.oid, 0, c.cfgowner, NULL, NULL,"
    " jsonb_build_object('parser', pg_describe_object('pg_ts_parser'::regclass, c.cfgparser, 0),"
    " 'mappings', (SELECT jsonb_agg(format('%s %s %s', m.maptokentype, m.mapseqno, m.mapdict::regdictionary) ORDER BY m.maptokentype, m.mapseqno)"
    " FROM pg_ts_config_map m WHERE m.mapcfg = c.oid)), NULL, NULL"
    " FROM pg_ts_config c WHERE c.cfgnamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_event_trigger'::regclass, e.oid, 0, e.evtowner, NULL, NULL,"
    " jsonb_build_object('event', e.evtevent, 'function', e.evtfoid::regprocedure::text, 'enabled', e.evtenabled, 'tags', e.evttags),"
    " NULL, NULL FROM pg_event_trigger e"
    " UNION ALL SELECT 'pg_publication'::regclass, p.oid, 0, p.pubowner, NULL, NULL,"
    " jsonb_build_object('all tables', p.puballtables, 'insert', p.pubinsert, 'update', p.pubupdate, 'delete', p.pubdelete,"
    " 'truncate', p.pubtruncate, 'via root', p.pubviaroot,"
    " 'tables', (SELECT jsonb_agg(format('%s %s %s', r.prrelid::regclass, pg_get_expr(r.prqual, r.prrelid), r.prattrs) ORDER BY r.prrelid::regclass::text)"
    " FROM pg_publication_rel r WHERE r.prpubid = p.oid),"
    " 'schemas', (SELECT jsonb_agg(s.pnnspid::regnamespace::text ORDER BY 1) FROM pg_publication_namespace s WHERE s.pnpubid = p.oid)),"
    " NULL, NULL FROM pg_publication p"
    " UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass, w.oid, 0, w.fdwowner, w.fdwacl, 'F',"
    " jsonb_build_object('handler', nullif(w.fdwhandler, 0)::regproc::text, 'validator', nullif(w.fdwvalidator, 0)::regproc::text,"
    " 'options', w.fdwoptions), NULL, NULL FROM pg_foreign_data_wrapper w"
    " UNION ALL SELECT 'pg_foreign_server'::regclass, s.oid, 0, s.srvowner, s.srvacl, 'S',"
    " jsonb_build_object('wrapper', (SELECT fdwname FROM pg_foreign_data_wrapper WHERE oid = s.srvfdw), 'type', s.srvtype,"
    " 'version', s.srvversion, 'options', s.srvoptions), NULL, NULL FROM pg_foreign_server s"
    " UNION ALL SELECT 'pg_user_mapping'::regclass, u.umid, 0, NULL, NULL, NULL,"
    " jsonb_build_object('options', md5(coalesce(array_to_string(u.umoptions, ','), ''))), NULL, NULL FROM pg_user_mappings u"
    " UNION ALL SELECT 'pg_statistic_ext'::regclass, s.oid, 0, s.stxowner, NULL, NULL,"
    " jsonb_build_object('definition', pg_get_statisticsobjdef(s.oid), 'statistics', s.stxstattarget), s.stxrelid, NULL"
    " FROM pg_statistic_ext s WHERE s.stxnamespace IN (SELECT oid FROM ns)"
    " UNION ALL SELECT 'pg_am'::regclass, a.oid, 0, NULL, NULL, NULL,"
    " jsonb_build_object('type', a.amtype, 'handler', a.amhandler::regproc::text), NULL, NULL FROM pg_am a WHERE a.oid >= 16384"
    " UNION ALL SELECT 'pg_transform'::regclass, t.oid, 0, NULL, NULL, NULL,"
    " jsonb_build_object('from sql', nullif(t.trffromsql, 0)::regprocedure::text, 'to sql', nullif(t.trftosql, 0)::regprocedure::text),"
    " NULL, NULL FROM pg_transform t"
    " UNION ALL SELECT 'pg_language'::regclass, l.oid, 0, l.lanowner, l.lanacl, 'l',"
    " jsonb_build_object('trusted', l.lanpltrusted, 'handler', l.lanplcallfoid::regproc::text, 'inline', nullif(l.laninline, 0)::regproc::text,"
    " 'validator', nullif(l.lanvalidator, 0)::regproc::text), NULL, NULL FROM pg_language l WHERE l.oid >= 16384"
    " UNION ALL SELECT 'pg_largeobject'::regclass, l.oid, 0, l.lomowner, l.lomacl, 'L',"
    " jsonb_build_object('content', CASE WHEN pg_has_role(l.lomowner, 'USAGE') THEN md5(lo_get(l.oid)) END), NULL, NULL"
    " FROM pg_largeobject_metadata l"
    " UNION ALL SELECT 'pg_default_acl'::regclass, d.oid, 0, NULL, d.defaclacl, NULL, '{}'::jsonb, NULL, NULL FROM pg_default_acl d"
    /* whether a subscription is enabled is not compared: clonebox creates
     * them disabled on purpose (--subscriptions disabled) */
    " UNION ALL SELECT 'pg_subscription'::regclass, s.oid, 0, s.subowner, NULL, NULL,"
    " jsonb_build_object('publications', s.subpublications, 'slot', s.subslotname, 'binary', s.subbinary, 'streaming', s.substream,"
    " 'two phase', s.subtwophasestate <> 'd', 'disable on error', s.subdisableonerr, 'synchronous commit', s.subsynccommit),"
    " NULL, NULL FROM pg_subscription s WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " )"
    " SELECT kind, name, def FROM (SELECT io.type AS kind, CASE WHEN o.classid = 'pg_user_mapping'::regclass THEN"
    " (SELECT format('%s on server %s', CASE WHEN u.umuser = 0 THEN 'public' ELSE quote_ident(" ROLE_NAME("u.umuser") ") END,"
    " quote_ident(u.srvname)) FROM pg_user_mappings u WHERE u.umid = o.objid)"
    " WHEN o.classid = 'pg_default_acl'::regclass THEN (SELECT format('for role %s%s on %s', quote_ident(" ROLE_NAME("d.defaclrole") "),"
    " ' in schema ' || quote_ident(n.nspname), CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences'"
    " WHEN 'f' THEN 'functions' WHEN 'T' THEN 'types' ELSE 'schemas' END) FROM pg_default_acl d"
    " LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace WHERE d.oid = o.objid) ELSE io.identity END AS name,"
    " jsonb_strip_nulls(o.def || jsonb_build_object('owner', " ROLE_NAME("o.owner") ","
    " 'acl', (SELECT jsonb_agg(DISTINCT CASE WHEN x.grantee = o.owner THEN 'owner' WHEN x.grantee = 0 THEN 'public'"
    " ELSE " ROLE_NAME("x.grantee") " END || ':'"
    " || x.privilege_type || CASE WHEN x.is_grantable THEN '*' ELSE '' END)"
    " FROM aclexplode(CASE WHEN o.acltype IS NULL OR o.owner IS NULL THEN o.acl ELSE coalesce(o.acl, acldefault(o.acltype::\"char\", o.owner)) END) x),"
    " 'comment', (SELECT d.description FROM pg_description d WHERE d.classoid = o.classid AND d.objoid = o.objid AND d.objsubid = o.subid),"
    " 'security labels', (SELECT jsonb_object_agg(l.provider, l.label) FROM pg_seclabel l WHERE l.classoid = o.classid AND l.objoid = o.objid"
    " AND l.objsubid = o.subid)))::text AS def,"
    " (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = o.rel) AS rel,"
    " (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = o.rel2) AS rel2,"
    " 'schema:' || quote_ident(io.schema) AS nsp"
    " FROM o, LATERAL pg_identify_object(o.classid, o.objid, o.subid) io"
    " WHERE (o.classid, o.objid) NOT IN (SELECT * FROM ext)"
    " UNION ALL SELECT 'unsupported kind', c::regclass::text || ': ' || count(*) || ' objects', '{}', NULL, NULL, NULL FROM ("
    " SELECT classid, objid FROM pg_depend WHERE objid >= 16384"
    " UNION SELECT refclassid, refobjid FROM pg_depend WHERE refobjid >= 16384"
    " UNION SELECT classoid, objoid FROM pg_description WHERE objoid >= 16384"
    " UNION SELECT classoid, objoid FROM pg_seclabel WHERE objoid >= 16384"
    " UNION SELECT classid, objid FROM pg_shdepend WHERE objid >= 16384 AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " ) u(c, x) WHERE c <> ALL (ARRAY['pg_namespace', 'pg_class', 'pg_constraint', 'pg_type', 'pg_proc', 'pg_trigger', 'pg_policy',"
    " 'pg_rewrite', 'pg_extension', 'pg_collation', 'pg_conversion', 'pg_operator', 'pg_opclass', 'pg_opfamily', 'pg_amop', 'pg_amproc',"
    " 'pg_cast', 'pg_ts_parser', 'pg_ts_template', 'pg_ts_dict', 'pg_ts_config', 'pg_event_trigger', 'pg_publication',"
    " 'pg_publication_rel', 'pg_publication_namespace', 'pg_foreign_data_wrapper', 'pg_foreign_server', 'pg_user_mapping',"
    " 'pg_statistic_ext', 'pg_am', 'pg_transform', 'pg_language', 'pg_largeobject', 'pg_largeobject_metadata', 'pg_default_acl',"
    " 'pg_attrdef', 'pg_subscription', 'pg_database', 'pg_authid', 'pg_tablespace']::regclass[])"
    " AND (c, x) NOT IN (SELECT classid, objid FROM ext) GROUP BY c"
    /* (with nothing left out, the planner drops the condition, and the
     * names it needs are not looked up: a tenth of the query's time) */
    " ) q WHERE cardinality($1::text[]) = 0 OR ((rel IS NULL OR rel <> ALL ($1::text[])) AND (rel2 IS NULL OR rel2 <> ALL ($1::text[]))"
    " AND name <> ALL ($1::text[]) AND (nsp IS NULL OR nsp <> ALL ($1::text[])))";

/* Kahn's topological sort of n nodes under edges aEdge[2*i] -> aEdge[2*i+1]
 * (first must come before second).  Among ready nodes the lowest index
 * goes first, so the order is deterministic.  Fills aOrder; returns the
 * number of nodes placed (n unless there is a cycle).  A node placed
 * after an excluded one it depends on is excluded too: abExcl[v] is set
 * and aWhy[v] names the excluded node that caused it. */
static int cat_toposort(int n, const int *aEdge, int nEdge, int *aOrder, bool *abExcl, int *aWhy) {
  int *aIn = xcalloc(n, sizeof(int));     /* indegree */
  int *aStart = xcalloc(n + 1, sizeof(int));/* CSR row starts of successors */
  int *aSucc = xcalloc(nEdge, sizeof(int));
  int *aHeap = xcalloc(n, sizeof(int));   /* min-heap of ready nodes */
  int nHeap = 0, nOut = 0;
  for (int i = 0; i < nEdge; i++) {
    aStart[aEdge[2 * i] + 1]++;
    aIn[aEdge[2 * i + 1]]++;
  }
  for (int i = 0; i < n; i++) aStart[i + 1] += aStart[i];
  int *aFill = xcalloc(n, sizeof(int));
  for (int i = 0; i < nEdge; i++) {
    int u = aEdge[2 * i];
    aSucc[aStart[u] + aFill[u]++] = aEdge[2 * i + 1];
  }
  free(aFill);
#define HEAP_PUSH(v)                                                         \
  do {                                                                       \
    int k_ = nHeap++;                                                        \
    aHeap[k_] = (v);                                                         \
    while (k_ > 0 && aHeap[(k_ - 1) / 2] > aHeap[k_]) {                      \
      int t_ = aHeap[k_]; aHeap[k_] = aHeap[(k_ - 1) / 2]; aHeap[(k_ - 1) / 2] = t_; \
      k_ = (k_ - 1) / 2;                                                     \
    }                                                                        \
  } while (0)
  for (int i = 0; i < n; i++)
    if (aIn[i] == 0) HEAP_PUSH(i);
  while (nHeap > 0) {
    int u = aHeap[0];
    aHeap[0] = aHeap[--nHeap];
    for (int k = 0;;) { /* sift down */
      int l = 2 * k + 1, m = k;
      if (l < nHeap && aHeap[l] < aHeap[m]) m = l;
      if (l + 1 < nHeap && aHeap[l + 1] < aHeap[m]) m = l + 1;
      if (m == k) break;
      int t = aHeap[k]; aHeap[k] = aHeap[m]; aHeap[m] = t;
      k = m;
    }
    aOrder[nOut++] = u;
    for (int e = aStart[u]; e < aStart[u + 1]; e++) {
      int v = aSucc[e];
      if (abExcl[u] && !abExcl[v]) {
        abExcl[v] = true;
        aWhy[v] = aWhy[u] >= 0 ? aWhy[u] : u;
      }
      if (--aIn[v] == 0) HEAP_PUSH(v);
    }
  }
#undef HEAP_PUSH
  free(aIn);
  free(aStart);
  free(aSucc);
  free(aHeap);
  return nOut;
}

/* Appends one item to the job's plan. */
static bool cat_add_item(Job *j, sqlite3_int64 *pSeq, int phase, const char *zKind,
                         const char *zName, sqlite3_int64 tbl, sqlite3_int64 relid,
                         sqlite3_int64 refrelid, const char *zDdl, const char *zProbe,
                         const char *zStatus, const char *zNote) {
  return st_run(j->db,
                "INSERT INTO item(job, seq, phase, kind, name, tbl, relid, refrelid, ddl, probe, status, note)"
                " VALUES (?, ?, ?, ?, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?)",
                "iiittiiitttt", j->id, ++*pSeq, (sqlite3_int64)phase, zKind, zName, tbl, relid,
                refrelid, zDdl, zProbe, zStatus, zNote);
}

/* Resolves the job's selection (-n, -N, -t, -T, --exclude-table-data and
 * the and-children forms, as stored in job.options) on the source into
 * the temporary table sel(kind, val): per SEL_* kind, the oids of the
 * tables its patterns match, or the names of the schemas.  The patterns
 * are pg_dump's, matched by its own code (processSQLNamePattern): quotes
 * keep case and special characters, other letters are folded to lower
 * case, * and ? are wildcards, and a name without a schema matches what
 * the default search_path sees.  As with pg_dump, --table or --schema
 * patterns that match nothing are an error. */
static bool cat_select(Job *j) {
  bool ok = st_run(j->db, "CREATE TEMP TABLE IF NOT EXISTS sel(kind INTEGER, val TEXT, PRIMARY KEY(kind, val))", NULL) &&
            st_run(j->db, "DELETE FROM temp.sel", NULL) &&
            db_exec(j->src, "RESET search_path", "resolving the selection's patterns");
  for (int k = 0; ok && k < SEL_N; k++) {
    bool bSchema = k == SEL_SCHEMA || k == SEL_EXCL_SCHEMA;
    bool bChildren = k == SEL_TABLE_CHILDREN || k == SEL_EXCL_TABLE_CHILDREN || k == SEL_EXCL_DATA_CHILDREN;
    char zOpt[64];
    snprintf(zOpt, sizeof zOpt, "%s", azSelKey[k]);
    for (char *c = zOpt; *c; c++)
      if (*c == '_') *c = '-';
    PQExpBuffer q = createPQExpBuffer(), all = createPQExpBuffer(), pats = createPQExpBuffer();
    sqlite3_stmt *p = st_prep(j->db, "SELECT value FROM job, json_each(job.options, '$.' || ?) WHERE job.id = ?", "ti",
                              azSelKey[k], j->id);
    ok = p != NULL;
    while (ok && sqlite3_step(p) == SQLITE_ROW) {
      const char *zPat = (const char *)sqlite3_column_text(p, 0);
      int nDot = 0;
      appendPQExpBuffer(pats, "%s--%s '%s'", pats->len ? ", " : "", zOpt, zPat);
      resetPQExpBuffer(q);
      if (bSchema) {
        appendPQExpBufferStr(q, "SELECT n.nspname::text FROM pg_catalog.pg_namespace n\n");
        processSQLNamePattern(j->src, q, zPat, false, false, NULL, "n.nspname", NULL, NULL, NULL, &nDot);
      } else {
        appendPQExpBufferStr(q, "SELECT c.oid::text FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n"
                             " ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'f')\n");
        processSQLNamePattern(j->src, q, zPat, true, false, "n.nspname", "c.relname", NULL,
                              "pg_catalog.pg_table_is_visible(c.oid)", NULL, &nDot);
      }
      if (nDot > (bSchema ? 0 : 1))
        ok = fail(EXIT_USAGE, "--%s '%s': improper qualified name (too many dotted names; want %s)", zOpt, zPat,
                  bSchema ? "a schema name" : "a table name or schema.table");
      appendPQExpBuffer(all, "%s(%s)", all->len ? " UNION " : "", q->data);
    }
    sqlite3_finalize(p);
    if (ok && all->len) {
      resetPQExpBuffer(q);
      if (bChildren) /* with the partitions and inheritance children, to any depth */
        appendPQExpBuffer(q, "WITH RECURSIVE t(oid) AS (%s UNION SELECT i.inhrelid::text FROM pg_catalog.pg_inherits i"
                          " JOIN t ON i.inhparent::text = t.oid) SELECT oid FROM t", all->data);
      else
        appendPQExpBufferStr(q, all->data);
      PGresult *r = db_query(j->src, q->data, 0, NULL, "resolving the selection's patterns");
      ok = r != NULL;
      for (int i = 0; ok && i < PQntuples(r); i++)
        ok = st_run(j->db, "INSERT OR IGNORE INTO temp.sel(kind, val) VALUES (?, ?)", "it", (sqlite3_int64)k,
                    PQgetvalue(r, i, 0));
      if (ok && PQntuples(r) == 0 && (k == SEL_SCHEMA || k == SEL_TABLE || k == SEL_TABLE_CHILDREN))
        ok = fail(EXIT_USAGE, "no %s on the source matches %s; nothing was written. Hint: patterns follow pg_dump's "
                  "rules: letters outside double quotes are folded to lower case, and a name without a schema only "
                  "matches %s", bSchema ? "schema" : "table", pats->data,
                  bSchema ? "that schema" : "tables in the search_path (write schema.table)");
      PQclear(r);
    }
    destroyPQExpBuffer(q);
    destroyPQExpBuffer(all);
    destroyPQExpBuffer(pats);
  }
  return db_exec(j->src, "SELECT pg_catalog.set_config('search_path', '', false)", "resolving the selection's patterns") &&
         ok;
}

/* Why the selection leaves a table out (malloc'd), or NULL when it keeps
 * it.  As with pg_dump, --table selects tables regardless of --schema and
 * --exclude-schema; --exclude-table applies last. */
static char *cat_table_left_out(Job *j, const char *zOid, const char *zSchema) {
  return st_text(j->db,
                 "WITH s AS (SELECT kind, val FROM temp.sel) SELECT CASE"
                 " WHEN EXISTS (SELECT 1 FROM s WHERE kind IN (?3, ?4)) AND NOT EXISTS (SELECT 1 FROM s WHERE kind IN"
                 "  (?3, ?4) AND val = ?1) THEN 'not selected by --table'"
                 " WHEN EXISTS (SELECT 1 FROM s WHERE kind IN (?7, ?8) AND val = ?1) THEN 'left out by --exclude-table'"
                 " WHEN EXISTS (SELECT 1 FROM s WHERE kind IN (?3, ?4)) THEN NULL"
                 " WHEN EXISTS (SELECT 1 FROM s WHERE kind = ?6 AND val = ?2) THEN 'in a schema left out by --exclude-schema'"
                 " WHEN EXISTS (SELECT 1 FROM s WHERE kind = ?5) AND NOT EXISTS (SELECT 1 FROM s WHERE kind = ?5 AND val = ?2)"
                 "  THEN 'not in a schema selected by --schema' END",
                 "ttiiiiii", zOid, zSchema, (sqlite3_int64)SEL_TABLE, (sqlite3_int64)SEL_TABLE_CHILDREN,
                 (sqlite3_int64)SEL_SCHEMA, (sqlite3_int64)SEL_EXCL_SCHEMA, (sqlite3_int64)SEL_EXCL_TABLE,
                 (sqlite3_int64)SEL_EXCL_TABLE_CHILDREN);
}

/* Why the selection leaves a schema out (malloc'd), or NULL: -n and -N,
 * unless --table selects the tables (then every schema stays, for the
 * objects the tables need). */
static char *cat_schema_left_out(Job *j, const char *zSchema) {
  return st_text(j->db,
                 "WITH s AS (SELECT kind, val FROM temp.sel) SELECT CASE"
                 " WHEN EXISTS (SELECT 1 FROM s WHERE kind IN (?2, ?3)) THEN NULL"
                 " WHEN EXISTS (SELECT 1 FROM s WHERE kind = ?5 AND val = ?1) THEN 'left out by --exclude-schema'"
                 " WHEN EXISTS (SELECT 1 FROM s WHERE kind = ?4) AND NOT EXISTS (SELECT 1 FROM s WHERE kind = ?4 AND val = ?1)"
                 "  THEN 'not selected by --schema' END",
                 "tiiii", zSchema, (sqlite3_int64)SEL_TABLE, (sqlite3_int64)SEL_TABLE_CHILDREN, (sqlite3_int64)SEL_SCHEMA,
                 (sqlite3_int64)SEL_EXCL_SCHEMA);
}

/* Lists the source's tables into tbl, deciding for each whether its rows
 * are copied (copy), left out (nodata: created empty) or the table is
 * left out entirely (skip). */
static bool cat_plan_tables(Job *j) {
  if (!cat_select(j)) return false;
  PGresult *res = db_query(j->src, zTablesSql, 0, NULL, "listing the source's tables");
  if (!res) return false;
  bool ok = true;
  for (int i = 0; ok && i < PQntuples(res); i++) {
    const char *zSchema = PQgetvalue(res, i, 1), *zTable = PQgetvalue(res, i, 2);
    const char *zKind = PQgetvalue(res, i, 4);
    const char *zMode = "copy", *zReason = NULL;
    char *zOut = cat_table_left_out(j, PQgetvalue(res, i, 0), zSchema);
    if (g_err.bSet) {
      ok = false;
      break;
    }
    if (zOut) {
      zMode = "skip";
      zReason = zOut;
    } else if (strcmp(zTable, "background_tasks") == 0) {
      zMode = "nodata";
      zReason = "rows never copied: background_tasks may hold connection strings with passwords";
    } else if (st_int(j->db, 0, "SELECT 1 FROM temp.sel WHERE kind IN (?, ?) AND val = ?", "iit",
                      (sqlite3_int64)SEL_EXCL_DATA, (sqlite3_int64)SEL_EXCL_DATA_CHILDREN, PQgetvalue(res, i, 0))) {
      zMode = "nodata";
      zReason = "rows left out by --exclude-table-data";
    } else if (zKind[0] == 'p') {
      zMode = "parent"; /* a partitioned table holds no rows of its own */
    } else if (PQgetvalue(res, i, 11)[0] != 't') {
      ok = fail(EXIT_FAILED, "the source role %s may not read table %s (no SELECT privilege); nothing was written. "
                "Hint: GRANT SELECT ON %s TO %s, or leave it out with --exclude-table '%s'", PQuser(j->src),
                PQgetvalue(res, i, 3), PQgetvalue(res, i, 3), PQuser(j->src), PQgetvalue(res, i, 3));
      break;
    }
    ok = st_run(j->db,
                "INSERT INTO tbl(job, id, relid, schema_name, table_name, qname, relkind, copy_cols,"
                " all_cols, mode, reason, rows_est, key_cols, key_types, key_expr, copy_format, size_est)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, nullif(?, ''), nullif(?, ''), nullif(?, ''), ?, ?)",
                "iiittttttttitttti", j->id, (sqlite3_int64)i + 1, (sqlite3_int64)atoll(PQgetvalue(res, i, 0)),
                zSchema, zTable, PQgetvalue(res, i, 3), zKind, PQgetvalue(res, i, 5),
                PQgetvalue(res, i, 6), zMode, zReason, (sqlite3_int64)atoll(PQgetvalue(res, i, 7)),
                PQgetvalue(res, i, 8), PQgetvalue(res, i, 9), PQgetvalue(res, i, 10),
                PQgetvalue(res, i, 12)[0] == 't' ? "binary" : "text", (sqlite3_int64)atoll(PQgetvalue(res, i, 13)));
    free(zOut);
  }
  PQclear(res);
  return ok;
}

/* A copy job's source table, as JSON of its columns for zCopyTargetSql:
 * $1 its oid. */
static const char zCopyColsSql[] =
    "SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),"
    " 'gen', a.attgenerated <> '') ORDER BY a.attnum), '[]') FROM pg_catalog.pg_attribute a"
    " WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped";

/* A copy job's target table, checked against its source's columns before
 * anything is written.  $1 its name (as the user wrote it, or the source's
 * quoted name), $2 the source's columns (zCopyColsSql), $3 --conflict.
 * One row if it exists: quoted name, relkind, what differs (NULL if
 * nothing), the privileges this role lacks for that mode (NULL if none),
 * and the INSERT's ON CONFLICT clause (skip; update, from the target's
 * primary key: NULL if it has none). */
static const char zCopyTargetSql[] =
    "WITH c AS (SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS q, c.relkind FROM pg_catalog.pg_class c"
    "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE c.oid = pg_catalog.to_regclass($1) AND c.relkind IN ('r', 'p')),"
    " s AS (SELECT * FROM pg_catalog.json_to_recordset($2::json) AS x(name text, type text, gen bool)),"
    " d AS (SELECT a.attname::text AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,"
    "  a.attgenerated <> '' AS gen, a.attnotnull AND NOT a.atthasdef AS req"
    "  FROM pg_catalog.pg_attribute a JOIN c ON a.attrelid = c.oid WHERE a.attnum > 0 AND NOT a.attisdropped),"
    " pk AS (SELECT array_agg(a.attname::text ORDER BY k.ord) AS cols FROM c"
    "  JOIN pg_catalog.pg_index i ON i.indrelid = c.oid AND i.indisprimary"
    "  CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord)"
    "  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)"
    " SELECT c.q, c.relkind,"
    "  (SELECT string_agg(p, '; ') FROM ("
    "   SELECT format('column %I is missing on the target', s.name) AS p FROM s"
    "    WHERE NOT s.gen AND NOT EXISTS (SELECT 1 FROM d WHERE d.name = s.name)"
    "   UNION ALL SELECT format('column %I is %s on the source but %s on the target', s.name, s.type, d.type)"
    "    FROM s JOIN d USING (name) WHERE NOT s.gen AND s.type <> d.type"
    "   UNION ALL SELECT format('column %I is generated on the target but not on the source', s.name)"
    "    FROM s JOIN d USING (name) WHERE d.gen AND NOT s.gen"
    "   UNION ALL SELECT format('column %I is generated on the source (its values are not copied) but not on the target',"
    "    s.name) FROM s JOIN d USING (name) WHERE s.gen AND NOT d.gen"
    "   UNION ALL SELECT format('column %I of the target is NOT NULL without a default, and the source has no such column',"
    "    d.name) FROM d WHERE d.req AND NOT d.gen AND NOT EXISTS (SELECT 1 FROM s WHERE s.name = d.name AND NOT s.gen)) x),"
    "  (SELECT string_agg(p, ', ') FROM unnest(ARRAY['INSERT'] || CASE $3 WHEN 'replace' THEN ARRAY['DELETE']"
    "   WHEN 'update' THEN ARRAY['UPDATE'] ELSE '{}' END) p WHERE NOT pg_catalog.has_table_privilege(c.oid, p)),"
    "  CASE $3 WHEN 'skip' THEN 'ON CONFLICT DO NOTHING' WHEN 'update' THEN"
    "   (SELECT format('ON CONFLICT (%s) DO ', (SELECT string_agg(format('%I', x), ', ') FROM unnest(pk.cols) x)) ||"
    "    coalesce('UPDATE SET ' || (SELECT string_agg(format('%I = EXCLUDED.%I', s.name, s.name), ', ') FROM s"
    "    WHERE NOT s.gen AND s.name <> ALL (pk.cols)), 'NOTHING') FROM pk WHERE pk.cols IS NOT NULL) END"
    " FROM c";

/* The plan of a copy job (clonebox copy): one table row, copy and check
 * item per --table, from the job's stored options.  Everything that could
 * stop the copy is checked here, before anything is written: the source
 * table, its --where on both servers (EXPLAIN: parsed and planned, not
 * run), the target table, its columns, this role's privileges on it and,
 * for --conflict update, its primary key. */
static bool cat_plan_copy(Job *j) {
  sqlite3_stmt *p = st_prep(j->db, "SELECT json_extract(value, '$.table'), coalesce(json_extract(value, '$.where'), 'true'),"
                            " json_extract(value, '$.into'), json_extract(o.options, '$.conflict')"
                            " FROM job o, json_each(o.options, '$.tables') WHERE o.id = ? ORDER BY key", "i", j->id);
  bool ok = p != NULL;
  PQExpBuffer q = createPQExpBuffer();
  for (sqlite3_int64 id = 1; ok && sqlite3_step(p) == SQLITE_ROW; id++) {
    const char *zTable = st_col(p, 0), *zWhere = st_col(p, 1), *zInto = (const char *)sqlite3_column_text(p, 2);
    const char *zConflict = st_col(p, 3);
    char zWhat[600];
    snprintf(zWhat, sizeof zWhat, "planning the copy of %s", zTable);
    const char *az[3] = {zTable};
    char *zOid = db_scalar(j->src, "SELECT c.oid FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)"
                           " AND c.relkind IN ('r', 'p')", 1, az, zWhat);
    if (!zOid) {
      ok = g_err.bSet ? false : fail(EXIT_USAGE, "copy: the source has no table %s; nothing was written. Hint: name it "
                                     "as schema.table, quoted as in SQL where needed", zTable);
      break;
    }
    resetPQExpBuffer(q);
    appendPQExpBuffer(q, "SELECT * FROM (%s) t WHERE t.oid = $1::oid", zTablesSql);
    az[0] = zOid;
    PGresult *rs = db_query(j->src, q->data, 1, az, zWhat);
    char *zCols = rs ? db_scalar(j->src, zCopyColsSql, 1, az, zWhat) : NULL;
    PGresult *rd = NULL;
    if (!zCols || PQntuples(rs) != 1) {
      ok = g_err.bSet ? false : fail(EXIT_USAGE, "copy: table %s is not one clonebox copies (a system table?)", zTable);
      goto next;
    }
    const char *zQ = PQgetvalue(rs, 0, 3);
    if (strcmp(PQgetvalue(rs, 0, 2), "background_tasks") == 0) {
      ok = fail(EXIT_USAGE, "copy: rows of %s are never copied (background_tasks may hold connection strings with "
                "passwords)", zQ);
      goto next;
    }
    if (PQgetvalue(rs, 0, 11)[0] != 't') {
      ok = fail(EXIT_FAILED, "copy: the source role %s may not read table %s (no SELECT privilege); nothing was written. "
                "Hint: GRANT SELECT ON %s TO %s", PQuser(j->src), zQ, zQ, PQuser(j->src));
      goto next;
    }
    az[0] = zInto ? zInto : zQ;
    az[1] = zCols;
    az[2] = zConflict;
    rd = db_query(j->dst, zCopyTargetSql, 3, az, zWhat);
    if (!rd) {
      ok = false;
      goto next;
    }
    if (PQntuples(rd) != 1) {
      ok = fail(EXIT_USAGE, "copy: the target has no table %s, and copy writes into existing tables; nothing was written. "
                "Hint: create it first, say with clonebox clone -t '%s' --exclude-table-data '%s'", az[0], zQ, zQ);
      goto next;
    }
    const char *zIntoQ = PQgetvalue(rd, 0, 0);
    if (!PQgetisnull(rd, 0, 2)) {
      ok = fail(EXIT_USAGE, "copy: target table %s does not match source table %s: %s; nothing was written. Hint: align "
                "the target's columns (names, types, generated) with the source's", zIntoQ, zQ, PQgetvalue(rd, 0, 2));
      goto next;
    }
    if (!PQgetisnull(rd, 0, 3)) {
      ok = fail(EXIT_FAILED, "copy: the target role %s lacks %s on %s (needed by --conflict %s); nothing was written. "
                "Hint: GRANT %s ON %s TO %s", PQuser(j->dst), PQgetvalue(rd, 0, 3), zIntoQ, zConflict,
                PQgetvalue(rd, 0, 3), zIntoQ, PQuser(j->dst));
      goto next;
    }
    if (strcmp(zConflict, "update") == 0 && PQgetisnull(rd, 0, 4)) {
      ok = fail(EXIT_USAGE, "copy: --conflict update needs a primary key on target table %s, and it has none; nothing "
                "was written. Hint: --conflict replace or skip", zIntoQ);
      goto next;
    }
    /* --where: parsed and planned by each server, not run (EXPLAIN) */
    for (int side = 0; ok && side < 2; side++) {
      PGconn *conn = side ? j->dst : j->src;
      resetPQExpBuffer(q);
      appendPQExpBuffer(q, "EXPLAIN (COSTS OFF) SELECT 1 FROM %s WHERE (%s\n)", side ? zIntoQ : zQ, zWhere);
      PGresult *re = PQexecParams(conn, q->data, 0, NULL, NULL, NULL, NULL, 0);
      if (PQresultStatus(re) != PGRES_TUPLES_OK) {
        char zW[700];
        snprintf(zW, sizeof zW, "copy: --where '%s' on the %s's table %s (nothing was written)", zWhere,
                 side ? "target" : "source", side ? zIntoQ : zQ);
        ok = db_fail(conn, re, zW);
        g_err.rc = EXIT_USAGE; /* the command line's condition */
      }
      PQclear(re);
    }
    /* a partitioned target's rows are its partitions' (no ONLY) */
    char *zIntoFrom = sqlite3_mprintf("%s%s", PQgetvalue(rd, 0, 1)[0] == 'p' ? "" : "ONLY ", zIntoQ);
    ok = ok && st_run(j->db,
                      "INSERT INTO tbl(job, id, relid, schema_name, table_name, qname, relkind, copy_cols, all_cols, mode,"
                      " rows_est, key_cols, key_types, key_expr, copy_format, where_sql, into_qname, into_from, conflict,"
                      " conflict_sql) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'copy', ?, nullif(?, ''), nullif(?, ''),"
                      " nullif(?, ''), ?, ?, ?, ?, ?, ?)",
                      "iiitttttti" "tttttttt" "t", j->id, id, (sqlite3_int64)atoll(zOid), PQgetvalue(rs, 0, 1),
                      PQgetvalue(rs, 0, 2), zQ, PQgetvalue(rs, 0, 4), PQgetvalue(rs, 0, 5), PQgetvalue(rs, 0, 5),
                      (sqlite3_int64)atoll(PQgetvalue(rs, 0, 7)), PQgetvalue(rs, 0, 8), PQgetvalue(rs, 0, 9),
                      PQgetvalue(rs, 0, 10), PQgetvalue(rs, 0, 12)[0] == 't' ? "binary" : "text", zWhere, zIntoQ,
                      zIntoFrom, zConflict, PQgetisnull(rd, 0, 4) ? NULL : PQgetvalue(rd, 0, 4));
    sqlite3_free(zIntoFrom);
  next:
    free(zOid);
    free(zCols);
    PQclear(rs);
    PQclear(rd);
  }
  destroyPQExpBuffer(q);
  sqlite3_finalize(p);
  return ok && !g_err.bSet;
}

/* --mask: the column a mask names ($1, TABLE.COLUMN or SCHEMA.TABLE.COLUMN,
 * quoted as in SQL), as (table oid, attnum), on the source. */
static const char zMaskColSql[] =
    "WITH p AS (SELECT pg_catalog.parse_ident($1) AS a),"
    " r AS (SELECT a[array_length(a, 1)] AS col, pg_catalog.to_regclass(CASE array_length(a, 1)"
    "  WHEN 3 THEN format('%I.%I', a[1], a[2]) WHEN 2 THEN format('%I', a[1]) END) AS rel FROM p)"
    " SELECT r.rel::oid, a.attnum FROM r JOIN pg_catalog.pg_attribute a ON a.attrelid = r.rel AND a.attname = r.col"
    " AND a.attnum > 0 AND NOT a.attisdropped";

/* The columns a masked column ($1 table oid, $2 attnum) is tied to, itself
 * first: through foreign keys, either way, and from a partitioned or
 * parent table to its partitions and children, transitively.  Each with
 * its quoted name, full name, type, base type (under domains), length
 * limit (varchar(n), char(n)) and NOT NULL. */
static const char zMaskTiesSql[] =
    "WITH RECURSIVE fk(r1, a1, r2, a2) AS ("
    "  SELECT k.conrelid, k.conkey[i], k.confrelid, k.confkey[i] FROM pg_catalog.pg_constraint k"
    "  CROSS JOIN LATERAL pg_catalog.generate_subscripts(k.conkey, 1) i WHERE k.contype = 'f'"
    "  UNION ALL SELECT h.inhparent, pa.attnum, h.inhrelid, ca.attnum FROM pg_catalog.pg_inherits h"
    "  JOIN pg_catalog.pg_attribute pa ON pa.attrelid = h.inhparent AND pa.attnum > 0 AND NOT pa.attisdropped"
    "  JOIN pg_catalog.pg_attribute ca ON ca.attrelid = h.inhrelid AND ca.attname = pa.attname),"
    " e AS (SELECT r1, a1, r2, a2 FROM fk UNION SELECT r2, a2, r1, a1 FROM fk),"
    " cl(rel, att) AS (SELECT $1::oid, $2::int2 UNION SELECT e.r2, e.a2 FROM cl JOIN e ON e.r1 = cl.rel AND e.a1 = cl.att)"
    " SELECT cl.rel, format('%I', a.attname), format('%I.%I.%I', n.nspname, c.relname, a.attname),"
    "  pg_catalog.format_type(a.atttypid, a.atttypmod), b.typname,"
    "  CASE WHEN b.typname IN ('varchar', 'bpchar') THEN nullif(greatest(a.atttypmod, t.typtypmod) - 4, -5) END,"
    "  a.attnotnull FROM cl JOIN pg_catalog.pg_class c ON c.oid = cl.rel JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_catalog.pg_attribute a ON a.attrelid = cl.rel AND a.attnum = cl.att"
    " JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
    " JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END"
    " ORDER BY (cl.rel, cl.att) = ($1::oid, $2::int2) DESC, 3";

/* The SQL that replaces column zCol's value (a NULL stays NULL): the same
 * value, seed and mask give the same result in every column, so joins
 * and uniqueness survive (nLen: the shortest length limit of the tied
 * columns, 0 if none).  NULL with a reason in zWhy when the mask does not
 * suit the type. */
static char *cat_mask_expr(const char *zMask, const char *zCol, const char *zType, const char *zBase, int nLen,
                           const char *zSeed, char *zWhy, size_t nWhy) {
  bool bText = strcmp(zBase, "text") == 0 || strcmp(zBase, "varchar") == 0 || strcmp(zBase, "bpchar") == 0 ||
               strcmp(zBase, "citext") == 0 || strcmp(zBase, "name") == 0;
  char zLeft[32] = "";
  PQExpBuffer b = createPQExpBuffer();
  if (strncmp(zMask, "sql:", 4) == 0) {
    appendPQExpBuffer(b, "(%s\n)::%s", zMask + 4, zType);
  } else if (strcmp(zMask, "null") == 0) {
    appendPQExpBuffer(b, "NULL::%s", zType);
  } else if (strcmp(zMask, "hash") == 0 && bText) {
    appendPQExpBuffer(b, "left(md5(%s || %s::text), %d)::%s", zSeed, zCol, nLen > 0 && nLen < 32 ? nLen : 32, zType);
  } else if (strcmp(zMask, "hash") == 0 && strcmp(zBase, "bytea") == 0) {
    appendPQExpBuffer(b, "decode(md5(%s || encode(%s, 'hex')), 'hex')::%s", zSeed, zCol, zType);
  } else if (strcmp(zMask, "hash") == 0 && strcmp(zBase, "int8") == 0) {
    appendPQExpBuffer(b, "('x' || left(md5(%s || %s::text), 15))::bit(60)::bigint::%s", zSeed, zCol, zType);
  } else if (strcmp(zMask, "hash") == 0 && strcmp(zBase, "uuid") == 0) {
    appendPQExpBuffer(b, "md5(%s || %s::text)::uuid::%s", zSeed, zCol, zType);
  } else if (strcmp(zMask, "email") == 0 && bText) {
    if (nLen > 0) snprintf(zLeft, sizeof zLeft, ", %d", nLen);
    appendPQExpBuffer(b, "%s'u' || left(md5(%s || %s::text), 16) || '@example.invalid'%s)::%s", nLen > 0 ? "left(" : "(",
                      zSeed, zCol, zLeft, zType);
  } else if (strcmp(zMask, "name") == 0 && bText) {
    static const char zFirst[] = "ARRAY['Ana', 'Luis', 'Marta', 'Jorge', 'Lucia', 'Pablo', 'Elena', 'Diego', 'Sara',"
                                 " 'Hugo', 'Irene', 'Mateo', 'Noa', 'Alba', 'Leo', 'Vera']";
    static const char zLast[] = "ARRAY['Garcia', 'Lopez', 'Martin', 'Sanz', 'Ruiz', 'Torres', 'Vidal', 'Molina', 'Ortega',"
                                " 'Prieto', 'Soler', 'Campos', 'Navarro', 'Iglesias', 'Cano', 'Reyes']";
    if (nLen > 0) snprintf(zLeft, sizeof zLeft, ", %d", nLen);
    appendPQExpBuffer(b, "%s(%s)[1 + ('x' || left(md5(%s || %s::text), 7))::bit(28)::int %% 16] || ' ' ||"
                      " (%s)[1 + ('x' || substr(md5(%s || %s::text), 8, 7))::bit(28)::int %% 16]%s)::%s",
                      nLen > 0 ? "left(" : "(", zFirst, zSeed, zCol, zLast, zSeed, zCol, zLeft, zType);
  } else {
    snprintf(zWhy, nWhy, "mask %s does not suit type %s (hash: text types, bytea, bigint, uuid; email and name: text "
             "types); use sql:EXPRESSION", zMask, zType);
    destroyPQExpBuffer(b);
    return NULL;
  }
  char *z = xstrdup(b->data);
  destroyPQExpBuffer(b);
  return z;
}

/* The job's masks (--mask), in the plan: each masked column and the
 * columns tied to it (zMaskTiesSql) get the replacing SQL in table mask,
 * and each copied table with a masked column its select list
 * (tbl.copy_select), checked by the source (EXPLAIN).  The values are
 * replaced by the source server inside the COPY's query, so clear values
 * never leave it.  A column the copy is chunked by cannot be masked (the
 * chunks' bounds are the source's values), nor a NOT NULL one with null;
 * a sql: mask is not carried to tied columns (its expression names the
 * columns of its own table): they need a mask of their own. */
static bool cat_plan_masks(Job *j) {
  sqlite3_stmt *p = st_prep(j->db, "SELECT value FROM job, json_each(job.options, '$.masks') WHERE job.id = ?", "i", j->id);
  if (!p) return false;
  char *zSeed = st_text(j->db, "SELECT coalesce(json_extract(options, '$.mask_seed'), mask_seed) FROM job WHERE id = ?",
                        "i", j->id);
  bool ok = true;
  if (!zSeed) { /* a random seed of the job's own */
    unsigned char a[16];
    char zHex[33];
    if (getrandom(a, sizeof a, 0) != (ssize_t)sizeof a) ok = fail(EXIT_FAILED, "no random seed for --mask: %s", strerror(errno));
    for (int i = 0; i < 16; i++) snprintf(zHex + 2 * i, 3, "%02x", a[i]);
    zSeed = xstrdup(zHex);
    ok = ok && st_run(j->db, "UPDATE job SET mask_seed = ? WHERE id = ?", "ti", zSeed, j->id);
  }
  char *zSeedLit = PQescapeLiteral(j->src, zSeed, strlen(zSeed));
  if (!zSeedLit) ok = db_fail(j->src, NULL, "quoting the mask seed");
  while (ok && sqlite3_step(p) == SQLITE_ROW) {
    const char *zSpec = st_col(p, 0), *zEq = name_end(zSpec, '=');
    if (!zEq) continue; /* checked when given */
    char *zColName = sqlite3_mprintf("%.*s", (int)(zEq - zSpec), zSpec);
    const char *zMask = zEq + 1, *az[2] = {zColName};
    char zWhat[600];
    snprintf(zWhat, sizeof zWhat, "--mask %s", zSpec);
    PGresult *rc = db_query(j->src, zMaskColSql, 1, az, zWhat), *rt = NULL;
    if (rc && PQntuples(rc) != 1) ok = fail(EXIT_USAGE, "--mask %s: the source has no column %s. Hint: name it as "
                                          "TABLE.COLUMN or SCHEMA.TABLE.COLUMN, quoted as in SQL where needed", zSpec, zColName);
    if (ok && rc) {
      az[0] = PQgetvalue(rc, 0, 0);
      az[1] = PQgetvalue(rc, 0, 1);
      rt = db_query(j->src, zMaskTiesSql, 2, az, zWhat);
    }
    int nLen = 0; /* the shortest limit of the tied columns, so that they stay equal */
    for (int i = 0; rt && i < PQntuples(rt); i++) {
      int n = PQgetisnull(rt, i, 5) ? 0 : atoi(PQgetvalue(rt, i, 5));
      if (n > 0 && (nLen == 0 || n < nLen)) nLen = n;
    }
    for (int i = 0; ok && rt && i < PQntuples(rt); i++) {
      sqlite3_int64 rel = atoll(PQgetvalue(rt, i, 0));
      const char *zCol = PQgetvalue(rt, i, 1), *zFull = PQgetvalue(rt, i, 2);
      if (!st_int(j->db, 0, "SELECT 1 FROM tbl WHERE job = ? AND relid = ? AND mode = 'copy'", "ii", j->id, rel))
        continue; /* its rows are not copied */
      if (st_int(j->db, 0, "SELECT 1 FROM tbl WHERE job = ? AND relid = ? AND instr(', ' || key_cols || ', ', ', ' || ? || ', ')",
                 "iit", j->id, rel, zCol)) {
        ok = fail(EXIT_USAGE, "--mask %s: column %s is the key clonebox copies its table by, and cannot be masked%s",
                  zSpec, zFull, i ? " (a foreign key ties it to the masked column)" : "");
        break;
      }
      if (strcmp(zMask, "null") == 0 && PQgetvalue(rt, i, 6)[0] == 't') {
        ok = fail(EXIT_USAGE, "--mask %s: column %s is NOT NULL%s; use another mask", zSpec, zFull,
                  i ? " (a foreign key ties it to the masked column)" : "");
        break;
      }
      char zWhy[300];
      char *zExpr = cat_mask_expr(zMask, zCol, PQgetvalue(rt, i, 3), PQgetvalue(rt, i, 4), nLen, zSeedLit, zWhy, sizeof zWhy);
      if (!zExpr) {
        ok = fail(EXIT_USAGE, "--mask %s: column %s: %s", zSpec, zFull, zWhy);
        break;
      }
      ok = st_run(j->db, i == 0 ? "INSERT OR REPLACE INTO mask(job, relid, col, mask, expr, via) VALUES (?, ?, ?, ?, ?, NULL)"
                                : "INSERT OR IGNORE INTO mask(job, relid, col, mask, expr, via) VALUES (?, ?, ?, ?, ?, ?)",
                  i == 0 ? "iittt" : "iitttt", j->id, rel, zCol, zMask, zExpr, PQgetvalue(rt, 0, 2));
      free(zExpr);
    }
    PQclear(rc);
    PQclear(rt);
    sqlite3_free(zColName);
  }
  sqlite3_finalize(p);
  char *zSql = ok ? st_text(j->db, "SELECT (SELECT qname FROM tbl WHERE tbl.job = m.job AND tbl.relid = m.relid) || '.' || m.col"
                            " || ' (tied to ' || m.via || ' by a foreign key)' FROM mask m WHERE m.job = ? AND m.via IS NOT NULL"
                            " AND m.mask LIKE 'sql:%' LIMIT 1", "i", j->id) : NULL;
  if (zSql) ok = fail(EXIT_USAGE, "--mask: column %s would need the other column's sql: mask, whose expression names "
                      "columns of its own table; give it a mask of its own", zSql);
  free(zSql);
  /* the select lists */
  p = ok ? st_prep(j->db, "SELECT DISTINCT t.id, t.relid, t.qname, CASE WHEN t.relkind = 'p' AND t.where_sql IS NOT NULL"
                   " THEN '' ELSE 'ONLY ' END FROM tbl t JOIN mask m ON m.job = t.job AND m.relid = t.relid"
                   " WHERE t.job = ? AND t.mode = 'copy'", "i", j->id) : NULL;
  PQExpBuffer b = createPQExpBuffer(), q = createPQExpBuffer();
  while (ok && p && sqlite3_step(p) == SQLITE_ROW) {
    const char *az[1] = {st_col(p, 1)};
    char zWhat[600];
    snprintf(zWhat, sizeof zWhat, "masking the columns of %s", st_col(p, 2));
    PGresult *r = db_query(j->src, "SELECT format('%I', attname) FROM pg_catalog.pg_attribute WHERE attrelid = $1::oid"
                           " AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum", 1, az, zWhat);
    resetPQExpBuffer(b);
    for (int i = 0; r && ok && i < PQntuples(r); i++) {
      char *zExpr = st_text(j->db, "SELECT coalesce((SELECT expr FROM mask WHERE job = ? AND relid = ? AND col = ?), '')", "iit",
                            j->id, sqlite3_column_int64(p, 1), PQgetvalue(r, i, 0));
      if (!zExpr) ok = false;
      else if (zExpr[0]) appendPQExpBuffer(b, "%s%s AS %s", i ? ", " : "", zExpr, PQgetvalue(r, i, 0));
      else appendPQExpBuffer(b, "%s%s", i ? ", " : "", PQgetvalue(r, i, 0));
      free(zExpr);
    }
    ok = ok && r != NULL;
    PQclear(r);
    resetPQExpBuffer(q);
    appendPQExpBuffer(q, "EXPLAIN (COSTS OFF) SELECT %s FROM %s%s", b->data, st_col(p, 3), st_col(p, 2));
    PGresult *re = ok ? PQexecParams(j->src, q->data, 0, NULL, NULL, NULL, NULL, 0) : NULL;
    if (ok && PQresultStatus(re) != PGRES_TUPLES_OK) {
      ok = db_fail(j->src, re, zWhat);
      g_err.rc = EXIT_USAGE; /* the command line's expression */
    }
    PQclear(re);
    ok = ok && st_run(j->db, "UPDATE tbl SET copy_select = ? WHERE job = ? AND id = ?", "tii", b->data, j->id,
                      sqlite3_column_int64(p, 0));
  }
  destroyPQExpBuffer(b);
  destroyPQExpBuffer(q);
  sqlite3_finalize(p);
  if (zSeedLit) PQfreemem(zSeedLit);
  free(zSeed);
  return ok && !g_err.bSet;
}

static int cat_keycmp(const void *a, const void *b, void *pRes) {
  return strcmp(PQgetvalue(pRes, *(const int *)a, 0), PQgetvalue(pRes, *(const int *)b, 0));
}

/* Index of the node whose key is zKey, -1 if none (aByKey sorted by key). */
static int cat_find(PGresult *res, const int *aByKey, int n, const char *zKey) {
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2, c = strcmp(PQgetvalue(res, aByKey[mid], 0), zKey);
    if (c == 0) return aByKey[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/* Pre-data objects only a superuser can create: functions in languages
 * that are not trusted (C, internal, plpython3u, ...), languages, base
 * types, text search parsers and templates, access methods, foreign data
 * wrappers, operator classes and families; and extensions (whether the
 * target trusts them is asked there).  Rows: node key, extension name. */
#define SUPER_NODE(cat, alias, where) \
  " UNION ALL SELECT '" cat "'::regclass::oid || '/' || " alias ".oid, NULL FROM " cat " " alias " WHERE " where
static const char zSuperNodesSql[] =
    "SELECT 'pg_proc'::regclass::oid || '/' || p.oid, NULL FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang"
    " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE NOT l.lanpltrusted AND p.prokind IN ('f', 'p')"
    " AND " USER_NS("n") " AND " NOT_EXT("pg_proc", "p.oid")
    SUPER_NODE("pg_language", "l", "l.oid >= 16384")
    SUPER_NODE("pg_type", "t", "t.typtype = 'b' AND t.oid >= 16384")
    SUPER_NODE("pg_ts_parser", "p", "p.oid >= 16384")
    SUPER_NODE("pg_ts_template", "t", "t.oid >= 16384")
    SUPER_NODE("pg_am", "a", "a.oid >= 16384")
    SUPER_NODE("pg_foreign_data_wrapper", "w", "true")
    SUPER_NODE("pg_opclass", "c", "c.oid >= 16384")
    SUPER_NODE("pg_opfamily", "f", "f.oid >= 16384")
    " UNION ALL SELECT 'pg_extension'::regclass::oid || '/' || e.oid, e.extname FROM pg_extension e"
    " WHERE e.extname <> 'plpgsql'";

/* On a target whose role is not a superuser (RDS, Cloud SQL, Supabase):
 * marks in abUnsup the nodes it cannot create.  Without --skip-unsupported
 * that stops the plan, naming them; with it they are left out (and what
 * depends on them, by the topological sort), named in the report.  An
 * extension the target does not have at all stops the plan either way. */
static bool cat_mark_unsupported(Job *j, PGresult *rn, const int *aByKey, int n, bool *abExcl, bool *abUnsup) {
  PGconn *dst = j->dst; /* connected by the engine before planning */
  PGresult *rs = NULL, *rt = NULL;
  PQExpBuffer bNames = createPQExpBuffer(), bList = createPQExpBuffer();
  bool ok = false;
  if (!dst) goto done;
  bool bSuper = db_is_superuser(dst);
  if (!(rs = db_query(j->src, zSuperNodesSql, 0, NULL, "listing what needs a superuser"))) goto done;
  appendPQExpBufferChar(bNames, '{');
  for (int i = 0; i < PQntuples(rs); i++)
    if (!PQgetisnull(rs, i, 1)) appendPQExpBuffer(bNames, "%s\"%s\"", bNames->len > 1 ? "," : "", PQgetvalue(rs, i, 1));
  appendPQExpBufferChar(bNames, '}');
  const char *az[1] = {bNames->data};
  /* per extension: 'missing' (not installable here) or 'super' (needs a superuser) */
  rt = db_query(dst, "SELECT x, CASE WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions a WHERE a.name = x)"
                " THEN 'missing' WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extension_versions v WHERE"
                " v.name = x AND (NOT v.superuser OR v.trusted)) THEN 'super' END FROM unnest($1::text[]) x"
                " WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname = x)", 1, az,
                "checking the target's extensions");
  if (!rt) goto done;
  for (int i = 0; i < PQntuples(rt); i++)
    if (strcmp(PQgetvalue(rt, i, 1), "missing") == 0) {
      fail(EXIT_USAGE, "extension %s is not available on the target server; nothing was written. Hint: install its "
           "package on the target (or use a target that offers it), or leave out what uses it", PQgetvalue(rt, i, 0));
      goto done;
    }
  for (int i = 0; i < PQntuples(rs); i++) {
    bool bNeeds = PQgetisnull(rs, i, 1);
    for (int k = 0; !bNeeds && k < PQntuples(rt); k++)
      bNeeds = strcmp(PQgetvalue(rt, k, 0), PQgetvalue(rs, i, 1)) == 0 && strcmp(PQgetvalue(rt, k, 1), "super") == 0;
    int v = bNeeds && !bSuper ? cat_find(rn, aByKey, n, PQgetvalue(rs, i, 0)) : -1;
    if (v < 0 || abExcl[v]) continue;
    abUnsup[v] = true;
    appendPQExpBuffer(bList, "%s%s %s", bList->len ? ", " : "", PQgetvalue(rn, v, 1), PQgetvalue(rn, v, 4));
  }
  if (bList->len && !j->pOpt->bSkipUnsupported) {
    fail(EXIT_USAGE, "the target role %s is not a superuser and cannot create: %s; nothing was written. Hint: "
         "--skip-unsupported leaves them (and what depends on them) out, named in the report; or clone as a superuser",
         PQuser(dst), bList->data);
    goto done;
  }
  for (int i = 0; i < n; i++)
    if (abUnsup[i]) abExcl[i] = true;
  ok = true;
done:
  PQclear(rs);
  PQclear(rt);
  destroyPQExpBuffer(bNames);
  destroyPQExpBuffer(bList);
  return ok;
}

/* Waves of the schema phase: a run of tables, sequences and views that
 * follow one another in the plan's order, none of which depends (in
 * pg_depend) on another of the run, may be created at once, by every
 * worker, in groups (run_ddl_run): thousands of tables cost the server's
 * DDL time divided among the workers.  Every other kind (types,
 * functions, whose bodies pg_depend does not see into) stays serial.
 * aOrder: the nodes in plan order, the k-th planned as item seq0 + k. */
static bool cat_schema_waves(Job *j, PGresult *rn, const int *aOrder, int n, const int *aEdge, int nEdge,
                             const bool *abExcl, sqlite3_int64 seq0) {
  int *aRun = xcalloc(n ? n : 1, sizeof(int)); /* a node's run: its first item's index in aOrder + 1; 0: none */
  int *aStart = xcalloc(n + 1, sizeof(int)), *aPred = xcalloc(nEdge ? nEdge : 1, sizeof(int));
  for (int e = 0; e < nEdge; e++) aStart[aEdge[2 * e + 1] + 1]++;
  for (int i = 0; i < n; i++) aStart[i + 1] += aStart[i];
  int *aFill = xcalloc(n ? n : 1, sizeof(int));
  for (int e = 0; e < nEdge; e++) aPred[aStart[aEdge[2 * e + 1]] + aFill[aEdge[2 * e + 1]]++] = aEdge[2 * e];
  free(aFill);
  bool ok = true;
  int run = 0, nRun = 0; /* the current run (0: none) and its length */
  for (int k = 0; ok && k <= n; k++) {
    int i = k < n ? aOrder[k] : -1;
    const char *zKind = i >= 0 ? PQgetvalue(rn, i, 1) : "";
    bool bFits = i >= 0 && !abExcl[i] &&
                 (strcmp(zKind, "table") == 0 || strcmp(zKind, "sequence") == 0 || strcmp(zKind, "view") == 0);
    for (int e = bFits ? aStart[i] : 0; bFits && e < aStart[i + 1]; e++)
      if (run && aRun[aPred[e]] == run) bFits = false; /* it needs one of the run: the run ends before it */
    bool bSkip = i >= 0 && abExcl[i]; /* left out: neither joins nor ends a run */
    if (bSkip) continue;
    if (!bFits || !run) { /* the run so far is a wave, if it has two items or more */
      if (nRun >= 2)
        ok = st_run(j->db, "UPDATE item SET wave = ?1 WHERE job = ?2 AND seq BETWEEN ?1 AND ?3 AND status = 'todo'", "iii",
                    seq0 + run - 1, j->id, seq0 + k - 1);
      run = bFits ? k + 1 : 0;
      nRun = 0;
    }
    if (run) aRun[i] = run, nRun++;
  }
  free(aRun);
  free(aStart);
  free(aPred);
  return ok;
}

/* Plans the enums and schema phases: every pre-data object in an order
 * that respects pg_depend. */
static bool cat_plan_nodes(Job *j, sqlite3_int64 *pSeq) {
  PGresult *rn = NULL, *re = NULL;
  int *aByKey = NULL, *aEdge = NULL, *aOrder = NULL, *aWhy = NULL;
  bool *abExcl = NULL, *abUnsup = NULL, ok = false;
  rn = db_query(j->src, zNodesSql, 0, NULL, "reading the source's schema objects");
  if (!rn) goto done;
  re = db_query(j->src, zEdgesSql, 0, NULL, "reading the source's dependencies (pg_depend)");
  if (!re) goto done;
  int n = PQntuples(rn), nEdge = 0;
  aByKey = xcalloc(n, sizeof(int));
  for (int i = 0; i < n; i++) aByKey[i] = i;
  qsort_r(aByKey, n, sizeof(int), cat_keycmp, rn);
  aEdge = xcalloc(2 * (size_t)PQntuples(re), sizeof(int));
  for (int i = 0; i < PQntuples(re); i++) {
    int a = cat_find(rn, aByKey, n, PQgetvalue(re, i, 0));
    int b = cat_find(rn, aByKey, n, PQgetvalue(re, i, 1));
    if (a < 0 || b < 0) continue; /* not an object we create */
    aEdge[2 * nEdge] = b;         /* b is needed by a: b first */
    aEdge[2 * nEdge + 1] = a;
    nEdge++;
  }
  abExcl = xcalloc(n, sizeof(bool));
  aWhy = xcalloc(n, sizeof(int));
  aOrder = xcalloc(n, sizeof(int));
  for (int i = 0; i < n; i++) {
    aWhy[i] = -1;
    sqlite3_int64 relid = atoll(PQgetvalue(rn, i, 7));
    abExcl[i] = relid && st_int(j->db, 0, "SELECT 1 FROM tbl WHERE job = ? AND relid = ? AND mode = 'skip'",
                                "ii", j->id, relid);
    if (strcmp(PQgetvalue(rn, i, 1), "schema") == 0) { /* -n, -N: and everything in it, by its dependencies */
      char *zOut = cat_schema_left_out(j, PQgetvalue(rn, i, 3));
      abExcl[i] = zOut != NULL;
      free(zOut);
    }
  }
  abUnsup = xcalloc(n, sizeof(bool));
  if (!cat_mark_unsupported(j, rn, aByKey, n, abExcl, abUnsup)) goto done;
  int nOrder = cat_toposort(n, aEdge, nEdge, aOrder, abExcl, aWhy);
  if (nOrder < n) {
    PQExpBuffer b = createPQExpBuffer();
    bool *abPlaced = xcalloc(n, sizeof(bool));
    for (int i = 0; i < nOrder; i++) abPlaced[aOrder[i]] = true;
    for (int i = 0, k = 0; i < n && k < 6; i++)
      if (!abPlaced[i]) appendPQExpBuffer(b, "%s%s %s", k++ ? ", " : "", PQgetvalue(rn, i, 1), PQgetvalue(rn, i, 4));
    fail(EXIT_FAILED, "the source's objects depend on each other in a cycle (%s); clonebox cannot "
         "order them. Hint: report this with the objects named", b->data);
    free(abPlaced);
    destroyPQExpBuffer(b);
    goto done;
  }
  ok = true;
  for (int k = 0; ok && k < n; k++) {
    int i = aOrder[k];
    const char *zKind = PQgetvalue(rn, i, 1);
    char zName[600], zNote[600] = "";
    snprintf(zName, sizeof zName, "%s %s", zKind, PQgetvalue(rn, i, 4));
    if (abExcl[i] && aWhy[i] >= 0)
      snprintf(zNote, sizeof zNote, "depends on %s %s, which is left out", PQgetvalue(rn, aWhy[i], 1),
               PQgetvalue(rn, aWhy[i], 4));
    else if (abUnsup[i])
      snprintf(zNote, sizeof zNote, "only a superuser can create it on the target; left out by --skip-unsupported");
    else if (abExcl[i]) { /* the selection's reason: the table's, or the schema's */
      char *zWhy = strcmp(zKind, "schema") == 0 ? cat_schema_left_out(j, PQgetvalue(rn, i, 3))
                   : st_text(j->db, "SELECT reason FROM tbl WHERE job = ? AND relid = ?", "ii", j->id,
                             (sqlite3_int64)atoll(PQgetvalue(rn, i, 7)));
      snprintf(zNote, sizeof zNote, "%s", zWhy ? zWhy : "left out by the selection");
      free(zWhy);
    }
    ok = cat_add_item(j, pSeq, strcmp(zKind, "enum") == 0 ? PH_ENUMS : PH_SCHEMA, zKind, zName, 0,
                      atoll(PQgetvalue(rn, i, 7)), 0, PQgetvalue(rn, i, 5),
                      PQgetisnull(rn, i, 6) ? NULL : PQgetvalue(rn, i, 6),
                      abExcl[i] ? "excluded" : "todo", zNote[0] ? zNote : NULL);
    /* A table left out because it depends on one that is (a partition of
     * an excluded parent, say) loses its rows too. */
    if (ok && abExcl[i] && aWhy[i] >= 0 && strcmp(zKind, "table") == 0)
      ok = st_run(j->db, "UPDATE tbl SET mode = 'skip', reason = ? WHERE job = ? AND relid = ?", "tii",
                  zNote, j->id, (sqlite3_int64)atoll(PQgetvalue(rn, i, 7)));
  }
  ok = ok && cat_schema_waves(j, rn, aOrder, n, aEdge, nEdge, abExcl, *pSeq - n + 1);
done:
  PQclear(rn);
  PQclear(re);
  free(aByKey);
  free(aEdge);
  free(aOrder);
  free(aWhy);
  free(abExcl);
  free(abUnsup);
  return ok;
}

/* Plans post-data: keys, indexes, foreign keys, triggers, row security,
 * policies, sequence ownership and values, materialized view refreshes. */
static bool cat_plan_post(Job *j, sqlite3_int64 *pSeq) {
  /* The roles that the target's default privileges for this role grant
   * to: what the clone creates gets those grants, and loses them again in
   * its owner and privileges item (OWNER_GRANTS's $3). */
  char *zGrantees = db_scalar(j->dst, "SELECT coalesce(string_agg(DISTINCT ', ' || CASE WHEN x.grantee = 0 THEN 'PUBLIC'"
                              " ELSE quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END, ''), '')"
                              " FROM pg_catalog.pg_default_acl d, pg_catalog.aclexplode(d.defaclacl) x"
                              " WHERE d.defaclrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)"
                              " AND x.grantee <> d.defaclrole", 0, NULL, "reading the target's default privileges");
  if (!zGrantees) return false;
  const char *az[3] = {j->pOpt->bNoOwner ? "true" : "false", j->pOpt->bNoPrivileges ? "true" : "false", zGrantees};
  PGresult *res = db_query(j->src, zPostSql, 3, az, "reading the source's indexes, constraints and triggers");
  free(zGrantees);
  if (!res) return false;
  bool ok = true;
  int prevRank = -1;
  sqlite3_int64 wave = 0;
  for (int i = 0; ok && i < PQntuples(res); i++) {
    char zName[600];
    if (!PQgetisnull(res, i, 3) && !PQgetvalue(res, i, 3)[0]) continue; /* nothing to do (--no-owner --no-privileges) */
    snprintf(zName, sizeof zName, "%s %s", PQgetvalue(res, i, 0), PQgetvalue(res, i, 2));
    ok = cat_add_item(j, pSeq, PH_POSTDATA, PQgetvalue(res, i, 0), zName, 0, atoll(PQgetvalue(res, i, 5)),
                      atoll(PQgetvalue(res, i, 6)), PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3),
                      PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4), "todo", NULL);
    /* Waves: the keys (rank 10), the other indexes (11), the keys
     * attached to their index (12), the foreign keys and validations (14)
     * and the refreshes of one depth (20 + depth) of
     * different objects may be built at once, each rank after the one
     * before; everything else runs one item at a time, in plan order.
     * Two statements of one wave that lock the same tables wait for each
     * other (a deadlock between two foreign keys is retried). */
    int rank = atoi(PQgetvalue(res, i, 1));
    bool bParallel = rank == 10 || rank == 11 || rank == 12 || rank == 14 || (rank >= 20 && rank < 100);
    if (!bParallel || rank != prevRank) wave = *pSeq;
    else ok = ok && st_run(j->db, "UPDATE item SET wave = ? WHERE job = ? AND seq = ?", "iii", wave, j->id, *pSeq);
    prevRank = bParallel ? rank : -1;
  }
  PQclear(res);
  /* Owners and privileges of an object the plan left out (a view on an
   * excluded table) go with it: the item names the object as its node. */
  ok = ok && st_run(j->db, "UPDATE item SET status = 'excluded', note = 'its object is left out'"
                    " WHERE job = ?1 AND kind IN ('owner and privileges', 'sequence owner', 'sequence value', 'refresh') AND EXISTS (SELECT 1 FROM item x WHERE x.job = ?1"
                    " AND x.status = 'excluded' AND x.phase < ?2 AND substr(x.name, length(x.kind) + 2) = substr(item.name, length(item.kind) + 2)"
                    " COLLATE BINARY)", "ii", j->id, (sqlite3_int64)PH_POSTDATA);
  /* What needs a table left out goes with it: a policy whose expression
   * reads it, a trigger, rule or constraint that names it (pg_depend), as
   * the schema's objects do by the dependency graph. */
  char *zSkipped = ok ? st_text(j->db, "SELECT '{' || coalesce(group_concat(relid), '') || '}' FROM tbl WHERE job = ?"
                                " AND mode = 'skip'", "i", j->id) : NULL;
  if (zSkipped && strcmp(zSkipped, "{}") != 0) {
    const char *azS[1] = {zSkipped};
    PGresult *rd = db_query(j->src, "SELECT DISTINCT io.identity, format('%I.%I', n.nspname, c.relname)"
                            " FROM pg_depend d JOIN pg_class c ON c.oid = d.refobjid JOIN pg_namespace n ON n.oid = c.relnamespace,"
                            " LATERAL pg_identify_object(d.classid, d.objid, 0) io"
                            " WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY ($1::oid[])"
                            " AND d.classid IN ('pg_policy'::regclass, 'pg_trigger'::regclass, 'pg_rewrite'::regclass,"
                            " 'pg_constraint'::regclass)", 1, azS, "reading what needs the tables left out");
    ok = rd != NULL;
    for (int i = 0; ok && i < PQntuples(rd); i++) {
      char zNote[600];
      snprintf(zNote, sizeof zNote, "needs %s, which is left out", PQgetvalue(rd, i, 1));
      ok = st_run(j->db, "UPDATE item SET status = 'excluded', note = ? WHERE job = ? AND phase = ? AND status <> 'excluded'"
                  " AND substr(name, length(kind) + 2) = ?", "tiit", zNote, j->id, (sqlite3_int64)PH_POSTDATA,
                  PQgetvalue(rd, i, 0));
    }
    PQclear(rd);
  }
  free(zSkipped);
  /* Default privileges in a schema go with it (-n, -N). */
  ok = ok && st_run(j->db, "UPDATE item SET status = 'excluded', note = 'its schema is left out' WHERE job = ?1"
                    " AND kind = 'default privileges' AND EXISTS (SELECT 1 FROM item x WHERE x.job = ?1 AND x.kind = 'schema'"
                    " AND x.status = 'excluded' AND substr(item.name, -length(' in schema ' || substr(x.name, 8)))"
                    " = ' in schema ' || substr(x.name, 8))", "i", j->id);
  /* A user mapping goes with its server. */
  ok = ok && st_run(j->db, "UPDATE item SET status = 'excluded', note = 'its server is left out' WHERE job = ?1"
                    " AND kind = 'user mapping' AND EXISTS (SELECT 1 FROM item x WHERE x.job = ?1 AND x.kind = 'server'"
                    " AND x.status = 'excluded' AND substr(item.name, -length(' on server ' || substr(x.name, 8)))"
                    " = ' on server ' || substr(x.name, 8))", "i", j->id);
  return ok && st_run(j->db,
                      "UPDATE item SET status = 'excluded', note = 'on a table that is left out: ' ||"
                      " (SELECT group_concat(t.qname, ', ') FROM tbl t WHERE t.job = item.job"
                      "  AND t.relid IN (item.relid, item.refrelid) AND t.mode = 'skip')"
                      " WHERE job = ? AND phase = ? AND EXISTS (SELECT 1 FROM tbl t WHERE t.job = item.job"
                      "  AND t.relid IN (item.relid, item.refrelid) AND t.mode = 'skip')",
                      "ii", j->id, (sqlite3_int64)PH_POSTDATA);
}

/* Subscriptions are never created enabled: one on the target would start
 * replicating from the source's publisher.  By default each is an
 * excluded item, so the report names it with the reason; with
 * --subscriptions disabled each is created as pg_dump does, with connect
 * = false and enabled = false, last of all.  Its connection string may
 * hold a password, so the statement is made on the source when the item
 * runs (run_ddl_from_source): rows (name, query, probe). */
static const char zSubscriptionsSql[] =
    "SELECT format('%I', s.subname),"
    " $q$SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %s WITH (connect = false, enabled = false,"
    "  slot_name = %s, binary = %s, streaming = %s, two_phase = %s, disable_on_error = %s, synchronous_commit = %L);',"
    "  subname, subconninfo, (SELECT string_agg(quote_ident(p), ', ') FROM unnest(subpublications) p),"
    "  coalesce(quote_literal(subslotname), 'NONE'), subbinary::text, substream::text, (subtwophasestate <> 'd')::text,"
    "  subdisableonerr::text,"
    "  subsynccommit)$q$ || CASE WHEN $1::bool THEN '' ELSE format($q$ || format(' ALTER SUBSCRIPTION %%I OWNER TO %%I;',"
    "  subname, %L)$q$, " ROLE_NAME("s.subowner") ") END"
    " || CASE WHEN d.description IS NULL THEN '' ELSE format($q$ || format(' COMMENT ON SUBSCRIPTION %%I IS %%L;', subname, %L)$q$,"
    "  d.description) END || format(' FROM pg_catalog.pg_subscription WHERE oid = %s', s.oid),"
    " format('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_subscription WHERE subname = %L AND subdbid = (SELECT oid"
    "  FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()))', s.subname)"
    " FROM pg_subscription s LEFT JOIN pg_description d ON d.classoid = 'pg_subscription'::regclass AND d.objoid = s.oid"
    " WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1";

static bool cat_plan_subscriptions(Job *j, sqlite3_int64 *pSeq) {
  const char *az[1] = {j->pOpt->bNoOwner ? "true" : "false"};
  PGresult *res = db_query(j->src, zSubscriptionsSql, 1, az, "listing the source's subscriptions");
  if (!res) return false;
  bool ok = true, bCreate = j->pOpt->bSubscriptions && !j->bVerifyOnly;
  /* a stand-alone verify --subscriptions disabled compares them */
  for (int i = 0; ok && !(j->bVerifyOnly && j->pOpt->bSubscriptions) && i < PQntuples(res); i++) {
    char zName[600];
    snprintf(zName, sizeof zName, "subscription %s", PQgetvalue(res, i, 0));
    ok = cat_add_item(j, pSeq, bCreate ? PH_POSTDATA : PH_SCHEMA, "subscription", zName, 0, 0, 0,
                      bCreate ? PQgetvalue(res, i, 1) : NULL, bCreate ? PQgetvalue(res, i, 2) : NULL,
                      bCreate ? "todo" : "excluded", bCreate ? NULL :
                      "subscriptions are not cloned: one on the target would replicate from the source's publisher "
                      "(--subscriptions disabled creates them disabled)");
  }
  PQclear(res);
  return ok;
}

/* Publications of all tables or of whole schemas, and event triggers,
 * need a superuser: on a target whose role is not one, they stop the plan,
 * or with --skip-unsupported are left out whole (a publication with its
 * member items) and named in the report. */
static bool cat_plan_unsupported_post(Job *j) {
  if (db_is_superuser(j->dst)) return true;
  /* the publications concerned, by quoted name; member items end in " in <name>" */
  static const char zBad[] =
      "WITH bad(pub) AS MATERIALIZED (SELECT substr(p.name, length(p.kind) + 2) FROM item p WHERE p.job = ?1"
      " AND p.kind = 'publication' AND (p.ddl LIKE '%FOR ALL TABLES%' OR EXISTS (SELECT 1 FROM item s WHERE s.job = ?1"
      " AND s.kind = 'publication schema' AND substr(s.name, -length(' in ' || substr(p.name, length(p.kind) + 2)))"
      " = ' in ' || substr(p.name, length(p.kind) + 2))))";
  char *zSql = sqlite3_mprintf("%s SELECT group_concat(x, ', ') FROM (SELECT 'publication ' || pub AS x FROM bad"
                               " UNION ALL SELECT name FROM item WHERE job = ?1 AND kind IN ('event trigger', 'subscription')"
                               " AND status <> 'excluded')", zBad);
  char *zList = st_text(j->db, zSql, "i", j->id);
  sqlite3_free(zSql);
  bool ok = true;
  if (zList && !j->pOpt->bSkipUnsupported)
    ok = fail(EXIT_USAGE, "the target role %s is not a superuser and cannot create: %s; nothing was written. Hint: "
              "--skip-unsupported leaves them out, named in the report; or clone as a superuser", PQuser(j->dst), zList);
  else if (zList) {
    zSql = sqlite3_mprintf("%s UPDATE item SET status = 'excluded', note = 'only a superuser can create it on the target;"
                           " left out by --skip-unsupported' WHERE job = ?1 AND kind LIKE 'publication%%' AND EXISTS"
                           " (SELECT 1 FROM bad WHERE substr(item.name, length(item.kind) + 2) = bad.pub"
                           " OR substr(item.name, -length(' in ' || bad.pub)) = ' in ' || bad.pub)"
                           " OR (job = ?1 AND kind IN ('event trigger', 'subscription'))", zBad);
    ok = st_run(j->db, zSql, "i", j->id);
    sqlite3_free(zSql);
  }
  free(zList);
  return ok;
}

/* A large table is copied in key ranges, by several workers at once
 * (--split-rows; default SPLIT_ROWS): one range per SPLIT_ROWS rows
 * (estimated), 2 to SPLIT_MAX of them, cut where a sample of the source's
 * keys (TABLESAMPLE, in the plan's snapshot) puts them about equally full.
 * The cuts only balance the work: any cut copies every row once.  Each
 * range is a tbl row of its own (mode part, part_of its table) with its
 * own copy item and checkpoints; the table's row adds them up
 * (run_part_rollup).  Returns the number of ranges planned for table id
 * (1: it is not split; 0 after an error). */
#define SPLIT_ROWS 1000000
#define SPLIT_MAX 16
static int cat_plan_parts(Job *j, sqlite3_int64 id) {
  long nSplit = j->pOpt->nSplitRows < 0 ? SPLIT_ROWS : j->pOpt->nSplitRows;
  sqlite3_stmt *p = st_prep(j->db, "SELECT rows_est, key_cols, key_expr, qname FROM tbl WHERE job = ? AND id = ?"
                            " AND key_cols IS NOT NULL AND where_sql IS NULL AND relkind <> 'p'", "ii", j->id, id);
  if (!p) return 0;
  int nParts = 0;
  PQExpBuffer q = createPQExpBuffer();
  if (sqlite3_step(p) == SQLITE_ROW && nSplit > 0 && sqlite3_column_int64(p, 0) > nSplit) {
    sqlite3_int64 nEst = sqlite3_column_int64(p, 0);
    nParts = (int)((nEst + nSplit - 1) / nSplit < SPLIT_MAX ? (nEst + nSplit - 1) / nSplit : SPLIT_MAX);
    nParts = nParts < 2 ? 2 : nParts;
    double pct = 100.0 * nParts * 1000 / (double)nEst; /* about a thousand keys a range */
    appendPQExpBuffer(q, "SELECT %s::text FROM (SELECT %s FROM ONLY %s TABLESAMPLE SYSTEM (%.6f) ORDER BY %s) k",
                      st_col(p, 2), st_col(p, 1), st_col(p, 3), pct > 100 ? 100.0 : pct, st_col(p, 1));
  }
  sqlite3_finalize(p);
  PGresult *res = q->len ? db_query(j->src, q->data, 0, NULL, "sampling the keys of a large table to split it") : NULL;
  destroyPQExpBuffer(q);
  if (g_err.bSet) return 0;
  int nKeys = res ? PQntuples(res) : 0;
  bool ok = true;
  if (nParts < 2 || nKeys < 2 * nParts) nParts = 1; /* not large, or too few rows to cut: in one range */
  const char *zLo = NULL;
  for (int i = 1; ok && nParts > 1 && i <= nParts; i++) {
    const char *zHi = i < nParts ? PQgetvalue(res, (int)((long)nKeys * i / nParts) - 1, 0) : NULL;
    ok = st_run(j->db, "INSERT INTO tbl(job, id, relid, schema_name, table_name, qname, relkind, copy_cols, all_cols,"
                " key_cols, key_types, copy_format, key_expr, mode, rows_est, size_est, copy_select, last_key, part_of, part_hi)"
                " SELECT job, (SELECT max(id) + 1 FROM tbl WHERE job = ?1), relid, schema_name, table_name, qname, relkind,"
                " copy_cols, all_cols, key_cols, key_types, copy_format, key_expr, 'part', rows_est / ?3, size_est / ?3,"
                " copy_select, ?4, id, ?5 FROM tbl WHERE job = ?1 AND id = ?2",
                "iiitt", j->id, id, (sqlite3_int64)nParts, zLo, zHi);
    zLo = zHi;
  }
  PQclear(res);
  return ok ? nParts : 0;
}

/* Plans the data and verify phases: one copy item per table with rows to
 * copy, or per key range of a large one, largest first by size on disk
 * (so that parallel workers finish together), the schema inventory
 * comparison, and one checksum item per such table (a split table's: one
 * per range, each a slice of its pages).  A copy job's tables keep the order
 * given. */
static bool cat_plan_data_verify(Job *j, sqlite3_int64 *pSeq) {
  bool bNone = j->pOpt->zVerify && strcmp(j->pOpt->zVerify, "none") == 0; /* --verify none */
  bool bCounts = j->pOpt->zVerify && strcmp(j->pOpt->zVerify, "counts") == 0;
  static const char zOrder[] = " ORDER BY CASE WHEN t.where_sql IS NULL THEN coalesce(t.size_est, 0) END DESC, t.id";
  bool ok = true;
  bool bSplit = !j->bVerifyOnly && !j->bPartial &&
                !st_int(j->db, 0, "SELECT json_extract(options, '$.subset') IS NOT NULL FROM job WHERE id = ?", "i", j->id);
  sqlite3_stmt *p = bSplit ? st_prep(j->db, "SELECT id FROM tbl WHERE job = ? AND mode = 'copy' ORDER BY id", "i", j->id) : NULL;
  while (ok && p && sqlite3_step(p) == SQLITE_ROW) ok = cat_plan_parts(j, sqlite3_column_int64(p, 0)) > 0;
  sqlite3_finalize(p);
  /* The objects' comparison first of the checks: one worker takes it when
   * post-data ends while the others check the tables left (last, it ran
   * alone after them: 0.7 s at 2,000 tables). */
  ok = ok && (bNone || j->bPartial || cat_add_item(j, pSeq, PH_VERIFY, "vobjects", "compare schema objects", 0, 0, 0,
                                                    NULL, NULL, "todo", NULL));
  /* rows: tbl id, item name; a range's name says which it is */
  for (int bCheck = 0; ok && bCheck < 2; bCheck++) {
    if (bCheck ? bNone : j->bVerifyOnly) continue;
    char *zSql = sqlite3_mprintf(
        "SELECT t.id, CASE WHEN t.mode = 'part' THEN printf('%%s (%s %%d of %%d)', t.qname,"
        "  (SELECT count(*) FROM tbl x WHERE x.job = t.job AND x.part_of = t.part_of AND x.id <= t.id),"
        "  (SELECT count(*) FROM tbl x WHERE x.job = t.job AND x.part_of = t.part_of))"
        "  ELSE t.qname || coalesce(' -> ' || nullif(t.into_qname, t.qname), '') || coalesce(' WHERE ' || t.where_sql, '') END"
        " FROM tbl t WHERE t.job = ?1 AND t.mode IN ('copy', 'part') AND CASE WHEN ?2 THEN t.mode = 'copy'"
        "  ELSE t.mode = 'part' OR NOT EXISTS (SELECT 1 FROM tbl x WHERE x.job = t.job AND x.part_of = t.id) END%s",
        bCheck ? "pages" : "key range", zOrder);
    /* a split table's check: a slice of its pages per range (run_vslice),
     * unless only counts are compared */
    p = st_prep(j->db, zSql, "ii", j->id, (sqlite3_int64)(bCheck && bCounts));
    sqlite3_free(zSql);
    ok = p != NULL;
    while (ok && sqlite3_step(p) == SQLITE_ROW) {
      char zName[700];
      snprintf(zName, sizeof zName, "%s %s", bCheck ? "checksum" : "copy", st_col(p, 1));
      ok = cat_add_item(j, pSeq, bCheck ? PH_VERIFY : PH_DATA, bCheck ? "vtable" : "copy", zName,
                        sqlite3_column_int64(p, 0), 0, 0, NULL, NULL, "todo", NULL);
    }
    sqlite3_finalize(p);
  }
  /* Large objects: one copy item, checkpointed by oid in a tbl row of
   * their own (mode lo); the inventory verifies each of them. */
  char *zCount = ok && !j->bVerifyOnly && !j->bPartial ? db_scalar(j->src, "SELECT count(*) FROM pg_catalog.pg_largeobject_metadata", 0,
                                                   NULL, "counting the source's large objects") : NULL;
  if (zCount && atoll(zCount) > 0) {
    sqlite3_int64 id = st_int(j->db, 0, "SELECT coalesce(max(id), 0) + 1 FROM tbl WHERE job = ?", "i", j->id);
    ok = st_run(j->db, "INSERT INTO tbl(job, id, relid, schema_name, table_name, qname, relkind, mode, rows_est, rows_total)"
                " VALUES (?, ?, 0, '', 'large objects', 'large objects', 'L', 'lo', ?, ?)", "iiii", j->id, id,
                (sqlite3_int64)atoll(zCount), (sqlite3_int64)atoll(zCount)) &&
         cat_add_item(j, pSeq, PH_DATA, "large objects", "copy large objects", id, 0, 0, NULL, NULL, "todo", NULL);
  }
  free(zCount);
  return ok && !g_err.bSet;
}

/* --subset: the item that selects the rows, first in the data phase (a
 * wave of its own: every copy waits for it).  Every copied table needs a copy key, by
 * which the selection records its rows. */
static bool cat_plan_subset(Job *j, sqlite3_int64 *pSeq) {
  if (!st_int(j->db, 0, "SELECT json_extract(options, '$.subset') IS NOT NULL FROM job WHERE id = ?", "i", j->id)) return true;
  char *zKeyless = st_text(j->db, "SELECT coalesce(group_concat(qname, ', '), '') FROM (SELECT qname FROM tbl WHERE job = ? AND mode = 'copy'"
                           " AND key_cols IS NULL ORDER BY qname LIMIT 5)", "i", j->id);
  bool ok = zKeyless != NULL;
  if (zKeyless && zKeyless[0])
    ok = fail(EXIT_USAGE, "--subset: table(s) %s have no primary key nor unique not-null key, by which a subset records "
              "its rows; nothing was written. Hint: give them one, or leave their rows out with --exclude-table-data",
              zKeyless);
  free(zKeyless);
  return ok && cat_add_item(j, pSeq, PH_DATA, "subset", "select the subset's rows", 0, 0, 0, NULL, NULL, "todo", NULL);
}

/* Empties one target schema (@S: its quoted name as a literal): drops it
 * with everything in it and creates it again, with its comment.  Owner and
 * grants come from the source (the job's owner and privileges items) unless
 * the job does not copy them (@KEEP_OWNER: --no-owner, @KEEP_ACL:
 * --no-privileges): then the schema gets back those it had on the target,
 * so that the roles using the target keep their access (the stock public
 * schema: owner pg_database_owner, USAGE for PUBLIC).  An owner this role
 * may not give away stays with this role, with a warning. */
static const char zCleanSchemaSql[] =
    "DO $clonebox$ DECLARE"
    " s text := @S; o text; g text[]; x text; c text;"
    " BEGIN"
    " SELECT n.nspowner::regrole::text, array(SELECT format('GRANT %s ON SCHEMA %s TO %s', a.privilege_type, s,"
    "   CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END)"
    "   || CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END FROM aclexplode(n.nspacl) a),"
    "   pg_catalog.obj_description(n.oid, 'pg_namespace')"
    "   INTO o, g, c FROM pg_catalog.pg_namespace n WHERE n.oid = pg_catalog.to_regnamespace(s);"
    " EXECUTE 'DROP SCHEMA IF EXISTS ' || s || ' CASCADE';"
    " EXECUTE 'CREATE SCHEMA ' || s;"
    " IF NOT @KEEP_OWNER THEN o := NULL; END IF;"
    " IF NOT @KEEP_ACL THEN g := NULL; END IF;"
    " IF o IS NOT NULL AND o <> current_user::regrole::text THEN"
    "   BEGIN EXECUTE 'ALTER SCHEMA ' || s || ' OWNER TO ' || o;"
    "   EXCEPTION WHEN insufficient_privilege THEN"
    "     RAISE WARNING 'clonebox: schema % was owned by %; it now belongs to %', s, o, current_user;"
    "   END;"
    " END IF;"
    " FOREACH x IN ARRAY coalesce(g, '{}') LOOP EXECUTE x; END LOOP;"
    " IF c IS NOT NULL THEN EXECUTE format('COMMENT ON SCHEMA %s IS %L', s, c); END IF;"
    " END $clonebox$;";

/* Drops, on the target, the database-level objects (in no schema) that
 * the plan creates, by the names they will have: @K kind, @L quoted name
 * as a literal.
 * Without CASCADE, so that nothing of the target outside the cleaned
 * schemas goes with them (that stops the clean, naming it); a server's
 * user mappings are part of it and go first. */
static const char zCleanObjectSql[] =
    "DO $clonebox$ DECLARE u record; BEGIN"
    " IF '@K' = 'server' THEN FOR u IN SELECT CASE WHEN umuser = 0 THEN 'PUBLIC' ELSE quote_ident(usename) END AS who"
    "  FROM pg_catalog.pg_user_mappings WHERE quote_ident(srvname) = @L LOOP"
    "  EXECUTE format('DROP USER MAPPING FOR %s SERVER %s', u.who, @L); END LOOP; END IF;"
    " EXECUTE 'DROP @K IF EXISTS ' || @L; END $clonebox$;";

/* A job's schemas, emptied before the schema phase (--clean): every
 * schema the plan creates (zCleanSchemaSql each), never another one; the
 * database-level objects it creates (zCleanObjectSql); and the target's
 * large objects, which belong to no schema. */
static bool cat_plan_clean(Job *j) {
  return st_run(j->db,
                "INSERT INTO item(job, seq, phase, kind, name, ddl, status)"
                " SELECT ?1, 0, ?2, 'clean', 'clean target schemas ' || group_concat(name, ', '),"
                " group_concat(replace(replace(replace(?3, '@S', quote(name)), '@KEEP_OWNER', ?4), '@KEEP_ACL', ?5), ' ')"
                " || coalesce((SELECT ' ' || group_concat(replace(replace(?6, '@K', kind), '@L', quote(substr(name,"
                " length(kind) + 2))), ' ') FROM (SELECT kind, name FROM item WHERE job = ?1"
                " AND kind IN ('publication', 'event trigger', 'server', 'foreign data wrapper', 'access method', 'language')"
                " AND status <> 'excluded' ORDER BY CASE kind WHEN 'server' THEN 1 WHEN 'foreign data wrapper' THEN 2 ELSE 0 END,"
                " seq)), '')"
                " || ' SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata;', 'todo'"
                " FROM (SELECT substr(name, 8) AS name FROM item WHERE job = ?1 AND kind = 'schema' AND status <> 'excluded'"
                " ORDER BY seq) HAVING count(*) > 0", "iitttt", j->id, (sqlite3_int64)PH_ENUMS, zCleanSchemaSql,
                j->pOpt->bNoOwner ? "true" : "false", j->pOpt->bNoPrivileges ? "true" : "false", zCleanObjectSql);
}

/* Asks before a --clean job is stored (inside the plan's transaction, so
 * a "no" leaves no trace): names the target database and every schema
 * that will be dropped, on the terminal and in the log.  Without a
 * terminal --yes is required (checked before connecting). */
static bool cat_confirm_clean(Job *j) {
  char *zList = st_text(j->db, "SELECT group_concat(substr(name, 8), ', ') FROM item WHERE job = ? AND kind = 'schema'"
                        " AND status <> 'excluded'", "i", j->id);
  PGconn *dst = j->dst;
  char zWhere[600];
  snprintf(zWhere, sizeof zWhere, "database %s on %s:%s", dst ? PQdb(dst) : "?", dst ? PQhost(dst) : "?",
           dst ? PQport(dst) : "?");
  bool ok = true;
  if (!zList) {
    /* nothing to drop */
  } else if (j->pOpt->bYes) {
    warn("--clean: schemas %s of the target %s will be dropped with everything in them and created again, and its "
         "large objects unlinked", zList, zWhere);
  } else {
    clear_progress_line();
    fprintf(stderr, "clonebox: --clean will DROP these schemas of the target %s, with everything in them, and create "
            "them again: %s; and unlink its large objects\nContinue? [y/N] ", zWhere, zList);
    char zAns[16] = "";
    if (!fgets(zAns, sizeof zAns, stdin) || (zAns[0] != 'y' && zAns[0] != 'Y')) {
      j->bDeclined = true;
      ok = fail(EXIT_USAGE, "--clean not confirmed; nothing was done");
    }
  }
  free(zList);
  return ok;
}

/* --role-map, stored with the job: given to the source session as the
 * setting ROLE_NAME reads.  Every source session of the job gets it. */
static bool cat_role_map(Job *j) {
  char *zMap = st_text(j->db, "SELECT json_extract(options, '$.role_map') FROM job WHERE id = ?", "i", j->id);
  if (!zMap) return !g_err.bSet;
  const char *az[1] = {zMap};
  PGresult *r = db_query(j->src, "SELECT pg_catalog.set_config('clonebox.role_map', $1, false)", 1, az,
                         "setting up the source session (--role-map)");
  free(zMap);
  PQclear(r);
  return r != NULL;
}

/* The target's role, for the plan's owners (OWNER_GRANTS): a table,
 * view or sequence that clonebox creates belongs to it already, and one
 * whose source owner is that role needs no ALTER .. OWNER, which would
 * wait for every reader of the table (a check under way, say).  Should a
 * later run create objects as another role, the report names their
 * owners as different. */
static bool cat_target_role(Job *j) {
  char *zRole = db_scalar(j->dst, "SELECT current_user", 0, NULL, "reading the target's role");
  const char *az[1] = {zRole};
  PGresult *r = zRole ? db_query(j->src, "SELECT pg_catalog.set_config('clonebox.target_role', $1, false)", 1, az,
                                 "setting up the source session") : NULL;
  free(zRole);
  PQclear(r);
  return r != NULL;
}

/* Plans a whole job inside one SQLite transaction and one source snapshot:
 * either the plan is stored complete or not at all. */
static bool cat_plan(Job *j) {
  sqlite3_int64 seq = 0;
  bool ok = cat_role_map(j) && cat_target_role(j) && db_exec(j->src, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "reading the source's catalogs") &&
            st_begin(j->db) &&
            st_run(j->db, "DELETE FROM item WHERE job = ?", "i", j->id) &&
            st_run(j->db, "DELETE FROM tbl WHERE job = ?", "i", j->id) &&
            st_run(j->db, "DELETE FROM mask WHERE job = ?", "i", j->id) &&
            (j->bPartial ? cat_plan_copy(j) : cat_plan_tables(j)) && (j->bVerifyOnly || cat_plan_masks(j)) &&
            (j->bVerifyOnly || j->bPartial ||
             (cat_plan_nodes(j, &seq) && cat_plan_post(j, &seq) && cat_plan_unsupported_post(j))) &&
            (j->bPartial || cat_plan_subscriptions(j, &seq)) &&
            (j->bVerifyOnly || cat_plan_subset(j, &seq)) && /* first in the data phase */
            cat_plan_data_verify(j, &seq) &&
            /* tables with a key are copied in exact chunks (run_pending) */
            st_run(j->db, "UPDATE tbl SET exact = 1 WHERE job = ? AND key_cols IS NOT NULL AND mode IN ('copy', 'part')",
                   "i", j->id) &&
            /* every copy (and the large objects) at once; every check too */
            st_run(j->db, "UPDATE item SET wave = (SELECT min(seq) FROM item WHERE job = ?1 AND phase = ?2)"
                   " WHERE job = ?1 AND phase = ?2", "ii", j->id, (sqlite3_int64)PH_DATA) &&
            st_run(j->db, "UPDATE item SET wave = (SELECT min(seq) FROM item WHERE job = ?1 AND phase = ?2)"
                   " WHERE job = ?1 AND phase = ?2", "ii", j->id, (sqlite3_int64)PH_VERIFY) &&
            /* a copy job's tables one after the other, in the order given
             * (the target's foreign keys may need a table's rows before
             * another's) */
            (!j->bPartial || st_run(j->db, "UPDATE item SET wave = seq WHERE job = ? AND phase = ?", "ii", j->id,
                                    (sqlite3_int64)PH_DATA)) &&
            /* a subset's selection is a wave of its own, before the copies */
            st_run(j->db, "UPDATE item SET wave = CASE WHEN kind = 'subset' THEN seq ELSE (SELECT min(seq) FROM item"
                   " WHERE job = ?1 AND phase = ?2 AND kind <> 'subset') END WHERE job = ?1 AND phase = ?2"
                   " AND EXISTS (SELECT 1 FROM item WHERE job = ?1 AND kind = 'subset')", "ii", j->id,
                   (sqlite3_int64)PH_DATA) &&
            (!j->pOpt->bClean || j->bVerifyOnly || (cat_plan_clean(j) && cat_confirm_clean(j))) &&
            st_run(j->db, "UPDATE job SET phase = ? WHERE id = ?", "ti",
                   azPhase[j->bVerifyOnly ? PH_VERIFY : j->bPartial ? PH_DATA : PH_ENUMS], j->id) &&
            st_commit(j->db);
  if (!ok) st_rollback(j->db);
  PGresult *r = PQexec(j->src, "COMMIT");
  PQclear(r);
  return ok;
}

/* }==================================================================== */

/* {====================================================================
 * 7. Work items (run_): progress, DDL, the snapshot, subsets, chunked copy, large objects, verification
 *
 * Each function runs one item (or a group of small ones) and records it
 * done in the same breath.  "kill -9 here" rules: a DDL item runs as one
 * target transaction, marked running before and done after; a run that
 * finds it running asks the target (the item's probe) whether it
 * committed.  A table is copied in chunks along its key (a large one in
 * key ranges, each an item), one target transaction each, whose
 * transaction id is recorded before its COMMIT so that a run after a kill
 * asks the target whether it committed (run_pending; a job planned
 * before state format 8 deletes past its last checkpoint instead); a
 * table without a key is copied in one transaction and truncated on a
 * redo, and a group of small tables is marked copying first and redone
 * whole.
 * ==================================================================== */

static bool g_bLineShown;   /* a progress line is on the terminal */
/* The job's length per second of its data phase, for the job's ETA: the
 * post-data phase and the checks left after it took 0.47 and 0.30 of the
 * data phase's time on the benchmark (tests/bench/RESULTS.md). */
#define JOB_PER_DATA 1.8
static double g_tLastLine;  /* when the last progress line went out (or was redrawn) */

static void clear_progress_line(void) {
  if (g_bLineShown) fputs("\r\033[K", stderr);
  g_bLineShown = false;
}

/* Shows what the job is doing on stderr: a line redrawn on a terminal at
 * most 5 times a second; otherwise (a log, CI) a plain line every 10 s
 * and at each phase ("Phase ..." items).  The facts are read only then:
 * they cost a scan of the job's items and tables. */
static void run_show(Job *j, const char *zItem) {
  double t = now();
  bool bPhase = strncmp(zItem, "Phase ", 6) == 0;
  if (g_bQuiet || (g_bTty ? t - g_tLastLine < 0.2 && !bPhase : t - g_tLastLine < 10 && !bPhase)) return;
  g_tLastLine = t;
  /* items done, rows copied of the total, the copy's rate since its first
   * table began, the job's elapsed time, the data phase's ETA, and the
   * job's: the data phase's (projected) length times JOB_PER_DATA, less
   * the time since the data began */
  sqlite3_stmt *p = st_prep(j->db,
      "SELECT (SELECT 100 * count(*) FILTER (WHERE status IN ('done', 'excluded')) / max(count(*), 1) FROM item WHERE job = ?1),"
      " coalesce(sum(rows_copied), 0), coalesce(sum(coalesce(rows_total, rows_est)), 0), ?2 - min(started_at),"
      " ?2 - (SELECT coalesce(started_at, created_at) FROM job WHERE id = ?1),"
      " (SELECT max(done_at) - min(t.started_at) FROM item i WHERE i.job = ?1 AND i.phase = ?3 AND i.status = 'done'"
      "  AND NOT EXISTS (SELECT 1 FROM item x WHERE x.job = ?1 AND x.phase = ?3 AND x.status IN ('todo', 'running')))"
      " FROM tbl t WHERE job = ?1 AND mode = 'copy'",
      "idi", j->id, t, (sqlite3_int64)PH_DATA);
  if (!p || sqlite3_step(p) != SQLITE_ROW) {
    sqlite3_finalize(p);
    return;
  }
  int pct = sqlite3_column_int(p, 0);
  double nRows = sqlite3_column_double(p, 1), nTotal = sqlite3_column_double(p, 2);
  double dtCopy = sqlite3_column_double(p, 3), dtJob = sqlite3_column_double(p, 4);
  double dtData = sqlite3_column_type(p, 5) == SQLITE_NULL ? -1 : sqlite3_column_double(p, 5); /* once it is over */
  sqlite3_finalize(p);
  char zFacts[200] = "", zEl[32], zEta[32], zJobEta[48] = "";
  fmt_duration(zEl, sizeof zEl, dtJob);
  double rate = dtCopy > 1 && nRows > 0 ? nRows / dtCopy : 0;
  if (j->phase == PH_DATA && nTotal > 0 && rate > 0) dtData = nTotal / rate; /* projected */
  if (dtData > 0 && j->phase >= PH_DATA && j->phase < PH_DONE) {
    double left = dtData * JOB_PER_DATA - dtCopy;
    if (left > 1) {
      fmt_duration(zEta, sizeof zEta, left);
      snprintf(zJobEta, sizeof zJobEta, ", job ETA ~%s", zEta);
    }
  }
  if (j->phase == PH_DATA && nTotal > 0 && rate > 0) {
    fmt_duration(zEta, sizeof zEta, nTotal > nRows ? (nTotal - nRows) / rate : 0);
    snprintf(zFacts, sizeof zFacts, " | %.0f/%.0f rows, %.0f rows/s, %s, data ETA %s%s", nRows, nTotal, rate, zEl, zEta,
             zJobEta);
  } else {
    snprintf(zFacts, sizeof zFacts, " | %s%s", zEl, zJobEta);
  }
  if (g_bTty) {
    char zBar[24];
    fmt_bar(zBar, 20, j->phase == PH_DATA && nTotal > 0 ? nRows : pct, j->phase == PH_DATA && nTotal > 0 ? nTotal : 100);
    fprintf(stderr, "\r\033[K[%-8s %3d%%] %s %.70s%s", azPhase[j->phase], pct, zBar, zItem, zFacts);
    g_bLineShown = true;
  } else {
    fprintf(stderr, "clonebox: [%s %d%%] %s%s\n", azPhase[j->phase], pct, zItem, zFacts);
  }
}

/* Records what the job is doing (state file: current item, heartbeat),
 * at most twice a second unless bForce, and shows it (the runner's thread
 * only: with workers, the runner draws the line from the state file). */
static bool run_progress(Job *j, const char *zItem, bool bForce) {
  double t = now();
  if (!bForce && t - j->tLastBeat < 0.5) return true;
  j->tLastBeat = t;
  if (!st_run(j->db, "UPDATE job SET current_item = ?, updated_at = ?, heartbeat_at = ? WHERE id = ?",
              "tddi", zItem, t, t, j->id))
    return false;
  if (g_iSlot == 0) run_show(j, zItem);
  return true;
}

/* The source connection, opened on first use with the shared session
 * settings; remembers the source database's encoding for the target. */
static PGconn *run_src(Job *j) {
  if (j->src) return j->src;
  j->src = db_connect(j->zSrcInfo, "source");
  lease_track(0, j->src);
  if (!j->src || !db_setup(j->src, NULL, "source")) return NULL;
  return j->id && !cat_role_map(j) ? NULL : j->src;
}

static PGconn *run_dst(Job *j) {
  if (j->dst) return j->dst;
  PGconn *src = run_src(j);
  if (!src) return NULL;
  j->dst = db_connect(j->zDstInfo, "target");
  lease_track(1, j->dst);
  if (!j->dst || !db_setup(j->dst, pg_encoding_to_char(PQclientEncoding(src)), "target")) return NULL;
  /* Every connection to a target that will be written is checked before
   * its first statement: a reconnect after a failover may land elsewhere. */
  if (!j->bVerifyOnly && !db_guard_target(src, j->dst)) {
    PQfinish(j->dst);
    j->dst = NULL;
    return NULL;
  }
  static const char zMeSql[] = "SELECT pg_catalog.pg_backend_pid() || '/' || backend_start FROM pg_catalog.pg_stat_activity"
                               " WHERE pid = pg_catalog.pg_backend_pid()";
  if (!j->bLockTarget) {
    /* A worker's session is recorded with the runner's, so that a runner
     * taking over after this process dies ends it first. */
    char *z = g_beat.bStarted && j->id ? db_scalar(j->dst, zMeSql, 0, NULL, "connecting a worker to the target") : NULL;
    bool ok = !g_err.bSet && (!z || st_run(j->db, "UPDATE job SET lock_backend = coalesce(lock_backend || ',', '') || ?"
                                           " WHERE id = ? AND owner = ?", "tit", z, j->id, j->zOwner));
    free(z);
    return ok ? j->dst : NULL;
  }
  /* The target-side fence: one clonebox writer per target database,
   * released by the server when this connection ends, however it ends.
   * A runner killed with -9 (or cut off by the network) can leave its
   * sessions, the one holding the lock and its workers', on the server
   * until it notices, and a statement they were running may still
   * commit.  Their pids and start times are in the state file; as this
   * process holds the state file's lock, the runner that recorded them is
   * dead, so they are ended at once (and waited for) before anything
   * else is written.  Any other holder is a live runner: wait up to
   * --wait (default 10 s) for it, then report it busy. */
  char *zDead = j->id ? st_text(j->db, "SELECT lock_backend FROM job WHERE id = ?", "i", j->id) : NULL;
  if (zDead && zDead[0]) {
    const char *az[1] = {zDead};
    PGresult *r = db_query(j->dst, "SELECT count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(a.pid, 5000))"
                           " FROM pg_catalog.pg_stat_activity a WHERE a.pid <> pg_catalog.pg_backend_pid()"
                           " AND a.usename = current_user" /* a role may end its own sessions */
                           " AND a.pid || '/' || a.backend_start = ANY (pg_catalog.string_to_array($1, ','))", 1, az,
                           "ending the target sessions of a runner that is gone");
    if (r && atoi(PQgetvalue(r, 0, 0)) > 0)
      note("ended %s target session(s) of a runner that is gone", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!r) {
      free(zDead);
      return NULL;
    }
  }
  free(zDead);
  static const char zHolderSql[] =
      "SELECT a.pid, a.pid || '/' || a.backend_start, format('backend pid %s, application %s, from %s, connected since %s',"
      " a.pid, a.application_name, coalesce(host(a.client_addr), 'local socket'), date_trunc('second', a.backend_start))"
      " FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
      " WHERE l.locktype = 'advisory' AND l.granted AND (l.classid, l.objid) = (" ADVISORY_KEY ")"
      " AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())";
  double tGiveUp = now() + (j->pOpt->wait > 0 ? j->pOpt->wait : 10);
  char zWho[300] = "holder not visible";
  bool bLocked = false;
  for (bool bSaid = false;;) {
    char *z = db_scalar(j->dst, "SELECT pg_catalog.pg_try_advisory_lock(" ADVISORY_KEY ")", 0, NULL, "locking the target");
    bLocked = z && z[0] == 't';
    free(z);
    if (bLocked || g_err.bSet) break;
    PGresult *r = db_query(j->dst, zHolderSql, 0, NULL, "locking the target");
    if (!r) break;
    /* our own earlier session (before a reconnect) may hold it still */
    bool bDead = PQntuples(r) > 0 && strcmp(PQgetvalue(r, 0, 1), j->zLockBackend) == 0;
    if (PQntuples(r) > 0) snprintf(zWho, sizeof zWho, "%s", PQgetvalue(r, 0, 2));
    if (bDead) {
      const char *az[1] = {PQgetvalue(r, 0, 0)};
      PGresult *rt = PQexecParams(j->dst, "SELECT pg_catalog.pg_terminate_backend($1::int, 5000)", 1, NULL, az, NULL,
                                  NULL, 0);
      bool bEnded = PQresultStatus(rt) == PGRES_TUPLES_OK && PQgetvalue(rt, 0, 0)[0] == 't';
      PQclear(rt);
      if (bEnded) note("ended this runner's earlier target session (%s)", zWho);
      j->zLockBackend[0] = '\0'; /* once */
      PQclear(r);
      continue;
    }
    PQclear(r);
    if (now() >= tGiveUp || atomic_load(&g_sig.n)) break;
    if (!bSaid) note("another clonebox runner holds the target (%s); waiting up to %.0f s", zWho, tGiveUp - now());
    bSaid = true;
    struct timespec ts = {0, 250 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (bLocked) { /* remember our session, for the next runner should this one die */
    char *z = db_scalar(j->dst, zMeSql, 0, NULL, "locking the target");
    snprintf(j->zLockBackend, sizeof j->zLockBackend, "%s", z ? z : "");
    free(z);
    if (!g_err.bSet && g_beat.bStarted &&
        !st_run(j->db, "UPDATE job SET lock_backend = ? WHERE id = ? AND owner = ?", "tit", j->zLockBackend, j->id,
                j->zOwner))
      return NULL;
    return g_err.bSet ? NULL : j->dst;
  }
  if (!g_err.bSet && atomic_load(&g_sig.n))
    fail(EXIT_MORE, "stopped by SIG%s while waiting for the target's lock; nothing was done", sigabbrev_np(atomic_load(&g_sig.num)));
  if (!g_err.bSet)
    fail(EXIT_BUSY, "another clonebox runner is writing into the target database (%s). Hint: wait for it to end "
         "(--wait DURATION); its lock goes away with its connection", zWho);
  return NULL;
}

/* Drops both connections (after a transient failure). */
static void run_disconnect(Job *j) {
  lease_track(0, NULL);
  lease_track(1, NULL);
  PQfinish(j->src);
  PQfinish(j->dst);
  PQfinish(j->snap);
  j->src = j->dst = j->snap = NULL;
  j->bSnapshot = false;
}

static bool run_mark(Job *j, const Item *it, const char *zStatus, const char *zNote) {
  return st_run(j->db, "UPDATE item SET status = ?, note = coalesce(?, note), done_at = ? WHERE job = ? AND seq = ?",
                "ttdii", zStatus, zNote, now(), j->id, it->seq);
}

/* A DDL item: one target transaction (PQexec runs a multi-statement string
 * as one), guarded by its probe when a previous run may have committed it.
 * A failure names the statement too, unless bSecret (it may hold a
 * password). */
static bool run_ddl(Job *j, const Item *it, bool bSecret) {
  PGconn *dst = run_dst(j);
  if (!dst) return false;
  if (it->zProbe && strcmp(it->zStatus, "running") == 0) {
    char *z = db_scalar(dst, it->zProbe, 0, NULL, it->zName);
    bool bDone = z && z[0] == 't';
    free(z);
    if (g_err.bSet) return false;
    if (bDone) return run_mark(j, it, "done", "found committed by an earlier run");
  }
  /* the claim marked it running (eng_claim) */
  if (!run_progress(j, it->zName, false)) return false;
  char zWhat[700];
  snprintf(zWhat, sizeof zWhat, "creating %s on the target", it->zName);
  /* Two statements of a wave that lock the same two tables in opposite
   * orders (foreign keys between them) deadlock; the server cancels one,
   * which simply runs again. */
  bool ok = db_exec(dst, it->zDdl, zWhat);
  for (int iTry = 0; !ok && iTry < 5 && strcmp(g_err.zState, "40P01") == 0; iTry++) {
    memset(&g_err, 0, sizeof g_err);
    ok = db_exec(dst, it->zDdl, zWhat);
  }
  if (!ok) {
    /* the statement, cut and on one line, unless it may hold a secret */
    if (!bSecret && g_err.bSet) {
      size_t n = strlen(g_err.zMsg);
      snprintf(g_err.zMsg + n, sizeof g_err.zMsg - n, ". Statement: %.200s%s", it->zDdl, strlen(it->zDdl) > 200 ? "..." : "");
      for (char *p = g_err.zMsg + n; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
    }
    return false;
  }
  return run_mark(j, it, "done", NULL);
}

/* A sequence's value, read from the source now (after the data). */
static bool run_setval(Job *j, const Item *it) {
  PGconn *src = run_src(j), *dst = src ? run_dst(j) : NULL;
  if (!dst) return false;
  PQExpBuffer q = createPQExpBuffer();
  appendPQExpBuffer(q, "SELECT last_value, is_called FROM %s", it->zDdl);
  PGresult *res = db_query(src, q->data, 0, NULL, it->zName);
  destroyPQExpBuffer(q);
  if (!res) return false;
  const char *az[3] = {it->zDdl, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1)};
  PGresult *r2 = db_query(dst, "SELECT pg_catalog.setval($1::regclass, $2::bigint, $3::boolean)", 3, az, it->zName);
  PQclear(res);
  if (!r2) return false;
  PQclear(r2);
  return run_mark(j, it, "done", NULL);
}

/* An item whose statement may hold a secret (a user mapping's password,
 * a subscription's connection string): its DDL column holds a query that
 * makes the statement on the source when the item runs, so the secret
 * goes from one server to the other and never into the state file. */
static bool run_ddl_from_source(Job *j, const Item *it) {
  PGconn *src = run_src(j);
  if (!src) return false;
  char *zDdl = db_scalar(src, it->zDdl, 0, NULL, it->zName);
  if (!zDdl) {
    if (!g_err.bSet) fail(EXIT_FAILED, "%s: it is gone from the source since the job was planned. Hint: start a new "
                          "job: clonebox clone --new --clean", it->zName);
    return false;
  }
  Item x = *it;
  x.zDdl = zDdl;
  bool ok = run_ddl(j, &x, true);
  explicit_bzero(zDdl, strlen(zDdl));
  free(zDdl);
  return ok;
}

/* One row of tbl, as the copy and checksum items need it. */
typedef struct TblInfo {
  char *zQname;         /* quoted "schema"."table"; free() */
  char *zCopyCols;      /* quoted columns COPY moves (no generated ones); free() */
  char *zAllCols;       /* quoted columns the checksum reads; free() */
  char *zKeyCols;       /* quoted copy-key columns, NULL if none; free() */
  char *zKeyTypes;      /* JSON array of their types; free() */
  char *zKeyExpr;       /* SQL: the key as a JSON array of text; free() */
  char *zLastKey;       /* JSON array: key of the last committed chunk, or NULL; free() */
  char *zStatus;        /* todo, copying, done; free() */
  char *zFormat;        /* COPY format: binary or text; free() */
  sqlite3_int64 nTotal; /* exact row count, -1 when not counted yet */
  sqlite3_int64 nDone;  /* rows committed on the target so far */
  RowSum copy;          /* checksum of the rows the copy streamed, to zLastKey */
  bool bCopySum;        /* copy holds one (the job copied the table with it) */
  char *zSrcFrom;       /* the source's rows in a FROM: ONLY "s"."t" (a partitioned table of a copy job: "s"."t") */
  /* a copy job's table (NULL in a clone): */
  char *zFilter;        /* --where, parenthesised: (CONDITION) */
  char *zInto;          /* the target table, quoted */
  char *zIntoFrom;      /* its rows in a FROM */
  char *zConflict;      /* error, skip, update, replace */
  char *zConflictSql;   /* skip, update: ON CONFLICT ... */
  char *zPending;       /* JSON: a chunk sent, not known to be committed (run_pending) */
  char *zCopySelect;    /* the source's select list with masked columns (--mask), or NULL */
  bool bSubset;         /* a --subset's table: its rows are those recorded in subset_key */
  bool bExact;          /* tbl.exact: its chunks are recorded pending before their COMMIT */
  sqlite3_int64 partOf; /* a key range of table partOf (tbl.id; mode part), else 0 */
  char *zPartHi;        /* a range's last key, JSON array (NULL: to the end of the table) */
} TblInfo;

static bool run_tbl_load(Job *j, sqlite3_int64 id, TblInfo *t) {
  sqlite3_stmt *p = st_prep(j->db, "SELECT qname, copy_cols, all_cols, key_cols, key_types, last_key, status, key_expr,"
                            " CASE WHEN relkind = 'p' AND where_sql IS NOT NULL THEN '' ELSE 'ONLY ' END || qname,"
                            " '(' || where_sql || char(10) || ')', into_qname, into_from, conflict, conflict_sql, pending,"
                            " copy_select,"
                            " coalesce(rows_total, CASE WHEN mode = 'part' THEN rows_est END, -1), rows_copied, coalesce(copy_format, 'binary'), copy_rows, copy_sum,"
                            " coalesce(bytes_copied, 0), (SELECT json_extract(options, '$.subset') IS NOT NULL FROM job"
                            "  WHERE job.id = tbl.job), coalesce(part_of, 0), part_hi, coalesce(exact, 0) FROM tbl WHERE job = ? AND id = ?",
                            "ii", j->id, id);
  if (!p) return false;
  bool ok = sqlite3_step(p) == SQLITE_ROW;
  if (ok) {
    char **az[] = {&t->zQname,   &t->zCopyCols, &t->zAllCols, &t->zKeyCols,  &t->zKeyTypes,     &t->zLastKey,
                   &t->zStatus,  &t->zKeyExpr,  &t->zSrcFrom, &t->zFilter,   &t->zInto,         &t->zIntoFrom,
                   &t->zConflict, &t->zConflictSql, &t->zPending, &t->zCopySelect};
    int n = (int)(sizeof az / sizeof *az);
    for (int i = 0; i < n; i++) *az[i] = xstrdup((const char *)sqlite3_column_text(p, i));
    t->nTotal = sqlite3_column_int64(p, n);
    t->nDone = sqlite3_column_int64(p, n + 1);
    t->zFormat = xstrdup((const char *)sqlite3_column_text(p, n + 2));
    t->bCopySum = sqlite3_column_type(p, n + 3) != SQLITE_NULL;
    sum_parse(&t->copy, sqlite3_column_int64(p, n + 3), (const char *)sqlite3_column_text(p, n + 4));
    t->copy.nBytes = sqlite3_column_int64(p, n + 5);
    t->bSubset = sqlite3_column_int(p, n + 6);
    t->partOf = sqlite3_column_int64(p, n + 7);
    t->zPartHi = xstrdup((const char *)sqlite3_column_text(p, n + 8));
    t->bExact = sqlite3_column_int(p, n + 9);
  } else {
    fail(EXIT_FAILED, "state file: table %lld of job %lld is missing", (long long)id, (long long)j->id);
  }
  sqlite3_finalize(p);
  return ok;
}

static void run_tbl_free(TblInfo *t) {
  char *az[] = {t->zQname,   t->zCopyCols, t->zAllCols, t->zKeyCols,  t->zKeyTypes, t->zLastKey,   t->zStatus,
                t->zKeyExpr, t->zFormat,   t->zSrcFrom, t->zFilter,   t->zInto,     t->zIntoFrom, t->zConflict,
                t->zConflictSql, t->zPending, t->zCopySelect, t->zPartHi};
  for (size_t i = 0; i < sizeof az / sizeof *az; i++) free(az[i]);
}

/* Appends a key as a row of typed literals, "('42'::integer, 'x'::text)",
 * from JSON arrays of its text values and of its types. */
static bool run_key_literal(Job *j, PGconn *conn, PQExpBuffer b, const char *zKey, const char *zTypes) {
  sqlite3_stmt *p = st_prep(j->db, "SELECT v.value, t.value FROM json_each(?) v JOIN json_each(?) t ON t.key = v.key"
                            " ORDER BY v.key", "tt", zKey, zTypes);
  if (!p) return false;
  appendPQExpBufferChar(b, '(');
  for (int i = 0; sqlite3_step(p) == SQLITE_ROW; i++) {
    const char *zVal = (const char *)sqlite3_column_text(p, 0);
    char *zLit = PQescapeLiteral(conn, zVal ? zVal : "", zVal ? strlen(zVal) : 0);
    if (!zLit) {
      sqlite3_finalize(p);
      return db_fail(conn, NULL, "quoting a key value");
    }
    appendPQExpBuffer(b, "%s%s::%s", i ? ", " : "", zLit, (const char *)sqlite3_column_text(p, 1));
    PQfreemem(zLit);
  }
  appendPQExpBufferChar(b, ')');
  return sqlite3_finalize(p) == SQLITE_OK;
}

/* Appends to b the condition "(key) zOp key literal", after an AND when
 * b holds one already. */
static bool run_key_cond(Job *j, PGconn *conn, PQExpBuffer b, const TblInfo *t, const char *zOp, const char *zKey) {
  appendPQExpBuffer(b, "%s(%s) %s ", b->len ? " AND " : "", t->zKeyCols, zOp);
  return run_key_literal(j, conn, b, zKey, t->zKeyTypes);
}

/* Cuts the next chunk of a table along its key: the rows after zLast
 * (NULL: from the start), about nChunk of them.  Sets w to the lower bound
 * alone, "(key) > last" (empty from the start), r to the whole range
 * (lower and upper bound; empty for a keyless table, one chunk), and
 * *pzUpper to the chunk's last key as a JSON array, or NULL when the chunk
 * runs to the end of the table, so that it also takes rows the target has
 * beyond the source's last key.  The bounds come from conn's rows (any cut
 * will do for a checksum, whose parts add up); a copy job's from the rows
 * its --where selects.  A key range of a split table (t->zPartHi) ends
 * at its last key: its last chunk has that upper bound (and *pzUpper is
 * NULL, as at the end of a table). */
static bool run_chunk(Job *j, PGconn *conn, const TblInfo *t, const char *zLast, long nChunk, PQExpBuffer w,
                      PQExpBuffer r, char **pzUpper, const char *zWhat) {
  *pzUpper = NULL;
  resetPQExpBuffer(w);
  resetPQExpBuffer(r);
  if (!t->zKeyCols) return true;
  if (zLast && !run_key_cond(j, conn, w, t, ">", zLast)) return false;
  PQExpBuffer q = createPQExpBuffer(), hi = createPQExpBuffer();
  if (t->zPartHi && !run_key_cond(j, conn, hi, t, "<=", t->zPartHi)) {
    destroyPQExpBuffer(q);
    destroyPQExpBuffer(hi);
    return false;
  }
  appendPQExpBuffer(q, "SELECT %s::text FROM (SELECT %s FROM %s WHERE true%s%s%s%s%s%s ORDER BY %s OFFSET %ld LIMIT 1) k",
                    t->zKeyExpr, t->zKeyCols, t->zSrcFrom, t->zFilter ? " AND " : "", t->zFilter ? t->zFilter : "",
                    w->len ? " AND " : "", w->data, hi->len ? " AND " : "", hi->data, t->zKeyCols, nChunk - 1);
  *pzUpper = db_scalar(conn, q->data, 0, NULL, zWhat);
  destroyPQExpBuffer(q);
  bool ok = !g_err.bSet;
  appendPQExpBufferStr(r, w->data);
  if (ok && *pzUpper) {
    ok = run_key_cond(j, conn, r, t, "<=", *pzUpper);
  } else if (ok && hi->len) {
    appendPQExpBuffer(r, "%s%s", r->len ? " AND " : "", hi->data);
  }
  destroyPQExpBuffer(hi);
  if (!ok) {
    free(*pzUpper);
    *pzUpper = NULL;
  }
  return ok;
}

/* The next chunk's size (rows or pages, between nMin and nMax) after one
 * of nChunk took dt seconds: aimed at CHUNK_SECONDS, so budgets, cancels
 * and heartbeats stay responsive and a kill loses little work, changing
 * at most fourfold at a time. */
#define CHUNK_SECONDS 0.5
static long run_chunk_size(long nChunk, double dt, long nMin, long nMax) {
  long n = dt > 0.01 ? (long)((double)nChunk * CHUNK_SECONDS / dt) : nChunk * 4;
  n = n > nChunk * 4 ? nChunk * 4 : n < nChunk / 4 ? nChunk / 4 : n;
  return n < nMin ? nMin : n > nMax ? nMax : n;
}

/* Test hook, for deterministic fault tests (tests/t_resume.sh): the
 * environment variable CLONEBOX_TEST_FAULT="PHASE:N:ACTION[,...]" acts at
 * this run's N-th checkpoint of PHASE (plan, enums, schema, data,
 * postdata, verify), or, for PHASE "commit", right after the N-th
 * COMMIT of a chunk on the target, before its checkpoint.  ACTION: kill (SIGKILL itself), term-src / term-dst
 * (its session on that server terminates itself), or pause (creates the
 * file $CLONEBOX_TEST_FAULT_DIR/paused and waits, up to two minutes, until
 * the test removes it: the test restarts a server meanwhile). */
static void run_test_fault(Job *j, bool bCommit) {
  static atomic_int aCount[PH_DONE + 2]; /* the process's checkpoints, all workers', and chunk commits */
  const char *zSpec = getenv("CLONEBOX_TEST_FAULT");
  if (!zSpec || j->phase < 0 || j->phase > PH_DONE) return;
  int n = atomic_fetch_add(&aCount[bCommit ? PH_DONE + 1 : j->phase], 1) + 1;
  char zWant[64];
  snprintf(zWant, sizeof zWant, "%s:%d:", bCommit ? "commit" : azPhase[j->phase], n);
  for (const char *p = zSpec; (p = strstr(p, zWant)) != NULL; p++) {
    if (p != zSpec && p[-1] != ',') continue;
    const char *zAct = p + strlen(zWant);
    fprintf(stderr, "clonebox: test fault at %s%.*s\n", zWant, (int)strcspn(zAct, ","), zAct);
    if (strncmp(zAct, "kill", 4) == 0) raise(SIGKILL);
    PGconn *conn = strncmp(zAct, "term-src", 8) == 0 ? j->src : strncmp(zAct, "term-dst", 8) == 0 ? j->dst : NULL;
    if (conn) PQclear(PQexec(conn, "SELECT pg_catalog.pg_terminate_backend(pg_catalog.pg_backend_pid())"));
    if (strncmp(zAct, "pause", 5) == 0 && getenv("CLONEBOX_TEST_FAULT_DIR")) {
      char zFile[4096];
      snprintf(zFile, sizeof zFile, "%s/paused", getenv("CLONEBOX_TEST_FAULT_DIR"));
      int fd = open(zFile, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd >= 0) close(fd);
      for (int i = 0; i < 1200 && access(zFile, F_OK) == 0; i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
      }
    }
  }
}

/* A unit of work is recorded: counts it (budget, retries) and gives the
 * test hook its chance. */
static void run_checkpoint(Job *j) {
  j->nCheckpoint++;
  run_test_fault(j, false);
}

/* Records a finished chunk: the checkpoint UPDATE zSql (bound per zTypes),
 * then xAlso(j, iAlso) when given (a split table's totals from its
 * ranges') and, after the item's last chunk, the item as done, in one
 * state-file transaction. */
static bool run_chunk_done(Job *j, const Item *it, bool bLast, bool (*xAlso)(Job *, sqlite3_int64), sqlite3_int64 iAlso,
                           const char *zSql, const char *zTypes, ...) {
  if (!st_begin(j->db)) return false;
  va_list ap;
  va_start(ap, zTypes);
  bool ok = st_vrun(j->db, zSql, zTypes, ap) && (!xAlso || xAlso(j, iAlso)) && (!bLast || run_mark(j, it, "done", NULL)) &&
            st_commit(j->db);
  va_end(ap);
  if (!ok) st_rollback(j->db);
  else run_checkpoint(j);
  return ok;
}

/* Adds one COPY data message to a checksum: a row, as the server sent it
 * (binary: field count, then each field's length and bytes, so a NULL,
 * an empty value, a changed bit and two swapped columns all differ; text:
 * the line).  The binary header (which may share the first row's message)
 * and trailer are not rows. */
static void run_sum_message(RowSum *s, const char *p, int n) {
  static const char zSig[11] = "PGCOPY\n\377\r\n";
  if (n >= 19 && memcmp(p, zSig, 11) == 0) {
    uint32_t nExt;
    memcpy(&nExt, p + 15, 4);
    nExt = ntohl(nExt);
    if ((size_t)n <= 19 + (size_t)nExt) return;
    p += 19 + nExt;
    n -= 19 + (int)nExt;
  }
  if (n == 2 && (unsigned char)p[0] == 0xff && (unsigned char)p[1] == 0xff) return;
  sum_add_row(s, p, (size_t)n);
}

#define COPY_BATCH (64 * 1024)
/* Streams rows from a source COPY TO into a target COPY FROM that the
 * caller's transaction surrounds: one row in memory at a time (and up to
 * COPY_BATCH bytes of rows on their way to the target), whatever the
 * table's size.  Binary COPY sends one message per row (plus header
 * and trailer), so the message count drives the progress display; the
 * exact count comes back in *pnCopied from the target.  A cancel seen
 * mid-stream aborts the target's COPY (the caller rolls back). */
static bool run_stream(Job *j, const Item *it, const TblInfo *t, const char *zOut, const char *zIn,
                       const char *zWhat, sqlite3_int64 *pnCopied, RowSum *pSum) {
  PGconn *src = j->src, *dst = j->dst;
  /* one statement each (the extended protocol allows no more) */
  PGresult *res = PQexecParams(dst, zIn, 0, NULL, NULL, NULL, NULL, 0);
  if (PQresultStatus(res) != PGRES_COPY_IN) {
    db_fail(dst, res, zWhat);
    PQclear(res);
    return false;
  }
  PQclear(res);
  const char *zAbort = "clonebox: the source side of the copy failed";
  res = PQexecParams(src, zOut, 0, NULL, NULL, NULL, NULL, 0);
  bool ok = PQresultStatus(res) == PGRES_COPY_OUT;
  if (!ok) db_fail(src, res, zWhat);
  PQclear(res);
  long long nRow = 0;
  /* Rows go to the target COPY_BATCH bytes at a time: libpq sends a
   * message as soon as 8 kB are waiting, and a row each made one system
   * call on each side of the socket (the COPY protocol lets rows span
   * messages). */
  char *pOut = xcalloc(1, COPY_BATCH);
  int nOut = 0;
  while (ok) {
    char *pBuf = NULL;
    int n = PQgetCopyData(src, &pBuf, 0);
    if (n < 0) break;
    run_sum_message(pSum, pBuf, n);
    int rc = 1;
    if (nOut > 0 && (nOut + n > COPY_BATCH || n > COPY_BATCH / 2)) rc = PQputCopyData(dst, pOut, nOut), nOut = 0;
    if (rc == 1 && n > COPY_BATCH / 2) rc = PQputCopyData(dst, pBuf, n); /* a large row goes as it is */
    else if (rc == 1) memcpy(pOut + nOut, pBuf, (size_t)n), nOut += n;
    PQfreemem(pBuf);
    if (rc != 1) {
      ok = db_fail(dst, NULL, zWhat);
      break;
    }
    if ((++nRow & 255) == 0) {
      if (atomic_load(&g_beat.stop) || lease_stop_overdue(1.0)) { /* cancelled, lease lost, signal */
        zAbort = "clonebox: job stopped";
        ok = false;
        while ((n = PQgetCopyData(src, &pBuf, 0)) >= 0) PQfreemem(pBuf); /* drain */
        break;
      }
      if (now() - j->tLastBeat >= 0.5) {
        char zItem[700];
        snprintf(zItem, sizeof zItem, "Copying %s (%lld/%lld)", t->zQname, (long long)t->nDone + nRow, (long long)t->nTotal);
        if (!run_progress(j, zItem, false)) { ok = false; break; }
      }
    }
  }
  if (ok && nOut > 0 && PQputCopyData(dst, pOut, nOut) != 1) ok = db_fail(dst, NULL, zWhat);
  free(pOut);
  if (ok) { /* the source's COPY result */
    res = PQgetResult(src);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) ok = db_fail(src, res, zWhat);
    PQclear(res);
  }
  db_drain(src);
  if (PQputCopyEnd(dst, ok ? NULL : zAbort) != 1) ok = ok ? db_fail(dst, NULL, zWhat) : false;
  res = PQgetResult(dst);
  if (ok && PQresultStatus(res) != PGRES_COMMAND_OK) ok = db_fail(dst, res, zWhat);
  if (ok) *pnCopied = atoll(PQcmdTuples(res));
  PQclear(res);
  db_drain(dst);
  (void)it;
  return ok;
}

/* Rolls back whatever the target has open after a failed chunk. */
static void run_dst_rollback(Job *j) {
  if (j->dst && PQtransactionStatus(j->dst) != PQTRANS_IDLE) {
    PGresult *r = PQexec(j->dst, "ROLLBACK");
    PQclear(r);
  }
}

/* The source's statistics count the rows written to each table
 * (inserted, updated, deleted): stores them into zCol of the job's copied
 * tables that zWhere selects.  Taken when a snapshot is exported and again
 * at verification, they tell whether the source changed after the
 * snapshot that copied a table: information, from statistics the server
 * updates within about a second, not a comparison. */
static bool run_write_counters(Job *j, PGconn *conn, const char *zCol, const char *zWhere) {
  PGresult *res = db_query(conn, "SELECT relid, n_tup_ins + n_tup_upd + n_tup_del FROM pg_catalog.pg_stat_user_tables", 0,
                           NULL, "reading the source's write counters");
  if (!res) return false;
  char *zSql = sqlite3_mprintf("UPDATE tbl SET %s = ? WHERE job = ? AND relid = ? AND mode = 'copy' AND %s", zCol, zWhere);
  bool ok = st_begin(j->db);
  for (int i = 0; ok && i < PQntuples(res); i++)
    ok = st_run(j->db, zSql, "iii", (sqlite3_int64)atoll(PQgetvalue(res, i, 1)), j->id,
                (sqlite3_int64)atoll(PQgetvalue(res, i, 0)));
  ok = ok && st_commit(j->db);
  if (!ok) st_rollback(j->db);
  sqlite3_free(zSql);
  PQclear(res);
  return ok;
}

/* Puts the source session into the data phase's snapshot: one per run,
 * exported by a session of its own that holds it open (pg_export_snapshot)
 * and imported by each transaction that copies.  The copying session
 * commits after each table, so that it does not hold a lock on every table
 * it has read: with thousands of tables that would exhaust the server's
 * lock table (max_locks_per_transaction). */
static bool run_snapshot_export(Job *j, const char *zWhat) {
  if (!j->bSnapshot) {
    PQfinish(j->snap);
    j->snap = db_connect(j->zSrcInfo, "source");
    char *zId = NULL;
    if (!j->snap || !db_setup(j->snap, NULL, "source") ||
        !db_exec(j->snap, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", zWhat) ||
        !(zId = db_scalar(j->snap, "SELECT pg_catalog.pg_export_snapshot()", 0, NULL, zWhat)) ||
        !st_run(j->db, "UPDATE job SET snapshots = snapshots + 1 WHERE id = ?", "i", j->id)) {
      free(zId);
      return false;
    }
    snprintf(j->zSnapshot, sizeof j->zSnapshot, "%s", zId);
    free(zId);
    j->bSnapshot = true;
    if (!run_write_counters(j, j->snap, "snap_writes", "status <> 'done'")) return false;
  }
  return true;
}

/* Begins j->src's transaction in the run's snapshot, exported first if
 * needed.  A worker imports the runner's; should that fail (its holder
 * is gone), the retry exports one of the worker's own: the report counts
 * the snapshots. */
static bool run_snapshot(Job *j, const char *zWhat) {
  if (!run_snapshot_export(j, zWhat)) return false;
  if (PQtransactionStatus(j->src) != PQTRANS_IDLE) return true;
  char *zLit = PQescapeLiteral(j->src, j->zSnapshot, strlen(j->zSnapshot));
  if (!zLit) return db_fail(j->src, NULL, zWhat);
  char zSql[160];
  snprintf(zSql, sizeof zSql, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT %s", zLit);
  PQfreemem(zLit);
  if (db_exec(j->src, zSql, zWhat)) return true;
  if (!j->snap) g_err.bTransient = true; /* imported: retry with a snapshot of our own */
  return false;
}

/* Ends the snapshot of the data phase (its holder session too). */
static void run_snapshot_end(Job *j) {
  if (j->src && PQtransactionStatus(j->src) != PQTRANS_IDLE) PQclear(PQexec(j->src, "COMMIT"));
  PQfinish(j->snap);
  j->snap = NULL;
  j->bSnapshot = false;
}

/* A split table's totals, from its key ranges', in the state-file
 * transaction that records a range's chunk: rows and bytes copied, its
 * status and, with its last range, its row total (the rows copied, in
 * the snapshot) and the checksum of the rows copied, whose parts add up,
 * which its check compares with the target's table as a whole. */
static bool run_part_rollup(Job *j, sqlite3_int64 parent) {
  sqlite3_stmt *p = st_prep(j->db, "SELECT status = 'done', rows_copied, coalesce(bytes_copied, 0), copy_rows, copy_sum"
                            " FROM tbl WHERE job = ? AND part_of = ?", "ii", j->id, parent);
  if (!p) return false;
  RowSum sum = {0};
  sqlite3_int64 nRows = 0, nBytes = 0;
  int n = 0, nDone = 0;
  while (sqlite3_step(p) == SQLITE_ROW) {
    RowSum x;
    n++;
    nDone += sqlite3_column_int(p, 0);
    nRows += sqlite3_column_int64(p, 1);
    nBytes += sqlite3_column_int64(p, 2);
    sum_parse(&x, sqlite3_column_int64(p, 3), (const char *)sqlite3_column_text(p, 4));
    sum_add(&sum, &x);
  }
  if (sqlite3_finalize(p) != SQLITE_OK) return fail(EXIT_FAILED, "state file: %s", sqlite3_errmsg(j->db));
  sqlite3_int64 bDone = n > 0 && nDone == n;
  char zSum[33];
  sum_text(&sum, zSum);
  return st_run(j->db, "UPDATE tbl SET rows_copied = ?1, bytes_copied = ?2, rows_total = CASE WHEN ?3 THEN ?1 END,"
                " status = CASE WHEN ?3 THEN 'done' ELSE 'copying' END, done_at = CASE WHEN ?3 THEN ?4 END,"
                " copy_rows = CASE WHEN ?3 THEN ?5 END, copy_sum = CASE WHEN ?3 THEN ?6 END WHERE job = ?7 AND id = ?8",
                "iiiditii", nRows, nBytes, bDone, now(), sum.nRow, zSum, j->id, parent);
}

/* A chunk is recorded twice: before the target's COMMIT, its transaction
 * id with the checkpoint it leads to (tbl.pending); after it, the
 * checkpoint.  A run that finds a pending chunk asks the target whether
 * that transaction committed (pg_xact_status) and takes the checkpoint
 * (a key range's table adds it up) or drops it: each chunk lands exactly
 * once, and nothing is deleted.  A copy job's chunk needs it (it is not
 * idempotent: --conflict error inserts, skip and update may meet rows of
 * the target's own); a clone's saves deleting past the checkpoint, a scan
 * of a table that has no index yet.  Returns 1 when the table turned out
 * done, 0 to go on, -1 on error. */
static int run_pending(Job *j, const Item *it, PGconn *dst, TblInfo *t) {
  if (!t->zPending) return 0;
  char *zXid = st_text(j->db, "SELECT json_extract(?, '$.xid')", "t", t->zPending);
  const char *az[1] = {zXid};
  char *zStatus = zXid ? db_scalar(dst, "SELECT pg_catalog.pg_xact_status($1::xid8)", 1, az, "asking the target whether "
                                   "the last chunk committed") : NULL;
  int rc = -1;
  if (g_err.bSet) goto done;
  if (!zStatus) { /* so old that the target no longer knows */
    fail(EXIT_FAILED, "copying %s: the target no longer knows whether transaction %s, the job's last chunk, committed; "
         "nothing more was written. Hint: 'clonebox cancel %lld', then copy --new --conflict replace (or skip)",
         t->zQname, zXid, (long long)j->id);
    goto done;
  }
  if (strcmp(zStatus, "in progress") == 0) { /* a session of ours the server has not ended yet */
    fail(EXIT_FAILED, "copying %s: the target's transaction %s (the last chunk) is still in progress", t->zQname, zXid);
    g_err.bTransient = true;
    goto done;
  }
  bool bCommitted = strcmp(zStatus, "committed") == 0;
  bool bLast = bCommitted && st_int(j->db, 0, "SELECT json_extract(?, '$.last')", "t", t->zPending);
  bool ok = st_begin(j->db) &&
            (!bCommitted || st_run(j->db, "UPDATE tbl SET last_key = json_extract(pending, '$.last_key'),"
                                   " rows_copied = json_extract(pending, '$.rows'), copy_rows = json_extract(pending, '$.copy_rows'),"
                                   " copy_sum = json_extract(pending, '$.copy_sum'), bytes_copied = json_extract(pending, '$.bytes'),"
                                   " status = ?, done_at = ?"
                                   " WHERE job = ? AND id = ?", "tdii", bLast ? "done" : "copying", bLast ? now() : 0.0,
                                   j->id, it->tbl)) &&
            st_run(j->db, "UPDATE tbl SET pending = NULL WHERE job = ? AND id = ?", "ii", j->id, it->tbl) &&
            (!bCommitted || !t->partOf || run_part_rollup(j, t->partOf)) && /* a key range: its table adds it up */
            (!bLast || run_mark(j, it, "done", NULL)) && st_commit(j->db);
  if (!ok) {
    st_rollback(j->db);
    goto done;
  }
  if (bLast) {
    rc = 1;
    goto done;
  }
  run_tbl_free(t);
  *t = (TblInfo){0};
  rc = run_tbl_load(j, it->tbl, t) ? 0 : -1;
done:
  free(zXid);
  free(zStatus);
  return rc;
}

/* The target side of one chunk of a copy job, up to its COPY: the
 * statements that open it (q) and the COPY that loads it (qIn), per
 * --conflict.  r: the chunk's key range, as the source's rows bound it.
 * error: straight into the table, a key conflict stops the job; replace:
 * first deletes the target's rows of the same range that --where selects
 * there (the first chunk has no lower bound, the last no upper one, so
 * the chunks together cover every such row), then straight in; skip and
 * update: into a temporary table, then INSERT .. ON CONFLICT (run_copy). */
static void run_copy_target(const TblInfo *t, sqlite3_int64 tblId, const char *zRange, PQExpBuffer q, PQExpBuffer qIn) {
  bool bStage = strcmp(t->zConflict, "skip") == 0 || strcmp(t->zConflict, "update") == 0;
  if (strcmp(t->zConflict, "replace") == 0)
    appendPQExpBuffer(q, "DELETE FROM %s WHERE %s%s%s; ", t->zIntoFrom, t->zFilter, zRange[0] ? " AND " : "", zRange);
  if (bStage)
    appendPQExpBuffer(q, "CREATE TEMP TABLE IF NOT EXISTS clonebox_stage_%lld ON COMMIT DELETE ROWS AS SELECT %s FROM %s"
                      " WITH NO DATA; ", (long long)tblId, t->zCopyCols, t->zInto);
  if (bStage) appendPQExpBuffer(qIn, "COPY pg_temp.clonebox_stage_%lld (%s) FROM STDIN (FORMAT %s)", (long long)tblId,
                                t->zCopyCols, t->zFormat);
  else appendPQExpBuffer(qIn, "COPY %s (%s) FROM STDIN (FORMAT %s)", t->zInto, t->zCopyCols, t->zFormat);
}

/* skip and update: the staged chunk goes into the table. */
static bool run_copy_merge(PGconn *dst, const TblInfo *t, sqlite3_int64 tblId, const char *zWhat) {
  if (strcmp(t->zConflict, "skip") != 0 && strcmp(t->zConflict, "update") != 0) return true;
  PQExpBuffer q = createPQExpBuffer();
  appendPQExpBuffer(q, "INSERT INTO %s (%s) SELECT %s FROM pg_temp.clonebox_stage_%lld %s", t->zInto, t->zCopyCols,
                    t->zCopyCols, (long long)tblId, t->zConflictSql);
  bool ok = db_exec(dst, q->data, zWhat);
  destroyPQExpBuffer(q);
  return ok;
}

/* --subset: the rows of a referentially whole slice, selected on the
 * source in the data phase's snapshot and recorded in the state file
 * (subset_key), so that the copies, and any later run, take exactly that
 * set.  From the roots (each --subset's rows), (1) down: every row that
 * references a row selected by a root or below one, through any foreign
 * key, transitively; (2) up: every row that a selected row references, so
 * that every foreign key holds on the target.  Rows reached only going up
 * are not followed down (one shared product would drag in every order),
 * unless --subset-down-from-references.  Each row is followed once each
 * way, so cycles end.  A foreign key on a partitioned table is followed
 * through its partitions (each row's tableoid names its leaf). */

/* A foreign key among the job's tables, as the selection follows it. */
typedef struct SubEdge {
  char *zCFrom, *zPFrom;     /* referencing and referenced table in a FROM (ONLY for a plain table) */
  char *zCCols, *zPCols;     /* their columns, c.x and p.y */
  char *zCKey, *zPKey;       /* their copy keys' columns */
  char *zCKeyExpr, *zPKeyExpr; /* their keys as JSON text */
  char *zCLeaves, *zPLeaves; /* their leaf tables' oids, ",1,2," */
} SubEdge;

/* Runs zSql on the source (rows: leaf oid, key) one row at a time, and
 * records each row as selected (bDown: to be followed down too; a row
 * known as reached going up only is raised to that).  Returns the number
 * of rows, -1 on error. */
static long run_subset_add(Job *j, const char *zSql, bool bDown, const char *zWhat) {
  PGconn *src = j->src;
  if (!PQsendQueryParams(src, zSql, 0, NULL, NULL, NULL, NULL, 0) || !PQsetSingleRowMode(src)) {
    db_fail(src, NULL, zWhat);
    return -1;
  }
  sqlite3_stmt *pTbl = st_prep(j->db, "SELECT id FROM tbl WHERE job = ? AND relid = ? AND mode = 'copy'", NULL);
  sqlite3_stmt *pIns = st_prep(j->db, "INSERT INTO subset_key(job, tbl, k, down) VALUES (?, ?, ?, ?)"
                               " ON CONFLICT(job, tbl, k) DO UPDATE SET down = 1, done_down = 0"
                               " WHERE excluded.down = 1 AND subset_key.down = 0", NULL);
  long n = 0;
  bool ok = pTbl && pIns, bTx = false;
  PGresult *r;
  while ((r = PQgetResult(src)) != NULL) {
    ExecStatusType st = PQresultStatus(r);
    /* a state-file transaction per 1000 rows, begun when they come: the
     * file's lock is never held while the source thinks */
    if (st == PGRES_SINGLE_TUPLE && ok && !bTx) ok = bTx = st_begin(j->db);
    if (st == PGRES_SINGLE_TUPLE && ok) {
      sqlite3_reset(pTbl);
      sqlite3_bind_int64(pTbl, 1, j->id);
      sqlite3_bind_int64(pTbl, 2, atoll(PQgetvalue(r, 0, 0)));
      sqlite3_int64 tbl = sqlite3_step(pTbl) == SQLITE_ROW ? sqlite3_column_int64(pTbl, 0) : 0;
      sqlite3_reset(pTbl); /* no read left open: it would pin a snapshot the next write could not begin from */
      if (tbl) { /* else a table the job does not copy */
        sqlite3_reset(pIns);
        sqlite3_bind_int64(pIns, 1, j->id);
        sqlite3_bind_int64(pIns, 2, tbl);
        sqlite3_bind_text(pIns, 3, PQgetvalue(r, 0, 1), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(pIns, 4, bDown);
        if (sqlite3_step(pIns) != SQLITE_DONE) ok = fail(EXIT_FAILED, "state file: %s", sqlite3_errmsg(j->db));
        n++;
      }
      if (ok && n % 1000 == 0) {
        sqlite3_reset(pTbl);
        sqlite3_reset(pIns);
        ok = st_commit(j->db);
        bTx = false;
      }
    } else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && ok) {
      ok = db_fail(src, r, zWhat);
    }
    PQclear(r);
  }
  sqlite3_finalize(pTbl);
  sqlite3_finalize(pIns);
  if (bTx && ok) ok = st_commit(j->db);
  else if (bTx) st_rollback(j->db);
  return ok ? n : -1;
}

/* Appends "(VALUES (k1), (k2), ...)" for a batch of selected rows: the
 * keys of subset_key rows in the JSON array zRowids. */
static bool run_subset_values(Job *j, PQExpBuffer b, const char *zRowids, const char *zTypes) {
  sqlite3_stmt *p = st_prep(j->db, "SELECT k FROM subset_key WHERE rowid IN (SELECT value FROM json_each(?)) ORDER BY rowid",
                            "t", zRowids);
  bool ok = p != NULL;
  appendPQExpBufferStr(b, "(VALUES ");
  for (int i = 0; ok && sqlite3_step(p) == SQLITE_ROW; i++) {
    if (i) appendPQExpBufferStr(b, ", ");
    ok = run_key_literal(j, j->src, b, st_col(p, 0), zTypes);
  }
  appendPQExpBufferChar(b, ')');
  sqlite3_finalize(p);
  return ok;
}

/* The source's foreign keys between tables of the job.  Rows: referencing
 * and referenced table (the top of a partition tree), their columns, their
 * leaves. */
static const char zSubsetEdgesSql[] =
    "SELECT k.conrelid, k.confrelid,"
    " (SELECT string_agg(format('c.%I', a.attname), ', ' ORDER BY u.i) FROM unnest(k.conkey) WITH ORDINALITY u(n, i)"
    "  JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n),"
    " (SELECT string_agg(format('p.%I', a.attname), ', ' ORDER BY u.i) FROM unnest(k.confkey) WITH ORDINALITY u(n, i)"
    "  JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n),"
    /* (a table outside any partition tree has no rows there: its own leaf) */
    " coalesce((SELECT ',' || string_agg(l.relid::oid::text, ',') || ',' FROM pg_catalog.pg_partition_tree(k.conrelid) l"
    "  WHERE l.isleaf), ',' || k.conrelid || ','),"
    " coalesce((SELECT ',' || string_agg(l.relid::oid::text, ',') || ',' FROM pg_catalog.pg_partition_tree(k.confrelid) l"
    "  WHERE l.isleaf), ',' || k.confrelid || ',')"
    " FROM pg_catalog.pg_constraint k WHERE k.contype = 'f' AND k.conparentid = 0 ORDER BY k.oid";

static void run_subset_free(SubEdge *a, int n) {
  for (int i = 0; i < n; i++) {
    char *az[] = {a[i].zCFrom, a[i].zPFrom, a[i].zCCols, a[i].zPCols, a[i].zCKey, a[i].zPKey, a[i].zCKeyExpr,
                  a[i].zPKeyExpr, a[i].zCLeaves, a[i].zPLeaves};
    for (size_t k = 0; k < sizeof az / sizeof *az; k++) free(az[k]);
  }
  free(a);
}

/* The edges the selection follows: foreign keys whose two tables the job
 * copies (with their keys, from the tbl rows of the trees' tops). */
static SubEdge *run_subset_edges(Job *j, int *pn) {
  PGresult *r = db_query(j->src, zSubsetEdgesSql, 0, NULL, "listing the source's foreign keys");
  SubEdge *a = r ? xcalloc((size_t)PQntuples(r) + 1, sizeof *a) : NULL;
  int n = 0;
  for (int i = 0; a && i < PQntuples(r); i++) {
    char *az[2][3] = {{NULL}};
    for (int side = 0; side < 2; side++) {
      sqlite3_stmt *p = st_prep(j->db, "SELECT CASE WHEN relkind = 'p' THEN '' ELSE 'ONLY ' END || qname, key_cols, key_expr"
                                " FROM tbl WHERE job = ? AND relid = ? AND mode IN ('copy', 'parent') AND key_cols IS NOT NULL",
                                "ii", j->id, (sqlite3_int64)atoll(PQgetvalue(r, i, side)));
      if (p && sqlite3_step(p) == SQLITE_ROW)
        for (int c = 0; c < 3; c++) az[side][c] = xstrdup(st_col(p, c));
      sqlite3_finalize(p);
    }
    if (az[0][0] && az[1][0]) {
      a[n] = (SubEdge){az[0][0], az[1][0], xstrdup(PQgetvalue(r, i, 2)), xstrdup(PQgetvalue(r, i, 3)), az[0][1], az[1][1],
                       az[0][2], az[1][2], xstrdup(PQgetvalue(r, i, 4)), xstrdup(PQgetvalue(r, i, 5))};
      n++;
    } else {
      for (int side = 0; side < 2; side++)
        for (int c = 0; c < 3; c++) free(az[side][c]);
    }
  }
  PQclear(r);
  *pn = n;
  return a;
}

/* Follows one batch of table T's selected rows (zRowids) along every edge
 * that leaves T: down (T referenced: the rows referencing them) or up (T
 * referencing: the rows they reference). */
static bool run_subset_follow(Job *j, const SubEdge *a, int n, sqlite3_int64 relid, const char *zTypes, const char *zRowids,
                              bool bUp, bool bDownAll) {
  char zLeaf[32];
  snprintf(zLeaf, sizeof zLeaf, ",%lld,", (long long)relid);
  PQExpBuffer q = createPQExpBuffer();
  bool ok = true;
  for (int i = 0; ok && i < n; i++) {
    const SubEdge *e = &a[i];
    if (!strstr(bUp ? e->zCLeaves : e->zPLeaves, zLeaf)) continue;
    resetPQExpBuffer(q);
    if (bUp) /* the rows these reference */
      appendPQExpBuffer(q, "SELECT p.tableoid::oid, %s::text FROM %s p WHERE (%s) IN (SELECT %s FROM %s c WHERE (%s) IN ",
                        e->zPKeyExpr, e->zPFrom, e->zPCols, e->zCCols, e->zCFrom, e->zCKey);
    else /* the rows that reference these */
      appendPQExpBuffer(q, "SELECT c.tableoid::oid, %s::text FROM %s c WHERE (%s) IN (SELECT %s FROM %s p WHERE (%s) IN ",
                        e->zCKeyExpr, e->zCFrom, e->zCCols, e->zPCols, e->zPFrom, e->zPKey);
    ok = run_subset_values(j, q, zRowids, zTypes);
    appendPQExpBufferChar(q, ')');
    ok = ok && run_subset_add(j, q->data, !bUp || bDownAll, "selecting the subset's rows") >= 0;
  }
  destroyPQExpBuffer(q);
  return ok;
}

static bool run_subset(Job *j, const Item *it) {
  PGconn *src = run_src(j), *dst = src ? run_dst(j) : NULL;
  if (!dst || !run_snapshot(j, "selecting the subset's rows")) return false;
  bool bDownAll = st_int(j->db, 0, "SELECT coalesce(json_extract(options, '$.subset_down_from_references'), 0) FROM job"
                         " WHERE id = ?", "i", j->id);
  int nEdge = 0;
  SubEdge *aEdge = NULL;
  bool bStopped = false;
  bool ok = st_run(j->db, "DELETE FROM subset_key WHERE job = ?", "i", j->id) &&
            run_progress(j, "Selecting the subset's rows", true);
  /* the roots (read first: no statement stays open across the writes) */
  char *zRoots = ok ? st_text(j->db, "SELECT json_extract(options, '$.subset') FROM job WHERE id = ?", "i", j->id) : NULL;
  int nRoot = zRoots ? (int)st_int(j->db, 0, "SELECT json_array_length(?)", "t", zRoots) : 0;
  PQExpBuffer q = createPQExpBuffer();
  for (int iRoot = 0; ok && iRoot < nRoot; iRoot++) {
    char *zSpec = st_text(j->db, "SELECT json_extract(?, '$[' || ? || ']')", "ti", zRoots, (sqlite3_int64)iRoot);
    if (!zSpec) {
      ok = false;
      break;
    }
    const char *zColon = name_end(zSpec, ':');
    char *zName = sqlite3_mprintf("%.*s", (int)(zColon - zSpec), zSpec);
    const char *az[1] = {zName};
    char *zOid = db_scalar(src, "SELECT pg_catalog.to_regclass(btrim($1))::oid", 1, az, "finding a --subset table");
    char *zFrom = zOid ? st_text(j->db, "SELECT CASE WHEN relkind = 'p' THEN '' ELSE 'ONLY ' END || qname || char(9) ||"
                                 " key_expr FROM tbl WHERE job = ? AND relid = ? AND mode IN ('copy', 'parent')"
                                 " AND key_cols IS NOT NULL", "ii", j->id, (sqlite3_int64)atoll(zOid)) : NULL;
    if (!zFrom) {
      ok = g_err.bSet ? false : fail(EXIT_USAGE, "--subset %s: %s is not a table this clone copies", zSpec, zName);
    } else {
      char *zTab = strchr(zFrom, '\t');
      *zTab = '\0';
      resetPQExpBuffer(q);
      appendPQExpBuffer(q, "SELECT tableoid::oid, %s::text FROM %s WHERE (%s\n)", zTab + 1, zFrom, zColon + 1);
      char zWhat[600];
      snprintf(zWhat, sizeof zWhat, "--subset %s", zSpec);
      if (run_subset_add(j, q->data, true, zWhat) < 0) {
        ok = false;
        g_err.rc = EXIT_USAGE; /* the command line's condition */
      }
    }
    free(zOid);
    free(zFrom);
    sqlite3_free(zName);
    free(zSpec);
  }
  free(zRoots);
  aEdge = ok ? run_subset_edges(j, &nEdge) : NULL;
  ok = ok && aEdge;
  /* down and up, a batch of one table's rows at a time, until no row is
   * left to follow */
  char *zTbls = ok ? st_text(j->db, "SELECT json_group_array(json_array(id, relid, key_types)) FROM (SELECT id, relid,"
                             " key_types FROM tbl WHERE job = ? AND mode = 'copy' ORDER BY id)", "i", j->id) : NULL;
  int nTbl = zTbls ? (int)st_int(j->db, 0, "SELECT json_array_length(?)", "t", zTbls) : 0;
  ok = ok && zTbls;
  for (bool bMore = true; ok && bMore;) {
    bMore = false;
    for (int iT = 0; ok && iT < nTbl; iT++) {
      sqlite3_stmt *pT = st_prep(j->db, "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
                                 " json_extract(value, '$[2]') FROM json_each(?) WHERE key = ?", "ti", zTbls, (sqlite3_int64)iT);
      if (!pT || sqlite3_step(pT) != SQLITE_ROW) {
        sqlite3_finalize(pT);
        ok = false;
        break;
      }
      sqlite3_int64 tblId = sqlite3_column_int64(pT, 0), relid = sqlite3_column_int64(pT, 1);
      char *zTypes = xstrdup(st_col(pT, 2));
      sqlite3_finalize(pT);
      for (int bUp = 0; ok && bUp < 2; bUp++) {
        char *zRowids = st_text(j->db, bUp ? "SELECT json_group_array(rowid) FROM (SELECT rowid FROM subset_key WHERE job = ?"
                                             " AND tbl = ? AND done_up = 0 ORDER BY rowid LIMIT 500)"
                                           : "SELECT json_group_array(rowid) FROM (SELECT rowid FROM subset_key WHERE job = ?"
                                             " AND tbl = ? AND down = 1 AND done_down = 0 ORDER BY rowid LIMIT 500)",
                                "ii", j->id, tblId);
        if (zRowids && strcmp(zRowids, "[]") != 0) {
          bMore = true;
          /* (a kill in between is harmless: a selection not done is made again) */
          ok = run_subset_follow(j, aEdge, nEdge, relid, zTypes, zRowids, bUp, bDownAll) &&
               st_run(j->db, bUp ? "UPDATE subset_key SET done_up = 1 WHERE rowid IN (SELECT value FROM json_each(?))"
                                 : "UPDATE subset_key SET done_down = 1 WHERE rowid IN (SELECT value FROM json_each(?))",
                      "t", zRowids);
        }
        ok = ok && zRowids;
        free(zRowids);
      }
      free(zTypes);
      /* a signal or a cancel stops it (the next run selects again); a
       * step's budget does not, or a large selection would never end */
      if (ok && (atomic_load(&g_sig.n) || atomic_load(&g_beat.stop) != STOP_NONE || atomic_load(&g_bHalt))) {
        run_should_stop(j);
        bStopped = true;
      }
    }
    ok = ok && !bStopped && run_progress(j, "Selecting the subset's rows", false);
  }
  free(zTbls);
  run_subset_free(aEdge, nEdge);
  destroyPQExpBuffer(q);
  if (bStopped) return false;
  /* the source's locks go (the copies import the snapshot again) */
  ok = ok && db_exec(src, "COMMIT", "selecting the subset's rows");
  /* kill -9 before this commit selects again; after it, the copies take
   * exactly this set */
  ok = ok && st_begin(j->db) &&
       st_run(j->db, "UPDATE tbl SET rows_total = (SELECT count(*) FROM subset_key s WHERE s.job = tbl.job AND s.tbl = tbl.id)"
              " WHERE job = ? AND mode = 'copy'", "i", j->id) &&
       run_mark(j, it, "done", NULL) && st_commit(j->db);
  if (ok) run_checkpoint(j);
  return ok;
}

/* The next chunk of a subset's table: nChunk of its selected rows after
 * rowid zLast (a JSON array, NULL from the start) as r, "(key) IN
 * (VALUES ...)"; *pzUpper the last rowid taken, NULL when no row is left
 * after them. */
static bool run_subset_chunk(Job *j, const TblInfo *t, sqlite3_int64 tblId, const char *zLast, long nChunk, PQExpBuffer r,
                             char **pzUpper) {
  *pzUpper = NULL;
  resetPQExpBuffer(r);
  sqlite3_int64 last = zLast ? st_int(j->db, 0, "SELECT json_extract(?, '$[0]')", "t", zLast) : 0;
  char *zRowids = st_text(j->db, "SELECT json_group_array(rowid) FROM (SELECT rowid FROM subset_key WHERE job = ? AND tbl = ?"
                          " AND rowid > ? ORDER BY rowid LIMIT ?)", "iiii", j->id, tblId, last, (sqlite3_int64)nChunk);
  if (!zRowids) return false;
  sqlite3_int64 nGot = st_int(j->db, 0, "SELECT json_array_length(?)", "t", zRowids);
  sqlite3_int64 max = st_int(j->db, 0, "SELECT json_extract(?, '$[#-1]')", "t", zRowids);
  bool ok = true;
  if (nGot == 0) {
    appendPQExpBufferStr(r, "false");
  } else {
    appendPQExpBuffer(r, "(%s) IN ", t->zKeyCols);
    ok = run_subset_values(j, r, zRowids, t->zKeyTypes);
    if (ok && st_int(j->db, 0, "SELECT EXISTS (SELECT 1 FROM subset_key WHERE job = ? AND tbl = ? AND rowid > ?)", "iii",
                     j->id, tblId, max))
      *pzUpper = sqlite3_mprintf("[%lld]", (long long)max);
  }
  free(zRowids);
  if (*pzUpper) { /* malloc'd, as run_chunk's */
    char *z = xstrdup(*pzUpper);
    sqlite3_free(*pzUpper);
    *pzUpper = z;
  }
  return ok;
}

/* Copies one table, in chunks cut along its key when it has one.
 *
 * Each chunk is one target transaction holding the rows with key in
 * (last, upper]; before its COMMIT the state file records the chunk's
 * transaction id and the checkpoint it leads to (tbl.pending), after it
 * the checkpoint.  kill -9 between the two: the next run asks the target
 * whether that transaction committed (run_pending) and records the
 * checkpoint or forgets the chunk, deleting nothing.  (A job planned
 * before state format 8 has no pending records: it deletes past the
 * checkpoint, bRepair, and its first chunk truncates.)  A table without a
 * usable key is copied in one transaction and, if cut, started again from
 * empty (the report counts those restarts).  A copy job's chunks go into
 * a table that holds other rows too: see run_copy_target. */
static bool run_copy(Job *j, const Item *it) {
  TblInfo t = {0};
  PQExpBuffer q = createPQExpBuffer(), w = createPQExpBuffer(), r = createPQExpBuffer(), qIn = createPQExpBuffer();
  PQExpBuffer hi = createPQExpBuffer(); /* a key range's last key, as a condition */
  bool ok = false;
  char zItem[700], zWhat[700];
  bool bPart = false; /* a copy job's rows: into a table that has rows of its own */
  bool bExact = false; /* its chunks land exactly once (run_pending): no truncate, no delete */
  PGconn *src = run_src(j), *dst = src ? run_dst(j) : NULL;
  if (!dst || !run_tbl_load(j, it->tbl, &t)) goto done;
  snprintf(zWhat, sizeof zWhat, "copying %s", t.zQname);
  bPart = t.zFilter != NULL;
  bExact = bPart || t.bSubset || t.bExact;
  if (bExact) {
    int rc = run_pending(j, it, dst, &t);
    if (rc) {
      ok = rc > 0;
      goto done;
    }
  }
  if (!run_snapshot(j, zWhat)) goto done;
  /* A key range of a split table: its last key, as a condition (its
   * rows are not counted: it shows the plan's estimate, and its table
   * the rows copied once every range is done) */
  if (t.zPartHi && !run_key_cond(j, src, hi, &t, "<=", t.zPartHi)) goto done;
  bool bCounted = t.nTotal < 0; /* in this snapshot, just now */
  if (t.nTotal < 0) { /* counted once per job, kept for every later run */
    appendPQExpBuffer(q, "SELECT count(*) FROM %s%s%s", t.zSrcFrom, bPart ? " WHERE " : "", bPart ? t.zFilter : "");
    char *z = db_scalar(src, q->data, 0, NULL, zWhat);
    if (!z) goto done;
    t.nTotal = atoll(z);
    free(z);
    if (!st_run(j->db, "UPDATE tbl SET rows_total = ? WHERE job = ? AND id = ?", "iii", t.nTotal, j->id, it->tbl))
      goto done;
  }
  /* A clone's table planned before state format 8, or without a key,
   * repairs itself: it truncates before the first chunk and deletes past
   * the checkpoint after a kill (a scan of the target's table, which has
   * no index yet).  Every other table's chunks are exact: run_pending
   * has settled the last one. */
  bool bRepair = !bExact && strcmp(t.zStatus, "copying") == 0;
  bool bFresh = bExact || strcmp(t.zStatus, "todo") == 0; /* never begun: the target's table is empty */
  if (!t.zKeyCols && !bPart) { /* no key: the whole table in one transaction */
    t.nDone = 0;
    if (!st_run(j->db, "UPDATE tbl SET status = 'copying', rows_copied = 0, last_key = NULL,"
                " restarts = restarts + ?, started_at = coalesce(started_at, ?) WHERE job = ? AND id = ?",
                "idii", (sqlite3_int64)bRepair, now(), j->id, it->tbl))
      goto done;
  } else if (!bRepair && !st_run(j->db, "UPDATE tbl SET status = 'copying', started_at = coalesce(started_at, ?)"
                                 " WHERE job = ? AND id IN (?, ?) AND status <> 'done'", "diii", now(), j->id, it->tbl,
                                 t.partOf)) { /* a range: its table too */
    goto done;
  }
  snprintf(zItem, sizeof zItem, "Copying %s (%lld/%lld)", t.zQname, (long long)t.nDone, (long long)t.nTotal);
  if (!run_progress(j, zItem, true)) goto done;
  /* A table without columns (or with only generated ones) still has rows:
   * COPY without a column list moves them (an empty list is a syntax
   * error), and skips generated columns by itself. */
  bool bNoCols = !t.zCopyCols || !t.zCopyCols[0];
  if (bPart) {
    /* the target's statements are made per chunk (its range) */
  } else if (bNoCols) {
    appendPQExpBuffer(qIn, "COPY %s FROM STDIN (FORMAT %s)", t.zQname, t.zFormat);
  } else {
    appendPQExpBuffer(qIn, "COPY %s (%s) FROM STDIN (FORMAT %s)", t.zQname, t.zCopyCols, t.zFormat);
  }

  long nChunk = 10000;
  for (;;) {
    char *zUpper = NULL;
    double t0 = now();
    /* a table counted just now that fits in one chunk needs no bounds */
    if (t.bSubset) {
      if (!run_subset_chunk(j, &t, it->tbl, t.zLastKey, nChunk, r, &zUpper)) goto done;
    } else if (bCounted && !t.zLastKey && t.nTotal < nChunk && !t.partOf) {
      resetPQExpBuffer(w);
      resetPQExpBuffer(r);
    } else if (!run_chunk(j, src, &t, t.zLastKey, nChunk, w, r, &zUpper, zWhat)) {
      goto done;
    }
    /* The target: one transaction per chunk. */
    resetPQExpBuffer(q);
    appendPQExpBufferStr(q, "BEGIN; ");
    if (bPart) {
      resetPQExpBuffer(qIn);
      run_copy_target(&t, it->tbl, r->data, q, qIn);
    } else if (!t.zLastKey && !bFresh) { /* a range: the others may be copying */
      if (t.partOf) appendPQExpBuffer(q, "DELETE FROM ONLY %s WHERE %s", t.zQname, hi->len ? hi->data : "true");
      else appendPQExpBuffer(q, "TRUNCATE ONLY %s", t.zQname);
    } else if (bRepair) {
      appendPQExpBuffer(q, "DELETE FROM ONLY %s WHERE %s%s%s", t.zQname, w->data, hi->len ? " AND " : "", hi->data);
    }
    if (!db_exec(dst, q->data, zWhat)) { free(zUpper); goto done; }
    resetPQExpBuffer(q);
    const char *zSel = t.zCopySelect ? t.zCopySelect : t.zCopyCols; /* masked columns replaced */
    if (bPart)
      appendPQExpBuffer(q, "COPY (SELECT %s FROM %s WHERE %s%s%s) TO STDOUT (FORMAT %s)", zSel, t.zSrcFrom,
                        t.zFilter, r->len ? " AND " : "", r->data, t.zFormat);
    else if (r->len || t.zCopySelect)
      appendPQExpBuffer(q, "COPY (SELECT %s FROM ONLY %s%s%s) TO STDOUT (FORMAT %s)", zSel, t.zQname,
                        r->len ? " WHERE " : "", r->data, t.zFormat);
    else if (bNoCols) appendPQExpBuffer(q, "COPY %s TO STDOUT (FORMAT %s)", t.zQname, t.zFormat);
    else appendPQExpBuffer(q, "COPY %s (%s) TO STDOUT (FORMAT %s)", t.zQname, t.zCopyCols, t.zFormat);
    sqlite3_int64 nCopied = 0;
    RowSum chunk = {0};
    if (!run_stream(j, it, &t, q->data, qIn->data, zWhat, &nCopied, &chunk) ||
        (bPart && !run_copy_merge(dst, &t, it->tbl, zWhat))) {
      free(zUpper);
      goto done;
    }
    if (!t.zLastKey) t.copy = (RowSum){0};
    sum_add(&t.copy, &chunk);
    char zSum[33];
    sum_text(&t.copy, zSum);
    t.nDone += nCopied;
    if (bExact) { /* the chunk's transaction id, and the checkpoint it leads to, before its COMMIT */
      char *zXid = db_scalar(dst, "SELECT pg_catalog.pg_current_xact_id()::text", 0, NULL, zWhat);
      ok = zXid && st_run(j->db, "UPDATE tbl SET pending = json_object('xid', ?, 'last_key', json(?), 'rows', ?,"
                          " 'copy_rows', ?, 'copy_sum', ?, 'last', json(?), 'bytes', ?) WHERE job = ? AND id = ?", "ttiittiii",
                          zXid, zUpper ? zUpper : "null", t.nDone, t.copy.nRow, zSum, zUpper ? "false" : "true",
                          t.copy.nBytes, j->id, it->tbl);
      free(zXid);
      if (!ok) {
        free(zUpper);
        goto done;
      }
    }
    if (!db_exec(dst, "COMMIT", zWhat)) {
      free(zUpper);
      goto done;
    }
    run_test_fault(j, true);
    /* kill -9 here: the target has the chunk, the state file not yet;
     * the next run finds the pending chunk committed (a table planned
     * before format 8: deletes past the last checkpoint, or truncates).  The checksum of
     * what was streamed goes with the checkpoint, so it always describes
     * exactly the rows up to it: the source side of the verification,
     * read in the snapshot that copied them. */
    bRepair = false;
    ok = run_chunk_done(j, it, !zUpper, t.partOf ? run_part_rollup : NULL, t.partOf,
                        "UPDATE tbl SET last_key = ?, rows_copied = ?, status = ?, done_at = ?, copy_rows = ?, copy_sum = ?,"
                        " bytes_copied = ?, pending = NULL WHERE job = ? AND id = ?", "titditiii",
                        zUpper ? zUpper : t.zLastKey, t.nDone, zUpper ? "copying" : "done", zUpper ? 0.0 : now(),
                        t.copy.nRow, zSum, t.copy.nBytes, j->id, it->tbl);
    if (!ok) {
      free(zUpper);
      goto done;
    }
    if (!zUpper) break;
    free(t.zLastKey);
    t.zLastKey = zUpper;
    nChunk = run_chunk_size(nChunk, now() - t0, 1000, t.bSubset ? 50000 : 2000000); /* a subset's chunk is a list of keys */
    if (run_should_stop(j)) goto done; /* ok: paused at a checkpoint */
  }
  /* the table's locks go; the next table imports the snapshot again */
  ok = db_exec(src, "COMMIT", zWhat);
  snprintf(zItem, sizeof zItem, "%s done: %s (%lld rows)", t.partOf ? "Key range" : "Table", t.zQname, (long long)t.nDone);
  ok = ok && run_progress(j, zItem, true);
done:
  if (!ok) run_dst_rollback(j);
  if (!ok && bPart && strcmp(g_err.zState, "23505") == 0) /* a key the target has already */
    snprintf(g_err.zMsg + strlen(g_err.zMsg), sizeof g_err.zMsg - strlen(g_err.zMsg), "%sHint: the target already has "
             "rows with these keys; choose what to do with them: --conflict skip (keep the target's), update (take the "
             "source's) or replace (delete the target's rows that --where selects first), with copy --new",
             g_err.zMsg[0] && g_err.zMsg[strlen(g_err.zMsg) - 1] == '.' ? " " : ". ");
  destroyPQExpBuffer(q);
  destroyPQExpBuffer(w);
  destroyPQExpBuffer(r);
  destroyPQExpBuffer(qIn);
  destroyPQExpBuffer(hi);
  run_tbl_free(&t);
  return ok;
}

/* Copies one large object's content in slices of LO_SLICE bytes, so that
 * memory stays bounded whatever its size. */
#define LO_SLICE (1 << 20)
static bool run_lo_content(Job *j, const char *zOid, const char *zWhat) {
  char zOff[32], zLen[16];
  snprintf(zLen, sizeof zLen, "%d", LO_SLICE);
  for (long long off = 0;; off += LO_SLICE) {
    snprintf(zOff, sizeof zOff, "%lld", off);
    const char *azGet[3] = {zOid, zOff, zLen};
    PGresult *r = PQexecParams(j->src, "SELECT pg_catalog.lo_get($1::oid, $2::bigint, $3::int)", 3, NULL, azGet, NULL,
                               NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      db_fail(j->src, r, zWhat);
      PQclear(r);
      return false;
    }
    int n = PQgetlength(r, 0, 0);
    const char *azPut[3] = {zOid, zOff, PQgetvalue(r, 0, 0)};
    const int aLen[3] = {0, 0, n}, aFmt[3] = {0, 0, 1};
    PGresult *w = n ? PQexecParams(j->dst, "SELECT pg_catalog.lo_put($1::oid, $2::bigint, $3::bytea)", 3, NULL, azPut,
                                   aLen, aFmt, 0) : NULL;
    PQclear(r);
    if (w && PQresultStatus(w) != PGRES_TUPLES_OK) {
      db_fail(j->dst, w, zWhat);
      PQclear(w);
      return false;
    }
    PQclear(w);
    if (n < LO_SLICE) return true;
  }
}

/* Copies the source's large objects in oid order, a batch of them per
 * target transaction, each created with its oid, its content, owner,
 * privileges and comment; the batch's last oid is the checkpoint (in the
 * large objects' tbl row).  A batch unlinks first what a killed run may
 * have committed past the checkpoint, so it can run twice. */
static bool run_large_objects(Job *j, const Item *it) {
  PGconn *src = run_src(j), *dst = src ? run_dst(j) : NULL;
  const char *zWhat = "copying large objects";
  if (!dst || !run_snapshot(j, zWhat)) return false;
  char *zLast = st_text(j->db, "SELECT coalesce(last_key, '0') FROM tbl WHERE job = ? AND id = ?", "ii", j->id, it->tbl);
  sqlite3_int64 nDone = st_int(j->db, 0, "SELECT rows_copied FROM tbl WHERE job = ? AND id = ?", "ii", j->id, it->tbl);
  /* --no-owner and --no-privileges as the job was planned (a later step
   * or resume need not repeat them) */
  bool bNoOwner = st_int(j->db, 0, "SELECT coalesce(json_extract(options, '$.no_owner'), 0) FROM job WHERE id = ?", "i", j->id);
  bool bNoPriv = st_int(j->db, 0, "SELECT coalesce(json_extract(options, '$.no_privileges'), 0) FROM job WHERE id = ?", "i",
                        j->id);
  bool ok = zLast && st_run(j->db, "UPDATE tbl SET status = 'copying', started_at = coalesce(started_at, ?)"
                            " WHERE job = ? AND id = ?", "dii", now(), j->id, it->tbl);
  while (ok) {
    char zItem[100];
    snprintf(zItem, sizeof zItem, "Copying large objects (%lld done)", (long long)nDone);
    /* large objects take no default privileges: no third argument */
    const char *az[4] = {bNoOwner ? "true" : "false", bNoPriv ? "true" : "false", "", zLast};
    PGresult *res = run_progress(j, zItem, true) ? db_query(src, zLoBatchSql, 4, az, zWhat) : NULL;
    if (!res) {
      ok = false;
      break;
    }
    int n = PQntuples(res);
    ok = n == 0 || db_exec(dst, "BEGIN", zWhat);
    for (int i = 0; ok && i < n; i++) {
      const char *azOid[1] = {PQgetvalue(res, i, 0)};
      PGresult *r = db_query(dst, "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata"
                             " WHERE oid = $1::oid", 1, azOid, zWhat);
      PQclear(r);
      r = r ? db_query(dst, "SELECT pg_catalog.lo_create($1::oid)", 1, azOid, zWhat) : NULL;
      PQclear(r);
      ok = r && run_lo_content(j, azOid[0], zWhat) && (!PQgetvalue(res, i, 1)[0] || db_exec(dst, PQgetvalue(res, i, 1), zWhat));
    }
    ok = ok && (n == 0 || db_exec(dst, "COMMIT", zWhat));
    /* kill -9 here: the batch is on the target, not yet in the state
     * file; the next run does it again, unlinking first. */
    if (ok) {
      nDone += n;
      free(zLast);
      zLast = xstrdup(n ? PQgetvalue(res, n - 1, 0) : "0");
      ok = run_chunk_done(j, it, n == 0, NULL, 0, "UPDATE tbl SET last_key = coalesce(?, last_key), rows_copied = ?, status = ?,"
                          " done_at = ? WHERE job = ? AND id = ?", "titdii", n ? zLast : NULL, nDone,
                          n ? "copying" : "done", n ? 0.0 : now(), j->id, it->tbl);
    }
    PQclear(res);
    if (!ok || n == 0 || run_should_stop(j)) break; /* a stop: paused at a checkpoint */
  }
  if (!ok) run_dst_rollback(j);
  free(zLast);
  return ok;
}

/* Streams "COPY (query) TO STDOUT" from conn into a checksum, one row in
 * memory at a time. */
static bool run_sum_copy(PGconn *conn, const char *zCopy, RowSum *pSum, const char *zWhat) {
  PGresult *res = PQexecParams(conn, zCopy, 0, NULL, NULL, NULL, NULL, 0);
  bool ok = PQresultStatus(res) == PGRES_COPY_OUT;
  if (!ok) db_fail(conn, res, zWhat);
  PQclear(res);
  for (long long nRow = 0; ok; nRow++) {
    char *pBuf = NULL;
    int n = PQgetCopyData(conn, &pBuf, 0);
    if (n < 0) break;
    run_sum_message(pSum, pBuf, n);
    PQfreemem(pBuf);
    if ((nRow & 1023) == 1023 && (atomic_load(&g_beat.stop) || lease_stop_overdue(1.0))) { /* the engine stops */
      ok = false;
      while ((n = PQgetCopyData(conn, &pBuf, 0)) >= 0) PQfreemem(pBuf); /* drain (a stop cancels it on the server) */
    }
  }
  res = PQgetResult(conn);
  if (ok && PQresultStatus(res) != PGRES_COMMAND_OK) ok = db_fail(conn, res, zWhat);
  PQclear(res);
  db_drain(conn);
  return ok;
}

/* Verifies one table, chunk by chunk, so that a budgeted step or a kill
 * loses at most one chunk.  The target's rows are streamed as COPY sends
 * them and checksummed in clonebox, the same way the copy checksummed the
 * source's rows as they went through it.  So the source side is the rows
 * that were copied, in the snapshot that copied them, and is not read
 * again: a source written to during the clone still verifies, and a
 * verification costs one read of the target, cut by pages.  A table the
 * job did not copy with checksums (stand-alone verify, a job begun by an
 * older clonebox) is streamed on both sides, in the same chunks along its
 * key (a keyless table in one go).  Each chunk's totals are recorded with
 * where it ended (vkey) in one state-file transaction, so a resumed run
 * counts no chunk twice; the last chunk has no upper bound, so rows the
 * target has past it count too.  --verify counts compares row counts only. */
/* Checks a copy job's table: the checksum of the rows the copy streamed
 * (the source's, in its snapshot) against the target's rows that --where
 * selects there, read in one COPY (--verify counts: counted). */
static bool run_vrows(Job *j, const Item *it, PGconn *cd, const TblInfo *t, const char *zItem) {
  RowSum dst = {0};
  bool bCounts = st_int(j->db, 0, "SELECT json_extract(options, '$.verify') = 'counts' FROM job WHERE id = ?", "i", j->id);
  PQExpBuffer q = createPQExpBuffer();
  if (bCounts) appendPQExpBuffer(q, "SELECT count(*) FROM %s WHERE %s", t->zIntoFrom, t->zFilter);
  else appendPQExpBuffer(q, "COPY (SELECT %s FROM %s WHERE %s) TO STDOUT (FORMAT %s)", t->zCopyCols, t->zIntoFrom,
                         t->zFilter, t->zFormat);
  char *zN = bCounts ? db_scalar(cd, q->data, 0, NULL, zItem) : NULL;
  bool ok = bCounts ? zN != NULL : run_sum_copy(cd, q->data, &dst, zItem);
  if (zN) dst.nRow = atoll(zN);
  free(zN);
  destroyPQExpBuffer(q);
  char zSrc[33], zDst[33];
  sum_text(&t->copy, zSrc);
  sum_text(&dst, zDst);
  return ok && run_chunk_done(j, it, true, NULL, 0, "UPDATE tbl SET src_rows = ?3, src_sum = ?4, dst_rows = ?5, dst_sum = ?6,"
                              " verdict = CASE WHEN ?3 = ?5 AND ?4 IS ?6 THEN 'ok' ELSE 'diff' END WHERE job = ?1 AND id = ?2",
                              "iiitit", j->id, it->tbl, t->copy.nRow, bCounts ? NULL : zSrc, dst.nRow,
                              bCounts ? NULL : zDst);
}

/* A split table is checked in slices of its target's pages, one per key
 * range (its check items), by several workers at once: pages do not
 * follow keys, so a slice is only read, and the last one to end adds
 * them up and compares the table (run_vslice_rollup).  The page count
 * that cuts the slices is fixed by the first to begin, in the table's
 * row (vkey 'pages:N'), so that every run cuts the same pages; the last
 * slice reads to the table's end, whatever it holds there.  Sets the
 * slice of range id: its first page and the one after its last (-1: to
 * the end). */
static bool run_vslice(Job *j, const TblInfo *t, sqlite3_int64 id, long nPages, long *pLo, long *pHi) {
  char zPages[40];
  snprintf(zPages, sizeof zPages, "pages:%ld", nPages);
  if (!st_run(j->db, "UPDATE tbl SET vkey = ? WHERE job = ? AND id = ? AND vkey IS NULL", "tii", zPages, j->id, t->partOf))
    return false;
  char *z = st_text(j->db, "SELECT vkey FROM tbl WHERE job = ? AND id = ?", "ii", j->id, t->partOf);
  long nAll = z && strncmp(z, "pages:", 6) == 0 ? atol(z + 6) : nPages;
  free(z);
  sqlite3_int64 k = st_int(j->db, 0, "SELECT count(*) FROM tbl WHERE job = ? AND part_of = ? AND id < ?", "iii", j->id,
                           t->partOf, id);
  sqlite3_int64 n = st_int(j->db, 1, "SELECT count(*) FROM tbl WHERE job = ? AND part_of = ?", "ii", j->id, t->partOf);
  long nEach = (long)((nAll + n - 1) / n);
  *pLo = (long)k * nEach;
  *pHi = k == n - 1 ? -1 : (long)(k + 1) * nEach;
  return !g_err.bSet;
}

/* A split table's check, when its last slice is read (in the state-file
 * transaction that records it): the target's rows are the slices' added
 * up, the source's those its ranges copied (run_part_rollup). */
static bool run_vslice_rollup(Job *j, sqlite3_int64 parent) {
  sqlite3_stmt *p = st_prep(j->db, "SELECT verdict, dst_rows, dst_sum FROM tbl WHERE job = ? AND part_of = ?", "ii", j->id,
                            parent);
  if (!p) return false;
  RowSum dst = {0};
  bool bAll = true;
  while (sqlite3_step(p) == SQLITE_ROW) {
    RowSum x;
    bAll = bAll && sqlite3_column_type(p, 0) != SQLITE_NULL;
    sum_parse(&x, sqlite3_column_int64(p, 1), (const char *)sqlite3_column_text(p, 2));
    sum_add(&dst, &x);
  }
  if (sqlite3_finalize(p) != SQLITE_OK) return fail(EXIT_FAILED, "state file: %s", sqlite3_errmsg(j->db));
  if (!bAll) return true;
  char zDst[33];
  sum_text(&dst, zDst);
  return st_run(j->db, "UPDATE tbl SET src_rows = copy_rows, src_sum = copy_sum, dst_rows = ?3, dst_sum = ?4,"
                " verdict = CASE WHEN copy_rows = ?3 AND copy_sum = ?4 THEN 'ok' ELSE 'diff' END WHERE job = ?1 AND id = ?2",
                "iiit", j->id, parent, dst.nRow, zDst);
}

static bool run_vtable(Job *j, const Item *it) {
  TblInfo t = {0};
  PQExpBuffer q = createPQExpBuffer(), w = createPQExpBuffer(), r = createPQExpBuffer();
  char *zVKey = NULL;
  RowSum src = {0}, dst = {0};
  bool ok = false;
  char zItem[700];
  PGconn *cs = run_src(j), *cd = cs ? run_dst(j) : NULL;
  if (!cd || !run_tbl_load(j, it->tbl, &t)) goto done;
  snprintf(zItem, sizeof zItem, "Verifying %s", t.zQname);
  if (!run_progress(j, zItem, false)) goto done;
  /* A copy job compares the rows its --where selects on each side: as
   * copied from the source, as they are in the target's table. */
  if (t.zFilter) {
    ok = run_vrows(j, it, cd, &t, zItem);
    goto done;
  }
  /* A table missing from the target is a finding, not an error; so is a
   * column missing there (dropped or renamed). */
  appendPQExpBuffer(q, "SELECT %s FROM ONLY %s LIMIT 0", t.zAllCols ? t.zAllCols : "", t.zQname);
  PGresult *rc = PQexec(cd, q->data);
  const char *zState = PQresultErrorField(rc, PG_DIAG_SQLSTATE);
  if (zState && strcmp(zState, "42P01") == 0) {
    PQclear(rc);
    ok = st_begin(j->db) &&
         st_run(j->db, "UPDATE tbl SET verdict = 'missing', dst_rows = NULL, dst_sum = NULL WHERE job = ? AND id = ?",
                "ii", j->id, t.partOf ? t.partOf : it->tbl) &&
         run_mark(j, it, "done", NULL) && st_commit(j->db);
    if (!ok) st_rollback(j->db);
    goto done;
  }
  if (PQresultStatus(rc) != PGRES_TUPLES_OK && !(zState && strcmp(zState, "42703") == 0)) {
    db_fail(cd, rc, zItem);
    PQclear(rc);
    goto done;
  }
  if (PQresultStatus(rc) != PGRES_TUPLES_OK) {
    char zWhy[600];
    snprintf(zWhy, sizeof zWhy, "not compared: %s on the target", PQresultErrorField(rc, PG_DIAG_MESSAGE_PRIMARY));
    PQclear(rc);
    ok = st_begin(j->db) &&
         st_run(j->db, "UPDATE tbl SET verdict = 'diff', reason = ?, dst_rows = NULL, dst_sum = NULL WHERE job = ? AND id = ?",
                "tii", zWhy, j->id, t.partOf ? t.partOf : it->tbl) &&
         run_mark(j, it, "done", NULL) && st_commit(j->db);
    if (!ok) st_rollback(j->db);
    goto done;
  }
  PQclear(rc);
  bool bCopied = t.bCopySum && strcmp(t.zStatus, "done") == 0;
  bool bCounts = st_int(j->db, 0, "SELECT json_extract(options, '$.verify') = 'counts' FROM job WHERE id = ?", "i", j->id);
  if (bCounts) { /* row counts only */
    resetPQExpBuffer(q);
    appendPQExpBuffer(q, "SELECT count(*) FROM ONLY %s", t.zQname);
    char *zD = db_scalar(cd, q->data, 0, NULL, zItem), *zS = zD && !bCopied ? db_scalar(cs, q->data, 0, NULL, zItem) : NULL;
    sqlite3_int64 nS = bCopied ? t.copy.nRow : zS ? atoll(zS) : -1, nD = zD ? atoll(zD) : -1;
    free(zD);
    free(zS);
    ok = !g_err.bSet && run_chunk_done(j, it, true, NULL, 0, "UPDATE tbl SET src_rows = ?3, dst_rows = ?4, src_sum = NULL,"
                                       " dst_sum = NULL, verdict = CASE WHEN ?3 = ?4 THEN 'ok' ELSE 'diff' END"
                                       " WHERE job = ?1 AND id = ?2", "iiii", j->id, it->tbl, nS, nD);
    goto done;
  }
  /* The totals so far: none unless a chunk was recorded. */
  sqlite3_stmt *p = st_prep(j->db, "SELECT vkey, src_rows, src_sum, dst_rows, dst_sum FROM tbl"
                            " WHERE job = ? AND id = ? AND vkey IS NOT NULL", "ii", j->id, it->tbl);
  if (!p) goto done;
  if (sqlite3_step(p) == SQLITE_ROW) {
    zVKey = xstrdup((const char *)sqlite3_column_text(p, 0));
    sum_parse(&src, sqlite3_column_int64(p, 1), (const char *)sqlite3_column_text(p, 2));
    sum_parse(&dst, sqlite3_column_int64(p, 3), (const char *)sqlite3_column_text(p, 4));
  }
  sqlite3_finalize(p);
  /* The target of a copied table is cut by pages: ctid ranges, read in
   * physical order with no index and no bounds to look up, keyless tables
   * too (vkey "page:N").  A stand-alone verify cuts both sides along the
   * key, the same rows on each. */
  long nChunk = bCopied ? 128 : 20000, nPages = 0; /* pages (1 MB) or rows */
  if (bCopied && zVKey && strncmp(zVKey, "page:", 5) != 0) { /* cut by key before: begin again */
    free(zVKey);
    zVKey = NULL;
    dst = (RowSum){0};
  }
  long sliceLo = 0, sliceHi = -1; /* a split table's slice of pages (-1: to the end) */
  if (bCopied) {
    const char *az[1] = {t.zQname};
    char *z = db_scalar(cd, "SELECT pg_catalog.pg_relation_size($1::regclass) / pg_catalog.current_setting('block_size')::bigint",
                        1, az, zItem);
    nPages = z ? atol(z) : 0;
    free(z);
    if (g_err.bSet || (t.partOf && !run_vslice(j, &t, it->tbl, nPages, &sliceLo, &sliceHi))) goto done;
  }
  for (;;) {
    char *zUpper = NULL, zSrc[33], zDst[33];
    double t0 = now();
    if (bCopied) {
      long lo = zVKey ? atol(zVKey + 5) : sliceLo, end = sliceHi >= 0 ? sliceHi : nPages;
      resetPQExpBuffer(r);
      if (lo > 0) appendPQExpBuffer(r, "ctid >= '(%ld,0)'::pg_catalog.tid", lo);
      if (lo + nChunk < end) { /* the last chunk has no upper bound, unless its slice has */
        appendPQExpBuffer(r, "%sctid < '(%ld,0)'::pg_catalog.tid", r->len ? " AND " : "", lo + nChunk);
        char zNext[40];
        snprintf(zNext, sizeof zNext, "page:%ld", lo + nChunk);
        zUpper = xstrdup(zNext);
      } else if (sliceHi >= 0) {
        appendPQExpBuffer(r, "%sctid < '(%ld,0)'::pg_catalog.tid", r->len ? " AND " : "", sliceHi);
      }
    } else if (!run_chunk(j, cs, &t, zVKey, nChunk, w, r, &zUpper, zItem)) {
      goto done;
    }
    resetPQExpBuffer(q);
    /* a whole table goes by the plain COPY, cheaper than a query's (and,
     * like ONLY, without the rows of its children) */
    if ((!t.zCopyCols || !t.zCopyCols[0]) && !r->len)
      appendPQExpBuffer(q, "COPY %s TO STDOUT (FORMAT %s)", t.zQname, t.zFormat);
    else if (!r->len) appendPQExpBuffer(q, "COPY %s (%s) TO STDOUT (FORMAT %s)", t.zQname, t.zCopyCols, t.zFormat);
    else appendPQExpBuffer(q, "COPY (SELECT %s FROM ONLY %s WHERE %s) TO STDOUT (FORMAT %s)", t.zCopyCols, t.zQname,
                           r->data, t.zFormat);
    if (!run_sum_copy(cd, q->data, &dst, zItem) || (!bCopied && !run_sum_copy(cs, q->data, &src, zItem))) {
      free(zUpper);
      goto done;
    }
    if (!zUpper && bCopied) src = t.copy;
    sum_text(&src, zSrc);
    sum_text(&dst, zDst);
    /* The chunk and the totals after it, at once: kill -9 before this
     * commit redoes the chunk, after it goes on from the next one.  A
     * slice is only read ('read'); its last one compares the table. */
    ok = run_chunk_done(j, it, !zUpper, t.partOf && !zUpper ? run_vslice_rollup : NULL, t.partOf,
                        "UPDATE tbl SET vkey = ?3, src_rows = ?4, src_sum = ?5, dst_rows = ?6, dst_sum = ?7,"
                        " verdict = CASE WHEN ?3 IS NOT NULL THEN NULL WHEN ?8 THEN 'read' WHEN ?4 = ?6 AND ?5 = ?7 THEN 'ok'"
                        " ELSE 'diff' END WHERE job = ?1 AND id = ?2",
                        "iitititi", j->id, it->tbl, zUpper, src.nRow, zSrc, dst.nRow, zDst, (sqlite3_int64)(t.partOf != 0));
    if (!ok) {
      free(zUpper);
      goto done;
    }
    if (!zUpper) break;
    free(zVKey);
    zVKey = zUpper;
    nChunk = bCopied ? run_chunk_size(nChunk, now() - t0, 16, 1 << 18) : run_chunk_size(nChunk, now() - t0, 1000, 2000000);
    snprintf(zItem, sizeof zItem, "Verifying %s (%lld rows checked)", t.zQname, (long long)dst.nRow);
    if (!run_progress(j, zItem, false)) { ok = false; goto done; }
    snprintf(zItem, sizeof zItem, "Verifying %s", t.zQname);
    if (run_should_stop(j)) goto done; /* ok: paused at a checkpoint */
  }
done:
  destroyPQExpBuffer(q);
  destroyPQExpBuffer(w);
  destroyPQExpBuffer(r);
  free(zVKey);
  run_tbl_free(&t);
  return ok;
}

/* Orders inventory rows (indexes into a PGresult) by kind, name and
 * definition. */
static int run_vobj_cmp(const void *a, const void *b, void *pRes) {
  PGresult *r = pRes;
  int x = *(const int *)a, y = *(const int *)b, c = 0;
  for (int k = 0; k < 3 && c == 0; k++) c = strcmp(PQgetvalue(r, x, k), PQgetvalue(r, y, k));
  return c;
}

/* Stores the two inventories for the report: both sorted, then merged,
 * so that an object the two sides define identically is only counted
 * (vobj_count, per kind) and the others go into vobj, where the report
 * compares them (its owners and privileges left out as the job says):
 * tens of thousands of equal objects cost no state-file rows.  A row
 * repeated on one side counts once, as the report's DISTINCT did; with
 * --no-owner or --no-privileges default privileges are not compared. */
static bool run_vobj_store(Job *j, PGresult *rs, PGresult *rd) {
  bool bNoAcl = st_int(j->db, 0, "SELECT coalesce(json_extract(options, '$.no_owner'), 0)"
                       " OR coalesce(json_extract(options, '$.no_privileges'), 0) FROM job WHERE id = ?", "i", j->id);
  PGresult *aR[2] = {rs, rd};
  int *aIdx[2], aN[2];
  for (int s = 0; s < 2; s++) {
    aN[s] = PQntuples(aR[s]);
    aIdx[s] = xcalloc(aN[s] ? (size_t)aN[s] : 1, sizeof(int));
    for (int i = 0; i < aN[s]; i++) aIdx[s][i] = i;
    qsort_r(aIdx[s], (size_t)aN[s], sizeof(int), run_vobj_cmp, aR[s]);
  }
  sqlite3_stmt *pIns = st_prep(j->db, "INSERT INTO vobj(job, side, kind, name, def) VALUES (?, ?, ?, ?, ?)", NULL);
  sqlite3_stmt *pCnt = st_prep(j->db, "INSERT INTO vobj_count(job, kind, n_src, n_dst) VALUES (?, ?, ?, ?)", NULL);
  bool ok = pIns && pCnt;
  int aPos[2] = {0, 0};
  sqlite3_int64 aCount[2] = {0, 0};
  const char *zKind = NULL; /* the kind being counted (in a PGresult) */
  for (;;) {
    /* the next row of each side, a repeat of the row before it skipped */
    const char *az[2][3] = {{NULL}};
    for (int s = 0; s < 2; s++) {
      while (aPos[s] < aN[s] && aPos[s] > 0 &&
             run_vobj_cmp(&aIdx[s][aPos[s]], &aIdx[s][aPos[s] - 1], aR[s]) == 0)
        aPos[s]++;
      while (aPos[s] < aN[s] && bNoAcl && strcmp(PQgetvalue(aR[s], aIdx[s][aPos[s]], 0), "default acl") == 0) aPos[s]++;
      if (aPos[s] < aN[s])
        for (int k = 0; k < 3; k++) az[s][k] = PQgetvalue(aR[s], aIdx[s][aPos[s]], k);
    }
    int c = !az[0][0] ? 1 : !az[1][0] ? -1 : 0; /* which side's row comes first (0: the same row) */
    for (int k = 0; k < 3 && c == 0 && az[0][0]; k++) c = strcmp(az[0][k], az[1][k]);
    const char *zNext = c <= 0 ? az[0][0] : az[1][0];
    if (ok && zKind && (!zNext || strcmp(zNext, zKind) != 0)) { /* a kind ends */
      sqlite3_reset(pCnt);
      sqlite3_bind_int64(pCnt, 1, j->id);
      sqlite3_bind_text(pCnt, 2, zKind, -1, SQLITE_STATIC);
      sqlite3_bind_int64(pCnt, 3, aCount[0]);
      sqlite3_bind_int64(pCnt, 4, aCount[1]);
      if (sqlite3_step(pCnt) != SQLITE_DONE) ok = fail(EXIT_FAILED, "state file: %s", sqlite3_errmsg(j->db));
      aCount[0] = aCount[1] = 0;
    }
    if (!ok || !zNext) break;
    zKind = zNext;
    for (int s = 0; s < 2; s++) {
      if (!(c == 0 || (s == 0) == (c < 0))) continue; /* this side's row is not the next one */
      aCount[s]++;
      if (c != 0) { /* on one side only, or defined otherwise: the report compares it */
        sqlite3_reset(pIns);
        sqlite3_bind_int64(pIns, 1, j->id);
        sqlite3_bind_text(pIns, 2, s ? "dst" : "src", -1, SQLITE_STATIC);
        for (int k = 0; k < 3; k++) sqlite3_bind_text(pIns, 3 + k, az[s][k], -1, SQLITE_STATIC);
        if (sqlite3_step(pIns) != SQLITE_DONE) ok = fail(EXIT_FAILED, "state file: %s", sqlite3_errmsg(j->db));
      }
      aPos[s]++;
    }
  }
  sqlite3_finalize(pIns);
  sqlite3_finalize(pCnt);
  free(aIdx[0]);
  free(aIdx[1]);
  return ok;
}

/* Takes the schema inventory of both sides into vobj and vobj_count. */
static bool run_vobjects(Job *j, const Item *it) {
  PGresult *rs = NULL, *rd = NULL;
  PGconn *src = run_src(j), *dst = src ? run_dst(j) : NULL;
  if (!dst || !run_progress(j, "Comparing schema objects", false)) return false;
  /* What the job left out on purpose, as a text[] literal of names: the
   * tables, and every object the plan excluded with them (a view on an
   * excluded table, an identity sequence, an index and its comment). */
  char *zSkip = st_text(j->db,
                        "SELECT '{' || coalesce(group_concat('\"' || replace(replace(n, '\\', '\\\\'), '\"', '\\\"')"
                        " || '\"', ','), '') || '}' FROM (SELECT qname AS n FROM tbl WHERE job = ?1 AND mode = 'skip'"
                        " UNION SELECT substr(name, length(kind) + 2) FROM item WHERE job = ?1 AND status = 'excluded'"
                        " UNION SELECT 'schema:' || substr(name, 8) FROM item WHERE job = ?1 AND status = 'excluded'"
                        " AND kind = 'schema')",
                        "i", j->id);
  if (!zSkip) return false;
  const char *az[1] = {zSkip};
  bool ok = db_query_pair(src, dst, zInventorySql, 1, az, "comparing schema objects", &rs, &rd);
  free(zSkip);
  /* what the source wrote after the snapshots that copied its tables */
  ok = ok && (j->bVerifyOnly || run_write_counters(j, src, "verify_writes", "snap_writes IS NOT NULL"));
  if (!ok) {
    PQclear(rs);
    PQclear(rd);
    return false;
  }
  ok = st_begin(j->db) && st_run(j->db, "DELETE FROM vobj WHERE job = ?", "i", j->id) &&
       st_run(j->db, "DELETE FROM vobj_count WHERE job = ?", "i", j->id) && run_vobj_store(j, rs, rd) &&
       run_mark(j, it, "done", NULL) && st_commit(j->db);
  if (!ok) st_rollback(j->db);
  PQclear(rs);
  PQclear(rd);
  return ok;
}

/* Small tables are copied many at a time: the claimed copy item it and up
 * to COPY_GROUP other free copies of its wave whose tables have fewer than
 * COPY_GROUP_ROWS rows (by the planner's estimate) and were never begun,
 * each table whole, in one target transaction read in one import of the
 * snapshot, recorded in two state-file writes: thousands of small tables
 * cost a few round trips each, not a dozen.  kill -9 anywhere: the tables
 * are marked copying before the target's COMMIT, so a run that finds them
 * so truncates and copies each again (run_copy); after the COMMIT they
 * are recorded done, with their checksums, in one write.  A group that
 * fails is given back as it was and the first table goes alone. */
/* Gives the others of a group (zSeqs, it excepted) back as they were
 * before their claim: free and todo (none of them ran). */
static bool run_group_give_back(Job *j, const Item *it, const char *zSeqs) {
  return st_run(j->db, "UPDATE item SET worker = NULL, status = 'todo' WHERE job = ? AND seq IN (SELECT value FROM"
                " json_each(?)) AND seq <> ? AND worker = ?", "itit", j->id, zSeqs, it->seq, j->zWorker);
}

/* Claims the others of a group (n items in zSeqs, it among them) as it was
 * claimed (eng_claim_in): for this worker, and running if they have a
 * probe.  False, holding none of them, if another worker took one first. */
static bool run_group_take(Job *j, const Item *it, const char *zSeqs, int n) {
  if (!st_run(j->db, "UPDATE item SET worker = ?, status = CASE WHEN probe IS NULL THEN status ELSE 'running' END"
              " WHERE job = ? AND seq IN (SELECT value FROM json_each(?)) AND seq <> ? AND status = 'todo'"
              " AND worker IS NULL", "titi", j->zWorker, j->id, zSeqs, it->seq))
    return false;
  if (sqlite3_changes(j->db) == n - 1) return true;
  run_group_give_back(j, it, zSeqs);
  return false;
}

/* Records a group's items (zSeqs) done, in the caller's transaction. */
static bool run_group_mark_done(Job *j, const char *zSeqs) {
  return st_run(j->db, "UPDATE item SET status = 'done', done_at = ? WHERE job = ? AND seq IN (SELECT value FROM json_each(?))",
                "dit", now(), j->id, zSeqs);
}

/* The other items of a group of small tables (run_copy_group,
 * run_vtable_group): up to COPY_GROUP free items of the kind and wave of it
 * whose tables have fewer than COPY_GROUP_ROWS rows (by the estimate) and
 * meet zCond (SQL on the table, t), claimed for this worker as it was.
 * Returns their number with it (it first in aSeq and aTbl; 1: no group,
 * nothing claimed), and *pzSeqs, their seqs as a JSON array (free()). */
#define COPY_GROUP 50
#define COPY_GROUP_ROWS 1000
static int run_group_claim(Job *j, const Item *it, const char *zCond, sqlite3_int64 *aSeq, sqlite3_int64 *aTbl,
                           char **pzSeqs) {
  /* it first, then the others through the index of a wave's unfinished
   * items (item_wave), in order, so that a claim does not read the job's
   * every item */
  char *zSql = sqlite3_mprintf("SELECT i.seq, i.tbl FROM item i JOIN tbl t ON t.job = i.job AND t.id = i.tbl"
                               " WHERE i.job = ?1 AND i.phase = ?2 AND i.kind = ?6 AND i.wave = ?7"
                               " AND i.status IN ('todo', 'running') AND t.rows_est < ?4 AND t.where_sql IS NULL AND t.part_of IS NULL AND %s"
                               " AND (i.seq = ?3 OR (?8 AND i.status = 'todo' AND i.worker IS NULL)) ORDER BY i.seq LIMIT ?5",
                               zCond);
  sqlite3_int64 wave = st_int(j->db, -1, "SELECT coalesce(wave, -1) FROM item WHERE job = ? AND seq = ?", "ii", j->id,
                              it->seq);
  *pzSeqs = xstrdup("[]");
  int n = 0;
  for (int bOthers = 0; zSql && wave >= 0 && bOthers < 2 && n == bOthers; bOthers++) {
    sqlite3_stmt *p = st_prep(j->db, zSql, "iiiiitii", j->id, (sqlite3_int64)it->phase, it->seq,
                              (sqlite3_int64)COPY_GROUP_ROWS, (sqlite3_int64)(bOthers ? COPY_GROUP : 1), it->zKind, wave,
                              (sqlite3_int64)bOthers);
    while (p && n < COPY_GROUP && sqlite3_step(p) == SQLITE_ROW) {
      if (sqlite3_column_int64(p, 0) == it->seq && bOthers) continue;
      aSeq[n] = sqlite3_column_int64(p, 0);
      aTbl[n++] = sqlite3_column_int64(p, 1);
      char *z = st_text(j->db, "SELECT json_insert(?, '$[#]', ?)", "ti", *pzSeqs, aSeq[n - 1]);
      free(*pzSeqs);
      *pzSeqs = z ? z : xstrdup("[]");
    }
    sqlite3_finalize(p);
  }
  sqlite3_free(zSql);
  return n >= 2 && run_group_take(j, it, *pzSeqs, n) ? n : 1;
}

/* A group's other items are done: each counts, for budgets and the test
 * hook (the first: the engine), and has its --verbose line. */
static void run_group_done(Job *j, const Item *it, const sqlite3_int64 *aSeq, int n) {
  for (int i = 1; i < n; i++) {
    if (g_bVerbose) {
      char *z = st_text(j->db, "SELECT name FROM item WHERE job = ? AND seq = ?", "ii", j->id, aSeq[i]);
      note("%s: %s with %s (worker %s)", azPhase[it->phase], z ? z : "?", it->zName, j->zWorker);
      free(z);
    }
    run_checkpoint(j);
  }
}

static bool run_copy_group(Job *j, const Item *it) {
  sqlite3_int64 aSeq[COPY_GROUP], aTbl[COPY_GROUP];
  char *zSeqs = NULL;
  int n = run_group_claim(j, it, "t.status = 'todo' AND NOT EXISTS (SELECT 1 FROM job WHERE id = ?1"
                          " AND json_extract(options, '$.subset') IS NOT NULL)", aSeq, aTbl, &zSeqs);
  if (n < 2) {
    free(zSeqs);
    return !g_err.bSet && run_copy(j, it);
  }
  char *zTbls = xstrdup("[]");
  for (int i = 0; i < n; i++) {
    char *zT = st_text(j->db, "SELECT json_insert(?, '$[#]', ?)", "ti", zTbls, aTbl[i]);
    free(zTbls);
    zTbls = zT ? zT : xstrdup("[]");
  }
  bool bAlone = false;
  /* (not exact: a table found copying is copied again from empty) */
  bool ok = st_run(j->db, "UPDATE tbl SET status = 'copying', exact = NULL, started_at = coalesce(started_at, ?)"
                   " WHERE job = ? AND id IN (SELECT value FROM json_each(?))", "dit", now(), j->id, zTbls);
  PGconn *src = ok ? run_src(j) : NULL, *dst = src ? run_dst(j) : NULL;
  RowSum aSum[COPY_GROUP];
  sqlite3_int64 aRows[COPY_GROUP];
  char zWhat[700];
  snprintf(zWhat, sizeof zWhat, "copying %d small tables", n);
  bool bCopied = dst && run_snapshot(j, zWhat) && run_progress(j, zWhat, false) && db_exec(dst, "BEGIN", zWhat);
  PQExpBuffer qOut = createPQExpBuffer(), qIn = createPQExpBuffer();
  for (int i = 0; bCopied && i < n; i++) {
    TblInfo t = {0};
    bCopied = run_tbl_load(j, aTbl[i], &t);
    if (bCopied) {
      resetPQExpBuffer(qOut);
      resetPQExpBuffer(qIn);
      bool bNoCols = !t.zCopyCols || !t.zCopyCols[0];
      if (t.zCopySelect) appendPQExpBuffer(qOut, "COPY (SELECT %s FROM ONLY %s) TO STDOUT (FORMAT %s)", t.zCopySelect, t.zQname, t.zFormat);
      else if (bNoCols) appendPQExpBuffer(qOut, "COPY %s TO STDOUT (FORMAT %s)", t.zQname, t.zFormat);
      else appendPQExpBuffer(qOut, "COPY %s (%s) TO STDOUT (FORMAT %s)", t.zQname, t.zCopyCols, t.zFormat);
      if (bNoCols) appendPQExpBuffer(qIn, "COPY %s FROM STDIN (FORMAT %s)", t.zQname, t.zFormat);
      else appendPQExpBuffer(qIn, "COPY %s (%s) FROM STDIN (FORMAT %s)", t.zQname, t.zCopyCols, t.zFormat);
      aSum[i] = (RowSum){0};
      aRows[i] = 0;
      snprintf(zWhat, sizeof zWhat, "copying %s", t.zQname);
      bCopied = run_stream(j, it, &t, qOut->data, qIn->data, zWhat, &aRows[i], &aSum[i]);
    }
    run_tbl_free(&t);
  }
  destroyPQExpBuffer(qOut);
  destroyPQExpBuffer(qIn);
  bCopied = bCopied && db_exec(dst, "COMMIT", "copying small tables");
  if (bCopied) run_test_fault(j, true);
  if (ok && !bAlone && !bCopied) {
    run_dst_rollback(j);
    if (src && PQtransactionStatus(src) != PQTRANS_IDLE) PQclear(PQexec(src, "ROLLBACK"));
    if (g_err.bTransient) ok = false; /* the engine retries (the tables are copying: each is redone) */
    else bAlone = true, memset(&g_err, 0, sizeof g_err);
  }
  if (ok && bAlone) { /* give the others back as they were: nothing landed */
    ok = st_begin(j->db) && run_group_give_back(j, it, zSeqs) &&
         st_run(j->db, "UPDATE tbl SET status = 'todo' WHERE job = ? AND id IN (SELECT value FROM json_each(?))"
                " AND status = 'copying'", "it", j->id, zTbls) &&
         st_commit(j->db);
    if (!ok) st_rollback(j->db);
    ok = ok && run_copy(j, it);
  } else if (ok) { /* kill -9 here: the tables are copying, and are copied again */
    double t = now();
    ok = st_begin(j->db);
    for (int i = 0; ok && i < n; i++) {
      char zSum[33];
      sum_text(&aSum[i], zSum);
      ok = st_run(j->db, "UPDATE tbl SET rows_total = ?, rows_copied = ?, status = 'done', done_at = ?, copy_rows = ?,"
                  " copy_sum = ?, bytes_copied = ?, last_key = NULL WHERE job = ? AND id = ?", "iiditiii", aRows[i], aRows[i],
                  t, aSum[i].nRow, zSum, aSum[i].nBytes, j->id, aTbl[i]);
    }
    ok = ok && run_group_mark_done(j, zSeqs) &&
         st_commit(j->db);
    if (!ok) st_rollback(j->db);
    /* the tables' locks go; the next group imports the snapshot again */
    ok = ok && db_exec(src, "COMMIT", "copying small tables");
    run_group_done(j, it, aSeq, ok ? n : 0);
  }
  free(zSeqs);
  free(zTbls);
  return ok;
}

/* Small copied tables are checked many at a time: the claimed check it
 * and up to COPY_GROUP other free checks of its wave whose tables have
 * fewer than COPY_GROUP_ROWS rows (by the estimate) and were copied with
 * checksums, never begun: each target table read whole, in one COPY, and
 * all recorded in one state-file write.  A kill before that write checks
 * them again.  Should a read fail (a table missing on the target, a
 * column changed), the others are given back and the first is checked
 * alone (run_vtable), which tells those findings apart. */
static bool run_vtable_group(Job *j, const Item *it) {
  sqlite3_int64 aSeq[COPY_GROUP], aTbl[COPY_GROUP];
  char *zSeqs = NULL;
  int n = run_group_claim(j, it, "t.status = 'done' AND t.copy_sum IS NOT NULL AND t.vkey IS NULL AND t.verdict IS NULL"
                          " AND NOT EXISTS (SELECT 1 FROM job WHERE id = ?1 AND json_extract(options, '$.verify') = 'counts')",
                          aSeq, aTbl, &zSeqs);
  if (n < 2) {
    free(zSeqs);
    return !g_err.bSet && run_vtable(j, it);
  }
  bool ok = true, bAlone = false;
  PGconn *cd = run_src(j) ? run_dst(j) : NULL;
  RowSum aDst[COPY_GROUP], aSrc[COPY_GROUP];
  bool bRead = cd && run_progress(j, "Verifying small tables", false);
  PQExpBuffer q = createPQExpBuffer();
  for (int i = 0; bRead && i < n; i++) {
    TblInfo t = {0};
    bRead = run_tbl_load(j, aTbl[i], &t);
    if (bRead) {
      resetPQExpBuffer(q);
      if (!t.zCopyCols || !t.zCopyCols[0]) appendPQExpBuffer(q, "COPY %s TO STDOUT (FORMAT %s)", t.zQname, t.zFormat);
      else appendPQExpBuffer(q, "COPY %s (%s) TO STDOUT (FORMAT %s)", t.zQname, t.zCopyCols, t.zFormat);
      char zWhat[700];
      snprintf(zWhat, sizeof zWhat, "Verifying %s", t.zQname);
      aDst[i] = (RowSum){0};
      aSrc[i] = t.copy;
      bRead = run_sum_copy(cd, q->data, &aDst[i], zWhat);
    }
    run_tbl_free(&t);
  }
  destroyPQExpBuffer(q);
  if (ok && !bAlone && !bRead) {
    if (g_err.bTransient) ok = false; /* the engine retries */
    else bAlone = true, memset(&g_err, 0, sizeof g_err);
  }
  if (ok && bAlone) { /* give the others back; the first is checked alone */
    ok = run_group_give_back(j, it, zSeqs) && run_vtable(j, it);
  } else if (ok) {
    ok = st_begin(j->db);
    for (int i = 0; ok && i < n; i++) {
      char zSrc[33], zDst[33];
      sum_text(&aSrc[i], zSrc);
      sum_text(&aDst[i], zDst);
      ok = st_run(j->db, "UPDATE tbl SET src_rows = ?3, src_sum = ?4, dst_rows = ?5, dst_sum = ?6,"
                  " verdict = CASE WHEN ?3 = ?5 AND ?4 = ?6 THEN 'ok' ELSE 'diff' END WHERE job = ?1 AND id = ?2",
                  "iiitit", j->id, aTbl[i], aSrc[i].nRow, zSrc, aDst[i].nRow, zDst);
    }
    ok = ok && run_group_mark_done(j, zSeqs) &&
         st_commit(j->db);
    if (!ok) st_rollback(j->db);
    run_group_done(j, it, aSeq, ok ? n : 0);
  }
  free(zSeqs);
  return ok;
}

/* DDL items go to the target many at a time, as one transaction, and
 * into the state file as one write: thousands of small tables cost tens
 * of round trips and state-file writes, not thousands.  A run is the
 * claimed item it (never begun) and, after it in its phase:
 *  - if it is serial (no wave): the todo items that follow it, as long as
 *    each is serial and plain DDL, up to DDL_RUN of them;
 *  - if it is a table, sequence or view of a schema wave
 *    (cat_schema_waves): up to DDL_RUN_WAVE other free items of its wave;
 *  - if it is a key or an index of a small table (fewer than
 *    DDL_RUN_SMALL rows): up to DDL_RUN_WAVE other free keys and indexes
 *    of small tables of its wave (a big table's index is built alone, so
 *    that the workers share the long builds; foreign keys, which can
 *    deadlock one another, are never grouped);
 * and about 256 kB of SQL at most.  kill -9 anywhere: before the COMMIT
 * nothing landed; after it, each item with a probe was marked running by
 * its claim and is found committed, and one without a probe is
 * idempotent, as for a single item.  Should the transaction fail, the
 * others are given back and the first runs alone (run_ddl), which names
 * its statement or retries a deadlock. */
#define DDL_RUN 200
#define DDL_RUN_WAVE 50
#define DDL_RUN_SMALL 10000
static bool run_ddl_run(Job *j, const Item *it) {
  if (strcmp(it->zStatus, "todo") != 0 || !it->zDdl) return run_ddl(j, it, false);
  sqlite3_int64 wave = st_int(j->db, -1, "SELECT coalesce(wave, -1) FROM item WHERE job = ? AND seq = ?", "ii", j->id, it->seq);
  /* rows: seq, name, ddl, whether it may join the run */
  sqlite3_stmt *p =
      wave < 0 ? st_prep(j->db, "SELECT i.seq, i.name, i.ddl, i.seq = ?3 OR (i.status = 'todo' AND i.worker IS NULL"
                         " AND i.ddl IS NOT NULL AND i.wave IS NULL AND i.kind NOT IN ('copy', 'vtable', 'vobjects',"
                         " 'sequence value', 'user mapping', 'subscription', 'large objects', 'subset'))"
                         " FROM item i WHERE i.job = ?1 AND i.phase = ?2 AND i.seq >= ?3 ORDER BY i.seq LIMIT ?4",
                         "iiii", j->id, (sqlite3_int64)it->phase, it->seq, (sqlite3_int64)DDL_RUN)
               /* it, if it may lead a group, then the others through the index
                * of a wave's unfinished items (item_wave), in order */
               : st_prep(j->db, "SELECT i.seq, i.name, i.ddl, 1 FROM item i LEFT JOIN tbl t ON t.job = i.job AND t.relid = i.relid"
                         " AND t.mode IN ('copy', 'nodata') WHERE i.job = ?1 AND i.phase = ?2 AND i.wave = ?5"
                         " AND i.status IN ('todo', 'running') AND (?7 OR (i.kind IN ('index', 'key index', 'primary key', 'unique')"
                         " AND coalesce(t.rows_est, 0) < ?6)) AND (i.seq = ?3 OR ((?7 OR EXISTS (SELECT 1 FROM item x"
                         " LEFT JOIN tbl y ON y.job = x.job AND y.relid = x.relid AND y.mode IN ('copy', 'nodata')"
                         " WHERE x.job = ?1 AND x.seq = ?3 AND x.kind IN ('index', 'key index', 'primary key', 'unique')"
                         " AND coalesce(y.rows_est, 0) < ?6)) AND i.status = 'todo' AND i.worker IS NULL AND i.ddl IS NOT NULL))"
                         " ORDER BY i.seq LIMIT ?4", "iiiiiii", j->id, (sqlite3_int64)it->phase, it->seq,
                         (sqlite3_int64)DDL_RUN_WAVE, wave, (sqlite3_int64)DDL_RUN_SMALL,
                         (sqlite3_int64)(it->phase == PH_SCHEMA));
  if (!p) return false;
  PQExpBuffer b = createPQExpBuffer();
  char *zSeqs = xstrdup("[]");
  sqlite3_int64 aSeq[DDL_RUN];
  int n = 0;
  appendPQExpBufferStr(b, "BEGIN;\n");
  /* it leads (aSeq[0]); in a wave the others may come before it in order */
  if (wave >= 0) aSeq[n++] = it->seq, appendPQExpBuffer(b, "%s\n;\n", it->zDdl);
  while (n < DDL_RUN && sqlite3_step(p) == SQLITE_ROW && b->len < 256 * 1024 && sqlite3_column_int(p, 3)) {
    if (wave >= 0 && sqlite3_column_int64(p, 0) == it->seq) continue;
    if (n == 0 && sqlite3_column_int64(p, 0) != it->seq) break; /* the first is not one of them */
    appendPQExpBuffer(b, "%s\n;\n", st_col(p, 2));
    aSeq[n++] = sqlite3_column_int64(p, 0);
  }
  for (int i = 0; i < n; i++) {
    char *z = st_text(j->db, "SELECT json_insert(?, '$[#]', ?)", "ti", zSeqs, aSeq[i]);
    free(zSeqs);
    zSeqs = z ? z : xstrdup("[]");
  }
  sqlite3_finalize(p);
  appendPQExpBufferStr(b, "COMMIT;");
  bool ok = true, bAlone = n < 2;
  /* the others of the run are claimed as the first was */
  if (!bAlone && !run_group_take(j, it, zSeqs, n)) { /* the state file failed, or another worker took one meanwhile */
    if (g_err.bSet) ok = false;
    else bAlone = true;
  }
  PGconn *dst = ok && !bAlone ? run_dst(j) : NULL;
  if (dst) {
    char zWhat[800];
    snprintf(zWhat, sizeof zWhat, "creating %s and %d object(s) after it on the target", it->zName, n - 1);
    ok = run_progress(j, it->zName, false);
    if (ok && !db_exec(dst, b->data, zWhat)) {
      run_dst_rollback(j);
      if (g_err.bTransient && strcmp(g_err.zState, "40P01") != 0) ok = false; /* the engine retries */
      else bAlone = true, memset(&g_err, 0, sizeof g_err);
    }
  } else if (ok && !bAlone) {
    ok = false;
  }
  if (ok && bAlone) { /* give the others back as they were (todo: nothing landed); the first runs alone */
    ok = run_group_give_back(j, it, zSeqs) && run_ddl(j, it, false);
  } else if (ok) { /* kill -9 here: the probes find the run committed */
    ok = st_begin(j->db) && run_group_mark_done(j, zSeqs) && st_commit(j->db);
    if (!ok) st_rollback(j->db);
    run_group_done(j, it, aSeq, ok ? n : 0);
  }
  destroyPQExpBuffer(b);
  free(zSeqs);
  return ok;
}

/* Runs one item of any kind. */
static bool run_item(Job *j, const Item *it) {
  if (strcmp(it->zKind, "copy") == 0) return run_copy_group(j, it);
  if (strcmp(it->zKind, "vtable") == 0) return run_vtable_group(j, it);
  if (strcmp(it->zKind, "vobjects") == 0) return run_vobjects(j, it);
  if (strcmp(it->zKind, "sequence value") == 0) return run_setval(j, it);
  if (strcmp(it->zKind, "user mapping") == 0 || strcmp(it->zKind, "subscription") == 0) return run_ddl_from_source(j, it);
  if (strcmp(it->zKind, "large objects") == 0) return run_large_objects(j, it);
  if (strcmp(it->zKind, "subset") == 0) return run_subset(j, it);
  return run_ddl_run(j, it);
}

/* }==================================================================== */

/* {====================================================================
 * 8. Reports and status (rp_)
 *
 * The report is built once, as JSON, by SQLite from the state file, and
 * stored with the job; the human form is rendered from that JSON.  Status
 * works the same way from the job's progress columns.
 * ==================================================================== */

/* Each side's objects that differ from the other side's as stored
 * (run_vobj_store), as the report compares them (?1 job, ?2 side), into
 * indexed temporary tables (rs, rd) that the report looks objects up in:
 * owners and privileges left out as the job said; the counts per kind
 * are vobj_count's.  (Common table
 * expressions that the report used several times were materialized
 * without an index: the comparison grew with the square of the objects,
 * minutes for 20,000 tables.) */
static const char *const azReportSides[] = {
    "DROP TABLE IF EXISTS temp.rs", "DROP TABLE IF EXISTS temp.rd",
    "CREATE TEMP TABLE rs(kind TEXT, name TEXT, def TEXT)", "CREATE TEMP TABLE rd(kind TEXT, name TEXT, def TEXT)",
    "CREATE INDEX temp.rs_name ON rs(kind, name)", "CREATE INDEX temp.rd_name ON rd(kind, name)"};
static const char zReportSideSql[] =
    "INSERT INTO %s WITH o AS (SELECT coalesce(json_extract(options, '$.no_owner'), 0) AS no_owner,"
    "  coalesce(json_extract(options, '$.no_privileges'), 0) AS no_priv FROM job WHERE id = ?1)"
    " SELECT DISTINCT kind, name, CASE WHEN o.no_owner AND o.no_priv THEN json_remove(def, '$.owner', '$.acl')"
    "  WHEN o.no_owner THEN json_remove(def, '$.owner') WHEN o.no_priv THEN json_remove(def, '$.acl') ELSE def END"
    "  FROM vobj, o WHERE job = ?1 AND side = ?2 AND NOT ((o.no_priv OR o.no_owner) AND kind = 'default acl')";

/* The verification report of job ?1 as JSON. */
static const char zReportSql[] =
    "WITH kinds AS (SELECT kind FROM vobj_count WHERE job = ?1),"
    " diffs AS (SELECT kind, name, 'missing' AS what FROM temp.rs s WHERE NOT EXISTS (SELECT 1 FROM temp.rd d WHERE d.kind = s.kind"
    "  AND d.name = s.name)"
    "  UNION ALL SELECT kind, name, 'extra' FROM temp.rd d WHERE NOT EXISTS (SELECT 1 FROM temp.rs s WHERE s.kind = d.kind"
    "  AND s.name = d.name)"
    "  UNION ALL SELECT s.kind, s.name || ' (' || (SELECT group_concat(k || ': ' || CASE WHEN length(coalesce(sv, ''))"
    "   + length(coalesce(dv, '')) > 90 THEN 'differs' ELSE coalesce(sv, 'none') || ' -> ' || coalesce(dv, 'none') END, '; ')"
    "   FROM (SELECT k, (SELECT value FROM json_each(s.def) x WHERE x.key = k) AS sv, (SELECT value FROM json_each(d.def) y"
    "    WHERE y.key = k) AS dv FROM (SELECT key AS k FROM json_each(s.def) UNION SELECT key FROM json_each(d.def)))"
    "   WHERE sv IS NOT dv) || ')', 'different'"
    "   FROM temp.rs s JOIN temp.rd d ON d.kind = s.kind AND d.name = s.name WHERE d.def IS NOT s.def),"
    " objs AS (SELECT k.kind, (SELECT n_src FROM vobj_count c WHERE c.job = ?1 AND c.kind = k.kind) AS ns,"
    "  (SELECT n_dst FROM vobj_count c WHERE c.job = ?1 AND c.kind = k.kind) AS nd,"
    "  (SELECT json_group_array(name) FROM (SELECT name FROM diffs x WHERE x.kind = k.kind AND what = 'missing' ORDER BY name)) AS missing,"
    "  (SELECT json_group_array(name) FROM (SELECT name FROM diffs x WHERE x.kind = k.kind AND what = 'extra' ORDER BY name)) AS extra,"
    "  (SELECT json_group_array(name) FROM (SELECT name FROM diffs x WHERE x.kind = k.kind AND what = 'different' ORDER BY name)) AS different"
    "  FROM kinds k ORDER BY k.kind)"
    " SELECT json_object('format', 1, 'job', j.id, 'kind', j.kind, 'started_by', j.started_by,"
    "  'verify', coalesce(json_extract(j.options, '$.verify'), 'full'),"
    "  'result', CASE WHEN json_extract(j.options, '$.verify') = 'none' THEN 'UNVERIFIED'"
    "   WHEN EXISTS (SELECT 1 FROM diffs) OR EXISTS (SELECT 1 FROM kinds WHERE kind = 'unsupported kind')"
    "   OR EXISTS (SELECT 1 FROM tbl WHERE job = ?1 AND mode = 'copy'"
    "   AND verdict IS NOT 'ok') THEN 'FAIL' ELSE 'PASS' END,"
    "  'source', j.source, 'target', j.target, 'verified_at', datetime('now') || 'Z', 'runs', j.runs, 'snapshots', j.snapshots,"
    "  'workers', (SELECT count(DISTINCT worker) FROM item WHERE job = ?1 AND status = 'done'),"
    /* wall seconds per phase, from when the phase before ended (the job's
     * start for the first) to its last item's end; with resumes, the time
     * between runs counts too */
    "  'phase_seconds', (SELECT json_group_object(ph, d) FROM (SELECT ph, round(t - coalesce(lag(t) OVER (ORDER BY phase),"
    "   j.started_at), 2) AS d FROM (SELECT phase, CASE phase WHEN 0 THEN 'plan' WHEN 1 THEN 'enums' WHEN 2 THEN 'schema'"
    "    WHEN 3 THEN 'data' WHEN 4 THEN 'postdata' WHEN 5 THEN 'verify' END AS ph, max(done_at) AS t FROM item WHERE job = ?1"
    "    AND done_at IS NOT NULL GROUP BY phase) ORDER BY phase)),"
    "  'seconds', round(coalesce(j.finished_at, (julianday('now') - 2440587.5) * 86400.0) - j.started_at, 2),"
    "  'rows_copied', (SELECT coalesce(sum(rows_copied), 0) FROM tbl WHERE job = ?1 AND mode = 'copy'),"
    "  'bytes_copied', (SELECT coalesce(sum(bytes_copied), 0) FROM tbl WHERE job = ?1 AND mode = 'copy'), 'retries', j.retries,"
    "  'tables_copied', (SELECT count(*) FROM tbl WHERE job = ?1 AND mode = 'copy'),"
    "  'items', (SELECT count(*) FROM item WHERE job = ?1 AND status = 'done'),"
    "  'tables', (SELECT json_group_array(json_patch(json_object('schema', schema_name, 'table', table_name, 'source_rows', src_rows,"
    "    'target_rows', dst_rows, 'source_checksum', src_sum, 'target_checksum', dst_sum,"
    "    'status', CASE WHEN mode = 'copy' THEN coalesce(verdict, 'unverified') ELSE 'excluded' END,"
    "    'reason', coalesce(reason, CASE WHEN restarts > 0 THEN 'no usable key: copy restarted from empty ' || restarts || ' time(s)' END),"
    "    'restarts', restarts, 'copy_key', key_cols),"
    "    json_object('where', where_sql, 'into', nullif(into_qname, qname), 'conflict', conflict)))" /* a copy job's (nulls add nothing) */
    "   FROM (SELECT * FROM tbl WHERE job = ?1 AND mode NOT IN ('parent', 'lo', 'part') ORDER BY schema_name, table_name)),"
    "  'objects', (SELECT json_group_array(json_object('kind', kind, 'source', ns, 'target', nd,"
    "    'status', CASE WHEN missing = '[]' AND extra = '[]' AND different = '[]' THEN 'ok' ELSE 'diff' END,"
    "    'missing', json(missing), 'extra', json(extra), 'different', json(different))) FROM objs),"
    "  'subset', CASE WHEN json_extract(j.options, '$.subset') IS NOT NULL THEN json_object("
    "   'roots', json(json_extract(j.options, '$.subset')),"
    "   'down_from_references', json(CASE WHEN json_extract(j.options, '$.subset_down_from_references') THEN 'true' ELSE 'false' END),"
    "   'foreign_keys_validated', (SELECT count(*) FROM item WHERE job = ?1 AND kind = 'foreign key' AND status = 'done'),"
    "   'tables', (SELECT json_group_array(json_object('table', qname, 'source_rows_estimate', rows_est, 'selected', rows_total,"
    "    'copied', rows_copied)) FROM (SELECT * FROM tbl WHERE job = ?1 AND mode = 'copy' ORDER BY schema_name, table_name))) END,"
    "  'masked', (SELECT json_group_array(json_object('column', c, 'mask', mask, 'tied_to', via)) FROM (SELECT"
    "   t.qname || '.' || m.col AS c, m.mask, m.via FROM mask m JOIN (SELECT DISTINCT relid, qname FROM tbl WHERE job = ?1) t"
    "   ON t.relid = m.relid WHERE m.job = ?1 ORDER BY 1)),"
    "  'source_changed_after_snapshot', (SELECT json_group_array(qname) FROM (SELECT qname FROM tbl WHERE job = ?1"
    "   AND verify_writes > snap_writes ORDER BY schema_name, table_name)),"
    "  'excluded', (SELECT json_group_array(json_object('name', name, 'reason', reason)) FROM ("
    "    SELECT schema_name || '.' || table_name AS name, reason FROM tbl WHERE job = ?1 AND mode IN ('nodata', 'skip')"
    "    UNION ALL SELECT name, note FROM item WHERE job = ?1 AND status = 'excluded' AND kind <> 'table'"
    "    ORDER BY 1)))"
    " FROM job j WHERE j.id = ?1";

/* Builds, stores and returns (malloc'd) job ?'s report. */
static char *rp_build(Job *j) {
  bool ok = true;
  for (size_t i = 0; ok && i < sizeof azReportSides / sizeof *azReportSides; i++) ok = st_run(j->db, azReportSides[i], NULL);
  for (int side = 0; ok && side < 2; side++) {
    char *zSql = sqlite3_mprintf(zReportSideSql, side ? "temp.rd" : "temp.rs");
    ok = st_run(j->db, zSql, "it", j->id, side ? "dst" : "src");
    sqlite3_free(zSql);
  }
  /* a job whose inventory an older clonebox stored whole (every object,
   * no counts): counted here */
  ok = ok && st_run(j->db, "INSERT INTO vobj_count(job, kind, n_src, n_dst) SELECT ?1, k.kind,"
                    " (SELECT count(*) FROM temp.rs s WHERE s.kind = k.kind), (SELECT count(*) FROM temp.rd d WHERE d.kind = k.kind)"
                    " FROM (SELECT kind FROM temp.rs UNION SELECT kind FROM temp.rd) k"
                    " WHERE NOT EXISTS (SELECT 1 FROM vobj_count WHERE job = ?1)", "i", j->id);
  char *zReport = ok ? st_text(j->db, zReportSql, "i", j->id) : NULL;
  st_run(j->db, "DROP TABLE IF EXISTS temp.rs", NULL);
  st_run(j->db, "DROP TABLE IF EXISTS temp.rd", NULL);
  if (!zReport) return NULL;
  if (!st_run(j->db, "UPDATE job SET report = ?1, result = json_extract(?1, '$.result') WHERE id = ?2", "ti",
              zReport, j->id)) {
    free(zReport);
    return NULL;
  }
  return zReport;
}

/* Writes a report to zFile (--report) by way of a temporary file, so that
 * a reader never sees half of it. */
static bool rp_write(const char *zFile, const char *zReport) {
  char zTmp[4096];
  snprintf(zTmp, sizeof zTmp, "%s.tmp%ld", zFile, (long)getpid());
  FILE *f = fopen(zTmp, "w");
  bool ok = f && fprintf(f, "%s\n", zReport) >= 0;
  ok = f && fclose(f) == 0 && ok && rename(zTmp, zFile) == 0;
  if (!ok) {
    unlink(zTmp);
    return fail(EXIT_FAILED, "--report %s: cannot write it: %s", zFile, strerror(errno));
  }
  return true;
}

/* Prints a report (JSON text) to stdout, as it is or for people. */
static void rp_print(sqlite3 *db, const char *zReport, bool bJson) {
  if (bJson) {
    printf("%s\n", zReport);
    return;
  }
  char *zSrc = st_text(db, "SELECT coalesce(json_extract(?1, '$.source'), '?') || char(10) || 'target: ' ||"
                       " coalesce(json_extract(?1, '$.target'), '?')", "t", zReport);
  bool bCopy = st_int(db, 0, "SELECT json_extract(?, '$.kind') = 'copy'", "t", zReport);
  printf("clonebox %s report (job %lld)\nsource: %s\n\n", bCopy ? "copy" : "verification",
         (long long)st_int(db, 0, "SELECT json_extract(?, '$.job')", "t", zReport), zSrc ? zSrc : "");
  free(zSrc);
  printf("%-44s %12s %12s  %s\n", "TABLE", "SOURCE ROWS", "TARGET ROWS", "STATUS");
  sqlite3_stmt *p = st_prep(db,
      "SELECT coalesce(json_extract(value, '$.schema') || '.' || json_extract(value, '$.table'), '?'),"
      " coalesce(json_extract(value, '$.source_rows'), '-'), coalesce(json_extract(value, '$.target_rows'), '-'),"
      " coalesce(upper(json_extract(value, '$.status')), '?') || coalesce(' (' || json_extract(value, '$.reason') || ')', ''),"
      " coalesce('    ' || coalesce('into ' || json_extract(value, '$.into') || ' ', '') || 'where '"
      " || json_extract(value, '$.where') || coalesce(', on conflict ' || json_extract(value, '$.conflict'), ''), '')"
      " FROM json_each(?, '$.tables')", "t", zReport);
  while (p && sqlite3_step(p) == SQLITE_ROW) {
    printf("%-44s %12s %12s  %s\n", sqlite3_column_text(p, 0), sqlite3_column_text(p, 1),
           sqlite3_column_text(p, 2), sqlite3_column_text(p, 3));
    if (st_col(p, 4)[0]) printf("%s\n", st_col(p, 4));
  }
  sqlite3_finalize(p);
  if (!bCopy) printf("\n%-44s %12s %12s  %s\n", "OBJECTS", "SOURCE", "TARGET", "STATUS");
  p = st_prep(db, "SELECT coalesce(json_extract(value, '$.kind'), '?'), json_extract(value, '$.source'),"
              " json_extract(value, '$.target'), coalesce(upper(json_extract(value, '$.status')), '?')"
              " FROM json_each(?, '$.objects')", "t", zReport);
  while (p && sqlite3_step(p) == SQLITE_ROW)
    printf("%-44s %12lld %12lld  %s\n", sqlite3_column_text(p, 0), (long long)sqlite3_column_int64(p, 1),
           (long long)sqlite3_column_int64(p, 2), sqlite3_column_text(p, 3));
  sqlite3_finalize(p);
  /* Every difference by name. */
  p = st_prep(db,
      "SELECT CASE WHEN json_extract(o.value, '$.kind') = 'unsupported kind' THEN 'UNSUPPORTED kind ' || n.value"
      " ELSE upper(w.key) || ' ' || json_extract(o.value, '$.kind') || ' ' || n.value END"
      " FROM json_each(?, '$.objects') o, json_each(o.value) w, json_each(w.value) n"
      " WHERE w.key IN ('missing', 'extra', 'different')"
      " UNION ALL SELECT CASE json_extract(value, '$.status') WHEN 'missing' THEN 'MISSING' ELSE 'DIFF' END || ' table ' || json_extract(value, '$.schema') || '.' || json_extract(value, '$.table')"
      " || ': rows ' || coalesce(json_extract(value, '$.source_rows'), '?') || ' vs ' || coalesce(json_extract(value, '$.target_rows'), '?')"
      " || CASE WHEN json_extract(value, '$.source_rows') = json_extract(value, '$.target_rows') THEN ', content differs' ELSE '' END"
      " FROM json_each(?1, '$.tables') WHERE json_extract(value, '$.status') NOT IN ('ok', 'excluded')", "t", zReport);
  bool bFirst = true;
  while (p && sqlite3_step(p) == SQLITE_ROW) {
    if (bFirst) printf("\nDIFFERENCES\n");
    bFirst = false;
    printf("  %s\n", st_col(p, 0));
  }
  sqlite3_finalize(p);
  p = st_prep(db, "SELECT coalesce(json_extract(value, '$.name'), '?'), coalesce(json_extract(value, '$.reason'), '?')"
              " FROM json_each(?, '$.excluded')",
              "t", zReport);
  bFirst = true;
  while (p && sqlite3_step(p) == SQLITE_ROW) {
    if (bFirst) printf("\nEXCLUDED\n");
    bFirst = false;
    printf("  %s: %s\n", sqlite3_column_text(p, 0), sqlite3_column_text(p, 1));
  }
  sqlite3_finalize(p);
  p = st_prep(db, "SELECT json_extract(value, '$.table') || ': ' || json_extract(value, '$.selected') || ' row(s) selected of ~'"
              " || json_extract(value, '$.source_rows_estimate') || ', ' || json_extract(value, '$.copied') || ' copied'"
              " FROM json_each(?, '$.subset.tables')", "t", zReport);
  bFirst = true;
  while (p && sqlite3_step(p) == SQLITE_ROW) {
    if (bFirst) {
      char *zRoots = st_text(db, "SELECT group_concat(value, '; ') || ' (' || json_extract(?1, '$.subset.foreign_keys_validated')"
                             " || ' foreign keys created and validated on the target)' FROM json_each(?1, '$.subset.roots')",
                             "t", zReport);
      printf("\nSUBSET of %s\n", zRoots ? zRoots : "?");
      free(zRoots);
    }
    bFirst = false;
    printf("  %s\n", st_col(p, 0));
  }
  sqlite3_finalize(p);
  p = st_prep(db, "SELECT json_extract(value, '$.column') || ': ' || json_extract(value, '$.mask') || coalesce(' (tied to '"
              " || json_extract(value, '$.tied_to') || ' by a foreign key)', '') FROM json_each(?, '$.masked')", "t", zReport);
  bFirst = true;
  while (p && sqlite3_step(p) == SQLITE_ROW) {
    if (bFirst) printf("\nMASKED (values replaced on the source; the checksums are of the masked rows)\n");
    bFirst = false;
    printf("  %s\n", st_col(p, 0));
  }
  sqlite3_finalize(p);
  char *zChanged = st_text(db, "SELECT json_array_length(?1, '$.source_changed_after_snapshot') || ' table(s): ' ||"
                           " (SELECT group_concat(value, ', ') FROM json_each(?1, '$.source_changed_after_snapshot'))"
                           " WHERE json_array_length(?1, '$.source_changed_after_snapshot') > 0", "t", zReport);
  if (zChanged) printf("\nSOURCE CHANGED AFTER ITS SNAPSHOT (information: what was copied is what is compared)\n  %s\n",
                       zChanged);
  free(zChanged);
  char *zResult = st_text(db, "SELECT CASE coalesce(json_extract(?1, '$.verify'), 'full') WHEN 'full' THEN"
                          " CASE json_extract(?1, '$.kind') WHEN 'copy' THEN 'the rows copied, checksummed as the source"
                          " sent them, against the target''s rows that each --where selects there' ELSE"
                          " 'every row checksummed as copied (target read once), every object compared' END"
                          " WHEN 'counts' THEN 'row counts and objects only (--verify counts): values not compared'"
                          " ELSE 'none (--verify none): nothing compared' END || char(10) || 'RESULT: ' ||"
                          " coalesce(json_extract(?1, '$.result'), '?')", "t", zReport);
  char *zRuns = st_text(db, "SELECT coalesce(json_extract(?1, '$.runs'), '?') || ' run(s), ' ||"
                        " coalesce(json_extract(?1, '$.snapshots'), '?') || ' source snapshot(s), ' ||"
                        " coalesce(json_extract(?1, '$.workers'), '?') || ' worker(s); ' ||"
                        " coalesce(json_extract(?1, '$.rows_copied'), '?') || ' rows (' ||"
                        " printf('%.1f', coalesce(json_extract(?1, '$.bytes_copied'), 0) / 1048576.0) || ' MB) in ' ||"
                        " coalesce(json_extract(?1, '$.tables_copied'), '?') || ' tables, ' ||"
                        " coalesce(json_extract(?1, '$.items'), '?') || ' items, ' ||"
                        " coalesce(json_extract(?1, '$.retries'), 0) || ' retries; seconds: ' || coalesce((SELECT"
                        " group_concat(key || ' ' || printf('%.1f', value), ', ') FROM json_each(?1, '$.phase_seconds')),"
                        " '-')", "t", zReport);
  printf("\nJOB: %s\n", zRuns ? zRuns : "?");
  free(zRuns);
  printf("VERIFICATION: %s\n", zResult ? zResult : "?");
  free(zResult);
  fflush(stdout);
}

/* A job's live status as JSON, from the state file alone.  ?1 job id,
 * ?2 seconds after which a running job without heartbeat is stale. */
static const char zStatusSql[] =
    "SELECT json_object('format', 1, 'id', j.id, 'status', CASE WHEN j.status = 'running' AND"
    "  ((julianday('now') - 2440587.5) * 86400.0) - coalesce(j.heartbeat_at, j.created_at) > ?2 THEN 'stale' ELSE j.status END,"
    " 'phase', j.phase, 'kind', j.kind, 'started_by', j.started_by,"
    " 'source', j.source, 'target', j.target, 'runs', j.runs, 'snapshots', j.snapshots,"
    " 'created_at', datetime(j.created_at, 'unixepoch') || 'Z', 'started_at', datetime(j.started_at, 'unixepoch') || 'Z',"
    " 'finished_at', datetime(j.finished_at, 'unixepoch') || 'Z',"
    " 'seconds_since_update', round(((julianday('now') - 2440587.5) * 86400.0) - coalesce(j.updated_at, j.created_at), 1),"
    " 'owner', j.owner, 'current_item', j.current_item, 'error', j.error, 'result', j.result,"
    " 'working_on', (SELECT json_group_array(name) FROM (SELECT name FROM item WHERE job = j.id AND status IN ('todo', 'running')"
    "  AND worker IS NOT NULL ORDER BY worker)),"
    " 'items_total', (SELECT count(*) FROM item WHERE job = j.id AND status <> 'excluded'),"
    " 'items_done', (SELECT count(*) FROM item WHERE job = j.id AND status = 'done'),"
    " 'rows_total', (SELECT coalesce(sum(coalesce(rows_total, rows_est)), 0) FROM tbl WHERE job = j.id AND mode = 'copy'),"
    " 'rows_copied', (SELECT coalesce(sum(rows_copied), 0) FROM tbl WHERE job = j.id AND mode = 'copy'),"
    " 'rows_per_second', (SELECT round(coalesce(sum(rows_copied), 0) / max(1, CASE WHEN j.status = 'running' OR max(done_at) IS NULL"
    "   THEN ((julianday('now') - 2440587.5) * 86400.0) ELSE max(done_at) END - min(started_at)))"
    "   FROM tbl WHERE job = j.id AND mode = 'copy' AND started_at IS NOT NULL),"
    " 'tables', (SELECT json_group_array(json_patch(json_object('table', qname, 'mode', mode, 'status', status,"
    "   'rows_total', coalesce(rows_total, rows_est), 'rows_copied', rows_copied,"
    "   'rows_verified', CASE WHEN vkey IS NOT NULL OR verdict IS NOT NULL THEN coalesce(dst_rows, 0) ELSE 0 END),"
    "   json_object('where', where_sql, 'into', nullif(into_qname, qname), 'conflict', conflict)))"
    "   FROM (SELECT * FROM tbl WHERE job = j.id AND mode NOT IN ('parent', 'part') ORDER BY schema_name, table_name)))"
    " FROM job j WHERE j.id = ?1";

/* Prints a status JSON for people. */
static void rp_print_status(sqlite3 *db, const char *zJson) {
  sqlite3_stmt *p = st_prep(db,
      "SELECT json_extract(?1, '$.id'), coalesce(json_extract(?1, '$.status'), '?'), coalesce(json_extract(?1, '$.phase'), '?'),"
      " json_extract(?1, '$.current_item'), json_extract(?1, '$.seconds_since_update'), json_extract(?1, '$.error'),"
      " json_extract(?1, '$.rows_total'), json_extract(?1, '$.rows_copied'), json_extract(?1, '$.rows_per_second'),"
      " json_extract(?1, '$.items_total'), json_extract(?1, '$.items_done'), json_extract(?1, '$.result'),"
      " coalesce(json_extract(?1, '$.source'), '?'), coalesce(json_extract(?1, '$.target'), '?'), json_extract(?1, '$.runs'),"
      " coalesce(json_extract(?1, '$.kind'), 'clone') || coalesce(', started by ' || json_extract(?1, '$.started_by'), '')"
      " || coalesce(', ' || json_extract(?1, '$.started_at') || ' to ' || json_extract(?1, '$.finished_at'),"
      " ', since ' || json_extract(?1, '$.started_at'), '')",
      "t", zJson);
  if (!p || sqlite3_step(p) != SQLITE_ROW) {
    sqlite3_finalize(p);
    return;
  }
  char zBar[41], zAgo[32], zEta[32] = "-";
  double nTotal = sqlite3_column_double(p, 6), nCopied = sqlite3_column_double(p, 7), rate = sqlite3_column_double(p, 8);
  double nItems = sqlite3_column_double(p, 9), nDone = sqlite3_column_double(p, 10);
  const char *zStatus = (const char *)sqlite3_column_text(p, 1);
  fmt_duration(zAgo, sizeof zAgo, sqlite3_column_double(p, 4));
  if (rate > 0 && nTotal > nCopied && strcmp(zStatus, "running") == 0) fmt_duration(zEta, sizeof zEta, (nTotal - nCopied) / rate);
  printf("job %lld: %s, phase %s%s%s (runs: %d)\n", (long long)sqlite3_column_int64(p, 0), zStatus,
         sqlite3_column_text(p, 2), sqlite3_column_text(p, 11) ? ", result " : "",
         sqlite3_column_text(p, 11) ? (const char *)sqlite3_column_text(p, 11) : "", sqlite3_column_int(p, 14));
  printf("  %s\n", st_col(p, 15));
  printf("  %s -> %s\n", sqlite3_column_text(p, 12), sqlite3_column_text(p, 13));
  fmt_bar(zBar, 40, nDone, nItems);
  printf("  items [%s] %.0f/%.0f\n", zBar, nDone, nItems);
  fmt_bar(zBar, 40, nCopied, nTotal);
  printf("  rows  [%s] %.0f/%.0f  %.0f rows/s  ETA %s\n", zBar, nCopied, nTotal, rate, zEta);
  if (sqlite3_column_text(p, 3)) printf("  now: %s\n", sqlite3_column_text(p, 3));
  char *zHeld = st_text(db, "SELECT group_concat(value, ', ') FROM json_each(?, '$.working_on')", "t", zJson);
  if (zHeld && strcmp(zStatus, "running") == 0) printf("  workers hold: %s\n", zHeld); /* several at once */
  free(zHeld);
  printf("  last update %s ago\n", zAgo);
  if (strcmp(zStatus, "stale") == 0)
    printf("  WARNING: no heartbeat for %s; the runner is probably dead. Run the same clone command to resume.\n", zAgo);
  if (sqlite3_column_text(p, 5)) printf("  error: %s\n", sqlite3_column_text(p, 5));
  sqlite3_finalize(p);
  p = st_prep(db, "SELECT coalesce(json_extract(value, '$.table'), '?'), coalesce(json_extract(value, '$.mode'), '?'),"
              " coalesce(json_extract(value, '$.status'), '?'), json_extract(value, '$.rows_total'),"
              " json_extract(value, '$.rows_copied'), coalesce('    ' || coalesce('into ' || json_extract(value, '$.into')"
              " || ' ', '') || 'where ' || json_extract(value, '$.where'), '') FROM json_each(?, '$.tables')",
              "t", zJson);
  while (p && sqlite3_step(p) == SQLITE_ROW) {
    double t = sqlite3_column_double(p, 3), c = sqlite3_column_double(p, 4);
    if (strcmp((const char *)sqlite3_column_text(p, 1), "copy") != 0) {
      printf("  %-40s (%s)\n", sqlite3_column_text(p, 0), strcmp((const char *)sqlite3_column_text(p, 1), "skip") ? "rows not copied" : "left out");
      continue;
    }
    fmt_bar(zBar, 20, c, t);
    printf("  %-40s [%s] %.0f/%.0f %s\n", sqlite3_column_text(p, 0), zBar, c, t, sqlite3_column_text(p, 2));
    if (st_col(p, 5)[0]) printf("  %s\n", st_col(p, 5));
  }
  sqlite3_finalize(p);
}

/* }==================================================================== */

/* {====================================================================
 * 9. Engine (eng_): preflight, claims, the item loop, retries, workers, job creation
 * ==================================================================== */

static void eng_item_free(Item *it) {
  free(it->zKind);
  free(it->zName);
  free(it->zDdl);
  free(it->zProbe);
  free(it->zStatus);
  memset(it, 0, sizeof *it);
}

/* A check that may run before its phase: its table's rows are all
 * copied (a split table's: every range's). */
#define CHECK_READY                                                                                     \
  "EXISTS (SELECT 1 FROM tbl t JOIN tbl p ON p.job = t.job AND p.id = coalesce(t.part_of, t.id)"     \
  " WHERE t.job = item.job AND t.id = item.tbl AND p.status = 'done')"

/* Claims the first free item of wave (phase, wave) for this thread (only
 * a table's check that is ready when bChecks); 1, or -1 when there is
 * none now, or -2 after an error. */
static int eng_claim_in(Job *j, Item *it, sqlite3_int64 phase, sqlite3_int64 wave, bool bChecks) {
  sqlite3_stmt *p;
  /* Its first free item, then the claim, which fails if another worker
   * took the item meanwhile (ask again).  An item with a probe is marked
   * running by its claim, in the same write: from then on a run that
   * finds it so asks the target whether it committed; *it keeps the
   * status it had before, which says whether to ask now. */
  p = st_prep(j->db, "SELECT seq, phase, kind, name, coalesce(tbl, 0), ddl, probe, status FROM item WHERE job = ?"
              " AND phase = ? AND status IN ('todo', 'running') AND coalesce(wave, seq) = ? AND (worker IS NULL OR worker = ?)"
              " AND (NOT ? OR (kind = 'vtable' AND " CHECK_READY ")) ORDER BY seq LIMIT 1", "iiiti", j->id, phase, wave, j->zWorker,
              (sqlite3_int64)bChecks);
  if (!p) return -2;
  if (sqlite3_step(p) == SQLITE_ROW) {
    it->seq = sqlite3_column_int64(p, 0);
    it->phase = sqlite3_column_int(p, 1);
    it->zKind = xstrdup((const char *)sqlite3_column_text(p, 2));
    it->zName = xstrdup((const char *)sqlite3_column_text(p, 3));
    it->tbl = sqlite3_column_int64(p, 4);
    it->zDdl = xstrdup((const char *)sqlite3_column_text(p, 5));
    it->zProbe = xstrdup((const char *)sqlite3_column_text(p, 6));
    it->zStatus = xstrdup((const char *)sqlite3_column_text(p, 7));
  }
  sqlite3_finalize(p);
  if (!it->zKind) return g_err.bSet ? -2 : -1;
  if (!st_run(j->db, "UPDATE item SET worker = ?, status = CASE WHEN probe IS NULL THEN status ELSE 'running' END"
              " WHERE job = ? AND seq = ? AND status IN ('todo', 'running') AND (worker IS NULL OR worker = ?)", "tiit",
              j->zWorker, j->id, it->seq,
              j->zWorker))
    return -2;
  if (sqlite3_changes(j->db) == 1) return 1;
  eng_item_free(it); /* another worker was faster */
  return -1;
}

/* Claims for this thread the job's next item that may run now: the first
 * unfinished one of the earliest unfinished wave (phase, then wave: a
 * wave begins when every item before it is done) that no other worker
 * holds.  Its own claim it may take again (a retry).  Returns 1 with *it
 * loaded, 0 when no item is left at all, -1 when those left are held by
 * other workers or wait for them (ask again soon), -2 after an error. */
static int eng_claim(Job *j, Item *it) {
  /* the wave, then an item of it: with both bound, the partial index
   * item_todo walks the phase in seq order and stops at the first match
   * (one statement over both read every unfinished item of the phase per
   * claim).  The wave may be over by the second statement: nothing is
   * claimed then, and the next call finds the next one. */
  sqlite3_int64 phase = -1, wave = 0;
  sqlite3_stmt *p = st_prep(j->db, "SELECT phase, coalesce(wave, seq) FROM item WHERE job = ? AND status IN ('todo', 'running')"
                            " ORDER BY phase, seq LIMIT 1", "i", j->id);
  if (!p) return -2;
  if (sqlite3_step(p) == SQLITE_ROW) {
    phase = sqlite3_column_int64(p, 0);
    wave = sqlite3_column_int64(p, 1);
  }
  sqlite3_finalize(p);
  if (phase < 0) return g_err.bSet ? -2 : 0;
  int got = eng_claim_in(j, it, phase, wave, false);
  /* A worker that the data phase's last copies or post-data leave idle
   * (one big table or index, or items that run one at a time) checks a
   * table whose copy is done meanwhile: a check needs only the table's
   * rows.  (Not in a copy job: two of its tables may load one target
   * table.) */
  if (got != -1 || !(phase == PH_POSTDATA || (phase == PH_DATA && !j->bPartial))) return got;
  wave = st_int(j->db, -1, "SELECT coalesce(wave, seq) FROM item WHERE job = ? AND phase = ? AND kind = 'vtable'"
                " AND status IN ('todo', 'running') AND (worker IS NULL OR worker = ?) AND " CHECK_READY
                " ORDER BY seq LIMIT 1", "iit", j->id, (sqlite3_int64)PH_VERIFY, j->zWorker);
  if (wave < 0) return g_err.bSet ? -2 : -1;
  got = eng_claim_in(j, it, PH_VERIFY, wave, true);
  it->bEarly = got == 1;
  return got;
}

/* Forgets the claims of unfinished items: those of a previous run (whose
 * workers are gone, as this process holds the lease), or of this run's
 * workers once they have ended. */
static bool eng_unclaim(Job *j) {
  return st_run(j->db, "UPDATE item SET worker = NULL WHERE job = ? AND status IN ('todo', 'running')"
                " AND worker IS NOT NULL", "i", j->id);
}

/* Moves the job into the item's phase: ends the data snapshot when data
 * is over, records the phase, tells the user. */
static bool eng_enter_phase(Job *j, int phase) {
  if (j->bSnapshot && phase > PH_DATA) run_snapshot_end(j); /* a worker's is the runner's until then */
  j->phase = phase;
  if (!st_run(j->db, "UPDATE job SET phase = ? WHERE id = ?", "ti", azPhase[phase], j->id)) return false;
  char z[64];
  snprintf(z, sizeof z, "Phase %s", azPhase[phase]);
  return run_progress(j, z, true);
}

/* What the target has, before the first DDL, in the schemas the job
 * creates.  $1: JSON array of their quoted names; $2: --clean.  Rows:
 * (problem, object): 'privilege' rows name a schema this role cannot
 * create in (or, with --clean, drop); 'object' rows name an object that
 * is already there (extension members do not count). */
static const char zPreflightSql[] =
    "WITH s AS (SELECT q FROM pg_catalog.json_array_elements_text($1::json) q),"
    " t AS (SELECT s.q, n.oid, n.nspowner FROM s LEFT JOIN pg_catalog.pg_namespace n ON format('%I', n.nspname) = s.q),"
    " x AS (SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e')"
    " (SELECT 'privilege', q FROM t WHERE NOT CASE"
    "   WHEN oid IS NULL THEN has_database_privilege(current_database(), 'CREATE')"
    "   WHEN $2::bool THEN has_database_privilege(current_database(), 'CREATE') AND pg_has_role(nspowner, 'USAGE')"
    "   ELSE has_schema_privilege(oid, 'CREATE') END ORDER BY q LIMIT 1)"
    " UNION ALL (SELECT 'object', o FROM ("
    "  SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'"
    "   WHEN 'f' THEN 'foreign table' WHEN 'c' THEN 'type' ELSE 'table' END || ' ' || format('%I.%I', n.nspname, c.relname) o"
    "   FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN t ON t.oid = n.oid"
    "   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND NOT $2::bool"
    "   AND (c.relkind <> 'S' OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass"
    "    AND d.objid = c.oid AND d.deptype IN ('a', 'i')))"
    "   AND ('pg_class'::regclass, c.oid) NOT IN (SELECT * FROM x)"
    "  UNION ALL SELECT 'type ' || format('%I.%I', n.nspname, ty.typname)"
    "   FROM pg_catalog.pg_type ty JOIN pg_catalog.pg_namespace n ON n.oid = ty.typnamespace JOIN t ON t.oid = n.oid"
    "   WHERE ty.typtype IN ('e', 'd', 'r', 'm', 'b') AND ty.typcategory <> 'A' AND NOT $2::bool"
    "   AND ('pg_type'::regclass, ty.oid) NOT IN (SELECT * FROM x)"
    "  UNION ALL SELECT 'function ' || p.oid::regprocedure::text"
    "   FROM pg_catalog.pg_proc p JOIN t ON t.oid = p.pronamespace WHERE NOT $2::bool"
    "   AND ('pg_proc'::regclass, p.oid) NOT IN (SELECT * FROM x)"
    "  UNION ALL SELECT 'large object ' || l.oid FROM pg_catalog.pg_largeobject_metadata l WHERE NOT $2::bool) objs ORDER BY 1)";

/* The roles a job needs on the target, from the source: owners of what it
 * creates (unless --no-owner) and grantees (unless --no-privileges), as
 * a JSON array of {"role", "owner"}.  $1 no_owner, $2 no_privileges. */
static const char zRolesSql[] =
    "WITH o(owner, acl) AS ("
    "  SELECT owner, acl FROM (" OWNED_OBJECTS ") ob"
    "  UNION ALL SELECT NULL, a.attacl FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    "  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.attacl IS NOT NULL AND " USER_NS("n")
    "  UNION ALL SELECT d.defaclrole, d.defaclacl FROM pg_default_acl d"
    "), r(role, owner) AS ("
    "  SELECT owner, true FROM o WHERE owner IS NOT NULL AND NOT $1::bool"
    "  UNION ALL SELECT x.grantee, false FROM o, aclexplode(o.acl) x WHERE x.grantee <> 0 AND NOT $2::bool"
    "  UNION ALL SELECT u.umuser, false FROM pg_user_mappings u WHERE u.umuser <> 0)"
    " SELECT coalesce(json_agg(json_build_object('role', " ROLE_NAME("role") ", 'owner', owner)), '[]')"
    " FROM (SELECT role, bool_or(owner) AS owner FROM r GROUP BY role) g";

/* On the target: the roles of zRolesSql's list that are missing, or that
 * own objects but this role may not give objects to. */
static const char zRolesCheckSql[] =
    "SELECT string_agg(quote_ident(x.role), ', ' ORDER BY x.role) FILTER (WHERE pg_catalog.to_regrole(quote_ident(x.role)) IS NULL),"
    " string_agg(quote_ident(x.role), ', ' ORDER BY x.role) FILTER (WHERE pg_catalog.to_regrole(quote_ident(x.role)) IS NOT NULL"
    "  AND x.owner AND NOT pg_catalog.pg_has_role(pg_catalog.to_regrole(quote_ident(x.role)), 'MEMBER'))"
    " FROM pg_catalog.json_to_recordset($1::json) AS x(role text, owner bool)";

/* Roles are cluster objects, and clonebox does not create them: those
 * that owners and grants name must exist on the target, and this role
 * must be allowed to give objects to the owners. */
static bool eng_preflight_roles(Job *j) {
  const char *az[2] = {j->pOpt->bNoOwner ? "true" : "false", j->pOpt->bNoPrivileges ? "true" : "false"};
  PGconn *src = run_src(j), *dst = src ? run_dst(j) : NULL;
  char *zRoles = dst ? db_scalar(src, zRolesSql, 2, az, "listing the roles the source's objects name") : NULL;
  const char *azR[1] = {zRoles};
  PGresult *r = zRoles ? db_query(dst, zRolesCheckSql, 1, azR, "checking the target's roles") : NULL;
  bool ok = r != NULL;
  if (ok && !PQgetisnull(r, 0, 0))
    ok = fail(EXIT_USAGE, "the target server lacks roles that own or are granted objects on the source: %s (roles belong "
              "to a server, and clonebox does not create them); nothing was written. Hint: create them on the target, or "
              "pass --no-owner and/or --no-privileges", PQgetvalue(r, 0, 0));
  else if (ok && !PQgetisnull(r, 0, 1))
    ok = fail(EXIT_USAGE, "the target role %s may not give objects to %s (it is not a member of those roles); nothing "
              "was written. Hint: GRANT those roles TO %s on the target, or pass --no-owner", PQuser(dst),
              PQgetvalue(r, 0, 1), PQuser(dst));
  PQclear(r);
  free(zRoles);
  return ok;
}

/* Before a job's first DDL statement: may this role create what the plan
 * creates, and is the target free of objects the plan would collide with?
 * Either failure stops the job before anything is written, naming the
 * objects and the way out.  Skipped once DDL has begun (a resumed job). */
static bool eng_preflight(Job *j) {
  /* a copy job creates nothing: its plan checked its tables */
  if (j->bVerifyOnly || j->bPartial || st_job_wrote(j->db, j->id)) return !g_err.bSet;
  bool bClean = st_int(j->db, 0, "SELECT 1 FROM item WHERE job = ? AND kind = 'clean'", "i", j->id);
  char *zSchemas = st_text(j->db, "SELECT json_group_array(substr(name, 8)) FROM item WHERE job = ? AND kind = 'schema'"
                           " AND status <> 'excluded'", "i", j->id);
  PGconn *dst = zSchemas ? run_dst(j) : NULL;
  PGresult *res = NULL;
  bool ok = false;
  if (dst) {
    const char *az[2] = {zSchemas, bClean ? "true" : "false"};
    res = db_query(dst, zPreflightSql, 2, az, "checking the target before the first write");
  }
  if (!res) goto done;
  int n = PQntuples(res);
  if (n > 0 && strcmp(PQgetvalue(res, 0, 0), "privilege") == 0) {
    fail(EXIT_FAILED, "the target role %s may not %s schema %s in database %s (missing privilege); nothing was written. "
         "Hint: connect as the target database's owner, or GRANT CREATE ON %s TO %s", PQuser(dst),
         bClean ? "drop and recreate" : "create objects in", PQgetvalue(res, 0, 1), PQdb(dst),
         bClean ? "DATABASE (and ownership of the schema)" : "the schema (or DATABASE)", PQuser(dst));
    goto done;
  }
  if (n > 0) {
    PQExpBuffer b = createPQExpBuffer();
    for (int i = 0; i < n && i < 5; i++) appendPQExpBuffer(b, "%s%s", i ? ", " : "", PQgetvalue(res, i, 1));
    if (n > 5) appendPQExpBuffer(b, " and %d more", n - 5);
    char *zList = st_text(j->db, "SELECT group_concat(value, ', ') FROM json_each(?)", "t", zSchemas);
    fail(EXIT_USAGE, "the target database %s is not empty: it already has %s; nothing was written. Hint: --clean drops "
         "and recreates the schemas this clone creates (%s) first, or choose an empty target database", PQdb(dst),
         b->data, zList ? zList : "");
    free(zList);
    destroyPQExpBuffer(b);
    goto done;
  }
  ok = eng_preflight_roles(j);
done:
  PQclear(res);
  free(zSchemas);
  return ok;
}

/* --clean given to a job planned without it: honoured while the job has
 * written nothing to the target (say, after the preflight refused a
 * non-empty target and its hint was followed), else ignored aloud. */
static bool eng_add_clean(Job *j) {
  if (st_int(j->db, 0, "SELECT 1 FROM item WHERE job = ? AND kind = 'clean'", "i", j->id)) return true;
  if (st_job_wrote(j->db, j->id)) {
    warn("job %lld was planned without --clean and has begun writing to the target, so --clean is ignored and nothing "
         "will be dropped. Hint: 'clonebox cancel %lld', then clone --new --clean", (long long)j->id, (long long)j->id);
    return true;
  }
  bool ok = st_begin(j->db) && cat_plan_clean(j) && cat_confirm_clean(j) && st_commit(j->db);
  if (!ok) st_rollback(j->db);
  return ok;
}

/* The retry budget of one thread's loop. */
typedef struct Retry {
  int nRetry;            /* retries since the last progress */
  long nCheckpointSeen;  /* j->nCheckpoint at the last failure */
  double tFirstFailure;  /* first failure since the last progress, 0 before any */
} Retry;

/* After a failure recorded in g_err: 0 to try again from the last
 * checkpoint (after a pause, on fresh connections), or the exit code.  A
 * transient failure on either side, in any phase (lost connection,
 * server restart or failover, terminated backend, serialization failure,
 * deadlock) is retried with growing pauses for up to --retry-for since the
 * last progress; a permanent one (wrong password, missing database,
 * permission) ends the run at once, and so does a stop request. */
static int eng_retry(Job *j, Retry *r) {
  int stop;
  if ((atomic_load(&g_beat.stop) || atomic_load(&g_sig.n) || atomic_load(&g_bHalt)) && (stop = run_should_stop(j)))
    return stop;
  if (j->nCheckpoint != r->nCheckpointSeen || !r->tFirstFailure) { /* progress since the last failure */
    r->nRetry = 0;
    r->tFirstFailure = now();
  }
  r->nCheckpointSeen = j->nCheckpoint;
  if (!g_err.bTransient || j->bDeclined) return g_err.rc ? g_err.rc : EXIT_FAILED;
  double delay = r->nRetry < 5 ? (double)(1 << r->nRetry) : 30;
  if (now() + delay - r->tFirstFailure > j->pOpt->retryFor) {
    char zFor[32];
    fmt_duration(zFor, sizeof zFor, now() - r->tFirstFailure);
    warn("giving up after %s of retries (--retry-for)", zFor);
    return g_err.rc ? g_err.rc : EXIT_FAILED;
  }
  if (j->deadline > 0 && now() + delay >= j->deadline) { /* step: the next step retries */
    warn("%s; the step's budget is spent, the next step retries from the last checkpoint", g_err.zMsg);
    run_disconnect(j);
    return EXIT_MORE;
  }
  warn("%s; retrying in %.0f s from the last checkpoint", g_err.zMsg, delay);
  memset(&g_err, 0, sizeof g_err);
  run_disconnect(j);
  for (double tEnd = now() + delay; now() < tEnd && !atomic_load(&g_sig.n) && !atomic_load(&g_beat.stop) &&
                                    !atomic_load(&g_bHalt);) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  r->nRetry++;
  return st_run(j->db, "UPDATE job SET retries = retries + 1 WHERE id = ?", "i", j->id) ? 0 : EXIT_FAILED;
}

/* Claims and runs items until none is left (EXIT_OK) or a reason to stop
 * (budget spent or a signal: EXIT_MORE; cancelled, lease lost, an error):
 * the runner's loop when it works alone, each worker's otherwise.  A
 * worker whose next item waits for the others' asks again every 10 ms. */
static int eng_items(Job *j) {
  Retry r = {.nCheckpointSeen = j->nCheckpoint};
  Item it = {0};
  for (;;) {
    int stop, got = eng_claim(j, &it);
    if (got == 0) return EXIT_OK;
    if ((stop = run_should_stop(j))) {
      eng_item_free(&it);
      return stop;
    }
    if (got == -1) {
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
      continue;
    }
    double t0 = now();
    bool ok = got == 1 && (it.phase == j->phase || it.bEarly || eng_enter_phase(j, it.phase)) && run_item(j, &it);
    if (ok && g_bVerbose) note("%s: %s in %.2f s (worker %s)", azPhase[it.phase], it.zName, now() - t0, j->zWorker);
    eng_item_free(&it);
    if (ok) {
      run_checkpoint(j);
      continue;
    }
    if ((stop = eng_retry(j, &r))) return stop;
  }
}

/* One worker thread of a parallel run: its own context (a copy of the
 * runner's Job with its own state-file connection and, opened on first
 * use, its own sessions on both servers), its own error slot. */
typedef struct Worker {
  Job job;             /* its context; job.db and connections closed by the worker */
  int slot;            /* g_iSlot: 1..nJobs */
  pthread_t thread;    /* valid once started */
  int rc;              /* its exit code, once ended */
  long ticket;         /* order in which workers stopped for a reason (first cause first) */
  bool bTransient;     /* its error was transient */
  char zErr[2048];     /* its error message when rc is not EXIT_OK */
  atomic_bool bEnded;  /* the thread has ended */
} Worker;

static atomic_long g_nTicket; /* tickets for workers that stop */

static void *eng_worker(void *pArg) {
  Worker *w = pArg;
  g_iSlot = w->slot;
  w->job.db = st_open_again(w->job.pOpt->zState);
  w->rc = w->job.db ? eng_items(&w->job) : g_err.rc;
  if (w->rc != EXIT_OK) {
    w->ticket = atomic_fetch_add(&g_nTicket, 1);
    atomic_store(&g_bHalt, true); /* the others stop at their next checkpoint */
    snprintf(w->zErr, sizeof w->zErr, "%s", g_err.bSet ? g_err.zMsg : "stopped");
    w->bTransient = g_err.bTransient;
  }
  run_disconnect(&w->job);
  st_close(w->job.db);
  w->job.db = NULL;
  atomic_store(&w->bEnded, true);
  return NULL;
}

/* The default --jobs: the number of CPUs, at least 2 and at most 8 (two
 * connections per worker on each server). */
static int eng_default_jobs(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 2 ? 2 : n > 8 ? 8 : (int)n;
}

/* Runs the job's items with j->nJobs worker threads.  The runner keeps
 * the lease, the target's lock and the data phase's exported snapshot,
 * which every worker's copies import; it draws the progress from the
 * state file, ends the snapshot when the data phase is over, and reports
 * the first cause when workers stop: an error before a budget or a
 * signal, the earliest of each. */
static int eng_parallel(Job *j) {
  bool bData = st_int(j->db, 0, "SELECT 1 FROM item WHERE job = ? AND phase = ? AND status IN ('todo', 'running')"
                      " LIMIT 1", "ii", j->id, (sqlite3_int64)PH_DATA);
  if (bData && !run_snapshot_export(j, "exporting the source's snapshot for the workers")) return g_err.rc;
  if (g_err.bSet) return g_err.rc;
  Worker *aW = xcalloc((size_t)j->nJobs, sizeof *aW);
  int nStarted = 0;
  atomic_store(&g_bHalt, false);
  for (int k = 0; k < j->nJobs; k++) {
    Worker *w = &aW[k];
    w->job = *j;
    w->job.src = w->job.dst = w->job.snap = NULL;
    w->job.bLockTarget = false;
    w->job.lockFd = -1;
    w->job.tLastBeat = 0;
    snprintf(w->job.zWorker, sizeof w->job.zWorker, "w%d", k + 1);
    w->slot = k + 1;
    w->job.db = NULL; /* the worker opens its own */
    if (pthread_create(&w->thread, NULL, eng_worker, w) != 0) {
      fail(EXIT_FAILED, "cannot start worker %d: %s", k + 1, strerror(errno));
      break;
    }
    nStarted++;
  }
  if (nStarted < j->nJobs) atomic_store(&g_bHalt, true);
  char zLastPhase[16] = "";
  for (bool bAll = false; !bAll;) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    bAll = true;
    for (int k = 0; k < nStarted; k++) bAll = bAll && atomic_load(&aW[k].bEnded);
    /* the progress line, from what the workers record */
    sqlite3_stmt *p = st_prep(j->db, "SELECT phase, coalesce(current_item, '') FROM job WHERE id = ?", "i", j->id);
    if (p && sqlite3_step(p) == SQLITE_ROW) {
      const char *zPhase = (const char *)sqlite3_column_text(p, 0);
      for (int ph = 0; ph <= PH_DONE; ph++)
        if (strcmp(zPhase, azPhase[ph]) == 0) j->phase = ph;
      const char *zCur = (const char *)sqlite3_column_text(p, 1);
      char zItem[64];
      snprintf(zItem, sizeof zItem, "Phase %s", zPhase);
      if (strcmp(zPhase, zLastPhase) != 0) run_show(j, zItem); /* a line at each phase */
      else if (strncmp(zCur, "Phase ", 6) != 0) run_show(j, zCur);
      snprintf(zLastPhase, sizeof zLastPhase, "%s", zPhase);
    }
    sqlite3_finalize(p);
    /* the source's snapshot is held no longer than the data phase */
    if (j->bSnapshot && j->phase > PH_DATA &&
        !st_int(j->db, 1, "SELECT 1 FROM item WHERE job = ? AND phase = ? AND status IN ('todo', 'running') LIMIT 1",
                "ii", j->id, (sqlite3_int64)PH_DATA))
      run_snapshot_end(j);
  }
  Worker *pCause = NULL;
  for (int k = 0; k < nStarted; k++) {
    Worker *w = &aW[k];
    pthread_join(w->thread, NULL);
    if (w->rc == EXIT_OK) continue;
    bool bMore = w->rc == EXIT_MORE, bCauseMore = pCause && pCause->rc == EXIT_MORE;
    if (!pCause || (bCauseMore && !bMore) || (bCauseMore == bMore && w->ticket < pCause->ticket)) pCause = w;
  }
  atomic_store(&g_bHalt, false);
  int rc = g_err.bSet ? g_err.rc : EXIT_OK;
  if (!g_err.bSet && pCause) {
    fail(pCause->rc, "%s", pCause->zErr);
    g_err.bTransient = pCause->bTransient;
    rc = pCause->rc;
  }
  free(aW);
  return eng_unclaim(j) ? rc : g_err.rc;
}

/* Runs the job from wherever it stands: the plan if not made yet, the
 * preflight before the first DDL, then every remaining item, by the
 * runner alone or by workers.  Returns EXIT_OK when none is left, or the
 * reason to stop: budget spent (EXIT_MORE), a signal (EXIT_MORE),
 * cancelled, lease lost, or an error (eng_retry). */
static int eng_run(Job *j, bool bPlan) {
  Retry r = {.nCheckpointSeen = j->nCheckpoint};
  for (;;) {
    bool ok;
    int rc;
    if (bPlan) {
      ok = run_progress(j, "Planning: reading the source's catalogs", true) && run_src(j) && run_dst(j) && cat_plan(j);
      if (ok) {
        bPlan = false;
        run_checkpoint(j); /* the plan is this run's unit of work if the budget is spent */
        continue;
      }
    } else {
      ok = (!j->pOpt->bClean || eng_add_clean(j)) && eng_preflight(j) && eng_unclaim(j);
      if (ok) break;
    }
    if ((rc = eng_retry(j, &r))) return rc;
  }
  return j->nJobs > 1 ? eng_parallel(j) : eng_items(j);
}

/* Ends a job whose items are all done: builds, stores and prints the
 * report.  Returns the exit code. */
static int eng_finish(Job *j) {
  char *zReport = NULL;
  if (!eng_enter_phase(j, PH_DONE) || !(zReport = rp_build(j))) return g_err.rc ? g_err.rc : EXIT_FAILED;
  clear_progress_line();
  bool bPass = st_int(j->db, 0, "SELECT result IN ('PASS', 'UNVERIFIED') FROM job WHERE id = ?", "i", j->id);
  st_run(j->db, "UPDATE job SET status = 'done', finished_at = ?, current_item = ? WHERE id = ?", "dti", now(),
         !bPass ? "Done: verification FAIL" : st_int(j->db, 0, "SELECT result = 'PASS' FROM job WHERE id = ?", "i", j->id)
         ? "Done: verification PASS" : "Done: not verified (--verify none)", j->id);
  rp_print(j->db, zReport, j->pOpt->bJson);
  bool bFile = !j->pOpt->zReport || rp_write(j->pOpt->zReport, zReport);
  free(zReport);
  return !bFile ? EXIT_FAILED : bPass ? EXIT_OK : EXIT_VERIFY;
}

/* Identifies one end of a job: the server's system identifier (or its
 * address when that is not readable) and the database name.  Never a
 * password or a host alias, so the same job is found however it is named. */
static char *eng_end_id(PGconn *conn, const char *zSide) {
  static const char zSql[] =
      "SELECT coalesce($1, inet_server_addr()::text || ':' || inet_server_port()::text, 'local') || '/' || current_database()";
  char zWhat[64];
  snprintf(zWhat, sizeof zWhat, "identifying the %s", zSide);
  char *zSys = db_sysid(conn, zWhat);
  const char *az[1] = {zSys};
  char *z = g_err.bSet ? NULL : db_scalar(conn, zSql, 1, az, zWhat);
  free(zSys);
  return z;
}

/* A list as a JSON array (malloc'd). */
static char *eng_json_list(sqlite3 *db, const PatList *pl) {
  char *zA = xstrdup("[]");
  for (int i = 0; i < pl->nPat; i++) {
    char *z = st_text(db, "SELECT json_insert(?, '$[#]', ?)", "tt", zA, pl->azPat[i]);
    free(zA);
    zA = z ? z : xstrdup("[]");
  }
  return zA;
}

/* Adds --subset, --mask and --mask-seed to a job's options JSON (only when given,
 * so that jobs stored before they existed keep matching); frees zJson. */
static char *eng_mask_options(sqlite3 *db, const Options *o, char *zJson) {
  if (zJson && o->subsets.nPat > 0) { /* and --subset */
    char *zA = eng_json_list(db, &o->subsets);
    char *z = st_text(db, "SELECT json_patch(?, json_object('subset', json(?), 'subset_down_from_references', json(?)))",
                      "ttt", zJson, zA, o->bSubsetDownAll ? "true" : "null");
    free(zA);
    free(zJson);
    zJson = z;
  }
  if (!zJson || (o->masks.nPat == 0 && !o->zMaskSeed)) return zJson;
  char *zA = eng_json_list(db, &o->masks);
  char *z = st_text(db, "SELECT json_patch(?, json_object('masks', json(?), 'mask_seed', ?))", "ttt", zJson, zA,
                    o->zMaskSeed);
  free(zA);
  free(zJson);
  return z;
}

/* The job's options as JSON (malloc'd): the filters that shape the plan. */
static char *eng_options_json(sqlite3 *db, const Options *o) {
  char *zT = eng_json_list(db, &o->aSel[SEL_EXCL_TABLE]), *zD = eng_json_list(db, &o->aSel[SEL_EXCL_DATA]);
  char *zMap = xstrdup("{}");
  for (int i = 0; i < o->roleMap.nPat; i++) {
    const char *zEq = strchr(o->roleMap.azPat[i], '=');
    char *zFrom = sqlite3_mprintf("%.*s", (int)(zEq - o->roleMap.azPat[i]), o->roleMap.azPat[i]);
    char *z = st_text(db, "SELECT json_patch(?, json_object(?, ?))", "ttt", zMap, zFrom, zEq + 1);
    sqlite3_free(zFrom);
    free(zMap);
    zMap = z ? z : xstrdup("{}");
  }
  /* keys that are not the defaults are added only when given, so that
   * jobs stored before they existed keep matching */
  char *zJson = st_text(db, "SELECT json_patch(json_patch(json_patch(json_object('exclude_table', json(?), 'exclude_table_data',"
                        " json(?), 'no_owner', json(?), 'no_privileges', json(?), 'skip_unsupported', json(?)),"
                        " CASE WHEN ? THEN json_object('subscriptions', 'disabled') ELSE '{}' END),"
                        " CASE WHEN ? <> '{}' THEN json_object('role_map', json(?)) ELSE '{}' END),"
                        " CASE WHEN ? <> 'full' THEN json_object('verify', ?) ELSE '{}' END)", "tttttitttt", zT, zD,
                        o->bNoOwner ? "true" : "false", o->bNoPrivileges ? "true" : "false",
                        o->bSkipUnsupported ? "true" : "false", (sqlite3_int64)o->bSubscriptions, zMap, zMap,
                        o->zVerify ? o->zVerify : "full", o->zVerify ? o->zVerify : "full");
  for (int k = 0; zJson && k < SEL_N; k++) {
    if (k == SEL_EXCL_TABLE || k == SEL_EXCL_DATA || o->aSel[k].nPat == 0) continue;
    char *zA = eng_json_list(db, &o->aSel[k]);
    char *z = st_text(db, "SELECT json_set(?, '$.' || ?, json(?))", "ttt", zJson, azSelKey[k], zA);
    free(zA);
    free(zJson);
    zJson = z;
  }
  free(zMap);
  free(zT);
  free(zD);
  return eng_mask_options(db, o, zJson);
}

/* A copy job's options as JSON (malloc'd): its tables, with their rows
 * (--where) and target tables (--into), and --conflict. */
static char *eng_copy_options_json(sqlite3 *db, const Options *o) {
  char *zA = xstrdup("[]");
  for (int i = 0; zA && i < o->nCopy; i++) {
    char *z = st_text(db, "SELECT json_insert(?, '$[#]', json_object('table', ?, 'where', ?, 'into', ?))", "tttt", zA,
                      o->aCopy[i].zTable, o->aCopy[i].zWhere, o->aCopy[i].zInto);
    free(zA);
    zA = z;
  }
  char *zJson = zA ? st_text(db, "SELECT json_patch(json_object('kind', 'copy', 'tables', json(?), 'conflict', ?),"
                             " CASE WHEN ? <> 'full' THEN json_object('verify', ?) ELSE '{}' END)", "tttt", zA,
                             o->zConflict ? o->zConflict : "error", o->zVerify ? o->zVerify : "full",
                             o->zVerify ? o->zVerify : "full") : NULL;
  free(zA);
  return eng_mask_options(db, o, zJson);
}

/* Creates a job row (status running, phase plan), with who started it:
 * --label, else user@host. */
static bool eng_create(Job *j, const char *zSrcId, const char *zDstId, const char *zOptions) {
  char *zS = db_describe(j->zSrcInfo), *zD = db_describe(j->zDstInfo);
  char zBy[300], zHost[256] = "?";
  gethostname(zHost, sizeof zHost - 1);
  const char *zUser = getenv("USER") ? getenv("USER") : getenv("LOGNAME");
  if (j->pOpt->zLabel) snprintf(zBy, sizeof zBy, "%s", j->pOpt->zLabel);
  else if (zUser && zUser[0]) snprintf(zBy, sizeof zBy, "%s@%s", zUser, zHost);
  else snprintf(zBy, sizeof zBy, "uid %d@%s", (int)getuid(), zHost);
  bool ok = st_run(j->db, "INSERT INTO job(src_id, dst_id, status, phase, source, target, options, created_at, kind,"
                   " started_by) VALUES (?, ?, 'running', 'plan', ?, ?, ?, ?, ?, ?)", "tttttdtt", zSrcId, zDstId, zS, zD,
                   zOptions, now(), j->bPartial ? "copy" : "clone", zBy);
  free(zS);
  free(zD);
  if (ok) j->id = sqlite3_last_insert_rowid(j->db);
  return ok;
}

/* Runs a job (already leased) from wherever it stands: plan if needed,
 * then items until done or told to stop.  Returns the exit code. */
static int eng_drive(Job *j) {
  char *zPhase = st_text(j->db, "SELECT phase FROM job WHERE id = ?", "i", j->id);
  bool bPlan = zPhase && strcmp(zPhase, "plan") == 0;
  free(zPhase);
  j->phase = PH_PLAN;
  int rc = eng_run(j, bPlan);
  clear_progress_line();
  /* A worker that found the budget spent while another ran the last item
   * stopped "with more to do": nothing is left, and the job ends now
   * rather than in one more step that would do nothing but the report. */
  if (rc == EXIT_MORE && !atomic_load(&g_sig.n) &&
      !st_int(j->db, 1, "SELECT EXISTS (SELECT 1 FROM item WHERE job = ? AND status IN ('todo', 'running'))", "i", j->id))
    rc = EXIT_OK, memset(&g_err, 0, sizeof g_err);
  /* a cancel that came after the heartbeat's last look still counts */
  if (rc == EXIT_OK && st_int(j->db, 0, "SELECT status = 'cancelled' FROM job WHERE id = ?", "i", j->id))
  {
    fail(EXIT_CANCELLED, "job %lld was cancelled; stopped before its report", (long long)j->id);
    rc = EXIT_CANCELLED;
  }
  if (rc == EXIT_OK) return eng_finish(j);
  if (rc == EXIT_MORE && atomic_load(&g_sig.n)) {
    char *zAt = st_text(j->db, "SELECT phase || ', ' || coalesce(current_item, '') FROM job WHERE id = ?", "i", j->id);
    warn("%s (at: %s)", g_err.zMsg, zAt ? zAt : "?");
    free(zAt);
    return rc;
  }
  if (rc == EXIT_MORE) {
    note("budget spent; job %lld stopped at a checkpoint, more work remains (exit 75)", (long long)j->id);
    return rc;
  }
  if (bPlan && j->bDeclined) /* the user said no before the plan was stored */
    st_run(j->db, "DELETE FROM job WHERE id = ?", "i", j->id);
  else if (rc != EXIT_CANCELLED && rc != EXIT_BUSY)
    st_run(j->db, "UPDATE job SET status = 'failed', error = ?, updated_at = ? WHERE id = ?", "tdi", g_err.zMsg,
           now(), j->id);
  return rc;
}

/* }==================================================================== */

/* {====================================================================
 * 10. Command line and main (cmd_)
 * ==================================================================== */

static const char zUsage[] =
    "clonebox " CLONEBOX_VERSION " - copy a PostgreSQL database (schema and data) into another, resumably,\n"
    "and prove the copy with a verification report.\n"
    "\n"
    "Usage:\n"
    "  clonebox clone  --source URL --target URL [options]   clone, verify, print the report\n"
    "  clonebox copy   --source URL --target URL -t TABLE --where COND [options]   copy rows into existing tables\n"
    "  clonebox verify --source URL --target URL [options]   compare two databases, no state\n"
    "  clonebox start  --source URL --target URL [options]   create a job without running it (prints its id)\n"
    "  clonebox step   [JOB] --budget 20s [options]         work about that long, checkpoint; exit 0 done, 75 more\n"
    "  clonebox resume [JOB] [options]                      run an unfinished job (takes over a stale one)\n"
    "  clonebox status [JOB] [--watch] [--json]             progress of a job, from the state file alone\n"
    "  clonebox jobs   [--json]                             list the jobs in the state file\n"
    "  clonebox cancel JOB | --all | --stale [--older-than 10m]   mark jobs cancelled\n"
    "  clonebox completion bash|zsh                         a completion script: source <(clonebox completion bash)\n"
    "  clonebox help | --help | --version\n"
    "\n"
    "Options:\n"
    "  --source URL              source database: postgresql://user@host:port/db or 'host=... dbname=...'\n"
    "                            (default: $CLONEBOX_SOURCE)\n"
    "  --target URL              target database, same forms (default: $CLONEBOX_TARGET)\n"
    "  --state FILE              the job's state file (default: $CLONEBOX_STATE or ./" DEFAULT_STATE "), mode 0600\n"
    "  -n, --schema PAT          clone only the schemas matching PAT, with what is in them (repeatable)\n"
    "  -N, --exclude-schema PAT  leave the schemas matching PAT out, with what is in them (repeatable)\n"
    "  -t, --table PAT           copy only the tables matching PAT, whatever -n and -N say; other objects are\n"
    "                            cloned unless they need a table left out (repeatable).  copy: one source\n"
    "                            table, by name, and the condition and target table given after it (repeatable)\n"
    "  --where COND              copy: the rows of the --table before it to copy, an SQL condition the source\n"
    "                            evaluates in the job's snapshot (default: all rows), e.g. 'liquidation_id = 42'\n"
    "  --into SCHEMA.TABLE       copy: the target table for the --table before it (default: the same name);\n"
    "                            it must exist, with the source's columns\n"
    "  --conflict MODE           copy: rows whose key the target has already: error (default: stop), skip (keep\n"
    "                            the target's), update (take the source's) or replace (first delete the target's\n"
    "                            rows that --where selects there, then insert; a re-run converges)\n"
    "  -T, --exclude-table PAT   leave the tables matching PAT out entirely (repeatable)\n"
    "  --exclude-table-data PAT  create the tables matching PAT but copy none of their rows (repeatable)\n"
    "  --table-and-children PAT  like --table, with partitions and inheritance children; also\n"
    "                            --exclude-table-and-children, --exclude-table-data-and-children\n"
    "  --filter FILE             selection rules from FILE (- for stdin) as pg_dump 17 reads them, one a line:\n"
    "                            include|exclude table|table_and_children|schema PAT, exclude table_data PAT\n"
    "  --new                     clone, copy: start a new job even if one for this source and target exists\n"
    "  --refresh                 clone: clone again from scratch (--new --clean), keeping the old job's record\n"
    "  --clean                   drop and recreate the cloned schemas on the target first (asks; --yes)\n"
    "  --yes                     do not ask (needed for --clean without a terminal)\n"
    "  --no-owner                objects belong to the target role; owners are not compared\n"
    "  --no-privileges           grants are neither copied nor compared\n"
    "  --skip-unsupported        leave out what the target role (no superuser) cannot create; named in the report\n"
    "  --verify MODE             full (default: every row's checksum, as copied, and every object), counts (row\n"
    "                            counts and objects) or none (no verification; the result says UNVERIFIED)\n"
    "  --report FILE             also write the JSON report to FILE, whatever the output (clone, copy, verify, step, resume)\n"
    "  --role-map FROM=TO        objects owned by or granted to role FROM on the source go to role TO (repeatable)\n"
    "  --subscriptions MODE      exclude (default: not cloned nor compared, named in the report) or disabled\n"
    "                            (created with connect = false, enabled = false, and compared)\n"
    "  -j, --jobs N              workers, each with a session on both servers (default: the number of CPUs,\n"
    "                            at least 2, at most 8); tables are copied, indexes built, rows checked at once\n"
    "  --split-rows N            a table of more than N rows (planner's estimate) is copied in key ranges, by\n"
    "                            several workers at once (default 1000000; 0: never); read when the job is planned\n"
    "  --budget DURATION         step, copy: stop at a checkpoint after about this long (20s, 5m)\n"
    "  --mask TABLE.COLUMN=MASK  replace the column's values on the source, the same in every column a foreign\n"
    "                            key ties to it: hash, email, name, null or sql:EXPRESSION (repeatable; also\n"
    "                            'mask TABLE.COLUMN=MASK' lines in a filter file)\n"
    "  --mask-seed TEXT          the masks' seed: the same seed, the same values (default: random, per job)\n"
    "  --subset 'TABLE: COND'    clone: only a referentially whole slice of the rows: those of TABLE that COND\n"
    "                            selects, every row that references them (transitively), and every row those\n"
    "                            reference, so that every foreign key holds (repeatable: more roots)\n"
    "  --subset-down-from-references  also take the rows that reference rows reached only as references\n"
    "  --label TEXT              who or what started the job, shown by status and jobs (default: user@host)\n"
    "  --on-done CMD             when the job ends (done, failed, cancelled), run CMD with /bin/sh and\n"
    "                            CLONEBOX_JOB, CLONEBOX_STATUS, CLONEBOX_RESULT, CLONEBOX_EXIT, CLONEBOX_ROWS\n"
    "                            and CLONEBOX_REPORT (the JSON report's file) in its environment; its failure\n"
    "                            is reported and changes nothing\n"
    "  --wait DURATION           wait this long for a live runner holding the job (default: exit 5)\n"
    "  --retry-for DURATION      keep reconnecting after lost connections this long (default 5m)\n"
    "  --stale-after DURATION    status, jobs, cancel: a running job without heartbeat this long is stale (60s)\n"
    "  --older-than DURATION     cancel --stale: only jobs idle at least this long\n"
    "  --watch                   status: redraw every second until the job ends\n"
    "  --all, --stale            cancel: every unfinished job / every stale job\n"
    "  --json                    print the report (or status) as JSON on stdout\n"
    "  -q, --quiet               no progress on stderr\n"
    "  -v, --verbose             also a line for every item done: phase, object, seconds, worker\n"
    "\n"
    "PAT follows pg_dump: * and ? are wildcards, letters are folded to lower case outside double quotes,\n"
    "and a table name without a schema matches the tables in the search_path: 'public.audit_*',\n"
    "'billing.\"Customer Notes\"'.\n"
    "Rows of tables named background_tasks are never copied (they may hold credentials).\n"
    "Passwords: use PGPASSWORD, ~/.pgpass or the URL; they are never written to the state file.\n"
    "Running clone again with the same source, target and filters resumes the unfinished job,\n"
    "or, if it finished, prints its report without touching the target; so does copy with the same\n"
    "tables, conditions and --conflict (each chunk lands once, however often it is killed).  step and resume use the\n"
    "job's stored connection strings (without password) unless --source/--target are given.\n"
    "\n"
    "Exit codes:\n"
    "  0   done, verification PASS\n"
    "  1   the job failed (SQL or runtime error; the message names the object)\n"
    "  2   usage error, or refused before any write (target is the source, a standby, read-only, not empty)\n"
    "  3   verification FAIL: the target differs from the source\n"
    "  4   cannot connect or authenticate (including TLS and GSSAPI errors)\n"
    "  5   the job is busy: another runner holds it\n"
    "  6   the job was cancelled\n"
    "  75  more work remains (step), or stopped by a signal at a checkpoint: run it again\n";

/* Frees the lists an Options holds (their strings are argv's). */
static void opt_free(Options *o) {
  free(o->aCopy);
  free(o->masks.azPat);
  free(o->subsets.azPat);
  for (int i = 0; i < SEL_N; i++) free(o->aSel[i].azPat);
  free(o->roleMap.azPat);
  for (int i = 0; i < o->nOwned; i++) free(o->azOwned[i]);
  free(o->azOwned);
}

/* Adds a pattern to a list (the array is freed in main). */
static void opt_push(PatList *pl, const char *z) {
  const char **a = realloc(pl->azPat, sizeof(char *) * (size_t)(pl->nPat + 1));
  if (!a) {
    fputs("clonebox: out of memory\n", stderr);
    exit(EXIT_FAILED);
  }
  pl->azPat = a;
  pl->azPat[pl->nPat++] = z;
}

/* A new --table of `copy`, to which --where and --into then belong. */
static bool opt_copy_push(Options *o) {
  CopySpec *a = realloc(o->aCopy, sizeof(CopySpec) * (size_t)(o->nCopy + 1));
  if (!a) return false;
  o->aCopy = a;
  o->aCopy[o->nCopy++] = (CopySpec){0};
  return true;
}

/* Is z one SQL condition that cannot leave the parentheses clonebox puts
 * around it, "(z\n)": not empty, its parentheses balanced and never
 * closed beyond the first, no ';' outside string literals, quoted names,
 * dollar quotes and comments?  The servers parse it (EXPLAIN) when the
 * job is planned; this only makes sure that what they parse is one
 * condition in the place it was put. */
static bool opt_condition_ok(const char *z) {
  int depth = 0;
  bool bAny = false;
  for (const char *p = z; *p; p++) {
    if (*p == '\'' || *p == '"') { /* 'literal' (E'..' with backslashes), "name"; doubled quotes stay inside */
      char q = *p;
      bool bE = q == '\'' && p > z && (p[-1] == 'E' || p[-1] == 'e');
      for (p++; *p && !(*p == q && p[1] != q); p++)
        if (*p == q || (bE && *p == '\\' && p[1])) p++;
      if (!*p) return false;
    } else if (*p == '$' && (p == z || !(isalnum((unsigned char)p[-1]) || p[-1] == '_'))) { /* $tag$ .. $tag$ */
      size_t n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
      if (p[1 + n] != '$' || isdigit((unsigned char)p[1])) continue; /* $1, not a quote */
      char zTag[80];
      if (n + 2 >= sizeof zTag) return false;
      memcpy(zTag, p, n + 2);
      zTag[n + 2] = '\0';
      const char *e = strstr(p + n + 2, zTag);
      if (!e) return false;
      p = e + n + 1;
    } else if (p[0] == '-' && p[1] == '-') {
      p += strcspn(p, "\n");
      if (!*p) break;
    } else if (p[0] == '/' && p[1] == '*') {
      int nest = 1;
      for (p += 2; *p && nest; p++) {
        if (p[0] == '/' && p[1] == '*') nest++, p++;
        else if (p[0] == '*' && p[1] == '/') nest--, p++;
      }
      if (nest) return false;
      p--;
    } else if (*p == ';') {
      return false;
    } else if (*p == '(') {
      depth++;
    } else if (*p == ')' && --depth < 0) {
      return false;
    }
    if (!isspace((unsigned char)*p)) bAny = true;
  }
  return depth == 0 && bAny;
}

/* Is z a --mask: TABLE.COLUMN=hash|email|name|null|sql:EXPRESSION (one
 * expression, as opt_condition_ok says)? */
static bool opt_mask_ok(const char *z) {
  const char *zEq = name_end(z, '=');
  if (!zEq || zEq == z) return false;
  const char *zKind = zEq + 1;
  if (strncmp(zKind, "sql:", 4) == 0) return opt_condition_ok(zKind + 4);
  return strcmp(zKind, "hash") == 0 || strcmp(zKind, "email") == 0 || strcmp(zKind, "name") == 0 ||
         strcmp(zKind, "null") == 0;
}

/* A copy of z that the Options own (freed by opt_free). */
static const char *opt_own(Options *o, const char *z) {
  char **a = realloc(o->azOwned, sizeof(char *) * (size_t)(o->nOwned + 1));
  if (!a) {
    fputs("clonebox: out of memory\n", stderr);
    exit(EXIT_FAILED);
  }
  o->azOwned = a;
  return o->azOwned[o->nOwned++] = xstrdup(z);
}

/* --filter FILE ("-": standard input), in pg_dump 17's format: one rule a
 * line, "include|exclude KIND PATTERN"; '#' begins a comment, blank lines
 * are skipped, and a pattern holds no whitespace outside double quotes.
 * KIND: table, table_and_children, schema, and for exclude table_data and
 * table_data_and_children too.  Returns false after recording an error
 * that names the line. */
static bool opt_filter_file(Options *o, const char *zFile) {
  static const struct { const char *zVerb, *zKind; int sel; } aRule[] = {
      {"include", "table", SEL_TABLE},
      {"include", "table_and_children", SEL_TABLE_CHILDREN},
      {"include", "schema", SEL_SCHEMA},
      {"exclude", "table", SEL_EXCL_TABLE},
      {"exclude", "table_and_children", SEL_EXCL_TABLE_CHILDREN},
      {"exclude", "schema", SEL_EXCL_SCHEMA},
      {"exclude", "table_data", SEL_EXCL_DATA},
      {"exclude", "table_data_and_children", SEL_EXCL_DATA_CHILDREN},
  };
  FILE *f = strcmp(zFile, "-") == 0 ? stdin : fopen(zFile, "r");
  if (!f) return fail(EXIT_USAGE, "--filter %s: %s", zFile, strerror(errno));
  char *zLine = NULL, zVerb[16], zKind[32];
  size_t nCap = 0;
  bool ok = true;
  for (int iLine = 1; ok && getline(&zLine, &nCap, f) >= 0; iLine++) {
    char *p = zLine;
    while (isspace((unsigned char)*p)) p++;
    if (!*p || *p == '#') continue;
    if (strncmp(p, "mask", 4) == 0 && isspace((unsigned char)p[4])) { /* clonebox's own: mask TABLE.COLUMN=MASK */
      for (p += 4; isspace((unsigned char)*p); p++) {}
      size_t n = strlen(p);
      while (n > 0 && isspace((unsigned char)p[n - 1])) p[--n] = '\0';
      if (!opt_mask_ok(p)) {
        ok = fail(EXIT_USAGE, "--filter %s, line %d: want 'mask TABLE.COLUMN=hash|email|name|null|sql:EXPRESSION'",
                  zFile, iLine);
        break;
      }
      opt_push(&o->masks, opt_own(o, p));
      continue;
    }
    int k = 0, sel = -1;
    if (sscanf(p, "%15s %31s %n", zVerb, zKind, &k) < 2 || k == 0) {
      ok = fail(EXIT_USAGE, "--filter %s, line %d: want 'include|exclude KIND PATTERN'", zFile, iLine);
      break;
    }
    char *zPat = p + k, *zEnd = zPat;
    bool bQuoted = false;
    for (; *zEnd && (bQuoted || !isspace((unsigned char)*zEnd)); zEnd++)
      if (*zEnd == '"') bQuoted = !bQuoted;
    for (p = zEnd; isspace((unsigned char)*p); p++) {}
    for (size_t i = 0; i < sizeof aRule / sizeof *aRule; i++)
      if (strcmp(zVerb, aRule[i].zVerb) == 0 && strcmp(zKind, aRule[i].zKind) == 0) sel = aRule[i].sel;
    if (sel < 0)
      ok = fail(EXIT_USAGE, "--filter %s, line %d: '%s %s' is not a rule clonebox takes (include table, "
                "table_and_children or schema; exclude those or table_data, table_data_and_children)", zFile, iLine,
                zVerb, zKind);
    else if (bQuoted || zEnd == zPat || (*p && *p != '#'))
      ok = fail(EXIT_USAGE, "--filter %s, line %d: %s", zFile, iLine, bQuoted ? "a double quote is not closed"
                : zEnd == zPat ? "no pattern" : "text after the pattern (quote a pattern that holds spaces)");
    if (!ok) break;
    *zEnd = '\0';
    opt_push(&o->aSel[sel], opt_own(o, zPat));
  }
  free(zLine);
  if (f != stdin) fclose(f);
  return ok;
}

static int usage_error(const char *zMsg) {
  fprintf(stderr, "clonebox: error: %s\nTry 'clonebox --help'.\n", zMsg);
  return EXIT_USAGE;
}

static int die(void) {
  clear_progress_line();
  const char *zMsg = g_err.bSet ? g_err.zMsg : "unknown failure";
  int rc = g_err.rc ? g_err.rc : EXIT_FAILED;
  fprintf(stderr, "clonebox: error: %s\n", zMsg);
  sqlite3 *db = NULL;
  if (g_bJson && sqlite3_open(":memory:", &db) == SQLITE_OK) { /* --json: the error as JSON on stdout too */
    char *z = st_text(db, "SELECT json_object('format', 1, 'error', json_object('message', ?, 'exit_code', ?))", "ti",
                      zMsg, (sqlite3_int64)rc);
    if (z) printf("%s\n", z);
    free(z);
  }
  st_close(db);
  return rc;
}

static void job_close(Job *j) {
  lease_track(0, NULL);
  lease_track(1, NULL);
  PQfinish(j->src);
  PQfinish(j->dst);
  PQfinish(j->snap);
  st_close(j->db);
  if (j->lockFd >= 0) close(j->lockFd); /* releases the flock */
  j->lockFd = -1;
}

/* Prints a finished job's stored report; returns its exit code. */
static int cmd_print_stored(Job *j) {
  char *zReport = st_text(j->db, "SELECT report FROM job WHERE id = ?", "i", j->id);
  if (!zReport) return fail(EXIT_FAILED, "job %lld has no report", (long long)j->id), die();
  if (j->pOpt->bClean)
    warn("job %lld already finished, so --clean was ignored and nothing was dropped. Hint: clone --new --clean "
         "clones again from scratch", (long long)j->id);
  note("job %lld already finished; its report follows (--new starts a fresh job)", (long long)j->id);
  rp_print(j->db, zReport, j->pOpt->bJson);
  int rc = st_int(j->db, 0, "SELECT json_extract(?, '$.result') IN ('PASS', 'UNVERIFIED')", "t", zReport) ? EXIT_OK
                                                                                                           : EXIT_VERIFY;
  if (j->pOpt->zReport && !rp_write(j->pOpt->zReport, zReport)) rc = die();
  free(zReport);
  return rc;
}

/* --on-done CMD, after a run that ended its job (done, failed or
 * cancelled): runs CMD with /bin/sh -c and waits for it.  Its environment
 * says how the job ended, and CLONEBOX_REPORT names a file (mode 0600)
 * holding the JSON report (--report's file when given), or the status
 * JSON with the error of a job that did not finish; a file of its own is
 * removed after CMD.  CMD's failure is reported and changes nothing. */
static void cmd_on_done(Job *j, int rc) {
  const char *zCmd = j->pOpt->zOnDone;
  char *zStatus = zCmd ? st_text(j->db, "SELECT status FROM job WHERE id = ?", "i", j->id) : NULL;
  if (!zStatus || (strcmp(zStatus, "done") && strcmp(zStatus, "failed") && strcmp(zStatus, "cancelled"))) {
    free(zStatus);
    return;
  }
  char *zJson = strcmp(zStatus, "done") == 0 ? st_text(j->db, "SELECT report FROM job WHERE id = ?", "i", j->id)
                                             : st_text(j->db, zStatusSql, "id", j->id, j->pOpt->staleAfter);
  char zFile[4096] = "";
  bool bOwn = !j->pOpt->zReport || strcmp(zStatus, "done") != 0;
  if (!bOwn) {
    snprintf(zFile, sizeof zFile, "%s", j->pOpt->zReport);
  } else {
    const char *zDir = getenv("TMPDIR") && getenv("TMPDIR")[0] ? getenv("TMPDIR") : "/tmp";
    snprintf(zFile, sizeof zFile, "%s/clonebox-job-%lld-XXXXXX", zDir, (long long)j->id);
    int fd = mkstemp(zFile);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f && fd >= 0) close(fd);
    bool ok = f && fputs(zJson ? zJson : "{}", f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0) ok = false;
    if (!ok) {
      warn("--on-done: cannot write the report for it into %s: %s", zFile, strerror(errno));
      if (fd >= 0) unlink(zFile);
      zFile[0] = '\0';
    }
  }
  char zJob[32], zExit[16], zRows[32];
  char *zResult = st_text(j->db, "SELECT coalesce(result, '') FROM job WHERE id = ?", "i", j->id);
  snprintf(zJob, sizeof zJob, "%lld", (long long)j->id);
  snprintf(zExit, sizeof zExit, "%d", rc);
  snprintf(zRows, sizeof zRows, "%lld", (long long)st_int(j->db, 0, "SELECT coalesce(sum(rows_copied), 0) FROM tbl"
                                                          " WHERE job = ? AND mode = 'copy'", "i", j->id));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    setenv("CLONEBOX_JOB", zJob, 1);
    setenv("CLONEBOX_STATUS", zStatus, 1);
    setenv("CLONEBOX_EXIT", zExit, 1);
    setenv("CLONEBOX_ROWS", zRows, 1);
    setenv("CLONEBOX_REPORT", zFile, 1);
    if (zResult) setenv("CLONEBOX_RESULT", zResult, 1);
    execl("/bin/sh", "sh", "-c", zCmd, (char *)NULL);
    fprintf(stderr, "clonebox: --on-done: cannot run /bin/sh: %s\n", strerror(errno));
    _exit(127);
  }
  int st = 0;
  if (pid < 0) warn("--on-done: cannot start it: %s", strerror(errno));
  else if (waitpid(pid, &st, 0) < 0) warn("--on-done: %s", strerror(errno));
  else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    warn("--on-done command failed (%s %d); job %lld's outcome stands", WIFEXITED(st) ? "exit code" : "signal",
         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), (long long)j->id);
  if (bOwn && zFile[0]) unlink(zFile);
  free(zResult);
  free(zJson);
  free(zStatus);
}

/* --clean asks on a terminal (cat_confirm_clean); without one it needs
 * --yes, and that is known before connecting. */
static bool cmd_confirm_clean(const Options *o) {
  if (!o->bClean || o->bYes || isatty(STDIN_FILENO)) return true;
  return fail(EXIT_USAGE, "--clean drops and recreates the cloned schemas on the target; without a terminal to "
              "ask, pass --yes as well");
}

/* clone, verify, start, step, resume: find or create the job, take it,
 * run it.  Returns the exit code. */
static int cmd_run(const Options *o) {
  const char *zCmd = o->zCmd;
  bool bVerify = strcmp(zCmd, "verify") == 0, bByJob = strcmp(zCmd, "resume") == 0 || strcmp(zCmd, "step") == 0;
  bool bCopy = strcmp(zCmd, "copy") == 0;
  Job j = {.pOpt = o, .bVerifyOnly = bVerify, .bPartial = bCopy, .lockFd = -1, .zWorker = "main"};
  /* a stand-alone verify keeps its state in memory, which one thread reads */
  j.nJobs = bVerify ? 1 : o->nJobs ? o->nJobs : eng_default_jobs();
  char *zOptions = NULL, *zSrcId = NULL, *zDstId = NULL;
  int rc = EXIT_OK;
  if (!bByJob && (!o->zSource || !o->zSource[0])) return usage_error("no source: pass --source URL or set CLONEBOX_SOURCE");
  if (!bByJob && (!o->zTarget || !o->zTarget[0])) return usage_error("no target: pass --target URL or set CLONEBOX_TARGET");
  if (!cmd_confirm_clean(o)) return die();
  if (!bVerify) lease_catch_signals();
  j.db = st_open(bVerify ? ":memory:" : o->zState, true);
  if (!j.db || !(zOptions = bCopy ? eng_copy_options_json(j.db, o) : eng_options_json(j.db, o))) goto failed;
  if (bByJob) { /* the job: JOB, else the newest unfinished one */
    j.id = o->zJob ? st_int(j.db, 0, "SELECT id FROM job WHERE id = ?", "i", (sqlite3_int64)atoll(o->zJob))
                   : st_int(j.db, 0, "SELECT max(id) FROM job WHERE status NOT IN ('done', 'cancelled')", NULL);
    if (!j.id) {
      fail(EXIT_USAGE, "no %s job in state file %s. Hint: 'clonebox jobs --state %s' lists them; 'clonebox start' creates one",
           o->zJob ? o->zJob : "unfinished", o->zState, o->zState);
      goto failed;
    }
    char *zStatus = st_text(j.db, "SELECT status FROM job WHERE id = ?", "i", j.id);
    bool bDone = zStatus && strcmp(zStatus, "done") == 0;
    j.bPartial = st_int(j.db, 0, "SELECT kind = 'copy' FROM job WHERE id = ?", "i", j.id);
    free(zStatus);
    if (bDone) {
      rc = cmd_print_stored(&j);
      goto done;
    }
    char *zOld = st_text(j.db, "SELECT options FROM job WHERE id = ?", "i", j.id);
    bool bSame = zOld && st_int(j.db, 0, "SELECT json(?) = json(?)", "tt", zOld, zOptions);
    bool bFilters = false;
    for (int k = 0; k < SEL_N; k++) bFilters = bFilters || o->aSel[k].nPat > 0;
    if (!bSame && bFilters) {
      fail(EXIT_USAGE, "job %lld was planned with options %s, this command has %s. Hint: give the same filters "
           "(or none) to resume it, or start a new job with clone --new", (long long)j.id, zOld, zOptions);
      free(zOld);
      goto failed;
    }
    free(zOld);
    /* Connection strings: the command line's, else the job's (stored
     * without password: PGPASSWORD or ~/.pgpass supply it). */
    j.zSrcInfo = o->zSource ? xstrdup(o->zSource) : st_text(j.db, "SELECT source FROM job WHERE id = ?", "i", j.id);
    j.zDstInfo = o->zTarget ? xstrdup(o->zTarget) : st_text(j.db, "SELECT target FROM job WHERE id = ?", "i", j.id);
  } else {
    j.zSrcInfo = xstrdup(o->zSource);
    j.zDstInfo = xstrdup(o->zTarget);
  }
  if (!run_src(&j) || !run_dst(&j) || !(zSrcId = eng_end_id(j.src, "source")) || !(zDstId = eng_end_id(j.dst, "target")))
    goto failed;
  if (bByJob) {
    char *zWant = st_text(j.db, "SELECT src_id || ' -> ' || dst_id FROM job WHERE id = ?", "i", j.id);
    char zHave[600];
    snprintf(zHave, sizeof zHave, "%s -> %s", zSrcId, zDstId);
    if (!zWant || strcmp(zWant, zHave) != 0) {
      fail(EXIT_USAGE, "job %lld copies %s, but the connection strings given reach %s. Hint: point --source and "
           "--target at the job's databases", (long long)j.id, zWant ? zWant : "?", zHave);
      free(zWant);
      goto failed;
    }
    free(zWant);
  } else if (!bVerify && !o->bNew) {
    /* the job of this command: a clone's is the last one between these
     * databases; a copy's the last one that copies the same rows (others,
     * finished or not, are other copies) */
    sqlite3_stmt *p = st_prep(j.db, "SELECT id, status, json(options) = json(?1) FROM job WHERE src_id = ?2 AND dst_id = ?3"
                              " AND status <> 'cancelled' AND kind = ?4 AND (?4 = 'clone' OR json(options) = json(?1))"
                              " ORDER BY id DESC LIMIT 1", "tttt", zOptions, zSrcId, zDstId, bCopy ? "copy" : "clone");
    if (p && sqlite3_step(p) == SQLITE_ROW) {
      sqlite3_int64 id = sqlite3_column_int64(p, 0);
      bool bDone = strcmp((const char *)sqlite3_column_text(p, 1), "done") == 0, bSame = sqlite3_column_int(p, 2);
      /* An unfinished job that never wrote to the target (refused by the
       * preflight, say) gives way to one with the new options. */
      bool bUntouched = !bSame && !bDone && !st_job_wrote(j.db, id);
      if ((bSame || !bDone) && !bUntouched) j.id = id;
      if (bUntouched) {
        st_run(j.db, "UPDATE job SET status = 'cancelled', finished_at = ?, error = 'replaced by a job with other"
               " options before it wrote anything' WHERE id = ?", "di", now(), id);
        note("job %lld had written nothing to the target; a new job takes the new options", (long long)id);
      } else if (!bSame && !bDone)
        fail(EXIT_USAGE, "job %lld for this source and target is unfinished and was planned with other options "
             "(-n, -N, -t, -T, --exclude-table-data, --filter, --no-owner, --no-privileges). Hint: run it again with the same "
             "options to resume it, or 'clonebox cancel %lld' and clone --new --clean", (long long)id, (long long)id);
      else if (bDone && bSame) {
        sqlite3_finalize(p);
        rc = cmd_print_stored(&j);
        goto done;
      }
    }
    sqlite3_finalize(p);
    if (g_err.bSet) goto failed;
    if (j.id) note("resuming job %lld", (long long)j.id);
  }
  if (!j.id && !eng_create(&j, zSrcId, zDstId, zOptions)) goto failed;
  if (strcmp(zCmd, "start") == 0) {
    printf("%lld\n", (long long)j.id);
    note("job %lld created; run 'clonebox step %lld' or 'clonebox resume %lld'", (long long)j.id, (long long)j.id,
         (long long)j.id);
    goto done;
  }
  if (!bVerify) { /* the fences: state file, then target, then the lease */
    if ((rc = lease_lock_file(&j, o->zState)) != EXIT_OK) goto failed;
    lease_track(1, NULL);
    PQfinish(j.dst);
    j.dst = NULL;
    j.bLockTarget = true;
    if (!run_dst(&j)) goto failed;
    if ((rc = lease_take(&j, o->zState)) != EXIT_OK) goto failed;
  }
  if ((strcmp(zCmd, "step") == 0 || bCopy) && o->budget > 0) j.deadline = now() + o->budget;
  rc = eng_drive(&j);
  lease_release(&j);
  cmd_on_done(&j, rc);
  if (rc != EXIT_OK && rc != EXIT_VERIFY && rc != EXIT_MORE) die();
  goto done;
failed:
  lease_release(&j);
  rc = die();
done:
  free(zOptions);
  free(zSrcId);
  free(zDstId);
  free(j.zSrcInfo);
  free(j.zDstInfo);
  job_close(&j);
  return rc;
}

/* The commands, one bit each, and the options each accepts. */
enum {
  C_CLONE = 1, C_VERIFY = 2, C_START = 4, C_STEP = 8, C_RESUME = 16, C_STATUS = 32, C_JOBS = 64, C_CANCEL = 128,
  C_COPY = 256,
  C_RUNNER = C_CLONE | C_START | C_STEP | C_RESUME | C_COPY, /* commands that write to a target */
  OPT_WAIT = 1000, OPT_INTO, OPT_WHERE, OPT_CONFLICT, OPT_LABEL, OPT_ON_DONE, OPT_MASK, OPT_MASK_SEED, OPT_SUBSET, OPT_SUBSET_DOWN, OPT_SPLIT_ROWS, OPT_TARGET, OPT_NEW, OPT_STALE_AFTER, OPT_TABLE_CHILDREN, OPT_EXCL_TABLE_CHILDREN, OPT_EXCL_DATA_CHILDREN,
  OPT_FILTER, OPT_RETRY, OPT_NO_OWNER, OPT_NO_PRIVILEGES, OPT_SKIP_UNSUPPORTED, OPT_REFRESH, OPT_SUBSCRIPTIONS, OPT_ROLE_MAP, OPT_VERIFY, OPT_REPORT, /* long-only */
};
static const char *const azCmdName[] = {"clone", "verify", "start", "step", "resume", "status", "jobs", "cancel", "copy"};
#define N_CMD ((int)(sizeof azCmdName / sizeof *azCmdName))

static int cmd_lookup(const char *zName) {
  for (int i = 0; i < N_CMD; i++)
    if (strcmp(zName, azCmdName[i]) == 0) return 1 << i;
  return 0;
}

/* "clone, start" for a command mask; a static buffer. */
static const char *cmd_names(int mask) {
  static char z[100];
  z[0] = '\0';
  for (int i = 0; i < N_CMD; i++)
    if (mask & (1 << i)) snprintf(z + strlen(z), sizeof z - strlen(z), "%s%s", z[0] ? ", " : "", azCmdName[i]);
  return z;
}

/* The long options; which commands take each: cmd_option_commands(). */
static const struct option aLong[] = {
    {"source", required_argument, NULL, 's'},
    {"target", required_argument, NULL, OPT_TARGET},
    {"state", required_argument, NULL, 'S'},
    {"schema", required_argument, NULL, 'n'},
    {"exclude-schema", required_argument, NULL, 'N'},
    {"table", required_argument, NULL, 't'},
    {"exclude-table", required_argument, NULL, 'T'},
    {"exclude-table-data", required_argument, NULL, 'X'},
    {"table-and-children", required_argument, NULL, OPT_TABLE_CHILDREN},
    {"exclude-table-and-children", required_argument, NULL, OPT_EXCL_TABLE_CHILDREN},
    {"exclude-table-data-and-children", required_argument, NULL, OPT_EXCL_DATA_CHILDREN},
    {"filter", required_argument, NULL, OPT_FILTER},
    {"json", no_argument, NULL, 'J'},
    {"jobs", required_argument, NULL, 'j'},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"new", no_argument, NULL, OPT_NEW},
    {"clean", no_argument, NULL, 'c'},
    {"yes", no_argument, NULL, 'y'},
    {"watch", no_argument, NULL, 'w'},
    {"all", no_argument, NULL, 'a'},
    {"stale", no_argument, NULL, 'A'},
    {"budget", required_argument, NULL, 'b'},
    {"stale-after", required_argument, NULL, OPT_STALE_AFTER},
    {"older-than", required_argument, NULL, 'O'},
    {"wait", required_argument, NULL, OPT_WAIT},
    {"no-owner", no_argument, NULL, OPT_NO_OWNER},
    {"no-privileges", no_argument, NULL, OPT_NO_PRIVILEGES},
    {"skip-unsupported", no_argument, NULL, OPT_SKIP_UNSUPPORTED},
    {"refresh", no_argument, NULL, OPT_REFRESH},
    {"subscriptions", required_argument, NULL, OPT_SUBSCRIPTIONS},
    {"role-map", required_argument, NULL, OPT_ROLE_MAP},
    {"verify", required_argument, NULL, OPT_VERIFY},
    {"report", required_argument, NULL, OPT_REPORT},
    {"retry-for", required_argument, NULL, OPT_RETRY},
    {"into", required_argument, NULL, OPT_INTO},
    {"where", required_argument, NULL, OPT_WHERE},
    {"conflict", required_argument, NULL, OPT_CONFLICT},
    {"label", required_argument, NULL, OPT_LABEL},
    {"on-done", required_argument, NULL, OPT_ON_DONE},
    {"mask", required_argument, NULL, OPT_MASK},
    {"mask-seed", required_argument, NULL, OPT_MASK_SEED},
    {"subset", required_argument, NULL, OPT_SUBSET},
    {"subset-down-from-references", no_argument, NULL, OPT_SUBSET_DOWN},
    {"split-rows", required_argument, NULL, OPT_SPLIT_ROWS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Which commands take an option (by getopt_long's value).  An option
 * given to another command is an error, never silently ignored. */
static int cmd_option_commands(int c) {
  switch (c) {
    case 's': case OPT_TARGET: case 'q': case 'v': return C_RUNNER | C_VERIFY;
    case 't': return C_CLONE | C_START | C_VERIFY | C_COPY;
    case 'n': case 'N': case 'T': case 'X': case OPT_TABLE_CHILDREN: case OPT_EXCL_TABLE_CHILDREN:
    case OPT_EXCL_DATA_CHILDREN: return C_CLONE | C_START | C_VERIFY;
    case OPT_FILTER: return C_CLONE | C_START | C_VERIFY | C_COPY;
    case 'S': return C_RUNNER | C_STATUS | C_JOBS | C_CANCEL;
    case 'J': return C_CLONE | C_VERIFY | C_STEP | C_RESUME | C_STATUS | C_JOBS | C_COPY;
    case 'j': return C_CLONE | C_STEP | C_RESUME | C_COPY;
    case OPT_NEW: return C_CLONE | C_START | C_COPY;
    case 'c': case 'y': return C_CLONE | C_START | C_STEP | C_RESUME;
    case 'w': return C_STATUS;
    case 'a': case 'A': case 'O': return C_CANCEL;
    case 'b': return C_STEP | C_COPY;
    case OPT_STALE_AFTER: return C_STATUS | C_JOBS | C_CANCEL;
    case OPT_WAIT: return C_CLONE | C_STEP | C_RESUME | C_COPY;
    case OPT_NO_OWNER: case OPT_NO_PRIVILEGES: return C_CLONE | C_START | C_STEP | C_RESUME | C_VERIFY;
    case OPT_SKIP_UNSUPPORTED: return C_CLONE | C_START | C_STEP | C_RESUME;
    case OPT_SUBSCRIPTIONS: case OPT_ROLE_MAP: return C_CLONE | C_START | C_STEP | C_RESUME | C_VERIFY;
    case OPT_VERIFY: return C_CLONE | C_START | C_VERIFY | C_COPY;
    case OPT_REPORT: return C_CLONE | C_VERIFY | C_STEP | C_RESUME | C_COPY;
    case OPT_REFRESH: return C_CLONE;
    case OPT_RETRY: return C_CLONE | C_STEP | C_RESUME | C_VERIFY | C_COPY;
    case OPT_INTO: case OPT_WHERE: case OPT_CONFLICT: return C_COPY;
    case OPT_LABEL: case OPT_MASK: case OPT_MASK_SEED: return C_CLONE | C_START | C_COPY;
    case OPT_SUBSET: case OPT_SUBSET_DOWN: return C_CLONE | C_START;
    case OPT_SPLIT_ROWS: return C_CLONE | C_STEP | C_RESUME;
    case OPT_ON_DONE: return C_CLONE | C_STEP | C_RESUME | C_COPY;
  }
  return 0;
}

/* clonebox completion bash|zsh: a completion script made from the option
 * table and cmd_option_commands(), so that it cannot drift from them
 * (zsh runs it through bashcompinit). */
static int cmd_completion(const char *zShell) {
  bool bZsh = zShell && strcmp(zShell, "zsh") == 0;
  if (!zShell || (!bZsh && strcmp(zShell, "bash") != 0)) return usage_error("completion takes bash or zsh");
  if (bZsh) printf("autoload -U +X bashcompinit && bashcompinit\n");
  printf("_clonebox() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} opts=\n"
         "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
         "    COMPREPLY=($(compgen -W 'clone copy verify start step resume status jobs cancel help completion --help --version'"
         " -- \"$cur\"))\n"
         "    return\n"
         "  fi\n"
         "  case $prev in\n"
         "    --state|--filter|--report) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
         "    --verify) COMPREPLY=($(compgen -W 'full counts none' -- \"$cur\")); return ;;\n"
         "    --subscriptions) COMPREPLY=($(compgen -W 'exclude disabled' -- \"$cur\")); return ;;\n"
         "    --conflict) COMPREPLY=($(compgen -W 'error skip update replace' -- \"$cur\")); return ;;\n"
         "    help|completion) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;\n"
         "  esac\n"
         "  case ${COMP_WORDS[1]} in\n", "clone verify start step resume status jobs cancel bash zsh");
  for (int i = 0; i < N_CMD; i++) {
    printf("    %s) opts='", azCmdName[i]);
    for (int k = 0; aLong[k].name; k++)
      if (cmd_option_commands(aLong[k].val) & (1 << i)) printf("--%s ", aLong[k].name);
    printf("--help' ;;\n");
  }
  printf("  esac\n"
         "  COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
         "}\n"
         "complete -F _clonebox clonebox\n");
  return EXIT_OK;
}

/* When a connection string from argv holds a password: sets *pzCopy to a
 * private copy (caller frees), overwrites the argv string with the
 * password-free description (cut to fit) and returns true. */
static bool cmd_scrub_password(char *zArg, char **pzCopy) {
  PQconninfoOption *aOpt = PQconninfoParse(zArg, NULL);
  bool bPw = false;
  for (PQconninfoOption *p = aOpt; p && p->keyword; p++)
    if (strstr(p->keyword, "password") && p->val && p->val[0]) bPw = true; /* password, sslpassword */
  PQconninfoFree(aOpt);
  if (!bPw) return false;
  *pzCopy = xstrdup(zArg);
  char *zSafe = db_describe(zArg);
  size_t n = strlen(zArg), m = zSafe ? strlen(zSafe) : 0;
  memset(zArg, ' ', n);
  if (zSafe) memcpy(zArg, zSafe, m < n ? m : n);
  free(zSafe);
  return true;
}

/* clonebox help COMMAND, COMMAND --help: the command's usage line(s) and
 * the options it takes, cut from zUsage by cmd_option_commands(), so the
 * two cannot disagree. */
static void cmd_help(int cmd) {
  const char *zName = cmd_names(cmd);
  char zWant[64];
  snprintf(zWant, sizeof zWant, "  clonebox %s ", zName);
  printf("Usage:\n");
  bool bOptions = false, bKeep = false;
  for (const char *z = zUsage; *z;) {
    size_t n = strcspn(z, "\n");
    /* an option's line: "  --name ..." or "  -x, --name ..." */
    const char *zLong = strncmp(z, "  --", 4) == 0 ? z + 4
                        : strncmp(z, "  -", 3) == 0 && strncmp(z + 4, ", --", 4) == 0 ? z + 8 : NULL;
    if (strncmp(z, "Options:", 8) == 0) {
      printf("\nOptions:\n");
      bOptions = true;
    } else if (!bOptions && strncmp(z, zWant, strlen(zWant)) == 0) {
      printf("%.*s\n", (int)n, z);
    } else if (bOptions && n == 0) {
      break;
    } else if (bOptions && zLong) {
      size_t k = strcspn(zLong, " ,\n");
      bKeep = false;
      for (int i = 0; aLong[i].name; i++)
        if (strlen(aLong[i].name) == k && strncmp(aLong[i].name, zLong, k) == 0)
          bKeep = (cmd_option_commands(aLong[i].val) & cmd) != 0;
      if (bKeep) printf("%.*s\n", (int)n, z);
    } else if (bOptions && bKeep && strncmp(z, "      ", 6) == 0) {
      printf("%.*s\n", (int)n, z); /* a continued description */
    }
    z += n + (z[n] == '\n');
  }
  printf("\nSee 'clonebox --help' for the exit codes and the other commands.\n");
}

/* clonebox --version: its own version and commit, and the versions of the
 * libraries linked in (what a bug report needs). */
static void cmd_version(void) {
  int v = PQlibVersion();
  printf("clonebox %s (commit %s)\nlibpq %d.%d, SQLite %s, %s\n", CLONEBOX_VERSION, CLONEBOX_COMMIT, v / 10000,
         v % 10000, sqlite3_libversion(), OpenSSL_version(OPENSSL_VERSION));
}

/* Parses "20s", "10m", "1h", "500ms" or plain seconds; -1 if malformed. */
static double cmd_duration(const char *z) {
  char *zEnd = NULL;
  double v = strtod(z, &zEnd);
  if (zEnd == z || !(v >= 0) || v > 1e9 || !isdigit((unsigned char)z[0]) ) return -1;
  if (!*zEnd || strcmp(zEnd, "s") == 0) return v;
  if (strcmp(zEnd, "ms") == 0) return v / 1000;
  if (strcmp(zEnd, "m") == 0) return v * 60;
  if (strcmp(zEnd, "h") == 0) return v * 3600;
  return -1;
}

/* clonebox cancel JOB | --all | --stale [--older-than D] */
static int cmd_cancel(const Options *o) {
  if (!o->zJob && !o->bAll && !o->bStale) return usage_error("cancel needs JOB, --all or --stale");
  sqlite3 *db = st_open(o->zState, false);
  if (!db) return die();
  double idle = o->olderThan > o->staleAfter ? o->olderThan : o->staleAfter;
  bool ok = st_run(db, "UPDATE job SET status = 'cancelled', finished_at = ?1, error = coalesce(error, 'cancelled')"
                   " WHERE status NOT IN ('done', 'cancelled') AND (id = ?2 OR ?3 OR (?4 AND ?1 - coalesce(heartbeat_at,"
                   " created_at) > ?5))", "diiid", now(), (sqlite3_int64)(o->zJob ? atoll(o->zJob) : 0),
                   (sqlite3_int64)o->bAll, (sqlite3_int64)o->bStale, idle);
  int n = sqlite3_changes(db);
  st_close(db);
  if (!ok) return die();
  if (o->zJob && n == 0) {
    fail(EXIT_USAGE, "job %s is not unfinished in %s (already done, cancelled, or unknown). Hint: 'clonebox jobs "
         "--state %s' lists them", o->zJob, o->zState, o->zState);
    return die();
  }
  printf("%d job%s cancelled\n", n, n == 1 ? "" : "s");
  return EXIT_OK;
}

/* The job a status-like command is about: JOB or the newest. */
static sqlite3_int64 cmd_pick_job(sqlite3 *db, const char *zJob) {
  if (zJob) return st_int(db, 0, "SELECT id FROM job WHERE id = ?", "i", (sqlite3_int64)atoll(zJob));
  return st_int(db, 0, "SELECT max(id) FROM job", NULL);
}

/* clonebox status [--watch] */
static int cmd_status(const Options *o) {
  sqlite3 *db = st_open_read(o->zState);
  if (!db) return die();
  sqlite3_int64 id = cmd_pick_job(db, o->zJob);
  int rc = EXIT_OK;
  for (;;) {
    char *zJson = id ? st_text(db, zStatusSql, "id", id, o->staleAfter) : NULL;
    if (!zJson) {
      fail(EXIT_USAGE, "no job %s in state file %s. Hint: 'clonebox jobs --state %s' lists them",
           o->zJob ? o->zJob : "at all", o->zState, o->zState);
      rc = die();
      break;
    }
    if (o->bWatch && isatty(STDOUT_FILENO) && !o->bJson) fputs("\033[H\033[2J", stdout);
    if (o->bJson) printf("%s\n", zJson);
    else rp_print_status(db, zJson);
    if (fflush(stdout) != 0 && errno == EPIPE) { /* the reader went away */
      free(zJson);
      break;
    }
    bool bLive = st_int(db, 0, "SELECT json_extract(?, '$.status') IN ('running', 'stale')", "t", zJson);
    /* The job's outcome, as the command that ran it would have said it. */
    rc = (int)st_int(db, EXIT_OK, "SELECT CASE json_extract(?1, '$.status') WHEN 'failed' THEN ?2 WHEN 'cancelled' THEN ?3"
                     " WHEN 'done' THEN CASE WHEN json_extract(?1, '$.result') IN ('PASS', 'UNVERIFIED') THEN 0 ELSE ?4 END ELSE 0 END",
                     "tiii", zJson, (sqlite3_int64)EXIT_FAILED, (sqlite3_int64)EXIT_CANCELLED, (sqlite3_int64)EXIT_VERIFY);
    free(zJson);
    if (!o->bWatch || !bLive) break;
    sleep(1);
  }
  st_close(db);
  return rc;
}

/* clonebox jobs */
static int cmd_jobs(const Options *o) {
  sqlite3 *db = st_open_read(o->zState);
  if (!db) return die();
  sqlite3_stmt *p = st_prep(db, "SELECT id FROM job ORDER BY id", NULL);
  if (o->bJson) fputs("[", stdout);
  else printf("%-6s %-6s %-10s %-9s %-6s %-22s %-21s %s\n", "JOB", "KIND", "STATUS", "PHASE", "RESULT", "UPDATED", "ROWS",
              "SOURCE -> TARGET");
  for (int n = 0; p && sqlite3_step(p) == SQLITE_ROW; n++) {
    char *zJson = st_text(db, zStatusSql, "id", sqlite3_column_int64(p, 0), o->staleAfter);
    if (!zJson) continue;
    if (o->bJson) {
      printf("%s%s", n ? "," : "", zJson);
    } else {
      sqlite3_stmt *q = st_prep(db, "SELECT json_extract(?1, '$.id'), json_extract(?1, '$.status'), json_extract(?1, '$.phase'),"
                                " coalesce(json_extract(?1, '$.result'), '-'), json_extract(?1, '$.seconds_since_update'),"
                                " json_extract(?1, '$.source') || ' -> ' || json_extract(?1, '$.target'),"
                                " json_extract(?1, '$.kind'), json_extract(?1, '$.rows_copied') || '/' || json_extract(?1, '$.rows_total'),"
                                /* a copy's tables and conditions, who started it, its error */
                                " coalesce((SELECT group_concat(json_extract(value, '$.table') || coalesce(' -> ' || nullif("
                                "  json_extract(value, '$.into'), json_extract(value, '$.table')), '') || coalesce(' where '"
                                "  || json_extract(value, '$.where'), ''), '; ') FROM json_each(?1, '$.tables')"
                                "  WHERE json_extract(?1, '$.kind') = 'copy'), ''),"
                                " coalesce(json_extract(?1, '$.started_by'), ''), coalesce(json_extract(?1, '$.error'), '')", "t", zJson);
      if (q && sqlite3_step(q) == SQLITE_ROW) {
        char zAgo[32], zUpd[48];
        fmt_duration(zAgo, sizeof zAgo, sqlite3_column_double(q, 4));
        snprintf(zUpd, sizeof zUpd, "%s ago", zAgo);
        printf("%-6lld %-6s %-10s %-9s %-6s %-22s %-21s %s\n", (long long)sqlite3_column_int64(q, 0), st_col(q, 6),
               st_col(q, 1), st_col(q, 2), st_col(q, 3), zUpd, st_col(q, 7), st_col(q, 5));
        if (st_col(q, 8)[0]) printf("       rows of: %s\n", st_col(q, 8));
        if (st_col(q, 9)[0]) printf("       started by: %s\n", st_col(q, 9));
        if (st_col(q, 10)[0]) printf("       error: %s\n", st_col(q, 10));
      }
      sqlite3_finalize(q);
    }
    free(zJson);
  }
  if (o->bJson) puts("]");
  sqlite3_finalize(p);
  st_close(db);
  return EXIT_OK;
}

#ifndef CLONEBOX_NO_MAIN
int main(int argc, char **argv) {
  Options o = {.nSplitRows = -1};
  /* A closed stdout (clonebox status | head -1) is not an error: writes
   * fail with EPIPE and the command ends normally. */
  signal(SIGPIPE, SIG_IGN);
  o.zSource = getenv("CLONEBOX_SOURCE");
  o.zTarget = getenv("CLONEBOX_TARGET");
  o.zState = getenv("CLONEBOX_STATE");
  if (!o.zState || !o.zState[0]) o.zState = DEFAULT_STATE;
  o.staleAfter = 60;
  o.retryFor = 300;
  if (argc < 2) return usage_error("no command given");
  o.zCmd = argv[1];
  if (strcmp(o.zCmd, "help") == 0 && argc > 2 && cmd_lookup(argv[2])) {
    cmd_help(cmd_lookup(argv[2]));
    return EXIT_OK;
  }
  if (strcmp(o.zCmd, "help") == 0 || strcmp(o.zCmd, "--help") == 0 || strcmp(o.zCmd, "-h") == 0) {
    fputs(zUsage, stdout);
    return EXIT_OK;
  }
  if (strcmp(o.zCmd, "completion") == 0) return argc > 3 ? usage_error("completion takes one shell: bash or zsh")
                                                         : cmd_completion(argc > 2 ? argv[2] : NULL);
  if (strcmp(o.zCmd, "--version") == 0) {
    cmd_version();
    return EXIT_OK;
  }
  int cmd = cmd_lookup(o.zCmd);
  if (!cmd) {
    char z[200];
    snprintf(z, sizeof z, "unknown command '%s' (commands: clone, copy, verify, start, step, resume, status, jobs, cancel)",
             o.zCmd);
    return usage_error(z);
  }
  int c, iLong = -1;
  char *zSrcArg = NULL, *zDstArg = NULL; /* argv strings holding a password, scrubbed below */
  optind = 2;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "hqvj:n:N:t:T:", aLong, &iLong)) != -1) {
    if (c != '?' && c != 'h' && c != 'V' && !(cmd_option_commands(c) & cmd)) {
      const char *zName = "?";
      for (int i = 0; aLong[i].name; i++)
        if (aLong[i].val == c) zName = aLong[i].name;
      char z[300];
      snprintf(z, sizeof z, "option --%s does not apply to '%s' (it is for: %s)", zName, o.zCmd,
               cmd_names(cmd_option_commands(c)));
      opt_free(&o);
      return usage_error(z);
    }
    switch (c) {
      case 's': o.zSource = zSrcArg = optarg; break;
      case OPT_TARGET: o.zTarget = zDstArg = optarg; break;
      case 'S': o.zState = optarg; break;
      case 'n': opt_push(&o.aSel[SEL_SCHEMA], optarg); break;
      case 'N': opt_push(&o.aSel[SEL_EXCL_SCHEMA], optarg); break;
      case 't':
        if (cmd == C_COPY && !opt_copy_push(&o)) return usage_error("out of memory");
        if (cmd == C_COPY) o.aCopy[o.nCopy - 1].zTable = optarg;
        else opt_push(&o.aSel[SEL_TABLE], optarg);
        break;
      case OPT_WHERE:
      case OPT_INTO: {
        const char **pz = o.nCopy == 0 ? NULL : c == OPT_WHERE ? &o.aCopy[o.nCopy - 1].zWhere : &o.aCopy[o.nCopy - 1].zInto;
        const char *zName = c == OPT_WHERE ? "where" : "into";
        char z[300];
        if (!pz || *pz)
          snprintf(z, sizeof z, "--%s belongs to the --table before it, and each --table takes one: copy --table "
                   "SCHEMA.TABLE [--into SCHEMA.TABLE] --where 'CONDITION' ...", zName);
        else if (c == OPT_WHERE && !opt_condition_ok(optarg))
          snprintf(z, sizeof z, "--where must be one SQL condition, with its parentheses balanced and no ';' outside quotes: "
                   "'%.150s'", optarg);
        else
          z[0] = '\0';
        if (z[0]) {
          opt_free(&o);
          return usage_error(z);
        }
        *pz = optarg;
        break;
      }
      case OPT_CONFLICT:
        if (strcmp(optarg, "error") && strcmp(optarg, "skip") && strcmp(optarg, "update") && strcmp(optarg, "replace")) {
          opt_free(&o);
          return usage_error("--conflict takes error (the default), skip, update or replace");
        }
        o.zConflict = optarg;
        break;
      case OPT_LABEL: o.zLabel = optarg; break;
      case OPT_MASK:
        if (!opt_mask_ok(optarg)) {
          char z[400];
          snprintf(z, sizeof z, "--mask '%.200s': want TABLE.COLUMN=MASK, MASK one of hash, email, name, null or "
                   "sql:EXPRESSION (one expression)", optarg);
          opt_free(&o);
          return usage_error(z);
        }
        opt_push(&o.masks, optarg);
        break;
      case OPT_MASK_SEED: o.zMaskSeed = optarg; break;
      case OPT_SUBSET: {
        const char *zColon = name_end(optarg, ':');
        if (!zColon || zColon == optarg || !opt_condition_ok(zColon + 1)) {
          char z[400];
          snprintf(z, sizeof z, "--subset '%.200s': want 'TABLE: CONDITION', one SQL condition on the table's rows", optarg);
          opt_free(&o);
          return usage_error(z);
        }
        opt_push(&o.subsets, optarg);
        break;
      }
      case OPT_SUBSET_DOWN: o.bSubsetDownAll = true; break;
      case OPT_SPLIT_ROWS: {
        char *zEnd = NULL;
        errno = 0;
        long long n = strtoll(optarg, &zEnd, 10);
        if (zEnd == optarg || *zEnd || n < 0 || errno) {
          opt_free(&o);
          return usage_error("--split-rows takes a number of rows (0: never split a table)");
        }
        o.nSplitRows = (long)n;
        break;
      }
      case OPT_ON_DONE: o.zOnDone = optarg; break;
      case 'T': opt_push(&o.aSel[SEL_EXCL_TABLE], optarg); break;
      case 'X': opt_push(&o.aSel[SEL_EXCL_DATA], optarg); break;
      case OPT_TABLE_CHILDREN: opt_push(&o.aSel[SEL_TABLE_CHILDREN], optarg); break;
      case OPT_EXCL_TABLE_CHILDREN: opt_push(&o.aSel[SEL_EXCL_TABLE_CHILDREN], optarg); break;
      case OPT_EXCL_DATA_CHILDREN: opt_push(&o.aSel[SEL_EXCL_DATA_CHILDREN], optarg); break;
      case OPT_FILTER:
        if (!opt_filter_file(&o, optarg)) {
          opt_free(&o);
          return die();
        }
        break;
      case OPT_ROLE_MAP:
        if (!strchr(optarg, '=') || optarg[0] == '=' || !strchr(optarg, '=')[1]) {
          opt_free(&o);
          return usage_error("--role-map takes FROM=TO, two role names");
        }
        opt_push(&o.roleMap, optarg);
        break;
      case 'J': o.bJson = true; break;
      case 'j': {
        char *zEnd = NULL;
        long n = strtol(optarg, &zEnd, 10);
        if (zEnd == optarg || *zEnd || n < 1 || n > MAX_JOBS) {
          opt_free(&o);
          return usage_error("--jobs takes a number of workers from 1 to 64");
        }
        o.nJobs = (int)n;
        break;
      }
      case 'q': o.bQuiet = true; break;
      case 'v': o.bVerbose = true; break;
      case OPT_NEW: o.bNew = true; break;
      case 'c': o.bClean = true; break;
      case 'y': o.bYes = true; break;
      case 'w': o.bWatch = true; break;
      case 'a': o.bAll = true; break;
      case 'A': o.bStale = true; break;
      case OPT_NO_OWNER: o.bNoOwner = true; break;
      case OPT_NO_PRIVILEGES: o.bNoPrivileges = true; break;
      case OPT_SKIP_UNSUPPORTED: o.bSkipUnsupported = true; break;
      case OPT_REFRESH: o.bNew = o.bClean = true; break; /* a new job over the same ends, cleaning first */
      case OPT_REPORT: o.zReport = optarg; break;
      case OPT_VERIFY:
        if (strcmp(optarg, "full") != 0 && strcmp(optarg, "counts") != 0 && strcmp(optarg, "none") != 0) {
          opt_free(&o);
          return usage_error("--verify takes full (the default), counts or none");
        }
        o.zVerify = optarg;
        break;
      case OPT_SUBSCRIPTIONS:
        if (strcmp(optarg, "disabled") != 0 && strcmp(optarg, "exclude") != 0)
          return usage_error("--subscriptions takes exclude (the default) or disabled");
        o.bSubscriptions = strcmp(optarg, "disabled") == 0;
        break;
      case 'b':
      case OPT_STALE_AFTER:
      case 'O':
      case OPT_WAIT:
      case OPT_RETRY: {
        double v = cmd_duration(optarg);
        if (v < 0 || (v == 0 && c != OPT_RETRY)) {
          char z[300];
          snprintf(z, sizeof z, "--%s '%s' is not a duration; give a positive one (examples: 20s, 10m, 1h)",
                   aLong[iLong >= 0 ? iLong : 0].name, optarg);
          opt_free(&o);
          return usage_error(z);
        }
        *(c == 'b' ? &o.budget : c == OPT_STALE_AFTER ? &o.staleAfter : c == 'O' ? &o.olderThan : c == OPT_WAIT ? &o.wait
                                                                                               : &o.retryFor) = v;
        break;
      }
      case 'h': cmd_help(cmd); return EXIT_OK;
      case 'V': cmd_version(); return EXIT_OK;
      default: {
        char z[200];
        snprintf(z, sizeof z, "unknown option, or option without its value: '%s'", argv[optind - 1]);
        opt_free(&o);
        return usage_error(z);
      }
    }
    iLong = -1;
  }
  if (optind < argc && (cmd & (C_STEP | C_RESUME | C_STATUS | C_CANCEL))) o.zJob = argv[optind++];
  if (optind < argc) {
    char z[300];
    snprintf(z, sizeof z, "unexpected argument '%s' (%s)", argv[optind],
             cmd & (C_STEP | C_RESUME | C_STATUS | C_CANCEL) ? "this command takes at most one JOB"
                                                              : "this command takes no JOB argument");
    opt_free(&o);
    return usage_error(z);
  }
  bool bSel = false;
  for (int k = 0; k < SEL_N; k++) bSel = bSel || o.aSel[k].nPat > 0;
  if (cmd == C_COPY && bSel) {
    opt_free(&o);
    return usage_error("copy takes its tables from --table, and only mask rules from --filter");
  }
  if (o.bSubsetDownAll && o.subsets.nPat == 0) {
    opt_free(&o);
    return usage_error("--subset-down-from-references widens a --subset; give one");
  }
  if (cmd == C_COPY && o.nCopy == 0) {
    opt_free(&o);
    return usage_error("copy needs at least one --table SCHEMA.TABLE (with --where 'CONDITION' for some of its rows)");
  }
  if (cmd == C_VERIFY && o.zVerify && strcmp(o.zVerify, "none") == 0) {
    opt_free(&o);
    return usage_error("verify --verify none would compare nothing; use counts or full");
  }
  g_bQuiet = o.bQuiet;
  g_bVerbose = o.bVerbose && !o.bQuiet;
  g_bJson = o.bJson;
  g_bTty = isatty(STDERR_FILENO);
  /* Passwords typed on the command line: keep a private copy, scrub
   * argv so that ps and /proc/PID/cmdline stop showing them. */
  char *zSrcCopy = NULL, *zDstCopy = NULL;
  if (zSrcArg && cmd_scrub_password(zSrcArg, &zSrcCopy)) o.zSource = zSrcCopy;
  if (zDstArg && cmd_scrub_password(zDstArg, &zDstCopy)) o.zTarget = zDstCopy;
  if (zSrcCopy || zDstCopy)
    warn("a password on the command line is visible in the process list while clonebox starts; use PGPASSWORD, "
         "a password file (PGPASSFILE or ~/.pgpass) or CLONEBOX_SOURCE/CLONEBOX_TARGET instead");
  int rc;
  if (cmd & (C_CLONE | C_VERIFY | C_START | C_STEP | C_RESUME | C_COPY)) rc = cmd_run(&o);
  else if (cmd == C_CANCEL) rc = cmd_cancel(&o);
  else if (cmd == C_STATUS) rc = cmd_status(&o);
  else rc = cmd_jobs(&o);
  free(zSrcCopy);
  free(zDstCopy);
  opt_free(&o);
  return rc;
}
#endif

/* }==================================================================== */
