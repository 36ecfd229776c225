/* Unit tests for the random generator (rng.c): output, reseeding, fork safety. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ct.h"
#include "../rng.h"
#include "t.h"

static void produces_distinct_output(void)
{
    uint8_t a[32], b[32];
    CHECK_EQ(mt_rng_bytes(a, sizeof(a)), 0);
    CHECK_EQ(mt_rng_bytes(b, sizeof(b)), 0);
    CHECK(memcmp(a, b, sizeof(a)) != 0);
    CHECK_EQ(mt_ct_is_zero(a, sizeof(a)), 0);
    CHECK_EQ(mt_rng_bytes(a, 0), 0);
}

static void byte_distribution(void)
{
    /* 1 MiB: each byte value is expected 4096 times; a working generator stays
     * far inside [3500, 4700] (about 9 standard deviations), a stuck or
     * truncated one does not. */
    size_t n = 1 << 20;
    uint8_t *p = malloc(n);
    CHECK_EQ(mt_rng_bytes(p, n), 0);
    size_t count[256] = {0};
    for (size_t i = 0; i < n; i++) {
        count[p[i]]++;
    }
    for (int v = 0; v < 256; v++) {
        if (count[v] < 3500 || count[v] > 4700) {
            printf("# byte %d seen %zu times\n", v, count[v]);
            CHECK(0);
        }
    }
    /* odd sizes and the tail of a request are random too */
    memset(p, 0, 100);
    CHECK_EQ(mt_rng_bytes(p, 67), 0);
    CHECK_EQ(mt_ct_is_zero(p + 35, 32), 0);
    CHECK_EQ(mt_ct_is_zero(p + 67, 33), 1);
    free(p);
}

static void reseed_counts(void)
{
    uint8_t a[16];
    CHECK_EQ(mt_rng_bytes(a, sizeof(a)), 0);
    uint64_t before = mt_rng_reseed_count();
    CHECK(before >= 1);
    CHECK_EQ(mt_rng_reseed(), 0);
    CHECK_EQ(mt_rng_reseed_count(), before + 1);
}

/* Child and parent draw right after fork(); without a reseed they would print the same. */
static void fork_never_shares_output(void)
{
    uint8_t warm[8];
    CHECK_EQ(mt_rng_bytes(warm, sizeof(warm)), 0);
    for (int round = 0; round < 4; round++) {
        int fds[2];
        CHECK_EQ(pipe(fds), 0);
        uint64_t before = mt_rng_reseed_count();
        pid_t pid = fork();
        if (pid == 0) {
            uint8_t c[32];
            int ok = mt_rng_bytes(c, sizeof(c)) == 0 && mt_rng_reseed_count() == before + 1;
            c[0] ^= (uint8_t)!ok; /* a failed reseed also makes the parent see a mismatch */
            ssize_t w = write(fds[1], c, sizeof(c));
            _exit(w == (ssize_t)sizeof(c) && ok ? 0 : 1);
        }
        uint8_t p[32], c[32];
        CHECK_EQ(mt_rng_bytes(p, sizeof(p)), 0);
        CHECK_EQ(read(fds[0], c, sizeof(c)), (long)sizeof(c));
        int status = 0;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(memcmp(p, c, sizeof(p)) != 0);
        CHECK_EQ(mt_rng_reseed_count(), before); /* the parent did not need to reseed */
        close(fds[0]);
        close(fds[1]);
    }
}

static void nettle_adapter(void)
{
    uint8_t a[48] = {0};
    mt_rng_nettle(NULL, sizeof(a), a);
    CHECK_EQ(mt_ct_is_zero(a, sizeof(a)), 0);
}

int main(void)
{
    RUN(produces_distinct_output);
    RUN(byte_distribution);
    RUN(reseed_counts);
    RUN(fork_never_shares_output);
    RUN(nettle_adapter);
    return t_done();
}
