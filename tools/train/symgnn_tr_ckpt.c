/* Checkpoint file (format in doc/symgnn-train.md): little-endian fields after
 * the magic "SYMGNNCK" and a version, closed by a CRC-32 of everything before. */
#include "symgnn_crc32.h"
#include "symgnn_file.h"
#include "symgnn_tr_state.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CKPT_MAGIC "SYMGNNCK"
#define CKPT_VERSION 1u

void symgnn_tr_state_free(symgnn_tr_state *s) {
  free(s->perm);
  free(s->curve);
  symgnn_tr_adam_free(&s->adam);
  symgnn_tr_adam_free(&s->adam_theta);
  memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------ writing */

typedef struct {
  unsigned char *p;
  size_t n, cap;
  int oom;
} wbuf;

static void put(wbuf *b, const void *data, size_t n) {
  if (b->oom) return;
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + n) cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, data, n);
  b->n += n;
}

static void put_u64(wbuf *b, uint64_t v) {
  unsigned char x[8];
  for (int i = 0; i < 8; ++i) x[i] = (unsigned char)(v >> (8 * i));
  put(b, x, 8);
}
static void put_u32(wbuf *b, uint32_t v) {
  unsigned char x[4];
  for (int i = 0; i < 4; ++i) x[i] = (unsigned char)(v >> (8 * i));
  put(b, x, 4);
}
static void put_i32(wbuf *b, int v) { put_u32(b, (uint32_t)v); }
static void put_i64(wbuf *b, int64_t v) { put_u64(b, (uint64_t)v); }
static void put_f64(wbuf *b, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  put_u64(b, u);
}
static void put_f64s(wbuf *b, const double *v, size_t n) {
  for (size_t i = 0; i < n; ++i) put_f64(b, v[i]);
}
static void put_f32s(wbuf *b, const float *v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    uint32_t u;
    memcpy(&u, &v[i], 4);
    put_u32(b, u);
  }
}
static void put_adam(wbuf *b, const symgnn_tr_adam *a) {
  put_i64(b, a->t);
  put_f64s(b, a->m, a->n);
  put_f64s(b, a->v, a->n);
  put_f64s(b, a->vmax, a->n);
}

int symgnn_tr_ckpt_write(const char *path, const symgnn_tr_state *s, const symgnn_model *model,
                         char *msg, size_t msglen) {
  wbuf b = {0};
  const size_t np = symgnn_model_nparams(model), ns = symgnn_model_nstats(model);
  put(&b, CKPT_MAGIC, 8);
  put_u32(&b, CKPT_VERSION);
  put_u32(&b, s->learned ? 1u : s->haar ? 2u : 0u); /* symmetrization: fixed, learned, haar */
  put_u64(&b, np);
  put_u64(&b, ns);
  put_i64(&b, s->step);
  put_i64(&b, s->epoch);
  put_i32(&b, s->pos);
  put_i32(&b, s->ntrain);
  for (int i = 0; i < s->ntrain; ++i) put_i32(&b, s->perm[i]);
  for (int i = 0; i < 4; ++i) put_u64(&b, s->rng.s[i]);
  put_f64(&b, s->best_pearson);
  put_i64(&b, s->best_step);
  put_i32(&b, s->bad_evals);
  put_f64(&b, s->loss_sum);
  put_i32(&b, s->loss_count);
  put_f64(&b, s->wall_time);
  double mean, std;
  symgnn_model_label_norm(model, &mean, &std);
  put_f64(&b, mean);
  put_f64(&b, std);
  put_f32s(&b, symgnn_model_params_const(model), np);
  put_f32s(&b, symgnn_model_stats_const(model), ns);
  put_adam(&b, &s->adam);
  if (s->learned) {
    put_f64s(&b, s->theta, SYMGNN_TR_NTHETA);
    put_adam(&b, &s->adam_theta);
  }
  put_i32(&b, s->ncurve);
  for (int r = 0; r < s->ncurve; ++r) {
    const symgnn_tr_curve_row *c = &s->curve[r];
    put_i64(&b, c->step);
    const double v[7] = {c->train_loss, c->val_mse, c->val_mae,  c->val_pearson,
                         c->val_r2,     c->lr,      c->wall_time};
    put_f64s(&b, v, 7);
  }
  if (!b.oom) put_u32(&b, symgnn_crc32(0, b.p, b.n));
  if (b.oom) {
    free(b.p);
    snprintf(msg, msglen, "%s: out of memory building the checkpoint", path);
    return -1;
  }
  symgnn_error err;
  const symgnn_status st = symgnn_file_write_atomic(path, b.p, b.n, &err);
  free(b.p);
  if (st != SYMGNN_OK) {
    snprintf(msg, msglen, "%s", err.message);
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------ reading */

typedef struct {
  const unsigned char *p;
  size_t n, off;
  int trunc;
} rbuf;

static const unsigned char *take(rbuf *b, size_t n) {
  if (b->trunc || n > b->n - b->off) {
    b->trunc = 1;
    return NULL;
  }
  const unsigned char *q = b->p + b->off;
  b->off += n;
  return q;
}
static uint64_t get_u64(rbuf *b) {
  const unsigned char *q = take(b, 8);
  uint64_t v = 0;
  if (q)
    for (int i = 0; i < 8; ++i) v |= (uint64_t)q[i] << (8 * i);
  return v;
}
static uint32_t get_u32(rbuf *b) {
  const unsigned char *q = take(b, 4);
  uint32_t v = 0;
  if (q)
    for (int i = 0; i < 4; ++i) v |= (uint32_t)q[i] << (8 * i);
  return v;
}
static int get_i32(rbuf *b) { return (int)get_u32(b); }
static int64_t get_i64(rbuf *b) { return (int64_t)get_u64(b); }
static double get_f64(rbuf *b) {
  const uint64_t u = get_u64(b);
  double v;
  memcpy(&v, &u, 8);
  return v;
}
static void get_f64s(rbuf *b, double *v, size_t n) {
  for (size_t i = 0; i < n; ++i) v[i] = get_f64(b);
}
static void get_f32s(rbuf *b, float *v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const uint32_t u = get_u32(b);
    memcpy(&v[i], &u, 4);
  }
}
static void get_adam(rbuf *b, symgnn_tr_adam *a) {
  a->t = get_i64(b);
  get_f64s(b, a->m, a->n);
  get_f64s(b, a->v, a->n);
  get_f64s(b, a->vmax, a->n);
}

/* The stored order must be a permutation of 0..ntrain-1 and pos inside it. */
static int valid_shuffle(const symgnn_tr_state *s) {
  if (s->pos < 0 || s->pos > s->ntrain) return 0;
  unsigned char *seen = calloc((size_t)s->ntrain + 1, 1);
  int ok = seen != NULL;
  for (int i = 0; ok && i < s->ntrain; ++i) {
    const int p = s->perm[i];
    ok = p >= 0 && p < s->ntrain && !seen[p];
    if (ok) seen[p] = 1;
  }
  free(seen);
  return ok;
}

/* Magic, version and CRC-32 of a checkpoint in memory; on success b covers
 * the fields after the version, without the closing CRC. */
static int check_envelope(const unsigned char *data, size_t size, rbuf *b, char *msg,
                          size_t msglen) {
  *b = (rbuf){data, size, 0, 0};
  if (size < 12 || memcmp(data, CKPT_MAGIC, 8) != 0) {
    snprintf(msg, msglen, "not a symgnn-train checkpoint (bad magic)");
    return -1;
  }
  b->off = 8;
  const uint32_t version = get_u32(b);
  if (version != CKPT_VERSION) {
    snprintf(msg, msglen, "checkpoint format version %u, this trainer reads version %u", version,
             CKPT_VERSION);
    return -1;
  }
  if (size < 16) {
    snprintf(msg, msglen, "checkpoint is truncated (%zu bytes)", size);
    return -1;
  }
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored |= (uint32_t)data[size - 4 + i] << (8 * i);
  if (symgnn_crc32(0, data, size - 4) != stored) {
    snprintf(msg, msglen, "checkpoint CRC-32 mismatch: the file is damaged or truncated");
    return -1;
  }
  b->n = size - 4;
  return 0;
}

/* The fixed-size parts were checked; here the variable counts are checked
 * against the remaining bytes before anything is allocated. */
int symgnn_tr_ckpt_parse(const unsigned char *data, size_t size, symgnn_tr_state *s,
                         symgnn_model *model, char *msg, size_t msglen) {
  rbuf b;
  if (check_envelope(data, size, &b, msg, msglen)) return -1;
  const uint32_t mode = get_u32(&b), want = s->learned ? 1u : s->haar ? 2u : 0u;
  const int learned = mode == 1u;
  const uint64_t np = get_u64(&b), ns = get_u64(&b);
  if (np != symgnn_model_nparams(model) || ns != symgnn_model_nstats(model) || mode != want) {
    static const char *modes[3] = {"fixed", "learned", "haar"};
    snprintf(msg, msglen,
             "checkpoint does not match the config: %llu parameters, %llu statistics, %s "
             "symmetrization; the config gives %zu, %zu, %s",
             (unsigned long long)np, (unsigned long long)ns, mode < 3 ? modes[mode] : "unknown",
             symgnn_model_nparams(model), symgnn_model_nstats(model), modes[want]);
    return -1;
  }
  s->step = get_i64(&b);
  s->epoch = get_i64(&b);
  s->pos = get_i32(&b);
  const int ntrain = get_i32(&b);
  if (ntrain != s->ntrain) {
    snprintf(msg, msglen, "checkpoint has %d training configurations, the config lists %d", ntrain,
             s->ntrain);
    return -1;
  }
  for (int i = 0; i < ntrain; ++i) s->perm[i] = get_i32(&b);
  for (int i = 0; i < 4; ++i) s->rng.s[i] = get_u64(&b);
  s->best_pearson = get_f64(&b);
  s->best_step = get_i64(&b);
  s->bad_evals = get_i32(&b);
  s->loss_sum = get_f64(&b);
  s->loss_count = get_i32(&b);
  s->wall_time = get_f64(&b);
  const double mean = get_f64(&b), std = get_f64(&b);
  get_f32s(&b, symgnn_model_params(model), (size_t)np);
  get_f32s(&b, symgnn_model_stats(model), (size_t)ns);
  get_adam(&b, &s->adam);
  if (learned) {
    get_f64s(&b, s->theta, SYMGNN_TR_NTHETA);
    get_adam(&b, &s->adam_theta);
  }
  const int ncurve = get_i32(&b);
  if (b.trunc || ncurve < 0 || (size_t)ncurve > (b.n - b.off) / 64) {
    snprintf(msg, msglen, "checkpoint is inconsistent: its sections overrun the file");
    return -1;
  }
  s->ncurve = 0;
  for (int r = 0; r < ncurve; ++r) {
    symgnn_tr_curve_row row;
    row.step = get_i64(&b);
    double v[7];
    get_f64s(&b, v, 7);
    row.train_loss = v[0], row.val_mse = v[1], row.val_mae = v[2], row.val_pearson = v[3];
    row.val_r2 = v[4], row.lr = v[5], row.wall_time = v[6];
    if (symgnn_tr_state_add_row(s, &row)) {
      snprintf(msg, msglen, "out of memory reading the checkpoint");
      return -1;
    }
  }
  if (b.trunc || b.off != b.n) {
    snprintf(msg, msglen, "checkpoint is inconsistent: %zu bytes left after the last section",
             b.trunc ? (size_t)0 : b.n - b.off);
    return -1;
  }
  if (!valid_shuffle(s) || !(std > 0.0) || s->step < 0 || s->epoch < 0) {
    snprintf(msg, msglen, "checkpoint is inconsistent: bad shuffle state, step or normalization");
    return -1;
  }
  symgnn_model_set_label_norm(model, mean, std);
  return 0;
}

/* Skip count fields of `each` bytes, or mark the buffer overrun. */
static void skip(rbuf *b, uint64_t count, size_t each) {
  if (b->trunc || count > (b->n - b->off) / each) {
    b->trunc = 1;
    return;
  }
  b->off += (size_t)count * each;
}

/* Walks the layout of symgnn_tr_ckpt_write, skipping what it does not need. */
int symgnn_tr_ckpt_read_theta(const unsigned char *data, size_t size, size_t nparams, size_t nstats,
                              double theta[SYMGNN_TR_NTHETA], char *msg, size_t msglen) {
  rbuf b;
  if (check_envelope(data, size, &b, msg, msglen)) return -1;
  const uint32_t mode = get_u32(&b);
  const uint64_t np = get_u64(&b), ns = get_u64(&b);
  if (mode != 1u) {
    snprintf(msg, msglen, "checkpoint is from a %s-mode run: it holds no distribution parameters",
             mode == 2u ? "haar" : "fixed");
    return -1;
  }
  if (np != nparams || ns != nstats) {
    snprintf(msg, msglen,
             "checkpoint has %llu parameters and %llu statistics, the model %zu and %zu: not the "
             "same architecture",
             (unsigned long long)np, (unsigned long long)ns, nparams, nstats);
    return -1;
  }
  skip(&b, 2, 8); /* step, epoch */
  skip(&b, 1, 4); /* pos */
  const int ntrain = get_i32(&b);
  skip(&b, ntrain < 0 ? UINT64_MAX : (uint64_t)ntrain, 4); /* perm */
  skip(&b, 4, 8);                                          /* generator */
  skip(&b, 1, 8 + 8 + 4);                                  /* best Pearson, step, patience */
  skip(&b, 1, 8 + 4);                                      /* loss sum, count */
  skip(&b, 3, 8);                                          /* wall time, label mean, std */
  skip(&b, np, 4);
  skip(&b, ns, 4);
  skip(&b, 1, 8); /* Adam t */
  for (int k = 0; k < 3; ++k) skip(&b, np, 8);
  get_f64s(&b, theta, SYMGNN_TR_NTHETA);
  skip(&b, 1, 8 + 3 * SYMGNN_TR_NTHETA * 8); /* Adam of theta */
  const int ncurve = get_i32(&b);
  skip(&b, ncurve < 0 ? UINT64_MAX : (uint64_t)ncurve, 64);
  if (b.trunc) {
    snprintf(msg, msglen, "checkpoint is inconsistent: its sections overrun the file");
    return -1;
  }
  if (b.off != b.n) {
    snprintf(msg, msglen, "checkpoint is inconsistent: %zu bytes left after the last section",
             b.n - b.off);
    return -1;
  }
  for (int i = 0; i < SYMGNN_TR_NTHETA; ++i)
    if (!isfinite(theta[i])) {
      snprintf(msg, msglen, "checkpoint holds a non-finite distribution parameter");
      return -1;
    }
  return 0;
}
