/* Status names and messages (generated from LAT_STATUS_LIST) and the error
 * detail helpers.  Messages are truncated to fit lat_error_t.msg. */
#include <stdio.h>
#include <string.h>

#include "base.h"

static const char *const names[] = {
#define LAT_X_NAME(code, msg) #code,
    LAT_STATUS_LIST(LAT_X_NAME)
#undef LAT_X_NAME
};
static const char *const messages[] = {
#define LAT_X_MSG(code, msg) msg,
    LAT_STATUS_LIST(LAT_X_MSG)
#undef LAT_X_MSG
};

const char *lat_status_name(lat_status s) {
  return (unsigned)s < LAT_STATUS_COUNT ? names[s] : "LAT_UNKNOWN";
}

const char *lat_status_message(lat_status s) {
  return (unsigned)s < LAT_STATUS_COUNT ? messages[s] : "unknown status";
}

lat_status lat_error_vset(lat_error_t *err, lat_status code, size_t offset,
                          const char *fmt, va_list ap) {
  if (err) {
    err->code = code;
    err->offset = offset;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  }
  return code;
}

lat_status lat_error_set(lat_error_t *err, lat_status code, size_t offset,
                         const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lat_error_vset(err, code, offset, fmt, ap);
  va_end(ap);
  return code;
}

void lat_error_clear(lat_error_t *err) {
  if (err) {
    err->code = LAT_OK;
    err->offset = SIZE_MAX;
    err->msg[0] = '\0';
  }
}
