/* fuzz_duration.c - libFuzzer harness for cmd_duration(), the parser of
 * --budget, --stale-after, --older-than, --wait, --retry-for values
 * ("20s", "10m", "1h", "500ms", plain seconds).
 * Checks: the result is -1 (malformed) or a finite number >= 0.
 * See README.md in this directory. */
#define CLONEBOX_NO_MAIN
#include "../../clonebox.c" /* first: it sets _GNU_SOURCE */
#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  memset(&g_err, 0, sizeof g_err);
  char *z = malloc(nData + 1);
  memcpy(z, aData, nData);
  z[nData] = '\0';
  double v = cmd_duration(z);
  if (!(v == -1 || (isfinite(v) && v >= 0))) {
    fprintf(stderr, "fuzz_duration: cmd_duration(\"%s\") = %g\n", z, v);
    abort();
  }
  free(z);
  return 0;
}
