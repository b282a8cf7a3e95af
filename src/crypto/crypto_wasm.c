/* The section walk behind claims: find the claims sections of a module or
 * component and rebuild the binary without them (PROTOCOL.md §6).
 *
 * wascap hashes "the module without its claims": wasmparser walks every
 * payload, each section is re-emitted as id ‖ uleb(size) ‖ bytes
 * (wasm-encoder's RawSection, so sizes come out minimally encoded even if
 * the input padded its LEBs), nested core modules (component section 1) and
 * components (section 4) are stripped recursively and re-emitted with their
 * new size, and every custom section named `jwt` or `wasmcloud_jwt` is
 * dropped at any depth.  This file does the same on the section structure
 * alone: header, ids, sizes, custom-section names.  Section contents are
 * never interpreted, so it does not depend on the engine in src/wasm, and a
 * binary the engine would reject can still be hashed (the engine rejects it
 * later anyway).
 *
 * Every size is checked against what is left before use (lat_reader_t), the
 * nesting depth is capped, and errors carry the byte offset.  Rejected:
 * copying the input and deleting ranges in place (simpler for modules, but
 * a nested module's size prefix changes when its own claims go away, so the
 * rebuild has to be recursive anyway). */
#include <string.h>

#include "crypto_int.h"

static const uint8_t module_header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
static const uint8_t component_header[8] = {0, 'a', 's', 'm', 0x0d, 0, 1, 0};

enum { KIND_ANY, KIND_MODULE, KIND_COMPONENT };

static bool is_claims_name(const uint8_t *name, size_t n) {
  return (n == 3 && !memcmp(name, LAT_CLAIMS_SECTION_LEGACY, 3)) ||
         (n == 13 && !memcmp(name, LAT_CLAIMS_SECTION, 13));
}

static lat_status put_section(lat_buf_t *out, uint8_t id, const uint8_t *p,
                              size_t n) {
  lat_status s;
  if ((s = lat_buf_push(out, id))) return s;
  if ((s = lat_buf_write_uleb(out, n))) return s;
  return lat_buf_append(out, p, n);
}

/* Walks the unit in [start, end) of base.  out may be NULL. */
static lat_status walk(const uint8_t *base, size_t start, size_t end,
                       int kind_want, int depth, lat_buf_t *out,
                       lat__crypto_wasm_scan_t *scan, lat_error_t *err) {
  lat_reader_t r = {base, base + start, base + end};
  const uint8_t *hdr;
  lat_status s;
  if (lat_reader_left(&r) < 8 || memcmp(r.p, module_header, 4) != 0)
    return lat_error_set(err, LAT_EMALFORMED, start,
                         depth ? "nested unit does not start with \\0asm"
                               : "not a WebAssembly binary (no \\0asm magic)");
  if ((s = lat_read_bytes(&r, 8, &hdr, err))) return s;
  bool component;
  if (!memcmp(hdr, module_header, 8)) {
    component = false;
  } else if (!memcmp(hdr, component_header, 8)) {
    component = true;
  } else {
    return lat_error_set(err, LAT_EMALFORMED, start + 4,
                         "unsupported version %02x %02x %02x %02x (want a "
                         "core module, version 1, or a component, 0x0d layer 1)",
                         hdr[4], hdr[5], hdr[6], hdr[7]);
  }
  if ((kind_want == KIND_MODULE && component) ||
      (kind_want == KIND_COMPONENT && !component))
    return lat_error_set(err, LAT_EMALFORMED, start,
                         "nested %s section holds a %s",
                         kind_want == KIND_MODULE ? "core module" : "component",
                         component ? "component" : "core module");
  if (depth == 0) scan->component = component;
  if (out && (s = lat_buf_append(out, hdr, 8))) goto oom;

  uint8_t max_id = component ? 12 : 13;
  while (lat_reader_left(&r) > 0) {
    size_t sec_off = lat_reader_offset(&r);
    uint8_t id;
    uint32_t size;
    const uint8_t *payload;
    if ((s = lat_read_u8(&r, &id, err))) return s;
    if (id > max_id)
      return lat_error_set(err, LAT_EMALFORMED, sec_off,
                           "unknown section id %u in a %s", id,
                           component ? "component" : "core module");
    if ((s = lat_read_u32(&r, &size, err))) return s;
    if (lat_reader_left(&r) < size)
      return lat_error_set(err, LAT_EMALFORMED, lat_reader_offset(&r),
                           "section %u of %u bytes runs past the end (%zu "
                           "left)",
                           id, size, lat_reader_left(&r));
    size_t payload_off = lat_reader_offset(&r);
    if ((s = lat_read_bytes(&r, size, &payload, err))) return s;

    if (id == 0) {
      lat_reader_t nr = {base, payload, payload + size};
      uint32_t nlen;
      const uint8_t *name;
      if ((s = lat_read_u32(&nr, &nlen, err))) return s;
      if ((s = lat_read_bytes(&nr, nlen, &name, err))) return s;
      if (!lat_utf8_valid(name, nlen))
        return lat_error_set(err, LAT_EMALFORMED, payload_off,
                             "custom section name is not UTF-8");
      if (is_claims_name(name, nlen)) {
        if (depth == 0) {
          if (scan->claims_count++ == 0) {
            scan->token_off = lat_reader_offset(&nr);
            scan->token_len = lat_reader_left(&nr);
            scan->claims_offset = sec_off;
          }
          scan->claims_last = lat_reader_left(&r) == 0;
        } else {
          scan->nested_claims++;
        }
        continue; /* stripped */
      }
    } else if (component && (id == 1 || id == 4)) {
      if (depth + 1 > LAT_CRYPTO_WASM_MAX_DEPTH)
        return lat_error_set(err, LAT_EMALFORMED, sec_off,
                             "components nested deeper than %d",
                             LAT_CRYPTO_WASM_MAX_DEPTH);
      lat_buf_t inner;
      lat_buf_init(&inner);
      s = walk(base, payload_off, payload_off + size,
               id == 1 ? KIND_MODULE : KIND_COMPONENT, depth + 1,
               out ? &inner : NULL, scan, err);
      if (!s && out) s = put_section(out, id, inner.data, inner.len);
      lat_buf_fini(&inner);
      if (s == LAT_ENOMEM) goto oom;
      if (s) return s;
      continue;
    }
    if (out && (s = put_section(out, id, payload, size))) goto oom;
  }
  return LAT_OK;
oom:
  return lat_error_set(err, LAT_ENOMEM, SIZE_MAX,
                       "out of memory rebuilding the binary");
}

lat_status lat__crypto_wasm_strip(const uint8_t *data, size_t len,
                                  lat_buf_t *out, lat__crypto_wasm_scan_t *scan,
                                  lat_error_t *err) {
  lat__crypto_wasm_scan_t local;
  if (!scan) scan = &local;
  memset(scan, 0, sizeof *scan);
  if (!data && len)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "no input");
  static const uint8_t empty = 0;
  return walk(data ? data : &empty, 0, len, KIND_ANY, 0, out, scan, err);
}

lat_status lat__crypto_wasm_append_custom(lat_buf_t *b, const char *name,
                                          const void *data, size_t len) {
  size_t nlen = strlen(name), uleb_len = 1, total;
  for (size_t v = nlen; v >= 0x80; v >>= 7) uleb_len++;
  if (!lat_add_size(uleb_len + nlen, len, &total) || total > UINT32_MAX)
    return LAT_ELIMIT;
  lat_status s;
  if ((s = lat_buf_push(b, 0))) return s;
  if ((s = lat_buf_write_uleb(b, total))) return s;
  if ((s = lat_buf_write_uleb(b, nlen))) return s;
  if ((s = lat_buf_append(b, name, nlen))) return s;
  return lat_buf_append(b, data, len);
}
