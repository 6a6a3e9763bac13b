#define _POSIX_C_SOURCE 200809L
#include "symgnn_file.h"
#include "symgnn_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read in growing chunks instead of asking for the size first, so pipes and
 * special files work too; the buffer never exceeds twice the file size. */
symgnn_status symgnn_file_read_all(const char *path, unsigned char **data, size_t *size,
                                   symgnn_error *err) {
  *data = NULL;
  *size = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return symgnn_set_error(err, SYMGNN_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  unsigned char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    unsigned char *grown = (cap <= (size_t)-1 / 2) ? realloc(buf, cap * 2) : NULL;
    if (!grown) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = grown;
    cap *= 2;
  }
  if (!buf) {
    fclose(f);
    return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory reading '%s'", path);
  }
  if (ferror(f)) {
    const int e = errno;
    free(buf);
    fclose(f);
    return symgnn_set_error(err, SYMGNN_ERR_IO, "cannot read '%s': %s", path, strerror(e));
  }
  fclose(f);
  *data = buf;
  *size = n;
  return SYMGNN_OK;
}

/* Make the rename itself durable by syncing the directory that holds `path`.
 * Best effort: the file contents are already synced, and some file systems
 * do not support syncing a directory, so a failure here is not reported. */
static void sync_parent_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  if (!dir) return;
  const int fd = open(dir, O_RDONLY);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  free(dir);
}

symgnn_status symgnn_file_write_atomic(const char *path, const void *data, size_t size,
                                       symgnn_error *err) {
  const size_t len = strlen(path) + 32;
  char *tmp = malloc(len);
  if (!tmp) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory writing '%s'", path);
  snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
  /* "x": fail rather than share a temporary with another writer. */
  FILE *f = fopen(tmp, "wbx");
  if (!f) {
    const int e = errno;
    symgnn_set_error(err, SYMGNN_ERR_IO, "cannot write '%s': cannot create temporary '%s': %s",
                     path, tmp, strerror(e));
    free(tmp);
    return SYMGNN_ERR_IO;
  }
  const char *step = NULL;
  if (size > 0 && fwrite(data, 1, size, f) != size)
    step = "write";
  else if (fflush(f) != 0)
    step = "flush";
  else if (fsync(fileno(f)) != 0)
    step = "fsync";
  int e = step ? errno : 0;
  if (fclose(f) != 0 && !step) {
    step = "close";
    e = errno;
  }
  if (!step && rename(tmp, path) != 0) {
    step = "rename";
    e = errno;
  }
  if (step) {
    remove(tmp);
    symgnn_set_error(err, SYMGNN_ERR_IO, "cannot write '%s': %s of '%s' failed: %s", path, step,
                     tmp, strerror(e));
    free(tmp);
    return SYMGNN_ERR_IO;
  }
  free(tmp);
  sync_parent_dir(path);
  return SYMGNN_OK;
}
