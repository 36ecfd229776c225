/*
 * sys.h -- the few system calls the core needs, kept out of protocol code.
 */
#ifndef MT_SYS_H
#define MT_SYS_H

#include "mt.h"

/* Fill `n` bytes from the kernel's CSPRNG (getrandom(2), /dev/urandom if the
 * call is missing). Blocks only until the kernel pool is initialised.
 * Errors: -MT_E_RANDOM. */
MT_WUR int mt_sys_getrandom(void *buf, size_t n);

/* Current process id (never cached, so it changes in a forked child). */
long mt_sys_getpid(void);

/* Create or truncate `path` with mode 0600 (tightened if the file existed; symlinks refused)
 * and write `len` bytes. On failure *sys_errno holds errno. Errors: -MT_E_INVALID_ARG. */
MT_WUR int mt_sys_write_private(const char *path, const void *data, size_t len, int *sys_errno);

/* read(2) of at most `cap` bytes from fd, retried on EINTR. Returns the count (0 at end of
 * file), -MT_E_WANT_READ when a nonblocking fd has nothing, or -MT_E_INVALID_ARG with
 * *sys_errno set. */
MT_WUR long mt_sys_read(int fd, void *buf, size_t cap, int *sys_errno);

#endif
