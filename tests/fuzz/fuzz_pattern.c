/* fuzz_pattern.c - libFuzzer harness for pat_match(), the matcher of
 * --exclude-table / --exclude-table-data patterns against table names.
 * Input: PATTERNS, then a NUL or newline, then SCHEMA.TABLE.  PATTERNS is
 * split at tabs into up to 8 patterns; the name is split at its first dot
 * (no dot: schema "public").  Checks: no crash, no UB, it terminates
 * (libFuzzer's -timeout).  See README.md in this directory. */
#define CLONEBOX_NO_MAIN
#include "../../clonebox.c"

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  memset(&g_err, 0, sizeof g_err);
  char *z = malloc(nData + 1);
  memcpy(z, aData, nData);
  z[nData] = '\0';
  size_t nPat = strcspn(z, "\n"); /* stops at the first NUL too */
  char *zName = nPat < nData ? z + nPat + 1 : z + nData;
  z[nPat] = '\0';

  const char *azPat[8];
  PatList pl = {azPat, 0};
  for (char *p = z; pl.nPat < 8; p++) {
    azPat[pl.nPat++] = p;
    if (!(p = strchr(p, '\t'))) break;
    *p = '\0';
  }
  const char *zSchema = "public", *zTable = zName;
  char *zDot = strchr(zName, '.');
  if (zDot) {
    *zDot = '\0';
    zSchema = zName;
    zTable = zDot + 1;
  }
  volatile bool b = pat_match(&pl, zSchema, zTable);
  (void)b;
  PatList empty = {NULL, 0};
  if (pat_match(&empty, zSchema, zTable)) abort(); /* an empty list matches nothing */
  free(z);
  return 0;
}
