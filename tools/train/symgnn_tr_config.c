/* Trainer config: YAML sections data, model, symmetrization, optimizer,
 * schedule, training and output. Every key is checked; an unknown key, a
 * duplicate or a value of the wrong type stops with "FILE:LINE: message". */
#include "symgnn_tr_config.h"
#include "symgnn_tr_yaml.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The released code's second transform R_z(1) R_y(-1) R_x(1) (models/models.py of
 * haoyuli02/SymGNN). */
static const double released_o1[9] = {0.29192658,  -0.83722241, 0.46242567, 0.45464871, -0.30389665,
                                      -0.83722241, 0.84147098,  0.45464871, 0.29192658};

void symgnn_tr_config_defaults(symgnn_tr_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  strcpy(cfg->label, "eb");
  symgnn_arch_default(&cfg->arch, 0, NULL);
  cfg->dropout = 0.25;
  cfg->symm = SYMGNN_TR_FIXED;
  cfg->samples_per_step = 8;
  cfg->inference_transforms = 16;
  cfg->symm_seed = 12345;
  cfg->init_sigma = 1.0;
  cfg->lr = 1e-4;
  cfg->beta1 = 0.9;
  cfg->beta2 = 0.999;
  cfg->eps = 1e-8;
  cfg->amsgrad = 1;
  cfg->clip_norm = 0.1;
  cfg->warmup_steps = 0;
  cfg->peak_lr = -1.0; /* unset: follows lr */
  cfg->decay = SYMGNN_TR_CONSTANT;
  cfg->min_lr = 0.0;
  cfg->batch = 0;
  cfg->epochs = 20000;
  cfg->eval_interval = 10;
  cfg->patience = 100;
  cfg->seed = 0;
}

void symgnn_tr_config_free(symgnn_tr_config *cfg) {
  for (int i = 0; i < cfg->ntrain; ++i) free(cfg->train_files[i]);
  for (int i = 0; i < cfg->nval; ++i) free(cfg->val_files[i]);
  free(cfg->train_files);
  free(cfg->val_files);
  free(cfg->transforms);
  free(cfg->out_model);
  free(cfg->out_best);
  free(cfg->out_checkpoint);
  free(cfg->out_curve);
  memset(cfg, 0, sizeof *cfg);
}

/* Parser state: the YAML accessor, the config's directory and lines of keys
 * whose validity depends on other keys (checked after the whole file). */
typedef struct {
  symgnn_tr_yaml y;
  char dir[4096];
  const yaml_node_t *transforms_key, *learned_key, *elements_node, *val_node, *batch_node;
  const yaml_node_t *heads_node;
} parser;

/* Relative paths are taken relative to the config file's directory. */
static char *resolve_path(const parser *p, const char *name) {
  const size_t nd = strlen(p->dir), nn = strlen(name);
  const int rel = name[0] != '/' && nd > 0;
  char *s = malloc(nn + (rel ? nd + 2 : 1));
  if (!s) return NULL;
  if (rel) {
    memcpy(s, p->dir, nd);
    s[nd] = '/';
    memcpy(s + nd + 1, name, nn + 1);
  } else {
    memcpy(s, name, nn + 1);
  }
  return s;
}

static int set_path(parser *p, const yaml_node_t *v, const char *what, char **dst) {
  const char *s;
  if (symgnn_tr_yaml_string(&p->y, v, what, &s)) return -1;
  free(*dst);
  if (!(*dst = resolve_path(p, s))) return symgnn_tr_yaml_fail(&p->y, v, "out of memory");
  return 0;
}

static int file_list(parser *p, const yaml_node_t *v, const char *what, char ***files, int *n) {
  const int len = symgnn_tr_yaml_seq_len(&p->y, v, what);
  if (len < 0) return -1;
  char **list = calloc((size_t)len + 1, sizeof(char *));
  if (!list) return symgnn_tr_yaml_fail(&p->y, v, "out of memory");
  for (int i = 0; i < *n; ++i) free((*files)[i]);
  free(*files);
  *files = list;
  *n = 0;
  for (int i = 0; i < len; ++i) {
    const yaml_node_t *it = symgnn_tr_yaml_seq_item(&p->y, v, i);
    const char *s;
    if (symgnn_tr_yaml_string(&p->y, it, what, &s)) return -1;
    if (!(list[i] = resolve_path(p, s))) return symgnn_tr_yaml_fail(&p->y, it, "out of memory");
    *n = i + 1;
  }
  return 0;
}

/* Walk the pairs of a section mapping; `handle` returns 0 when it used the
 * key, 1 when the key is unknown, -1 on error. Duplicate keys are errors. */
typedef int (*key_handler)(parser *p, const char *key, const yaml_node_t *knode,
                           const yaml_node_t *v, symgnn_tr_config *cfg);

static int walk(parser *p, const yaml_node_t *map, const char *section, key_handler handle,
                symgnn_tr_config *cfg) {
  const int n = symgnn_tr_yaml_map_len(&p->y, map, section);
  if (n < 0) return -1;
  for (int i = 0; i < n; ++i) {
    const char *key;
    yaml_node_t *knode, *v;
    if (symgnn_tr_yaml_map_pair(&p->y, map, i, &key, &knode, &v)) return -1;
    for (int j = 0; j < i; ++j) {
      const char *k2;
      yaml_node_t *kn2, *v2;
      symgnn_tr_yaml_map_pair(&p->y, map, j, &k2, &kn2, &v2);
      if (k2 && !strcmp(k2, key))
        return symgnn_tr_yaml_fail(&p->y, knode, "duplicate key '%s' in section '%s'", key,
                                   section);
    }
    const int r = handle(p, key, knode, v, cfg);
    if (r < 0) return -1;
    if (r > 0)
      return symgnn_tr_yaml_fail(&p->y, knode, "unknown key '%s' in section '%s'", key, section);
  }
  return 0;
}

static int data_key(parser *p, const char *key, const yaml_node_t *kn, const yaml_node_t *v,
                    symgnn_tr_config *cfg) {
  (void)kn;
  const symgnn_tr_yaml *y = &p->y;
  if (!strcmp(key, "train")) return file_list(p, v, "data.train", &cfg->train_files, &cfg->ntrain);
  if (!strcmp(key, "validation")) {
    p->val_node = v;
    return file_list(p, v, "data.validation", &cfg->val_files, &cfg->nval);
  }
  if (!strcmp(key, "label")) {
    const char *s;
    if (symgnn_tr_yaml_string(y, v, "data.label", &s)) return -1;
    if (strlen(s) >= sizeof cfg->label)
      return symgnn_tr_yaml_fail(y, v, "'data.label' is longer than %zu characters",
                                 sizeof cfg->label - 1);
    strcpy(cfg->label, s);
    return 0;
  }
  if (!strcmp(key, "elements")) {
    p->elements_node = v;
    const int n = symgnn_tr_yaml_seq_len(y, v, "data.elements");
    if (n < 0) return -1;
    if (n < 1 || n > SYMGNN_MAX_ELEMENTS)
      return symgnn_tr_yaml_fail(y, v, "'data.elements' must list 1..%d names, got %d",
                                 SYMGNN_MAX_ELEMENTS, n);
    for (int i = 0; i < n; ++i) {
      const yaml_node_t *it = symgnn_tr_yaml_seq_item(y, v, i);
      const char *s;
      if (symgnn_tr_yaml_string(y, it, "data.elements", &s)) return -1;
      if (!*s || strlen(s) >= SYMGNN_NAME_LEN)
        return symgnn_tr_yaml_fail(y, it, "element name '%s' must have 1..%d characters", s,
                                   SYMGNN_NAME_LEN - 1);
      for (int j = 0; j < i; ++j)
        if (!strcmp(cfg->arch.elements[j], s))
          return symgnn_tr_yaml_fail(y, it, "element '%s' is listed twice", s);
      memset(cfg->arch.elements[i], 0, SYMGNN_NAME_LEN);
      strcpy(cfg->arch.elements[i], s);
    }
    cfg->arch.nelements = n;
    return 0;
  }
  if (!strcmp(key, "cutoff")) {
    if (symgnn_tr_yaml_double(y, v, "data.cutoff", &cfg->arch.cutoff)) return -1;
    if (cfg->arch.cutoff <= 0.0 || cfg->arch.cutoff > 50.0)
      return symgnn_tr_yaml_fail(y, v, "'data.cutoff' must be in (0, 50] Angstrom");
    return 0;
  }
  return 1;
}

static int norm_key(parser *p, const char *key, const yaml_node_t *kn, const yaml_node_t *v,
                    symgnn_tr_config *cfg) {
  (void)kn;
  if (!strcmp(key, "mean"))
    return symgnn_tr_yaml_double(&p->y, v, "model.label_norm.mean", &cfg->label_mean);
  if (!strcmp(key, "std")) {
    if (symgnn_tr_yaml_double(&p->y, v, "model.label_norm.std", &cfg->label_std)) return -1;
    if (cfg->label_std <= 0.0)
      return symgnn_tr_yaml_fail(&p->y, v, "'model.label_norm.std' must be positive");
    return 0;
  }
  return 1;
}

static int model_key(parser *p, const char *key, const yaml_node_t *kn, const yaml_node_t *v,
                     symgnn_tr_config *cfg) {
  (void)kn;
  const symgnn_tr_yaml *y = &p->y;
  if (!strcmp(key, "width"))
    return symgnn_tr_yaml_int(y, v, "model.width", 1, 1024, &cfg->arch.width);
  if (!strcmp(key, "decoder_depth"))
    return symgnn_tr_yaml_int(y, v, "model.decoder_depth", 0, SYMGNN_MAX_LAYERS,
                              &cfg->arch.decoder_depth);
  if (!strcmp(key, "heads")) {
    p->heads_node = v;
    const int n = symgnn_tr_yaml_seq_len(y, v, "model.heads");
    if (n < 0) return -1;
    if (n < 1 || n > SYMGNN_MAX_LAYERS)
      return symgnn_tr_yaml_fail(y, v, "'model.heads' must list 1..%d layers, got %d",
                                 SYMGNN_MAX_LAYERS, n);
    for (int i = 0; i < n; ++i)
      if (symgnn_tr_yaml_int(y, symgnn_tr_yaml_seq_item(y, v, i), "model.heads", 1, 64,
                             &cfg->arch.heads[i]))
        return -1;
    cfg->arch.nlayers = n;
    return 0;
  }
  if (!strcmp(key, "dropout")) {
    if (symgnn_tr_yaml_double(y, v, "model.dropout", &cfg->dropout)) return -1;
    if (cfg->dropout < 0.0 || cfg->dropout >= 1.0)
      return symgnn_tr_yaml_fail(y, v, "'model.dropout' must be in [0, 1)");
    return 0;
  }
  if (!strcmp(key, "label_norm")) {
    if (symgnn_tr_yaml_is_null(v)) return (cfg->norm_given = 0), 0;
    if (v->type == YAML_SCALAR_NODE) {
      if (!strcmp((const char *)v->data.scalar.value, "auto")) return (cfg->norm_given = 0), 0;
      return symgnn_tr_yaml_fail(y, v, "'model.label_norm' must be 'auto' or {mean: M, std: S}");
    }
    cfg->label_mean = 0.0;
    cfg->label_std = 0.0;
    if (walk(p, v, "model.label_norm", norm_key, cfg)) return -1;
    if (cfg->label_std <= 0.0)
      return symgnn_tr_yaml_fail(y, v, "'model.label_norm' needs both mean and std");
    cfg->norm_given = 1;
    return 0;
  }
  return 1;
}

/* Orthogonality check: |O O^T - I| below 1e-5 in every entry. */
static int is_orthogonal(const double *o) {
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      double s = 0.0;
      for (int k = 0; k < 3; ++k) s += o[3 * i + k] * o[3 * j + k];
      if (fabs(s - (i == j)) > 1e-5) return 0;
    }
  return 1;
}

static int transforms_value(parser *p, const yaml_node_t *v, symgnn_tr_config *cfg) {
  const symgnn_tr_yaml *y = &p->y;
  const int n = symgnn_tr_yaml_seq_len(y, v, "symmetrization.transforms");
  if (n < 0) return -1;
  if (n < 1 || n > 4096)
    return symgnn_tr_yaml_fail(y, v, "'symmetrization.transforms' must list 1..4096 matrices");
  double *t = malloc((size_t)n * 9 * sizeof(double));
  if (!t) return symgnn_tr_yaml_fail(y, v, "out of memory");
  free(cfg->transforms);
  cfg->transforms = t;
  cfg->ntransforms = n;
  for (int i = 0; i < n; ++i) {
    const yaml_node_t *it = symgnn_tr_yaml_seq_item(y, v, i);
    if (symgnn_tr_yaml_doubles(y, it, "symmetrization.transforms[]", 9, t + 9 * i)) return -1;
    if (!is_orthogonal(t + 9 * i))
      return symgnn_tr_yaml_fail(y, it, "transform %d is not orthogonal (O O^T != I within 1e-5)",
                                 i + 1);
  }
  return 0;
}

static int symm_key(parser *p, const char *key, const yaml_node_t *kn, const yaml_node_t *v,
                    symgnn_tr_config *cfg) {
  const symgnn_tr_yaml *y = &p->y;
  if (!strcmp(key, "mode")) {
    const char *s;
    if (symgnn_tr_yaml_string(y, v, "symmetrization.mode", &s)) return -1;
    if (!strcmp(s, "fixed"))
      cfg->symm = SYMGNN_TR_FIXED;
    else if (!strcmp(s, "learned"))
      cfg->symm = SYMGNN_TR_LEARNED;
    else if (!strcmp(s, "haar"))
      cfg->symm = SYMGNN_TR_HAAR;
    else
      return symgnn_tr_yaml_fail(
          y, v, "'symmetrization.mode' must be fixed, learned or haar, got '%s'", s);
    return 0;
  }
  if (!strcmp(key, "transforms")) {
    p->transforms_key = kn;
    return transforms_value(p, v, cfg);
  }
  static const char *learned_only[] = {"samples_per_step", "inference_transforms", "seed",
                                       "init_sigma"};
  for (size_t i = 0; i < sizeof learned_only / sizeof *learned_only; ++i)
    if (!strcmp(key, learned_only[i])) p->learned_key = kn;
  if (!strcmp(key, "samples_per_step")) {
    if (symgnn_tr_yaml_int(y, v, "symmetrization.samples_per_step", 2, 4096,
                           &cfg->samples_per_step))
      return -1;
    if (cfg->samples_per_step % 2)
      return symgnn_tr_yaml_fail(y, v,
                                 "'symmetrization.samples_per_step' must be even "
                                 "(half rotations, half reflections)");
    return 0;
  }
  if (!strcmp(key, "inference_transforms")) {
    if (symgnn_tr_yaml_int(y, v, "symmetrization.inference_transforms", 2, 4096,
                           &cfg->inference_transforms))
      return -1;
    if (cfg->inference_transforms % 2)
      return symgnn_tr_yaml_fail(y, v,
                                 "'symmetrization.inference_transforms' must be even "
                                 "(half rotations, half reflections)");
    return 0;
  }
  if (!strcmp(key, "seed")) return symgnn_tr_yaml_u64(y, v, "symmetrization.seed", &cfg->symm_seed);
  if (!strcmp(key, "init_sigma")) {
    if (symgnn_tr_yaml_double(y, v, "symmetrization.init_sigma", &cfg->init_sigma)) return -1;
    if (cfg->init_sigma <= 0.0 || cfg->init_sigma > 100.0)
      return symgnn_tr_yaml_fail(y, v, "'symmetrization.init_sigma' must be in (0, 100] radians");
    return 0;
  }
  return 1;
}

static int optim_key(parser *p, const char *key, const yaml_node_t *kn, const yaml_node_t *v,
                     symgnn_tr_config *cfg) {
  (void)kn;
  const symgnn_tr_yaml *y = &p->y;
  if (!strcmp(key, "lr")) {
    if (symgnn_tr_yaml_double(y, v, "optimizer.lr", &cfg->lr)) return -1;
    if (cfg->lr <= 0.0) return symgnn_tr_yaml_fail(y, v, "'optimizer.lr' must be positive");
    return 0;
  }
  if (!strcmp(key, "betas")) {
    double b[2];
    if (symgnn_tr_yaml_doubles(y, v, "optimizer.betas", 2, b)) return -1;
    if (b[0] < 0.0 || b[0] >= 1.0 || b[1] < 0.0 || b[1] >= 1.0)
      return symgnn_tr_yaml_fail(y, v, "'optimizer.betas' must both be in [0, 1)");
    cfg->beta1 = b[0];
    cfg->beta2 = b[1];
    return 0;
  }
  if (!strcmp(key, "eps")) {
    if (symgnn_tr_yaml_double(y, v, "optimizer.eps", &cfg->eps)) return -1;
    if (cfg->eps <= 0.0) return symgnn_tr_yaml_fail(y, v, "'optimizer.eps' must be positive");
    return 0;
  }
  if (!strcmp(key, "amsgrad")) return symgnn_tr_yaml_bool(y, v, "optimizer.amsgrad", &cfg->amsgrad);
  if (!strcmp(key, "weight_decay")) {
    if (symgnn_tr_yaml_double(y, v, "optimizer.weight_decay", &cfg->weight_decay)) return -1;
    if (cfg->weight_decay < 0.0 || cfg->weight_decay >= 1.0)
      return symgnn_tr_yaml_fail(y, v, "'optimizer.weight_decay' must be in [0, 1), got %g",
                                 cfg->weight_decay);
    return 0;
  }
  if (!strcmp(key, "clip_norm")) {
    if (symgnn_tr_yaml_double(y, v, "optimizer.clip_norm", &cfg->clip_norm)) return -1;
    if (cfg->clip_norm < 0.0)
      return symgnn_tr_yaml_fail(y, v, "'optimizer.clip_norm' must be >= 0 (0 disables)");
    return 0;
  }
  return 1;
}

static int sched_key(parser *p, const char *key, const yaml_node_t *kn, const yaml_node_t *v,
                     symgnn_tr_config *cfg) {
  (void)kn;
  const symgnn_tr_yaml *y = &p->y;
  if (!strcmp(key, "warmup_steps"))
    return symgnn_tr_yaml_int(y, v, "schedule.warmup_steps", 0, 100000000, &cfg->warmup_steps);
  if (!strcmp(key, "peak_lr")) {
    if (symgnn_tr_yaml_is_null(v)) return (cfg->peak_lr = -1.0), 0;
    if (symgnn_tr_yaml_double(y, v, "schedule.peak_lr", &cfg->peak_lr)) return -1;
    if (cfg->peak_lr <= 0.0)
      return symgnn_tr_yaml_fail(y, v, "'schedule.peak_lr' must be positive");
    return 0;
  }
  if (!strcmp(key, "decay")) {
    const char *s;
    if (symgnn_tr_yaml_string(y, v, "schedule.decay", &s)) return -1;
    if (!strcmp(s, "constant"))
      cfg->decay = SYMGNN_TR_CONSTANT;
    else if (!strcmp(s, "cosine"))
      cfg->decay = SYMGNN_TR_COSINE;
    else
      return symgnn_tr_yaml_fail(y, v, "'schedule.decay' must be constant or cosine, got '%s'", s);
    return 0;
  }
  if (!strcmp(key, "min_lr")) {
    if (symgnn_tr_yaml_double(y, v, "schedule.min_lr", &cfg->min_lr)) return -1;
    if (cfg->min_lr < 0.0) return symgnn_tr_yaml_fail(y, v, "'schedule.min_lr' must be >= 0");
    return 0;
  }
  return 1;
}

static int training_key(parser *p, const char *key, const yaml_node_t *kn, const yaml_node_t *v,
                        symgnn_tr_config *cfg) {
  (void)kn;
  const symgnn_tr_yaml *y = &p->y;
  if (!strcmp(key, "batch")) {
    p->batch_node = v;
    if (v->type == YAML_SCALAR_NODE && !strcmp((const char *)v->data.scalar.value, "all"))
      return (cfg->batch = 0), 0;
    return symgnn_tr_yaml_int(y, v, "training.batch", 1, 1000000000, &cfg->batch);
  }
  if (!strcmp(key, "epochs"))
    return symgnn_tr_yaml_int(y, v, "training.epochs", 1, 100000000, &cfg->epochs);
  if (!strcmp(key, "eval_interval"))
    return symgnn_tr_yaml_int(y, v, "training.eval_interval", 1, 100000000, &cfg->eval_interval);
  if (!strcmp(key, "patience"))
    return symgnn_tr_yaml_int(y, v, "training.patience", 0, 100000000, &cfg->patience);
  if (!strcmp(key, "seed")) return symgnn_tr_yaml_u64(y, v, "training.seed", &cfg->seed);
  if (!strcmp(key, "bn_stats")) {
    const char *s;
    if (symgnn_tr_yaml_string(y, v, "training.bn_stats", &s)) return -1;
    if (strcmp(s, "ema") && strcmp(s, "recalibrated"))
      return symgnn_tr_yaml_fail(y, v, "'training.bn_stats' must be ema or recalibrated, got '%s'",
                                 s);
    cfg->bn_recalibrate = !strcmp(s, "recalibrated");
    return 0;
  }
  return 1;
}

static int output_key(parser *p, const char *key, const yaml_node_t *kn, const yaml_node_t *v,
                      symgnn_tr_config *cfg) {
  (void)kn;
  if (!strcmp(key, "model")) return set_path(p, v, "output.model", &cfg->out_model);
  if (!strcmp(key, "best_model")) return set_path(p, v, "output.best_model", &cfg->out_best);
  if (!strcmp(key, "checkpoint")) return set_path(p, v, "output.checkpoint", &cfg->out_checkpoint);
  if (!strcmp(key, "learning_curve"))
    return set_path(p, v, "output.learning_curve", &cfg->out_curve);
  return 1;
}

static int top_key(parser *p, const char *key, const yaml_node_t *kn, const yaml_node_t *v,
                   symgnn_tr_config *cfg) {
  (void)kn;
  if (!strcmp(key, "data")) return walk(p, v, "data", data_key, cfg);
  if (!strcmp(key, "model")) return walk(p, v, "model", model_key, cfg);
  if (!strcmp(key, "symmetrization")) return walk(p, v, "symmetrization", symm_key, cfg);
  if (!strcmp(key, "optimizer")) return walk(p, v, "optimizer", optim_key, cfg);
  if (!strcmp(key, "schedule")) return walk(p, v, "schedule", sched_key, cfg);
  if (!strcmp(key, "training")) return walk(p, v, "training", training_key, cfg);
  if (!strcmp(key, "output")) return walk(p, v, "output", output_key, cfg);
  return 1;
}

/* Defaults of the output paths, in the config's directory. */
static int default_outputs(parser *p, symgnn_tr_config *cfg) {
  struct {
    char **dst;
    const char *name;
  } d[] = {{&cfg->out_model, "symgnn-final.model"},
           {&cfg->out_best, "symgnn-best.model"},
           {&cfg->out_checkpoint, "symgnn-train.ckpt"},
           {&cfg->out_curve, "learning_curve.csv"}};
  for (size_t i = 0; i < sizeof d / sizeof *d; ++i)
    if (!*d[i].dst && !(*d[i].dst = resolve_path(p, d[i].name)))
      return symgnn_tr_yaml_fail(&p->y, NULL, "out of memory");
  return 0;
}

/* Checks that need the whole file (required keys, keys valid only in one mode). */
static int cross_checks(parser *p, const yaml_node_t *root, symgnn_tr_config *cfg) {
  const symgnn_tr_yaml *y = &p->y;
  if (cfg->ntrain == 0)
    return symgnn_tr_yaml_fail(y, root,
                               "'data.train' is missing or empty: list the training "
                               "files");
  if (cfg->nval == 0)
    return symgnn_tr_yaml_fail(y, p->val_node ? p->val_node : root,
                               "validation set is empty: list at least one file in "
                               "'data.validation'");
  if (cfg->arch.nelements == 0)
    return symgnn_tr_yaml_fail(y, root,
                               "'data.elements' is missing: list the species names in "
                               "model order");
  if (cfg->symm != SYMGNN_TR_LEARNED && p->learned_key)
    return symgnn_tr_yaml_fail(y, p->learned_key,
                               "key '%s' is only valid with symmetrization mode 'learned'",
                               (const char *)p->learned_key->data.scalar.value);
  if (cfg->symm != SYMGNN_TR_FIXED && p->transforms_key)
    return symgnn_tr_yaml_fail(y, p->transforms_key,
                               "'transforms' is only valid with symmetrization mode 'fixed'");
  if (cfg->symm == SYMGNN_TR_FIXED && cfg->ntransforms == 0) {
    cfg->transforms = malloc(18 * sizeof(double));
    if (!cfg->transforms) return symgnn_tr_yaml_fail(y, NULL, "out of memory");
    static const double id[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    memcpy(cfg->transforms, id, sizeof id);
    memcpy(cfg->transforms + 9, released_o1, sizeof released_o1);
    cfg->ntransforms = 2;
  }
  if (cfg->batch > 0 && cfg->batch > cfg->ntrain)
    return symgnn_tr_yaml_fail(y, p->batch_node,
                               "'training.batch' = %d exceeds the %d training files", cfg->batch,
                               cfg->ntrain);
  if (cfg->peak_lr < 0.0) cfg->peak_lr = cfg->lr;
  if (cfg->min_lr > cfg->peak_lr)
    return symgnn_tr_yaml_fail(y, root,
                               "'schedule.min_lr' (%g) exceeds the peak learning rate "
                               "(%g)",
                               cfg->min_lr, cfg->peak_lr);
  return default_outputs(p, cfg);
}

int symgnn_tr_config_parse(const char *text, size_t len, const char *path, symgnn_tr_config *cfg,
                           char *msg, size_t msglen) {
  symgnn_tr_config_defaults(cfg);
  parser p;
  memset(&p, 0, sizeof p);
  p.y.path = path;
  p.y.msg = msg;
  p.y.msglen = msglen;
  const char *slash = strrchr(path, '/');
  if (slash && (size_t)(slash - path) < sizeof p.dir) {
    memcpy(p.dir, path, (size_t)(slash - path));
    p.dir[slash - path] = '\0';
    if (slash == path) strcpy(p.dir, "/");
  }
  yaml_parser_t yp;
  yaml_document_t doc;
  if (!yaml_parser_initialize(&yp)) return symgnn_tr_yaml_fail(&p.y, NULL, "out of memory");
  yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
  if (!yaml_parser_load(&yp, &doc)) {
    snprintf(msg, msglen, "%s:%lu: YAML syntax error: %s", path,
             (unsigned long)yp.problem_mark.line + 1, yp.problem ? yp.problem : "unknown");
    yaml_parser_delete(&yp);
    return -1;
  }
  p.y.doc = &doc;
  int rc = 0;
  const yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root)
    rc = symgnn_tr_yaml_fail(&p.y, NULL, "the config file is empty");
  else if (walk(&p, root, "(top level)", top_key, cfg) || cross_checks(&p, root, cfg))
    rc = -1;
  yaml_document_delete(&doc);
  yaml_parser_delete(&yp);
  if (rc) symgnn_tr_config_free(cfg);
  return rc;
}

int symgnn_tr_config_load(const char *path, symgnn_tr_config *cfg, char *msg, size_t msglen) {
  symgnn_tr_config_defaults(cfg);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(msg, msglen, "%s: cannot open the config file", path);
    return -1;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (size_t r; buf && (r = fread(buf + n, 1, cap - n, f)) > 0;) {
    n += r;
    if (n == cap) {
      char *b = realloc(buf, cap *= 2);
      if (!b) free(buf);
      buf = b;
    }
  }
  fclose(f);
  if (!buf) {
    snprintf(msg, msglen, "%s: out of memory reading the config", path);
    return -1;
  }
  const int rc = symgnn_tr_config_parse(buf, n, path, cfg, msg, msglen);
  free(buf);
  return rc;
}

void symgnn_tr_config_summary(const symgnn_tr_config *c, char *buf, size_t len) {
  char heads[128] = "";
  for (int l = 0; l < c->arch.nlayers; ++l) {
    const size_t u = strlen(heads);
    snprintf(heads + u, sizeof heads - u, "%s%d", l ? "," : "", c->arch.heads[l]);
  }
  char symm[96];
  if (c->symm == SYMGNN_TR_FIXED)
    snprintf(symm, sizeof symm, "fixed(K=%d)", c->ntransforms);
  else if (c->symm == SYMGNN_TR_HAAR)
    snprintf(symm, sizeof symm, "haar");
  else
    snprintf(symm, sizeof symm, "learned(K=%d,M=%d,sigma0=%g)", c->samples_per_step,
             c->inference_transforms, c->init_sigma);
  char batch[32];
  if (c->batch)
    snprintf(batch, sizeof batch, "%d", c->batch);
  else
    strcpy(batch, "all");
  snprintf(buf, len,
           "cutoff=%g width=%d heads=[%s] decoder_depth=%d dropout=%g symm=%s label=%s "
           "adam(lr=%g,betas=%g/%g,eps=%g,amsgrad=%d,clip=%g,wd=%g) schedule(warmup=%d,peak=%g,%s,"
           "min=%g) batch=%s epochs=%d eval_interval=%d patience=%d bn_stats=%s",
           c->arch.cutoff, c->arch.width, heads, c->arch.decoder_depth, c->dropout, symm, c->label,
           c->lr, c->beta1, c->beta2, c->eps, c->amsgrad, c->clip_norm, c->weight_decay,
           c->warmup_steps, c->peak_lr, c->decay == SYMGNN_TR_COSINE ? "cosine" : "constant",
           c->min_lr, batch, c->epochs, c->eval_interval, c->patience,
           c->bn_recalibrate ? "recalibrated" : "ema");
}
