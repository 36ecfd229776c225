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

/* ---- readiness polling (sys_poll.c): the backend of moontls.loop ----
 * A poller keeps one interest mask per fd (MT_POLL_R | MT_POLL_W), level-triggered, and
 * reports which of them are ready. Two backends: epoll(7) (Linux) and poll(2) (anywhere).
 * An fd epoll refuses (EPERM: a regular file) is kept as "always ready", as poll(2) would
 * report it. A poller used in a child after fork() first gives itself its own epoll set, so
 * parent and child never change each other's interests. Functions that fail return
 * -MT_E_INVALID_ARG (the fd: *sys_errno says why, EBADF for a closed fd), -MT_E_NOMEM, or
 * -MT_E_INTERNAL (a system call failed: *sys_errno). */
enum {
    MT_POLL_R = 1,   /* readable (or hung up / in error: a read will tell) */
    MT_POLL_W = 2,   /* writable (or in error) */
    MT_POLL_BAD = 4, /* the fd is not open any more (poll(2)'s POLLNVAL) */
};

enum { MT_POLL_AUTO = 0, MT_POLL_EPOLL = 1, MT_POLL_POLL = 2 };

typedef struct mt_poll mt_poll;

typedef struct mt_poll_event {
    int fd;
    unsigned mask; /* MT_POLL_* bits, within the fd's interest (plus MT_POLL_BAD) */
} mt_poll_event;

/* A new poller. backend: MT_POLL_AUTO (epoll when the kernel has it, else poll),
 * MT_POLL_EPOLL or MT_POLL_POLL. Errors: -MT_E_NOMEM, -MT_E_INVALID_ARG (epoll asked for
 * where it does not exist), -MT_E_INTERNAL (epoll_create1 failed: *sys_errno). */
MT_WUR int mt_poll_new(mt_poll **out, int backend, int *sys_errno);

/* MT_POLL_EPOLL or MT_POLL_POLL. */
int mt_poll_backend(const mt_poll *p);

/* Sets the interest of fd to mask (0 removes it; removing an fd already closed is not an
 * error). refresh != 0 re-registers the fd even when its mask did not change: the caller
 * says the fd may have been closed and its number reused since it was registered.
 * Errors: -MT_E_INVALID_ARG (fd negative or not open: *sys_errno = EBADF, or refused by the
 * kernel), -MT_E_NOMEM. On error the fd is left without interest. */
MT_WUR int mt_poll_set(mt_poll *p, int fd, unsigned mask, int refresh, int *sys_errno);

/* The interest mask of fd (0 when not registered). */
unsigned mt_poll_get(const mt_poll *p, int fd);

/* Number of fds with an interest. */
size_t mt_poll_count(const mt_poll *p);

/* Waits at most timeout_ms (-1: no limit) until an fd is ready; *events points to n events
 * owned by the poller, valid until its next call. An interrupted wait (EINTR) returns 0 with
 * n = 0. Errors: -MT_E_INTERNAL (*sys_errno). */
MT_WUR int mt_poll_wait(mt_poll *p, int timeout_ms, const mt_poll_event **events, size_t *n,
                        int *sys_errno);

/* Closes the epoll fd and frees everything; NULL is fine. */
void mt_poll_free(mt_poll *p);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t mt_sys_monotonic_ns(void);

#endif
