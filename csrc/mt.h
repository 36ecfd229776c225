/*
 * mt.h -- definitions shared by every moontls core file.
 *
 * Fallible functions return int: 0 on success, a negative error code from
 * err.h on failure, and are marked MT_WUR so a caller cannot drop the result.
 * Three macros at most (STYLE.md): GUARD propagates a failure, ENSURE turns a
 * false condition into an error, BAIL jumps to cleanup with an error set.
 */
#ifndef MT_MT_H
#define MT_MT_H

#include <stddef.h>
#include <stdint.h>

#define MT_VERSION "0.1.0"

#if defined(__GNUC__)
#define MT_WUR __attribute__((warn_unused_result))
#else
#define MT_WUR
#endif

/* Propagate a failing call: `GUARD(mt_rd_u8(&r, &v));` */
#define GUARD(expr)                                                                                \
    do {                                                                                           \
        int guard_rc_ = (expr);                                                                    \
        if (guard_rc_ < 0) {                                                                       \
            return guard_rc_;                                                                      \
        }                                                                                          \
    } while (0)

/* Fail with error `code` (an MT_E_* name without the prefix) unless `cond`. */
#define ENSURE(cond, code)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            return -MT_E_##code;                                                                   \
        }                                                                                          \
    } while (0)

/* Set `rc` from `expr` and jump to `out` if it failed; for functions that own memory. */
#define BAIL(rc, expr)                                                                             \
    do {                                                                                           \
        (rc) = (expr);                                                                             \
        if ((rc) < 0) {                                                                            \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

#endif
