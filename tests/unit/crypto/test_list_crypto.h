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

/* ---- test_crypto_jwt.c: JWT encode/decode/verify and refusals ---- */
TEST(crypto_jwt_roundtrip)
TEST(crypto_jwt_times)
TEST(crypto_jwt_refusals_structure)
TEST(crypto_jwt_refusals_header)
TEST(crypto_jwt_refusals_signature)
TEST(crypto_jwt_refusals_issuer)
TEST(crypto_jwt_alloc_failures)

/* ---- test_crypto_claims.c: embedded claims, hashing, host policy ---- */
TEST(crypto_claims_sign_extract_module)
TEST(crypto_claims_component_nested)
TEST(crypto_claims_hash_minimal_leb)
TEST(crypto_claims_refuse_unsigned_and_tampered)
TEST(crypto_claims_refuse_section_games)
TEST(crypto_claims_refuse_key_types)
TEST(crypto_claims_refuse_times_alg_fields)
TEST(crypto_claims_verify_policy)
TEST(crypto_claims_provider_token)
TEST(crypto_claims_alloc_failures)
