/* fuzz_report.c - libFuzzer harness for rp_print(), which renders a
 * verification report (the JSON that zReportSql builds and the state file
 * keeps in job.report) for people, and prints it as it is with --json.
 * Input: the JSON text.  Checks: no crash, no leak, no UB.
 * See README.md in this directory. */
#define CLONEBOX_NO_MAIN
#include "../../clonebox.c"

static sqlite3 *g_db;

int LLVMFuzzerInitialize(int *pArgc, char ***pArgv) {
  (void)pArgc;
  (void)pArgv;
  if (!freopen("/dev/null", "w", stdout)) abort();
  if (sqlite3_open(":memory:", &g_db) != SQLITE_OK) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  memset(&g_err, 0, sizeof g_err);
  char *z = malloc(nData + 1);
  memcpy(z, aData, nData);
  z[nData] = '\0';
  rp_print(g_db, z, false);
  rp_print(g_db, z, true);
  free(z);
  return 0;
}
