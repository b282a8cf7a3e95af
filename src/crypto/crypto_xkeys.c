/* xkeys: sealed boxes between two curve (X25519) nkeys, the format of Go
 * nkeys' xkeys.go and the Rust crate's xkeys.rs (PROTOCOL.md §7.3):
 *
 *   "xkv1" ‖ nonce[24] ‖ crypto_box_easy(msg)   (tag first, then ciphertext)
 *
 * crypto_box_easy is NaCl's box (X25519 + HSalsa20 → XSalsa20-Poly1305),
 * byte-compatible with Go's nacl/box.Seal and tweetnacl's box, which
 * @nats-io/nkeys uses.  The nonce is random per message.  Opening needs the
 * recipient's private key and the sender's public key; the box authenticates
 * the sender.  Inputs of at most 4+24 bytes are rejected as the reference
 * implementations do (there is not even a tag). */
#include <sodium.h>
#include <string.h>

#include "crypto_int.h"

static lat_status check_curve(const lat_nkey_t *k, const char *role,
                              bool need_seed, lat_error_t *err) {
  if (k->type != LAT_NKEY_CURVE)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "%s must be a curve (X) key, not a %s key", role,
                         lat_nkey_type_name(k->type));
  if (need_seed && !k->has_seed)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "%s needs its seed (SX...), not only its public key",
                         role);
  return LAT_OK;
}

lat_status lat_xkey_seal_nonce(const lat_nkey_t *sender,
                               const lat_nkey_t *recipient,
                               const uint8_t nonce[LAT_XKEY_NONCE_LEN],
                               const void *msg, size_t len, lat_buf_t *out,
                               lat_error_t *err) {
  lat_status s;
  if ((s = check_curve(sender, "sender", true, err))) return s;
  if ((s = check_curve(recipient, "recipient", false, err))) return s;
  if (!lat__crypto_ready())
    return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX,
                         "libsodium failed to initialise");
  size_t total;
  if (!lat_add_size(len, LAT_XKEY_OVERHEAD, &total))
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "message too large");
  if ((s = lat_buf_reserve(out, total)))
    return lat_error_set(err, s, SIZE_MAX, "out of memory sealing %zu bytes", len);
  uint8_t *p = out->data + out->len;
  memcpy(p, LAT_XKEY_VERSION, 4);
  memcpy(p + 4, nonce, LAT_XKEY_NONCE_LEN);
  if (crypto_box_easy(p + 4 + LAT_XKEY_NONCE_LEN, msg, len, nonce,
                      recipient->public_key, sender->seed) != 0)
    return lat_error_set(err, LAT_EINVALID, SIZE_MAX,
                         "cannot seal to this recipient (degenerate key)");
  out->len += total;
  return LAT_OK;
}

lat_status lat_xkey_seal(const lat_nkey_t *sender, const lat_nkey_t *recipient,
                         const void *msg, size_t len, lat_buf_t *out,
                         lat_error_t *err) {
  if (!lat__crypto_ready())
    return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX,
                         "libsodium failed to initialise");
  uint8_t nonce[LAT_XKEY_NONCE_LEN];
  randombytes_buf(nonce, sizeof nonce);
  return lat_xkey_seal_nonce(sender, recipient, nonce, msg, len, out, err);
}

lat_status lat_xkey_open(const lat_nkey_t *recipient, const lat_nkey_t *sender,
                         const void *sealed, size_t len, lat_buf_t *out,
                         lat_error_t *err) {
  lat_status s;
  if ((s = check_curve(recipient, "recipient", true, err))) return s;
  if ((s = check_curve(sender, "sender", false, err))) return s;
  const uint8_t *in = sealed;
  if (len <= 4 + LAT_XKEY_NONCE_LEN)
    return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                         "sealed message too short (%zu bytes)", len);
  if (memcmp(in, LAT_XKEY_VERSION, 4) != 0)
    return lat_error_set(err, LAT_EMALFORMED, 0,
                         "sealed message does not start with \"xkv1\"");
  size_t clen = len - 4 - LAT_XKEY_NONCE_LEN;
  if (clen < crypto_box_MACBYTES)
    return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                         "sealed message too short for its tag");
  if (!lat__crypto_ready())
    return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX,
                         "libsodium failed to initialise");
  size_t mlen = clen - crypto_box_MACBYTES;
  /* reserve at least one byte so data is never NULL for an empty message */
  if ((s = lat_buf_reserve(out, mlen ? mlen : 1)))
    return lat_error_set(err, s, SIZE_MAX, "out of memory opening %zu bytes", len);
  if (crypto_box_open_easy(out->data + out->len, in + 4 + LAT_XKEY_NONCE_LEN,
                           clen, in + 4, sender->public_key,
                           recipient->seed) != 0) {
    sodium_memzero(out->data + out->len, mlen);
    return lat_error_set(err, LAT_EINVALID, SIZE_MAX,
                         "sealed message does not open: wrong keys or "
                         "tampered bytes");
  }
  out->len += mlen;
  return LAT_OK;
}
