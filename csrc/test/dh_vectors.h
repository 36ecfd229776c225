/*
 * dh_vectors.h -- an FFDHE known-answer vector made once with OpenSSL 3.0 (independent of GMP):
 *   openssl genpkey -algorithm DH -pkeyopt group:ffdhe2048 -out a.pem   (and b.pem)
 *   openssl pkeyutl -derive -inkey a.pem -peerkey b.pub -out ab.bin     (and b with a: equal)
 * Hex of a's private exponent and public value, b's public value and the 256-byte secret.
 */
#ifndef MT_TEST_DH_VECTORS_H
#define MT_TEST_DH_VECTORS_H

static const char kat2048_xa[] = "889ecf728c21bc94d393cc26a7e2ff68a03ac28aefe59f59f9cfbbc9";
static const char kat2048_ya[] = "eab133a21b7afc29839cee72b19fc00d37cbe5a0ef1942ea93ad9fa8215d6141"
                                 "789c5228ba82faec37af44cb5f52541848c9adb2759c97cf4abefbe46127e45a"
                                 "652bd6869ad52bfc204316e55337cb0a65952e680a995d46adee93c36391b950"
                                 "5fce677b7fcbce1918d4d2b7c523aa1d36eea4aeb148010540092a18706cbc86"
                                 "d8182d7e6bf9ffe83f4b42e7bd8ebaf9b556144029c3fda7b78d0a87d63b4990"
                                 "ffef775e45b2b9795aae5db2ad9b3d1e1765d34cc8f34e3bad8db5643d6eaf2f"
                                 "3ed09f7ad88806c7c3082cf28fb284a40cd695d922278b05fa01862e826ac36a"
                                 "3d970c92ad6af49c4fc7d77a28a8fe9990e603fe5b17d2f84b7a5af259a2b0b7";
static const char kat2048_yb[] = "ff52e7901de3440b919375059997dcb90e5d09d6a6c241024b3fed2001677a45"
                                 "f4389909465d34c9f5ab2d422a5b620cc0aae704af799e22c4d99d7fc14aaa28"
                                 "39d28ab443aec3c9460591856fc58e07dc40dbe98ec5032afd961f0a0b321ca4"
                                 "282935f384f0d7f2238133ddcec3aa38c3271af274cb28e7abab436991a9bf47"
                                 "fe825b3322bf3a94c9aead918f9d6eec547368d28cb2dfd0e6a341c02a2abb36"
                                 "9af2ea9d9f70dfa88a603677fb713f8af6906df9152a9d2ad5ba68050c5cb2d3"
                                 "92b5a010e8fb22ab8b58571dda2dd5bb89690eb0d5add3507f23c9c49dd83018"
                                 "dfa2d185eb0a20ebdc1f0d4b64922742aead68240d65d62dc05f2c1628bd49db";
static const char kat2048_z[] = "4568771d9f4bfbe1a92085cc5c29a6a28347da5a1889c27fcbc724d5b1015ec2"
                                "148bc75d0696a7b5b07deb2bb42aca18aa5de72ca5b562ed41bdb32334dcbfe9"
                                "2327e7b8c401e2a7add5cc788eb99b67d5cd6bd4950e23efa85399f3be50a718"
                                "c1503946cd7c53feb9abc14d3a08eef27927ac99eb6afbff55de50e739bd6e28"
                                "4a0851ba9f2d82ae55bbff5669e244e4cdd36abd61a250b4ae04ecfecbbe118b"
                                "dd54ab3e6738969372b8a5166a09abfcfff2ec47d68921851c480083714565f3"
                                "35e831de5a2621bf9743db9dd8db60a2df827d5ee87cf5be7a5d18191a0ae3e6"
                                "d57ff28024f14733d29c22ccc32c475da577b23afb62dc21d1a338a548a9a976";

/* Random primes from `openssl prime -generate -bits N -hex` (not safe primes), and an odd
 * composite of 2048 bits (the 2048-bit prime plus 2; `openssl prime` says "is not prime"). */
static const char prime1024[] = "c997c33d1f6a38c17eee7072e3736222620e2f2fb266d07651f5e35a4d73cdb3"
                                "46fce71ee0f7d6180e43ad3c38524332824c537588f287c542f4374736b0ed49"
                                "bbc8c36e904810d754eb177696b6c46cb62391d2d12666f8994b2c6e118afbe5"
                                "dc97826643c4a72eb84608eff8ecb2adafb263151530b782299f64b9d9cd9f17";
static const char prime2048[] = "ed23977a2a678a9dc9b4ea0594ef53ad71441e43d1f4928f1d7a51af07b834a1"
                                "70aaa6e405bf2e5b266fbda3560521ff3fdea8268a1aad2d8eaba4eeb1bf9537"
                                "2ec47d1ca71acdadb046b903e717b451e5788dc6e6dc0a7fe3f33c99997797c5"
                                "41b993d8f98bfcb11f96b4ed6ad96612d6ac8e2b52484833005c9c65c6038e4f"
                                "1196143360c501c99f11e8216fed5eca2e8141bba0e46acedd209dc4f8ffac36"
                                "3519b1e31b25a0460889b09980ddbc28850082f9dadb561ead25b31ad6055da0"
                                "c5e3d01db5a56216ec8117fe6f0be62228bb4ecb864479b1aa3bf0465ea82bf5"
                                "7ff07f403d62fc3d7a3a638d585db12f4661e456b0f7f1da8aed4ee270b9c757";
static const char prime3072[] = "cdb2ad5118ed94ee55e55bacf4143d25be189b56beb03b7cfb3cabbf40039f28"
                                "7800c2d9ac132d4d89fe5547e35ffe6c21e532b57e5101d36387ae4ce219f0b7"
                                "d3b48fd0460d419cf75b5b9121e2423f2b0b342e2fb4b2b539688e3e7b2a1151"
                                "0b76b8ec8c33986137877c02170c31a4979d9786d60c1ddcc46c967cedaf10fc"
                                "2f324ca460eaf2a971fb43b032e8522545934962b938ec6fd183513e2105b6a2"
                                "56ab1149f57702f36af5c8c6edeffe4614f5911efbdf7a2cbe639811df1d8973"
                                "13804c037bc52666f57658d34c8e412c925b9eaa4a5edc90f8b096e456eddd74"
                                "332e79500bb3828422498316809b5c227980ef4139d229db80bb684958e5d17a"
                                "81cc8c3c4625fa16bb4e9106192e0229bffe8256fc106c1a28e69e9a0cd0f37f"
                                "cad3c63d95c19c9c4f63d7d2169df27013187f8c583a471e2b6b01a11b2e70ad"
                                "64a93bbdebd2b67130570b3f33beccc5809764d8f9921bcc6ea19fff76e3afd8"
                                "d64bd7252d2f234e562f19ee6db82b238ff2bc8bd97bb6528e77cd6b4abcdb69";
static const char composite2048[] =
    "ed23977a2a678a9dc9b4ea0594ef53ad71441e43d1f4928f1d7a51af07b834a1"
    "70aaa6e405bf2e5b266fbda3560521ff3fdea8268a1aad2d8eaba4eeb1bf9537"
    "2ec47d1ca71acdadb046b903e717b451e5788dc6e6dc0a7fe3f33c99997797c5"
    "41b993d8f98bfcb11f96b4ed6ad96612d6ac8e2b52484833005c9c65c6038e4f"
    "1196143360c501c99f11e8216fed5eca2e8141bba0e46acedd209dc4f8ffac36"
    "3519b1e31b25a0460889b09980ddbc28850082f9dadb561ead25b31ad6055da0"
    "c5e3d01db5a56216ec8117fe6f0be62228bb4ecb864479b1aa3bf0465ea82bf5"
    "7ff07f403d62fc3d7a3a638d585db12f4661e456b0f7f1da8aed4ee270b9c759";

#endif
