/* fuzz_conninfo.c - libFuzzer harness for db_describe(), the function that
 * turns an untrusted connection string (URI or key=value) into the
 * password-free text clonebox stores and prints.
 *
 * Checks, for every input that PQconninfoParse accepts:
 *  - db_describe returns a string (NULL only when the input does not parse);
 *  - its output parses again (round trip), except the fixed "(defaults)",
 *    which must stand for a string with no non-secret option set;
 *  - the re-parsed output has no secret (password, and sslpassword, the
 *    passphrase of the client key) and every other option has the value it
 *    had in the input (nothing lost, nothing invented);
 *  - with a password of 4 or more bytes, the output holds no "password="
 *    and no secret of 4 or more bytes.  These substring checks are skipped
 *    when the text could occur in the output legitimately (inside a
 *    non-secret option's value, a keyword, "(defaults)", or across the
 *    quoting), so a failure is always a real leak.
 * See README.md in this directory. */
#define CLONEBOX_NO_MAIN
#include "../../clonebox.c"

static void fz_fail(const char *zWhat, const char *zIn, const char *zOut) {
  fprintf(stderr, "fuzz_conninfo: %s\n  input:  [%s]\n  output: [%s]\n", zWhat, zIn, zOut ? zOut : "(null)");
  abort();
}

static const char *fz_val(const PQconninfoOption *a, const char *zKey) {
  for (; a && a->keyword; a++)
    if (strcmp(a->keyword, zKey) == 0) return a->val && a->val[0] ? a->val : NULL;
  return NULL;
}

/* Options whose value is a secret that must never be stored or shown. */
static bool fz_secret(const char *zKey) { return strcmp(zKey, "password") == 0 || strcmp(zKey, "sslpassword") == 0; }

/* Could zNeedle occur in db_describe's output without a secret leaking:
 * inside a keyword, a non-secret option's value, the literal "(defaults)",
 * or across the quoting (only if it holds ' \ = or a space)?  bSpan: the
 * needle is allowed to hold those characters (it is "password="). */
static bool fz_innocent(const PQconninfoOption *a, const char *zNeedle, bool bSpan) {
  if (!bSpan && strpbrk(zNeedle, "'\\= ")) return true;
  if (strstr("(defaults)", zNeedle)) return true;
  for (; a->keyword; a++) {
    if (!bSpan && strstr(a->keyword, zNeedle)) return true;
    if (!fz_secret(a->keyword) && a->val && strstr(a->val, zNeedle)) return true;
  }
  return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  memset(&g_err, 0, sizeof g_err);
  char *zIn = malloc(nData + 1);
  memcpy(zIn, aData, nData);
  zIn[nData] = '\0';

  PQconninfoOption *aIn = PQconninfoParse(zIn, NULL);
  char *zOut = db_describe(zIn);
  if (!aIn) {
    if (zOut) fz_fail("db_describe accepted a string PQconninfoParse rejects", zIn, zOut);
    free(zIn);
    return 0;
  }
  if (!zOut) fz_fail("db_describe returned NULL for a parsable string", zIn, NULL);

  const char *zPw = fz_val(aIn, "password");
  bool bOthers = false;
  for (PQconninfoOption *o = aIn; o->keyword; o++)
    if (!fz_secret(o->keyword) && o->val && o->val[0]) bOthers = true;

  if (strcmp(zOut, "(defaults)") == 0) {
    if (bOthers) fz_fail("options are set, but the output is (defaults)", zIn, zOut);
  } else {
    PQconninfoOption *aOut = PQconninfoParse(zOut, NULL);
    if (!aOut) fz_fail("the output does not parse again (round trip)", zIn, zOut);
    for (PQconninfoOption *o = aIn; o->keyword; o++) {
      const char *zWas = fz_val(aIn, o->keyword), *zNow = fz_val(aOut, o->keyword);
      if (fz_secret(o->keyword)) {
        if (zNow) {
          fprintf(stderr, "fuzz_conninfo: option %s survives\n", o->keyword);
          fz_fail("the output parses to a secret", zIn, zOut);
        }
      } else if (!zWas != !zNow || (zWas && strcmp(zWas, zNow) != 0)) {
        fprintf(stderr, "fuzz_conninfo: option %s: [%s] became [%s]\n", o->keyword, zWas ? zWas : "(unset)",
                zNow ? zNow : "(unset)");
        fz_fail("an option changed in the round trip", zIn, zOut);
      }
    }
    PQconninfoFree(aOut);
  }

  if (zPw && strlen(zPw) >= 4 && strstr(zOut, "password=") && !fz_innocent(aIn, "password=", true))
    fz_fail("the output holds \"password=\"", zIn, zOut);
  for (PQconninfoOption *o = aIn; o->keyword; o++) {
    if (!fz_secret(o->keyword) || !o->val || strlen(o->val) < 4) continue;
    if (strstr(zOut, o->val) && !fz_innocent(aIn, o->val, false)) {
      fprintf(stderr, "fuzz_conninfo: the value of %s is in the output\n", o->keyword);
      fz_fail("the output holds a secret", zIn, zOut);
    }
  }

  PQconninfoFree(aIn);
  free(zOut);
  free(zIn);
  return 0;
}
