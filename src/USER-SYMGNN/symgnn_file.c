#define _POSIX_C_SOURCE 200809L
#include "symgnn_file.h"
#include "symgnn_error.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Suffix of our temporaries: "<path>.tmp." then mkstemp's six characters. */
#define TMP_SUFFIX ".tmp."
#define TMP_RANDOM "XXXXXX"

symgnn_status symgnn_file_write_atomic(const char *path, const void *data, size_t size,
                                       symgnn_error *err) {
  const size_t len = strlen(path) + sizeof TMP_SUFFIX + sizeof TMP_RANDOM;
  char *tmp = malloc(len);
  if (!tmp) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory writing '%s'", path);
  snprintf(tmp, len, "%s" TMP_SUFFIX TMP_RANDOM, path);
  /* A unique name in the target's directory (so rename stays on one file
   * system), never shared with another writer or a leftover of a killed run. */
  const int fd = mkstemp(tmp);
  FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!f) {
    const int e = errno;
    if (fd >= 0) {
      close(fd);
      remove(tmp);
    }
    symgnn_set_error(err, SYMGNN_ERR_IO, "cannot write '%s': cannot create a temporary '%s': %s",
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
  else if (fchmod(fileno(f), 0644) != 0) /* mkstemp creates 0600 */
    step = "chmod";
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

/* 1 when `name` is `base` followed by one of our temporary suffixes: the
 * mkstemp form (six letters or digits) or the process-id form (digits only)
 * that earlier versions wrote. */
static int is_our_temporary(const char *name, const char *base) {
  const size_t nb = strlen(base);
  if (strncmp(name, base, nb) != 0 || strncmp(name + nb, TMP_SUFFIX, strlen(TMP_SUFFIX)) != 0)
    return 0;
  const char *t = name + nb + strlen(TMP_SUFFIX);
  size_t n = 0, digits = 0;
  for (; t[n]; ++n) {
    if (!isalnum((unsigned char)t[n])) return 0;
    digits += isdigit((unsigned char)t[n]) != 0;
  }
  return n == strlen(TMP_RANDOM) || (n > 0 && digits == n);
}

symgnn_status symgnn_file_remove_stale(const char *path, int *nremoved, symgnn_error *err) {
  *nremoved = 0;
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  if (!dir) return symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory");
  const char *base = slash ? slash + 1 : path;
  DIR *d = opendir(dir);
  if (!d) {
    const int e = errno;
    symgnn_set_error(err, SYMGNN_ERR_IO, "cannot list directory '%s': %s", dir, strerror(e));
    free(dir);
    return SYMGNN_ERR_IO;
  }
  symgnn_status st = SYMGNN_OK;
  for (const struct dirent *ent; st == SYMGNN_OK && (ent = readdir(d)) != NULL;) {
    if (!is_our_temporary(ent->d_name, base)) continue;
    const size_t len = strlen(dir) + strlen(ent->d_name) + 2;
    char *full = malloc(len);
    if (!full) {
      st = symgnn_set_error(err, SYMGNN_ERR_NOMEM, "out of memory");
      break;
    }
    snprintf(full, len, "%s/%s", dir, ent->d_name);
    if (unlink(full) == 0)
      ++*nremoved;
    else if (errno != ENOENT)
      st = symgnn_set_error(err, SYMGNN_ERR_IO, "cannot remove stale temporary '%s': %s", full,
                            strerror(errno));
    free(full);
  }
  closedir(d);
  free(dir);
  return st;
}

symgnn_status symgnn_file_parse(const char *path, symgnn_file_parser parse, void *out,
                                symgnn_error *err) {
  unsigned char *data;
  size_t size;
  symgnn_status st = symgnn_file_read_all(path, &data, &size, err);
  if (st != SYMGNN_OK) return st;
  st = parse(data, size, out, err);
  free(data);
  if (st != SYMGNN_OK && err) {
    char msg[sizeof err->message];
    memcpy(msg, err->message, sizeof msg);
    snprintf(err->message, sizeof err->message, "model file '%.200s': %.280s", path, msg);
  }
  return st;
}
