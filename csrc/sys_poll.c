/*
 * sys_poll.c -- readiness polling for moontls.loop: epoll(7) with poll(2) as the fallback.
 *
 * IMPLEMENTATION NOTES
 * - Level-triggered. Each fd has one slot (indexed by the fd number) holding its interest
 *   mask; the caller sets the union of what its waiters want, so the same fd waited on for
 *   reading by one task and for writing by another is one registration.
 * - `list` is a dense array of pollfd: every registered fd under poll(2); under epoll only
 *   the fds the kernel refused with EPERM (regular files, which are always ready). A slot's
 *   `idx` is its position in `list` (-1 when not listed); removal swaps the last entry in.
 * - A closed fd disappears from an epoll set by itself (when its last reference goes), and
 *   its number may come back for a new file: the caller passes `refresh` when that may
 *   have happened, and MOD falls back to ADD on ENOENT (ADD to MOD on EEXIST).
 * - fork(): parent and child share one epoll interest list through the inherited fd, so a
 *   child changing it would silently change the parent's. The poller remembers its pid;
 *   in another process it first builds its own epoll set from the slots (rebuild()).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "sys.h"

#if defined(__linux__) && !defined(MT_NO_EPOLL)
#include <sys/epoll.h>
#define HAVE_EPOLL 1
#else
#define HAVE_EPOLL 0
#endif

/* Most events taken from the kernel in one wait; the rest come next time (level-triggered). */
#define EPOLL_BATCH 4096

typedef struct {
    uint8_t mask;   /* interest, MT_POLL_R | MT_POLL_W; 0 = not registered */
    uint8_t always; /* epoll refused the fd (EPERM): reported ready on every wait */
    int idx;        /* position in list, or -1 */
} slot;

#if HAVE_EPOLL
typedef struct epoll_event kev;

static int ep_create(void)
{
    return epoll_create1(EPOLL_CLOEXEC);
}

/* op: 0 add, 1 modify, 2 delete. */
static int ep_ctl(int epfd, int op, int fd, unsigned mask)
{
    static const int ops[] = {EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL};
    struct epoll_event e = {
        .events = ((mask & MT_POLL_R) ? EPOLLIN : 0) | ((mask & MT_POLL_W) ? EPOLLOUT : 0),
        .data.fd = fd,
    };
    return epoll_ctl(epfd, ops[op], fd, &e);
}

static int ep_wait(int epfd, kev *buf, size_t cap, int timeout_ms)
{
    return epoll_wait(epfd, buf, (int)cap, timeout_ms);
}

/* The fd of an event and its readiness as MT_POLL_* bits (before masking). */
static unsigned ep_ready(const kev *e, int *fd)
{
    *fd = e->data.fd;
    return ((e->events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ? MT_POLL_R : 0) |
           ((e->events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) ? MT_POLL_W : 0);
}
#else
typedef struct {
    int fd;
} kev;

static int ep_create(void)
{
    errno = ENOSYS;
    return -1;
}

static int ep_ctl(int epfd, int op, int fd, unsigned mask)
{
    (void)epfd, (void)op, (void)fd, (void)mask;
    errno = ENOSYS;
    return -1;
}

static int ep_wait(int epfd, kev *buf, size_t cap, int timeout_ms)
{
    (void)epfd, (void)buf, (void)cap, (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}

static unsigned ep_ready(const kev *e, int *fd)
{
    *fd = e->fd;
    return 0;
}
#endif

struct mt_poll {
    int backend;
    int epfd;
    long pid; /* the process the epoll set belongs to */
    slot *slots;
    size_t nslots;
    size_t count; /* fds with an interest */
    struct pollfd *list;
    size_t nlist, caplist;
    kev *kevs;
    size_t capkev;
    mt_poll_event *ev;
    size_t capev;
};

enum { OP_ADD, OP_MOD, OP_DEL };

int64_t mt_sys_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

static short poll_bits(unsigned mask)
{
    return (short)(((mask & MT_POLL_R) ? POLLIN : 0) | ((mask & MT_POLL_W) ? POLLOUT : 0));
}

int mt_poll_new(mt_poll **out, int backend, int *sys_errno)
{
    *out = NULL;
    *sys_errno = 0;
    ENSURE(backend >= MT_POLL_AUTO && backend <= MT_POLL_POLL, INVALID_ARG);
    mt_poll *p = calloc(1, sizeof(*p));
    ENSURE(p != NULL, NOMEM);
    p->epfd = -1;
    p->backend = MT_POLL_POLL;
    if (backend != MT_POLL_POLL) {
        p->epfd = ep_create();
        if (p->epfd >= 0) {
            p->backend = MT_POLL_EPOLL;
            p->pid = mt_sys_getpid();
        } else if (backend == MT_POLL_EPOLL) {
            *sys_errno = errno;
            free(p);
            return errno == ENOSYS ? -MT_E_INVALID_ARG : -MT_E_INTERNAL;
        }
    }
    *out = p;
    return 0;
}

int mt_poll_backend(const mt_poll *p)
{
    return p->backend;
}

unsigned mt_poll_get(const mt_poll *p, int fd)
{
    return fd >= 0 && (size_t)fd < p->nslots ? p->slots[fd].mask : 0;
}

size_t mt_poll_count(const mt_poll *p)
{
    return p->count;
}

static int grow_slots(mt_poll *p, int fd)
{
    if ((size_t)fd < p->nslots) {
        return 0;
    }
    size_t n = p->nslots ? p->nslots : 64;
    while (n <= (size_t)fd) {
        n *= 2;
    }
    slot *s = realloc(p->slots, n * sizeof(*s));
    ENSURE(s != NULL, NOMEM);
    for (size_t i = p->nslots; i < n; i++) {
        s[i] = (slot){.mask = 0, .always = 0, .idx = -1};
    }
    p->slots = s;
    p->nslots = n;
    return 0;
}

static int list_add(mt_poll *p, int fd, unsigned mask)
{
    if (p->nlist == p->caplist) {
        size_t n = p->caplist ? 2 * p->caplist : 16;
        struct pollfd *l = realloc(p->list, n * sizeof(*l));
        ENSURE(l != NULL, NOMEM);
        p->list = l;
        p->caplist = n;
    }
    p->list[p->nlist] = (struct pollfd){.fd = fd, .events = poll_bits(mask), .revents = 0};
    p->slots[fd].idx = (int)p->nlist++;
    return 0;
}

static void list_del(mt_poll *p, int fd)
{
    int i = p->slots[fd].idx;
    if (i < 0) {
        return;
    }
    struct pollfd last = p->list[--p->nlist];
    if ((size_t)i < p->nlist) {
        p->list[i] = last;
        p->slots[last.fd].idx = i;
    }
    p->slots[fd].idx = -1;
}

/* Forgets fd. Errors from the kernel are ignored: a closed fd already left the epoll set. */
static void unregister(mt_poll *p, int fd)
{
    slot *s = &p->slots[fd];
    if (p->backend == MT_POLL_EPOLL && !s->always) {
        (void)ep_ctl(p->epfd, OP_DEL, fd, 0);
    }
    list_del(p, fd);
    *s = (slot){.mask = 0, .always = 0, .idx = -1};
    p->count--;
}

/* In a child after fork(): a new epoll set holding the same fds, the inherited one closed
 * (this process's copy only). An fd the kernel refuses now is forgotten. */
static int rebuild(mt_poll *p, int *sys_errno)
{
    long pid = mt_sys_getpid();
    if (p->backend != MT_POLL_EPOLL || p->pid == pid) {
        return 0;
    }
    int epfd = ep_create();
    if (epfd < 0) {
        *sys_errno = errno;
        return -MT_E_INTERNAL;
    }
    close(p->epfd);
    p->epfd = epfd;
    p->pid = pid;
    for (size_t fd = 0; fd < p->nslots; fd++) {
        slot *s = &p->slots[fd];
        if (s->mask != 0 && !s->always && ep_ctl(epfd, OP_ADD, (int)fd, s->mask) < 0) {
            unregister(p, (int)fd);
        }
    }
    return 0;
}

/* Registers or updates fd with epoll; cur is its present mask (0: not registered). */
static int epoll_apply(mt_poll *p, int fd, unsigned cur, unsigned mask, int refresh, int *sys_errno)
{
    slot *s = &p->slots[fd];
    if (s->always && !refresh) {
        p->list[s->idx].events = poll_bits(mask);
        return 0;
    }
    if (s->always) { /* the number may name a socket now: ask epoll again */
        list_del(p, fd);
        s->always = 0;
        cur = 0;
    }
    int op = cur ? OP_MOD : OP_ADD;
    int rc = ep_ctl(p->epfd, op, fd, mask);
    if (rc < 0 && op == OP_MOD && errno == ENOENT) {
        rc = ep_ctl(p->epfd, OP_ADD, fd, mask); /* the number now names another file */
    } else if (rc < 0 && op == OP_ADD && errno == EEXIST) {
        rc = ep_ctl(p->epfd, OP_MOD, fd, mask);
    }
    if (rc == 0) {
        return 0;
    }
    if (errno == EPERM) { /* a regular file or a directory: always ready, as poll(2) says */
        GUARD(list_add(p, fd, mask));
        s->always = 1;
        return 0;
    }
    *sys_errno = errno;
    return errno == ENOMEM || errno == ENOSPC ? -MT_E_NOMEM : -MT_E_INVALID_ARG;
}

int mt_poll_set(mt_poll *p, int fd, unsigned mask, int refresh, int *sys_errno)
{
    *sys_errno = 0;
    mask &= MT_POLL_R | MT_POLL_W;
    if (fd < 0) {
        *sys_errno = EBADF;
        return -MT_E_INVALID_ARG;
    }
    GUARD(rebuild(p, sys_errno));
    unsigned cur = mt_poll_get(p, fd);
    if (mask == 0) {
        if (cur != 0) {
            unregister(p, fd);
        }
        return 0;
    }
    if (cur == mask && !refresh) {
        return 0;
    }
    /* Validate before growing the slot table: a closed fd must not cost memory. */
    if ((cur == 0 || refresh) && !fd_is_open(fd)) {
        if (cur != 0) {
            unregister(p, fd);
        }
        *sys_errno = EBADF;
        return -MT_E_INVALID_ARG;
    }
    GUARD(grow_slots(p, fd));
    int rc;
    if (p->backend == MT_POLL_EPOLL) {
        rc = epoll_apply(p, fd, cur, mask, refresh, sys_errno);
    } else if (cur == 0) {
        rc = list_add(p, fd, mask);
    } else {
        p->list[p->slots[fd].idx].events = poll_bits(mask);
        rc = 0;
    }
    if (rc < 0) {
        if (cur != 0) {
            unregister(p, fd);
        }
        return rc;
    }
    if (cur == 0) {
        p->count++;
    }
    p->slots[fd].mask = (uint8_t)mask;
    return 0;
}

/* Room for an event per registered fd, plus one: capev, capkev >= count + 1 on success. */
static int grow_events(mt_poll *p)
{
    size_t want = p->count + 1;
    if (p->capev >= want && p->capkev >= want) {
        return 0;
    }
    size_t n = p->capev ? p->capev : 16;
    while (n < want) {
        n *= 2;
    }
    mt_poll_event *e = realloc(p->ev, n * sizeof(*e));
    ENSURE(e != NULL, NOMEM);
    p->ev = e;
    p->capev = n;
    kev *k = realloc(p->kevs, n * sizeof(*k));
    ENSURE(k != NULL, NOMEM);
    p->kevs = k;
    p->capkev = n;
    return 0;
}

/* Adds an event for fd with raw readiness bits, kept within its interest. */
static void emit(mt_poll *p, size_t *n, int fd, unsigned ready)
{
    unsigned interest = mt_poll_get(p, fd);
    unsigned m = (ready & interest) | (ready & MT_POLL_BAD);
    if (m != 0 && *n < p->capev) {
        p->ev[(*n)++] = (mt_poll_event){.fd = fd, .mask = m};
    }
}

static int wait_epoll(mt_poll *p, int timeout_ms, size_t *n, int *sys_errno)
{
    if (p->nlist > 0) {
        timeout_ms = 0; /* always-ready fds are ready now */
    }
    /* grow_events made room for every fd: the kernel's events plus the always-ready ones */
    size_t cap = p->capev - p->nlist;
    cap = cap > p->capkev ? p->capkev : cap;
    cap = cap > EPOLL_BATCH ? EPOLL_BATCH : cap;
    int k = ep_wait(p->epfd, p->kevs, cap, timeout_ms);
    if (k < 0) {
        if (errno == EINTR) {
            return 0;
        }
        *sys_errno = errno;
        return -MT_E_INTERNAL;
    }
    for (int i = 0; i < k; i++) {
        int fd;
        unsigned ready = ep_ready(&p->kevs[i], &fd);
        emit(p, n, fd, ready);
    }
    for (size_t i = 0; i < p->nlist; i++) {
        int fd = p->list[i].fd;
        emit(p, n, fd, fd_is_open(fd) ? MT_POLL_R | MT_POLL_W : MT_POLL_BAD);
    }
    return 0;
}

static int wait_poll(mt_poll *p, int timeout_ms, size_t *n, int *sys_errno)
{
    int k = poll(p->list, (nfds_t)p->nlist, timeout_ms);
    if (k < 0) {
        if (errno == EINTR) {
            return 0;
        }
        *sys_errno = errno;
        return -MT_E_INTERNAL;
    }
    for (size_t i = 0; i < p->nlist && k > 0; i++) {
        short r = p->list[i].revents;
        if (r == 0) {
            continue;
        }
        k--;
        unsigned ready = ((r & (POLLIN | POLLHUP | POLLERR)) ? MT_POLL_R : 0) |
                         ((r & (POLLOUT | POLLHUP | POLLERR)) ? MT_POLL_W : 0) |
                         ((r & POLLNVAL) ? MT_POLL_BAD : 0);
        emit(p, n, p->list[i].fd, ready);
    }
    return 0;
}

int mt_poll_wait(mt_poll *p, int timeout_ms, const mt_poll_event **events, size_t *n,
                 int *sys_errno)
{
    *sys_errno = 0;
    *n = 0;
    *events = NULL;
    GUARD(rebuild(p, sys_errno));
    GUARD(grow_events(p));
    *events = p->ev;
    if (p->backend == MT_POLL_EPOLL) {
        return wait_epoll(p, timeout_ms, n, sys_errno);
    }
    return wait_poll(p, timeout_ms, n, sys_errno);
}

void mt_poll_free(mt_poll *p)
{
    if (p == NULL) {
        return;
    }
    if (p->epfd >= 0) {
        close(p->epfd);
    }
    free(p->slots);
    free(p->list);
    free(p->kevs);
    free(p->ev);
    free(p);
}
