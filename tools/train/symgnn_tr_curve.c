/* The learning curve: rows kept in the training state (so the checkpoint
 * carries them) and rewritten as one CSV file at every evaluation. */
#include "symgnn_file.h"
#include "symgnn_tr_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int symgnn_tr_state_add_row(symgnn_tr_state *s, const symgnn_tr_curve_row *row) {
  if (s->ncurve == s->cap_curve) {
    const int cap = s->cap_curve ? 2 * s->cap_curve : 64;
    symgnn_tr_curve_row *c = realloc(s->curve, (size_t)cap * sizeof *c);
    if (!c) return -1;
    s->curve = c;
    s->cap_curve = cap;
  }
  s->curve[s->ncurve++] = *row;
  return 0;
}

/* CSV numbers with 9 significant digits (enough to compare runs tightly). */
int symgnn_tr_curve_write(const char *path, const symgnn_tr_state *s, char *msg, size_t msglen) {
  static const char header[] = "step,train_loss,val_mse,val_mae,val_pearson,val_r2,lr,wall_time\n";
  const size_t row_max = 256;
  char *text = malloc(sizeof header + (size_t)s->ncurve * row_max);
  if (!text) {
    snprintf(msg, msglen, "%s: out of memory writing the learning curve", path);
    return -1;
  }
  memcpy(text, header, sizeof header - 1);
  size_t len = sizeof header - 1;
  for (int r = 0; r < s->ncurve; ++r) {
    const symgnn_tr_curve_row *c = &s->curve[r];
    const int n = snprintf(text + len, row_max, "%lld,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.3f\n",
                           (long long)c->step, c->train_loss, c->val_mse, c->val_mae,
                           c->val_pearson, c->val_r2, c->lr, c->wall_time);
    len += n > 0 && (size_t)n < row_max ? (size_t)n : 0;
  }
  symgnn_error err;
  const symgnn_status st = symgnn_file_write_atomic(path, text, len, &err);
  free(text);
  if (st != SYMGNN_OK) {
    snprintf(msg, msglen, "%s", err.message);
    return -1;
  }
  return 0;
}
