/* crypto unit tests (tests/unit/crypto/), included by test_list.h. */

/* ---- test_crypto_keys.c: encodings, nkeys, xkeys ---- */
TEST(crypto_crc16_vector)
TEST(crypto_base32_vectors)
TEST(crypto_base64url_vectors)
TEST(crypto_sha256_hex_vector)
TEST(crypto_nkey_types)
TEST(crypto_nkey_roundtrip_all_types)
TEST(crypto_nkey_known_vectors)
TEST(crypto_nkey_bad_crc)
TEST(crypto_nkey_bad_forms)
TEST(crypto_nkey_sign_verify)
TEST(crypto_xkey_known_box)
TEST(crypto_xkey_refusals)
