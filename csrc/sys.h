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

#endif
