/* crypto: identities and signed artifacts (PROTOCOL.md §6, §7).
 *
 *   nkeys    Ed25519 (and X25519 "curve") key pairs in the NATS/wascap text
 *            form: base32 of prefix ‖ key ‖ crc16.  A/C/M/N/O/U/V/X.
 *   xkeys    the "xkv1" sealed box between two curve keys.
 *   JWTs     header.claims.signature, Ed25519 by the issuer's nkey over the
 *            ASCII `header.claims`; wascap ("Ed25519") and NATS v2
 *            ("ed25519-nkey") flavours.
 *   claims   wascap claims embedded in a module or component as a
 *            `wasmcloud_jwt` custom section; sign, extract, verify.
 *
 * libsodium does every primitive; jansson parses and writes claims JSON but
 * never appears in this header.  Nothing here keeps global state.
 *
 * Failures return a lat_status with detail in lat_error_t.  Verification
 * failures also report a lat_crypto_reason, so a caller (the host, the CLI)
 * can branch on *why* a token or a binary was refused without reading text:
 *   LAT_EMALFORMED  the input cannot be decoded (bad base32/base64/JSON/wasm)
 *   LAT_EINVALID    it decodes but does not verify (signature, times, hash,
 *                   key types, allow-list)
 *   LAT_ENOTFOUND   there are no claims to verify (unsigned binary)
 *   LAT_EARG        the caller passed something unusable (wrong key kind)
 *
 * Memory: every pointer argument is borrowed for the duration of the call
 * unless stated.  Structs ending in _t with init/fini live in the caller's
 * storage; their string fields are owned by the struct and freed by fini.
 * Secret material is wiped with sodium_memzero by every fini. */
#ifndef LAT_CRYPTO_H
#define LAT_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/base.h"

/* ---- why a token or binary was refused ----------------------------------- */

#define LAT_CRYPTO_REASON_LIST(X)                                              \
  X(LAT_CR_OK, "accepted")                                                     \
  X(LAT_CR_UNSIGNED, "not signed: no claims section")                          \
  X(LAT_CR_WASM_MALFORMED, "not a well-formed module or component")            \
  X(LAT_CR_CLAIMS_DUPLICATE, "more than one claims section")                   \
  X(LAT_CR_CLAIMS_MISPLACED, "claims section is not the last section")         \
  X(LAT_CR_TOKEN_SEGMENTS, "token does not have three segments")               \
  X(LAT_CR_TOKEN_BASE64, "token segment is not base64url")                     \
  X(LAT_CR_TOKEN_JSON, "token header or claims are not valid JSON")            \
  X(LAT_CR_TOKEN_TYPE, "token header typ is not jwt")                          \
  X(LAT_CR_TOKEN_ALG, "token algorithm is not accepted")                       \
  X(LAT_CR_SIG_LENGTH, "signature is not 64 bytes")                            \
  X(LAT_CR_SIG_INVALID, "signature does not verify")                           \
  X(LAT_CR_KEY_INVALID, "issuer or subject is not a valid nkey")               \
  X(LAT_CR_ISSUER_TYPE, "issuer has the wrong key type")                       \
  X(LAT_CR_SUBJECT_TYPE, "subject has the wrong key type")                     \
  X(LAT_CR_MISSING_CLAIM, "a required claim is missing or mistyped")           \
  X(LAT_CR_EXPIRED, "token has expired")                                       \
  X(LAT_CR_NOT_YET_VALID, "token is not valid yet")                            \
  X(LAT_CR_ISSUED_IN_FUTURE, "token was issued in the future")               \
  X(LAT_CR_HASH_MISMATCH, "module hash does not match the claims")             \
  X(LAT_CR_ISSUER_NOT_ALLOWED, "issuer is not on the allow-list")

typedef enum {
#define LAT_X_ENUM(code, msg) code,
  LAT_CRYPTO_REASON_LIST(LAT_X_ENUM)
#undef LAT_X_ENUM
      LAT_CR_COUNT
} lat_crypto_reason;

/* Static strings: "LAT_CR_EXPIRED" and "token has expired". */
const char *lat_crypto_reason_name(lat_crypto_reason r);
const char *lat_crypto_reason_message(lat_crypto_reason r);

/* ---- nkeys --------------------------------------------------------------- */

/* The value is the prefix byte (n << 3, n = index of the letter in the
 * base32 alphabet). */
typedef enum {
  LAT_NKEY_ACCOUNT = 0,    /* A: issuer of components and providers */
  LAT_NKEY_CLUSTER = 16,   /* C */
  LAT_NKEY_MODULE = 96,    /* M: component subject (wascap only) */
  LAT_NKEY_SERVER = 104,   /* N: host identity */
  LAT_NKEY_OPERATOR = 112, /* O */
  LAT_NKEY_USER = 160,     /* U: NATS users */
  LAT_NKEY_SERVICE = 168,  /* V: provider subject (wascap only) */
  LAT_NKEY_CURVE = 184,    /* X: X25519, for sealed boxes; cannot sign */
} lat_nkey_type;

#define LAT_NKEY_PUBLIC_LEN 56 /* characters of an encoded public key */
#define LAT_NKEY_SEED_LEN 58   /* characters of an encoded seed */
#define LAT_NKEY_SIG_LEN 64

/* A key pair, or a public key alone (has_seed false).  Caller's storage;
 * lat_nkey_fini wipes it. */
typedef struct {
  lat_nkey_type type;
  bool has_seed;
  uint8_t public_key[32];
  uint8_t seed[32];   /* secret: Ed25519 seed, or the X25519 private key */
  uint8_t secret[64]; /* secret: libsodium's Ed25519 secret key (unused for X) */
} lat_nkey_t;

/* "account", "cluster", "module", "server", "operator", "user", "service",
 * "curve"; "unknown" for anything else. */
const char *lat_nkey_type_name(lat_nkey_type t);
/* 'A', 'C', 'M', ...; '?' for anything else. */
char lat_nkey_type_letter(lat_nkey_type t);
/* True when prefix is one of the types above. */
bool lat_nkey_type_valid(int prefix);
/* Parses a type as users say it, case-insensitively: the names above plus
 * wash's aliases component (module), provider (service), host (server) and
 * x25519 (curve).  False when unknown. */
bool lat_nkey_type_parse(const char *name, lat_nkey_type *out);

/* Wipes k.  Accepts NULL. */
void lat_nkey_fini(lat_nkey_t *k);

/* A fresh key pair of type t from the system RNG. */
lat_status lat_nkey_generate(lat_nkey_type t, lat_nkey_t *out, lat_error_t *err);
/* The key pair for a raw 32-byte seed (Ed25519 seed or X25519 private key). */
lat_status lat_nkey_from_raw_seed(lat_nkey_type t, const uint8_t seed[32],
                                  lat_nkey_t *out, lat_error_t *err);
/* Decodes an encoded seed ("SA…", 58 characters, exact: no whitespace) into
 * a key pair.  LAT_EMALFORMED with the reason in err on a bad length,
 * alphabet, checksum or prefix. */
lat_status lat_nkey_from_seed(const char *s, size_t len, lat_nkey_t *out,
                              lat_error_t *err);
/* Decodes an encoded public key ("A…", 56 characters) into a public-only
 * lat_nkey_t. */
lat_status lat_nkey_from_public(const char *s, size_t len, lat_nkey_t *out,
                                lat_error_t *err);

/* Lower-level decoders: type and raw key bytes.  out_seed is secret. */
lat_status lat_nkey_decode_public(const char *s, size_t len,
                                  lat_nkey_type *out_type, uint8_t out_key[32],
                                  lat_error_t *err);
lat_status lat_nkey_decode_seed(const char *s, size_t len,
                                lat_nkey_type *out_type, uint8_t out_seed[32],
                                lat_error_t *err);
/* Encoders; out is NUL-terminated.  t must be a valid type. */
void lat_nkey_encode_public(lat_nkey_type t, const uint8_t key[32],
                            char out[LAT_NKEY_PUBLIC_LEN + 1]);
void lat_nkey_encode_seed(lat_nkey_type t, const uint8_t seed[32],
                          char out[LAT_NKEY_SEED_LEN + 1]);

/* k's public key / seed as text.  seed_string fails (LAT_EARG) without a
 * seed; its output is secret: wipe it. */
void lat_nkey_public_string(const lat_nkey_t *k,
                            char out[LAT_NKEY_PUBLIC_LEN + 1]);
lat_status lat_nkey_seed_string(const lat_nkey_t *k,
                                char out[LAT_NKEY_SEED_LEN + 1],
                                lat_error_t *err);

/* Ed25519 signature of msg.  LAT_EARG for a curve key or no seed. */
lat_status lat_nkey_sign(const lat_nkey_t *k, const void *msg, size_t len,
                         uint8_t out_sig[LAT_NKEY_SIG_LEN], lat_error_t *err);
/* LAT_OK when sig is k's signature of msg; LAT_EMALFORMED when sig is not
 * 64 bytes; LAT_EINVALID when it does not verify; LAT_EARG for a curve key. */
lat_status lat_nkey_verify(const lat_nkey_t *k, const void *msg, size_t len,
                           const uint8_t *sig, size_t sig_len, lat_error_t *err);

/* ---- xkeys: sealed boxes between curve keys ------------------------------ */

#define LAT_XKEY_VERSION "xkv1"
#define LAT_XKEY_NONCE_LEN 24
#define LAT_XKEY_OVERHEAD (4 + 24 + 16) /* version, nonce, Poly1305 tag */

/* Appends "xkv1" ‖ nonce ‖ crypto_box(msg) to out.  sender needs its seed;
 * recipient may be public-only; both must be curve keys. */
lat_status lat_xkey_seal(const lat_nkey_t *sender, const lat_nkey_t *recipient,
                         const void *msg, size_t len, lat_buf_t *out,
                         lat_error_t *err);
/* As lat_xkey_seal with a caller-chosen nonce (tests; never reuse one). */
lat_status lat_xkey_seal_nonce(const lat_nkey_t *sender,
                               const lat_nkey_t *recipient,
                               const uint8_t nonce[LAT_XKEY_NONCE_LEN],
                               const void *msg, size_t len, lat_buf_t *out,
                               lat_error_t *err);
/* Appends the plaintext to out (it may be secret: wipe it after use).
 * LAT_EMALFORMED for a short input or a wrong version; LAT_EINVALID when
 * the box does not open (wrong keys, tampered bytes). */
lat_status lat_xkey_open(const lat_nkey_t *recipient, const lat_nkey_t *sender,
                         const void *sealed, size_t len, lat_buf_t *out,
                         lat_error_t *err);

/* ---- JWTs ------------------------------------------------------------------ */

typedef enum {
  LAT_JWT_ALG_WASCAP = 1, /* "Ed25519": wascap tokens */
  LAT_JWT_ALG_NKEY = 2,   /* "ed25519-nkey": NATS v2 tokens */
} lat_jwt_alg;

/* Verification options.  A zeroed struct means: now from the clock, no
 * skew allowance, both algorithms. */
typedef struct {
  int64_t now;       /* unix seconds; 0 reads the clock */
  uint32_t skew;     /* seconds of clock difference tolerated for exp/nbf */
  unsigned algs;     /* set of lat_jwt_alg bits; 0 accepts both */
} lat_jwt_opts_t;

/* A decoded token whose signature has been checked. */
typedef struct {
  lat_jwt_alg alg;
  char *iss;           /* issuer public key (always a valid nkey) */
  char *sub;           /* subject (may be any non-empty string) */
  char *jti;           /* NULL when absent */
  char *name;          /* NULL when absent */
  lat_nkey_type iss_type;
  bool sub_is_nkey;    /* sub decoded as a public nkey */
  lat_nkey_type sub_type; /* valid when sub_is_nkey */
  bool has_iat, has_exp, has_nbf;
  int64_t iat, exp, nbf; /* unix seconds */
  char *claims_json;   /* the decoded claims segment, NUL-terminated */
  size_t claims_len;
} lat_jwt_t;

void lat_jwt_init(lat_jwt_t *j);
void lat_jwt_fini(lat_jwt_t *j); /* accepts NULL */

/* Decodes token[0..len) and verifies its signature with the issuer key named
 * in it (no time checks).  On failure *out_reason (may be NULL) says why and
 * out is left empty. */
lat_status lat_jwt_decode(const char *token, size_t len,
                          const lat_jwt_opts_t *opts, lat_jwt_t *out,
                          lat_crypto_reason *out_reason, lat_error_t *err);
/* exp, nbf and iat against opts->now, with opts->skew of allowance: a token
 * issued (iat) later than now + skew was made by a clock that is wrong, or
 * is being replayed from one, and is refused like one not yet valid. */
lat_status lat_jwt_check_times(const lat_jwt_t *j, const lat_jwt_opts_t *opts,
                               lat_crypto_reason *out_reason, lat_error_t *err);
/* decode + check_times. */
lat_status lat_jwt_verify(const char *token, size_t len,
                          const lat_jwt_opts_t *opts, lat_jwt_t *out,
                          lat_crypto_reason *out_reason, lat_error_t *err);
/* Signs claims_json (a JSON object, used verbatim) as a token of algorithm
 * alg.  The object's "iss" must be the issuer's public key (LAT_EARG
 * otherwise).  Returns new in *out_token (free with lat_free). */
lat_status lat_jwt_encode(lat_jwt_alg alg, const char *claims_json, size_t len,
                          const lat_nkey_t *issuer, char **out_token,
                          lat_error_t *err);

/* ---- wascap claims --------------------------------------------------------- */

#define LAT_CLAIMS_SECTION "wasmcloud_jwt"
#define LAT_CLAIMS_SECTION_LEGACY "jwt"
#define LAT_CLAIMS_REVISION 3 /* wascap_revision written by lat_claims_sign */

/* Decoded claims of a component (subject M) or a provider (subject V). */
typedef struct {
  lat_jwt_t jwt;         /* iss, sub, times, raw claims JSON */
  char *token;           /* the JWT text */
  bool provider;         /* CapabilityProvider claims (subject V) */
  char *name;            /* NULL when absent (both) */
  char *hash;            /* component: uppercase hex SHA-256 */
  char **tags;           /* component */
  size_t tag_count;
  bool has_rev;
  int32_t rev;
  char *ver;             /* NULL when absent */
  char *call_alias;      /* component, NULL when absent */
  bool prov;             /* component: the "prov" flag */
  char *vendor;          /* provider */
  char **target_keys;    /* provider: target triple (or "world.wasm") */
  char **target_hashes;  /* provider: uppercase hex SHA-256, same index */
  size_t target_count;
  char *config_schema;   /* provider: JSON text, NULL when absent */
  bool has_wascap_revision;
  uint32_t wascap_revision;
} lat_claims_t;

void lat_claims_init(lat_claims_t *c);
void lat_claims_fini(lat_claims_t *c); /* accepts NULL */

/* What to put in a component's claims. */
typedef struct {
  const char *name;           /* required */
  const char *ver;            /* NULL: none */
  bool has_rev;
  int32_t rev;
  const char *const *tags;
  size_t tag_count;
  const char *call_alias;     /* NULL: none; normalised as wascap does */
  bool prov;
  int64_t expires;            /* unix seconds; 0: never */
  int64_t not_before;         /* unix seconds; 0: immediately */
  int64_t now;                /* iat; 0 reads the clock */
} lat_claims_sign_opts_t;

/* Signs a module or component: removes any claims sections (nested ones
 * too), hashes the rest, and appends a `wasmcloud_jwt` section whose token
 * the issuer (an account key with its seed) signs for subject (a module key;
 * public-only is enough).  Appends the signed binary to out. */
lat_status lat_claims_sign(const uint8_t *wasm, size_t len,
                           const lat_claims_sign_opts_t *opts,
                           const lat_nkey_t *issuer, const lat_nkey_t *subject,
                           lat_buf_t *out, lat_error_t *err);

/* Reads and verifies a binary's claims: exactly one top-level claims section
 * (named wasmcloud_jwt or jwt), last in the binary; a wascap token signed by
 * an account key for a module key; times valid under opts; and the hash of
 * the binary without its claims sections equal to the token's.  LAT_OK
 * fills out.  LAT_ENOTFOUND (reason LAT_CR_UNSIGNED) when there is no
 * claims section. */
lat_status lat_claims_extract(const uint8_t *wasm, size_t len,
                              const lat_jwt_opts_t *opts, lat_claims_t *out,
                              lat_crypto_reason *out_reason, lat_error_t *err);

/* The host's admission check. */
typedef struct {
  const char *const *allowed_issuers; /* account public keys; NULL/0 = any */
  size_t allowed_count;
  bool require_signed; /* refuse unsigned binaries (implied by an allow-list) */
  lat_jwt_opts_t time; /* clock and skew */
} lat_claims_policy_t;

/* lat_claims_extract plus the policy.  Returns LAT_OK with reason LAT_CR_OK
 * and the claims, or LAT_OK with reason LAT_CR_UNSIGNED and out->token NULL
 * for an unsigned binary the policy lets run, or an error status with the
 * precise reason and a message in err. */
lat_status lat_claims_verify(const uint8_t *wasm, size_t len,
                             const lat_claims_policy_t *policy,
                             lat_claims_t *out, lat_crypto_reason *out_reason,
                             lat_error_t *err);

/* What to put in a provider's claims (PROTOCOL.md §6: CapabilityProvider). */
typedef struct {
  const char *name;                  /* NULL: none */
  const char *vendor;                /* required */
  bool has_rev;
  int32_t rev;
  const char *ver;                   /* NULL: none */
  const char *const *target_keys;    /* target triple → hash */
  const char *const *target_hashes;
  size_t target_count;
  const char *config_schema;         /* JSON text or NULL */
  int64_t expires, not_before, now;  /* as lat_claims_sign_opts_t */
} lat_claims_provider_opts_t;

/* A provider's claims token, signed by issuer (account) for subject
 * (service key).  Returns new in *out_token (free with lat_free). */
lat_status lat_claims_encode_provider(const lat_claims_provider_opts_t *opts,
                                      const lat_nkey_t *issuer,
                                      const lat_nkey_t *subject,
                                      char **out_token, lat_error_t *err);
/* Decodes and verifies a wascap token on its own (component or provider
 * claims, told apart by the subject's key type), with time checks; no hash
 * check (there is no binary). */
lat_status lat_claims_decode_token(const char *token, size_t len,
                                   const lat_jwt_opts_t *opts,
                                   lat_claims_t *out,
                                   lat_crypto_reason *out_reason,
                                   lat_error_t *err);

/* The wascap hash of a binary: uppercase hex SHA-256 of the binary with
 * every claims section removed, nested modules and components included. */
lat_status lat_claims_hash(const uint8_t *wasm, size_t len, char out_hex[65],
                           lat_error_t *err);
/* Appends the binary without its claims sections to out. */
lat_status lat_claims_strip(const uint8_t *wasm, size_t len, lat_buf_t *out,
                            lat_error_t *err);

/* ---- key files (crypto_keystore.c) ------------------------------------------ */

#define LAT_KEYSTORE_EXT ".nk"
/* The keys directory: flag when set, else $LATTICE_KEYS, else
 * ~/.lattice/keys (written into buf, which may be returned). */
const char *lat_keystore_dir(const char *flag, char *buf, size_t cap);
/* A seed given as text (S...) or as the path of a file holding one.  A
 * public key is refused with a message saying a seed is needed. */
lat_status lat_nkey_load(const char *arg, lat_nkey_t *out, lat_error_t *err);
/* Saves k's seed as <dir>/<name>.nk (0600, never overwriting; the
 * directory made 0700 when missing); the path written goes to path. */
lat_status lat_keystore_save(const char *dir, const char *name, const lat_nkey_t *k,
                             char *path, size_t cap, lat_error_t *err);

#endif
