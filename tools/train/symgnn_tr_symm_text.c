/* Text form of the learned distribution's 12 parameters, as stored in the
 * model provenance entry `symmetrization_distribution`, so that a model file
 * carries what is needed to redraw its inference transforms. */
#include "symgnn_tr_symm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names of the four groups of three numbers, in theta order. */
static const char *const group_name[4] = {"rot_mu", "rot_log_sigma", "ref_mu", "ref_log_sigma"};

void symgnn_tr_symm_format(const double theta[SYMGNN_TR_NTHETA], char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (int g = 0; g < 4 && used < len; ++g) {
    const double *t = theta + 3 * g;
    const int n = snprintf(buf + used, len - used, "%s%s=%.17g,%.17g,%.17g", g ? " " : "",
                           group_name[g], t[0], t[1], t[2]);
    used += n > 0 ? (size_t)n : 0;
  }
}

int symgnn_tr_symm_parse(const char *text, double theta[SYMGNN_TR_NTHETA], char *msg,
                         size_t msglen) {
  const char *p = text;
  for (int g = 0; g < 4; ++g) {
    const size_t nl = strlen(group_name[g]);
    const int blank = g > 0; /* groups are separated by one blank */
    if ((blank && *p != ' ') || strncmp(p + blank, group_name[g], nl) != 0 ||
        p[blank + nl] != '=') {
      snprintf(msg, msglen, "expected '%s%s=' at character %d of '%s'", blank ? " " : "",
               group_name[g], (int)(p - text) + 1, text);
      return -1;
    }
    p += blank + nl + 1;
    for (int i = 0; i < 3; ++i) {
      char *end;
      const double v = strtod(p, &end);
      if (end == p || !isfinite(v)) {
        snprintf(msg, msglen, "%s: number %d of 3 is missing or not finite in '%s'", group_name[g],
                 i + 1, text);
        return -1;
      }
      if (i < 2 && *end != ',') {
        snprintf(msg, msglen, "%s: expected ',' after number %d in '%s'", group_name[g], i + 1,
                 text);
        return -1;
      }
      theta[3 * g + i] = v;
      p = end + (i < 2 ? 1 : 0);
    }
  }
  if (*p) {
    snprintf(msg, msglen, "unexpected text '%s' after the 12 parameters", p);
    return -1;
  }
  return 0;
}
