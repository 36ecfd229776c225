#include "suites.h"

#include <string.h>

#define SHA256 &nettle_sha256
#define SHA384 &nettle_sha384

/* RFC 8446 B.4, RFC 5288, RFC 5289, RFC 7905, RFC 6655, RFC 7251, RFC 6367, RFC 5932. */
static const mt_suite rows[] = {
    {0x1301, "TLS_AES_128_GCM_SHA256", MT_KX_TLS13, MT_AUTH_TLS13, &mt_aead_aes128_gcm, SHA256,
     MT_TLS13, MT_TLS13, NULL, NULL},
    {0x1302, "TLS_AES_256_GCM_SHA384", MT_KX_TLS13, MT_AUTH_TLS13, &mt_aead_aes256_gcm, SHA384,
     MT_TLS13, MT_TLS13, NULL, NULL},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256", MT_KX_TLS13, MT_AUTH_TLS13, &mt_aead_chacha20_poly1305,
     SHA256, MT_TLS13, MT_TLS13, NULL, NULL},
    {0x1304, "TLS_AES_128_CCM_SHA256", MT_KX_TLS13, MT_AUTH_TLS13, &mt_aead_aes128_ccm, SHA256,
     MT_TLS13, MT_TLS13, NULL, NULL},
    {0x1305, "TLS_AES_128_CCM_8_SHA256", MT_KX_TLS13, MT_AUTH_TLS13, &mt_aead_aes128_ccm8, SHA256,
     MT_TLS13, MT_TLS13, NULL, NULL},

    {0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", MT_KX_ECDHE, MT_AUTH_ECDSA,
     &mt_aead_aes128_gcm, SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", MT_KX_ECDHE, MT_AUTH_ECDSA,
     &mt_aead_aes256_gcm, SHA384, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", MT_KX_ECDHE, MT_AUTH_ECDSA,
     &mt_aead_chacha20_poly1305, SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", MT_KX_ECDHE, MT_AUTH_ECDSA, &mt_aead_aes128_ccm,
     SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", MT_KX_ECDHE, MT_AUTH_ECDSA, &mt_aead_aes256_ccm,
     SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", MT_KX_ECDHE, MT_AUTH_ECDSA, &mt_aead_aes128_ccm8,
     SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", MT_KX_ECDHE, MT_AUTH_ECDSA, &mt_aead_aes256_ccm8,
     SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256", MT_KX_ECDHE, MT_AUTH_ECDSA,
     &mt_aead_camellia128_gcm, SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384", MT_KX_ECDHE, MT_AUTH_ECDSA,
     &mt_aead_camellia256_gcm, SHA384, MT_TLS12, MT_TLS12, NULL, NULL},

    {0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", MT_KX_ECDHE, MT_AUTH_RSA, &mt_aead_aes128_gcm,
     SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", MT_KX_ECDHE, MT_AUTH_RSA, &mt_aead_aes256_gcm,
     SHA384, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", MT_KX_ECDHE, MT_AUTH_RSA,
     &mt_aead_chacha20_poly1305, SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc08a, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", MT_KX_ECDHE, MT_AUTH_RSA,
     &mt_aead_camellia128_gcm, SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc08b, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", MT_KX_ECDHE, MT_AUTH_RSA,
     &mt_aead_camellia256_gcm, SHA384, MT_TLS12, MT_TLS12, NULL, NULL},

    {0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", MT_KX_DHE, MT_AUTH_RSA, &mt_aead_aes128_gcm,
     SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", MT_KX_DHE, MT_AUTH_RSA, &mt_aead_aes256_gcm,
     SHA384, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", MT_KX_DHE, MT_AUTH_RSA,
     &mt_aead_chacha20_poly1305, SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM", MT_KX_DHE, MT_AUTH_RSA, &mt_aead_aes128_ccm, SHA256,
     MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM", MT_KX_DHE, MT_AUTH_RSA, &mt_aead_aes256_ccm, SHA256,
     MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", MT_KX_DHE, MT_AUTH_RSA, &mt_aead_aes128_ccm8, SHA256,
     MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", MT_KX_DHE, MT_AUTH_RSA, &mt_aead_aes256_ccm8, SHA256,
     MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc07c, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", MT_KX_DHE, MT_AUTH_RSA,
     &mt_aead_camellia128_gcm, SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc07d, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", MT_KX_DHE, MT_AUTH_RSA,
     &mt_aead_camellia256_gcm, SHA384, MT_TLS12, MT_TLS12, NULL, NULL},

    {0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", MT_KX_RSA, MT_AUTH_RSA, &mt_aead_aes128_gcm, SHA256,
     MT_TLS12, MT_TLS12, NULL, NULL},
    {0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", MT_KX_RSA, MT_AUTH_RSA, &mt_aead_aes256_gcm, SHA384,
     MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc09c, "TLS_RSA_WITH_AES_128_CCM", MT_KX_RSA, MT_AUTH_RSA, &mt_aead_aes128_ccm, SHA256,
     MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc09d, "TLS_RSA_WITH_AES_256_CCM", MT_KX_RSA, MT_AUTH_RSA, &mt_aead_aes256_ccm, SHA256,
     MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8", MT_KX_RSA, MT_AUTH_RSA, &mt_aead_aes128_ccm8, SHA256,
     MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8", MT_KX_RSA, MT_AUTH_RSA, &mt_aead_aes256_ccm8, SHA256,
     MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc07a, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256", MT_KX_RSA, MT_AUTH_RSA,
     &mt_aead_camellia128_gcm, SHA256, MT_TLS12, MT_TLS12, NULL, NULL},
    {0xc07b, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384", MT_KX_RSA, MT_AUTH_RSA,
     &mt_aead_camellia256_gcm, SHA384, MT_TLS12, MT_TLS12, NULL, NULL},
    /* CBC with HMAC (RFC 5246 6.2.3.2; RFC 4492 6, RFC 5289 3.2, RFC 6367 2.1, RFC 5246 A.5,
     * RFC 5932 3). The _SHA suites keep the TLS 1.2 PRF with SHA-256 (RFC 5246 5). */
    {0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", MT_KX_ECDHE, MT_AUTH_ECDSA, NULL, SHA256,
     MT_TLS10, MT_TLS12, &mt_cbc_aes128, &mt_cbc_hmac_sha1},
    {0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", MT_KX_ECDHE, MT_AUTH_ECDSA, NULL, SHA256,
     MT_TLS10, MT_TLS12, &mt_cbc_aes256, &mt_cbc_hmac_sha1},
    {0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", MT_KX_ECDHE, MT_AUTH_ECDSA, NULL, SHA256,
     MT_TLS12, MT_TLS12, &mt_cbc_aes128, &mt_cbc_hmac_sha256},
    {0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", MT_KX_ECDHE, MT_AUTH_ECDSA, NULL, SHA384,
     MT_TLS12, MT_TLS12, &mt_cbc_aes256, &mt_cbc_hmac_sha384},
    {0xc072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", MT_KX_ECDHE, MT_AUTH_ECDSA, NULL,
     SHA256, MT_TLS10, MT_TLS12, &mt_cbc_camellia128, &mt_cbc_hmac_sha256},
    {0xc073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", MT_KX_ECDHE, MT_AUTH_ECDSA, NULL,
     SHA384, MT_TLS10, MT_TLS12, &mt_cbc_camellia256, &mt_cbc_hmac_sha384},

    {0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", MT_KX_ECDHE, MT_AUTH_RSA, NULL, SHA256, MT_TLS10,
     MT_TLS12, &mt_cbc_aes128, &mt_cbc_hmac_sha1},
    {0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", MT_KX_ECDHE, MT_AUTH_RSA, NULL, SHA256, MT_TLS10,
     MT_TLS12, &mt_cbc_aes256, &mt_cbc_hmac_sha1},
    {0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", MT_KX_ECDHE, MT_AUTH_RSA, NULL, SHA256,
     MT_TLS12, MT_TLS12, &mt_cbc_aes128, &mt_cbc_hmac_sha256},
    {0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", MT_KX_ECDHE, MT_AUTH_RSA, NULL, SHA384,
     MT_TLS12, MT_TLS12, &mt_cbc_aes256, &mt_cbc_hmac_sha384},
    {0xc076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", MT_KX_ECDHE, MT_AUTH_RSA, NULL, SHA256,
     MT_TLS10, MT_TLS12, &mt_cbc_camellia128, &mt_cbc_hmac_sha256},
    {0xc077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", MT_KX_ECDHE, MT_AUTH_RSA, NULL, SHA384,
     MT_TLS10, MT_TLS12, &mt_cbc_camellia256, &mt_cbc_hmac_sha384},

    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", MT_KX_DHE, MT_AUTH_RSA, NULL, SHA256, MT_TLS10,
     MT_TLS12, &mt_cbc_aes128, &mt_cbc_hmac_sha1},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", MT_KX_DHE, MT_AUTH_RSA, NULL, SHA256, MT_TLS10,
     MT_TLS12, &mt_cbc_aes256, &mt_cbc_hmac_sha1},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", MT_KX_DHE, MT_AUTH_RSA, NULL, SHA256, MT_TLS12,
     MT_TLS12, &mt_cbc_aes128, &mt_cbc_hmac_sha256},
    {0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", MT_KX_DHE, MT_AUTH_RSA, NULL, SHA256, MT_TLS12,
     MT_TLS12, &mt_cbc_aes256, &mt_cbc_hmac_sha256},
    {0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", MT_KX_DHE, MT_AUTH_RSA, NULL, SHA256,
     MT_TLS10, MT_TLS12, &mt_cbc_camellia128, &mt_cbc_hmac_sha1},
    {0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", MT_KX_DHE, MT_AUTH_RSA, NULL, SHA256,
     MT_TLS10, MT_TLS12, &mt_cbc_camellia256, &mt_cbc_hmac_sha1},
    {0x00be, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", MT_KX_DHE, MT_AUTH_RSA, NULL, SHA256,
     MT_TLS12, MT_TLS12, &mt_cbc_camellia128, &mt_cbc_hmac_sha256},
    {0x00c4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256", MT_KX_DHE, MT_AUTH_RSA, NULL, SHA256,
     MT_TLS12, MT_TLS12, &mt_cbc_camellia256, &mt_cbc_hmac_sha256},

    {0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", MT_KX_RSA, MT_AUTH_RSA, NULL, SHA256, MT_TLS10,
     MT_TLS12, &mt_cbc_aes128, &mt_cbc_hmac_sha1},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", MT_KX_RSA, MT_AUTH_RSA, NULL, SHA256, MT_TLS10,
     MT_TLS12, &mt_cbc_aes256, &mt_cbc_hmac_sha1},
    {0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", MT_KX_RSA, MT_AUTH_RSA, NULL, SHA256, MT_TLS12,
     MT_TLS12, &mt_cbc_aes128, &mt_cbc_hmac_sha256},
    {0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", MT_KX_RSA, MT_AUTH_RSA, NULL, SHA256, MT_TLS12,
     MT_TLS12, &mt_cbc_aes256, &mt_cbc_hmac_sha256},
    {0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", MT_KX_RSA, MT_AUTH_RSA, NULL, SHA256, MT_TLS10,
     MT_TLS12, &mt_cbc_camellia128, &mt_cbc_hmac_sha1},
    {0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", MT_KX_RSA, MT_AUTH_RSA, NULL, SHA256, MT_TLS10,
     MT_TLS12, &mt_cbc_camellia256, &mt_cbc_hmac_sha1},
    {0x00ba, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", MT_KX_RSA, MT_AUTH_RSA, NULL, SHA256, MT_TLS12,
     MT_TLS12, &mt_cbc_camellia128, &mt_cbc_hmac_sha256},
    {0x00c0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", MT_KX_RSA, MT_AUTH_RSA, NULL, SHA256, MT_TLS12,
     MT_TLS12, &mt_cbc_camellia256, &mt_cbc_hmac_sha256},
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

const uint16_t mt_suites_default[] = {
    0x1301, 0x1302, 0x1303,                                 /* TLS 1.3 */
    0xc02b, 0xc02c, 0xcca9, 0xc02f, 0xc030, 0xcca8,         /* ECDHE AEAD */
    0x009e, 0x009f, 0xccaa,                                 /* DHE AEAD */
    0xc0ac, 0xc0ad, 0xc086, 0xc087, 0xc08a, 0xc08b, 0xc09e, /* CCM, Camellia */
    0xc09f, 0xc07c, 0xc07d, 0,
};

const uint16_t mt_suites_all[] = {
    0x1301, 0x1302, 0x1303, 0x1304, 0x1305, 0xc02b, 0xc02c, 0xcca9, 0xc0ac, 0xc0ad, 0xc0ae,
    0xc0af, 0xc086, 0xc087, 0xc02f, 0xc030, 0xcca8, 0xc08a, 0xc08b, 0x009e, 0x009f, 0xccaa,
    0xc09e, 0xc09f, 0xc0a2, 0xc0a3, 0xc07c, 0xc07d, 0x009c, 0x009d, 0xc09c, 0xc09d, 0xc0a0,
    0xc0a1, 0xc07a, 0xc07b, 0xc009, 0xc00a, 0xc023, 0xc024, 0xc072, 0xc073, 0xc013, 0xc014,
    0xc027, 0xc028, 0xc076, 0xc077, 0x0033, 0x0039, 0x0067, 0x006b, 0x0045, 0x0088, 0x00be,
    0x00c4, 0x002f, 0x0035, 0x003c, 0x003d, 0x0041, 0x0084, 0x00ba, 0x00c0, 0,
};

const mt_suite *mt_suite_by_id(uint16_t id)
{
    for (size_t i = 0; i < NROWS; i++) {
        if (rows[i].id == id) {
            return &rows[i];
        }
    }
    return NULL;
}

const mt_suite *mt_suite_by_name(const char *name)
{
    for (size_t i = 0; i < NROWS; i++) {
        if (strcmp(rows[i].name, name) == 0) {
            return &rows[i];
        }
    }
    return NULL;
}

int mt_suite_allows(const mt_suite *s, uint16_t version)
{
    return version >= s->min_version && version <= s->max_version;
}
