/* fuzz_state.c - libFuzzer harness for what `clonebox status` and a
 * finished job's report do with values read back from a state file.
 *
 * Opens a fresh in-memory state store with st_open(":memory:", true) (the
 * real schema), inserts job 1 whose columns come from the input split at
 * NUL bytes, in this order:
 *   source, target, options, current_item, error, report,
 *   status, phase, owner, result, created_at, updated_at, heartbeat_at
 * (missing pieces: source/target/options/... "" resp. a valid default;
 * the three times are given as text and stored through the column's REAL
 * affinity, e.g. "1e300"), then runs zStatusSql and rp_print_status() on
 * the result, and rp_print() on job.report, as `status` and a re-run of a
 * finished job do.  Checks: no crash, no leak, no UB.
 * See README.md in this directory. */
#define CLONEBOX_NO_MAIN
#include "../../clonebox.c"

int LLVMFuzzerInitialize(int *pArgc, char ***pArgv) {
  (void)pArgc;
  (void)pArgv;
  if (!freopen("/dev/null", "w", stdout)) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  memset(&g_err, 0, sizeof g_err);
  char *z = malloc(nData + 1);
  memcpy(z, aData, nData);
  z[nData] = '\0';
  /* source target options current_item error report status phase owner result created updated heartbeat */
  const char *az[13] = {"", "", "{}", NULL, NULL, NULL, "running", "data", NULL, NULL, "1700000000", NULL, NULL};
  size_t i = 0, n = 0;
  while (n < 13 && i <= nData) {
    az[n++] = z + i;
    i += strlen(z + i) + 1;
  }
  sqlite3 *db = st_open(":memory:", true);
  if (!db) {
    fprintf(stderr, "fuzz_state: st_open(\":memory:\") failed: %s\n", g_err.zMsg);
    abort();
  }
  /* NOT NULL columns refuse NULL, as they would in a real state file. */
  if (st_run(db, "INSERT INTO job(id, src_id, dst_id, source, target, options, current_item, error, report,"
             " status, phase, owner, result, created_at, updated_at, heartbeat_at)"
             " VALUES (1, 'sys1/db', 'sys2/db', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             "ttttttttttttt", az[0], az[1], az[2], az[3], az[4], az[5], az[6], az[7], az[8], az[9], az[10],
             az[11], az[12])) {
    char *zJson = st_text(db, zStatusSql, "id", (sqlite3_int64)1, 600.0);
    if (zJson) rp_print_status(db, zJson);
    free(zJson);
    char *zReport = st_text(db, "SELECT report FROM job WHERE id = ?", "i", (sqlite3_int64)1);
    if (zReport) rp_print(db, zReport, false);
    free(zReport);
  }
  sqlite3_close(db);
  free(z);
  return 0;
}
