/*
 * t.h -- the C unit-test harness: TAP output ("ok N - name" / "not ok N - name"),
 * counted together with busted's TAP by tools/run-tests.
 */
#ifndef MT_TEST_T_H
#define MT_TEST_T_H

#include <stdio.h>
#include <string.h>

static int t_case_failed;
static int t_n, t_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("# %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                      \
            t_case_failed = 1;                                                                     \
        }                                                                                          \
    } while (0)

/* CHECK that `got` equals `want`, printing both when it does not. */
#define CHECK_EQ(got, want)                                                                        \
    do {                                                                                           \
        long long got_ = (long long)(got), want_ = (long long)(want);                              \
        if (got_ != want_) {                                                                       \
            printf("# %s:%d: %s == %lld, want %lld\n", __FILE__, __LINE__, #got, got_, want_);     \
            t_case_failed = 1;                                                                     \
        }                                                                                          \
    } while (0)

static inline void t_run(const char *name, void (*fn)(void))
{
    t_case_failed = 0;
    fflush(stdout);
    fn();
    t_n++;
    if (t_case_failed) {
        t_failed++;
    }
    printf("%s %d - %s\n", t_case_failed ? "not ok" : "ok", t_n, name);
    fflush(stdout);
}

#define RUN(fn) t_run(#fn, fn)

static inline int t_done(void)
{
    printf("1..%d\n", t_n);
    return t_failed ? 1 : 0;
}

#endif
