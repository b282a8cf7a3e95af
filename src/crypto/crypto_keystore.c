/* crypto_keystore.c: where keys live on disk, and seeds given on a command
 * line.
 *
 * Keys live one per file as `<dir>/<name>.nk` holding the encoded seed and
 * a newline, mode 0600, the layout wash uses, so a wash keys directory can
 * be pointed at directly.  The directory is a flag, else $LATTICE_KEYS,
 * else ~/.lattice/keys; it is created 0700 on first write.  Files are
 * created with O_EXCL: a key is never overwritten silently.  A seed
 * argument is either the seed itself (S...) or a file holding one (what
 * `--host-seed`, `claims sign -i` and friends take).  Every buffer that held
 * a seed is wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"

const char *lat_keystore_dir(const char *flag, char *buf, size_t cap) {
  if (flag && *flag) return flag;
  const char *env = getenv("LATTICE_KEYS");
  if (env && *env) return env;
  const char *home = getenv("HOME");
  snprintf(buf, cap, "%s/.lattice/keys", home && *home ? home : ".");
  return buf;
}

/* Trims ASCII whitespace from both ends of s[0..*len). */
static const char *trim(const char *s, size_t *len) {
  while (*len && (s[*len - 1] == '\n' || s[*len - 1] == '\r' ||
                  s[*len - 1] == ' ' || s[*len - 1] == '\t'))
    (*len)--;
  while (*len && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++, (*len)--;
  return s;
}

lat_status lat_nkey_load(const char *arg, lat_nkey_t *out, lat_error_t *err) {
  size_t n = strlen(arg);
  if (n == LAT_NKEY_SEED_LEN && arg[0] == 'S')
    return lat_nkey_from_seed(arg, n, out, err);
  uint8_t *data;
  size_t len;
  lat_nkey_type t0;
  uint8_t pub[32];
  if (!lat_nkey_decode_public(arg, n, &t0, pub, NULL))
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "%s is a public %s key; signing needs its seed (S%c...)",
                         arg, lat_nkey_type_name(t0), lat_nkey_type_letter(t0));
  lat_status s = lat_file_read(arg, &data, &len, err);
  if (s && arg[0] == 'S' && !strchr(arg, '/'))
    return lat_error_set(err, s, SIZE_MAX,
                         "'%.12s%s' is neither a seed (S..., %d characters) nor a readable file",
                         arg, n > 12 ? "..." : "", LAT_NKEY_SEED_LEN);
  if (s) return s;
  const char *t = trim((const char *)data, &len);
  lat_error_t kerr;
  s = lat_nkey_from_seed(t, len, out, &kerr);
  if (s) lat_error_set(err, s, SIZE_MAX, "%s: %s", arg, kerr.msg);
  sodium_memzero(data, len + 1);
  lat_free(data);
  return s;
}

lat_status lat_keystore_save(const char *dir, const char *name, const lat_nkey_t *k,
                             char *path, size_t cap, lat_error_t *err) {
  if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "bad key name '%s'", name);
  if (lat_mkdir_p(dir) < 0)
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot create %s: %s", dir,
                         strerror(errno));
  if (snprintf(path, cap, "%s/%s%s", dir, name, LAT_KEYSTORE_EXT) >= (int)cap)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "path too long");
  char seed[LAT_NKEY_SEED_LEN + 2];
  lat_status s = lat_nkey_seed_string(k, seed, err);
  if (s) return s;
  seed[LAT_NKEY_SEED_LEN] = '\n';
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    sodium_memzero(seed, sizeof seed);
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot create %s: %s%s", path,
                         strerror(errno),
                         errno == EEXIST ? " (keys are never overwritten)" : "");
  }
  ssize_t w = write(fd, seed, LAT_NKEY_SEED_LEN + 1);
  sodium_memzero(seed, sizeof seed);
  if (close(fd) < 0 || w != LAT_NKEY_SEED_LEN + 1) {
    unlink(path);
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot write %s", path);
  }
  return LAT_OK;
}
