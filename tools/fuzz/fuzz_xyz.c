/* libFuzzer harness of the extended-XYZ reader and writer: any byte string is
 * either refused with a message or read; what is read is written back with an
 * eb_pred column, and the written file must be read again with the same atoms
 * (the writer never produces a file its own reader, or ASE, refuses). */
#define _GNU_SOURCE /* fmemopen */
#include "symgnn_xyz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char out_dir[64], out_file[96];

/* At exit: the private directory goes, with the last file written there. */
static void remove_out_dir(void) {
  unlink(out_file);
  rmdir(out_dir);
}

/* A private directory for the written files, on tmpfs when there is one. */
static const char *out_path(void) {
  if (out_file[0]) return out_file;
  snprintf(out_dir, sizeof out_dir, "/dev/shm/symgnn-fuzz-XXXXXX");
  if (!mkdtemp(out_dir)) {
    snprintf(out_dir, sizeof out_dir, "/tmp/symgnn-fuzz-XXXXXX");
    if (!mkdtemp(out_dir)) abort();
  }
  snprintf(out_file, sizeof out_file, "%s/out.extxyz", out_dir);
  atexit(remove_out_dir);
  return out_file;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0; /* fmemopen needs a non-empty buffer */
  FILE *f = fmemopen((void *)data, size, "r");
  if (!f) return 0;
  symgnn_xyz *x = NULL;
  char msg[1024] = "";
  const int rc = symgnn_xyz_read_stream(f, "fuzz", "eb", &x, msg, sizeof msg);
  fclose(f);
  if (rc) {
    if (x || msg[0] == '\0') abort();
    return 0;
  }
  const int n = symgnn_xyz_natoms(x);
  double *v = malloc((size_t)n * sizeof(double));
  if (!v) abort();
  for (int i = 0; i < n; ++i) v[i] = 0.125 * i;
  const char *path = out_path();
  if (symgnn_xyz_write_with_column(x, path, "eb_pred", v, msg, sizeof msg)) abort();
  symgnn_xyz *y = NULL;
  if (symgnn_xyz_read(path, "eb_pred", &y, msg, sizeof msg)) {
    fprintf(stderr, "written file refused: %s\n", msg);
    abort();
  }
  if (symgnn_xyz_natoms(y) != n || !symgnn_xyz_has_label(y)) abort();
  for (int i = 0; i < n; ++i)
    if (symgnn_xyz_labels(y)[i] != v[i] ||
        strcmp(symgnn_xyz_species(x, i), symgnn_xyz_species(y, i)))
      abort();
  symgnn_xyz_free(y);
  symgnn_xyz_free(x);
  free(v);
  unlink(path);
  return 0;
}
